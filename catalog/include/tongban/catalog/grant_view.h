// What a grant returns now: the fields and maskings a grant allows, given the resource version it
// was approved for and the version published today.
//
// A grant is pinned to the version it was approved for (Grant::resource_version). A later version
// never widens what it returns: a field is served only when the grant lists it and both versions
// have it, masked by the stronger of the two versions' rules (masking.h, strongerOf). The grant's
// lifted masking (Grant::unmasked_fields) lifts the granted version's rule only: when the current
// version masks the field more strongly than the granted one, the current rule applies. Pure
// functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tongban/catalog/model.h"

namespace tongban::catalog {

struct FieldView {
  std::string name;
  MaskingRule masking = MaskingRule::kFull;  // kNone: shown as it is
};

// The fields `grant` returns under `current`, in the grant's order. `granted` must be the
// version the grant was approved for (same code, version == grant.resource_version), else the
// view is empty: nothing is served from a version the grant does not name.
std::vector<FieldView> grantView(const Grant& grant, const Resource& granted,
                                 const Resource& current);

// The entry called `name`, or nullptr.
const FieldView* findField(const std::vector<FieldView>& view, std::string_view name);

}  // namespace tongban::catalog
