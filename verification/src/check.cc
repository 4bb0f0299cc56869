// TEMPORARY (branch m-matters only): the names of check.h until the v-core branch lands its
// check.cc.
#include "tongban/verification/check.h"

namespace tongban::verification {

namespace {
struct KindName {
  CheckKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {CheckKind::kCertificateValid, "certificate_valid"},
    {CheckKind::kHoldsCertificate, "holds_certificate"},
    {CheckKind::kPersonAlive, "person_alive"},
    {CheckKind::kPersonRegisteredIn, "person_registered_in"},
    {CheckKind::kPersonAgeAtLeast, "person_age_at_least"},
    {CheckKind::kEntityInBusiness, "entity_in_business"},
    {CheckKind::kLegalRepresentative, "legal_representative"},
};
}  // namespace

const char* kindName(CheckKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

Result<CheckKind> parseKind(std::string_view name, const std::string& field) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return Status::invalid(field, "is not a check kind");
}

}  // namespace tongban::verification
