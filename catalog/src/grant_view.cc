// What a grant returns now (grant_view.h).
#include "tongban/catalog/grant_view.h"

#include "tongban/catalog/masking.h"

namespace tongban::catalog {

std::vector<FieldView> grantView(const Grant& grant, const Resource& granted,
                                 const Resource& current) {
  std::vector<FieldView> view;
  if (granted.code != grant.resource_code || granted.version != grant.resource_version ||
      current.code != grant.resource_code) {
    return view;
  }
  for (const std::string& name : grant.fields) {
    const ResourceField* then = granted.field(name);
    const ResourceField* now = current.field(name);
    if (then == nullptr || now == nullptr) continue;  // dropped: never served again
    MaskingRule rule;
    if (!grant.liftsMasking(name)) {
      rule = strongerOf(then->masking, now->masking);
    } else if (atLeastAsStrong(then->masking, now->masking)) {
      rule = MaskingRule::kNone;  // the lift was approved for a rule at least this strong
    } else {
      rule = now->masking;  // re-masked since: the lift does not cover the new rule
    }
    view.push_back({name, rule});
  }
  return view;
}

const FieldView* findField(const std::vector<FieldView>& view, std::string_view name) {
  for (const FieldView& f : view) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace tongban::catalog
