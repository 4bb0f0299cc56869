// The checks an issuance and a correction share: see issuance_checks.h.
#include "issuance_checks.h"

#include <algorithm>

namespace tongban::certs::internal {

Status checkMayIssue(const CertificateType& type, const std::string& issuer_code) {
  const auto& issuers = type.issuer_codes;
  if (std::find(issuers.begin(), issuers.end(), issuer_code) == issuers.end()) {
    return Status(ErrorCode::kPermissionDenied,
                  "department " + issuer_code + " may not issue " + type.name);
  }
  return Status();
}

Status checkSeal(const std::string& seal_id, const std::string& issuer_code,
                 const SealState& seal) {
  if (seal.owner_code != issuer_code) {
    return Status(ErrorCode::kPermissionDenied,
                  "seal " + seal_id + " belongs to another department");
  }
  if (seal.status != "active") {
    return Status(ErrorCode::kConflict,
                  "seal " + seal_id + " is " + seal.status + "; it signs nothing", "seal_id");
  }
  if (!seal.in_validity) {
    return Status(ErrorCode::kConflict, "seal " + seal_id + " is outside its validity period",
                  "seal_id");
  }
  return Status();
}

Status checkHolder(const CertificateType& type, const std::string& holder_code,
                   const std::string& holder_name, const HolderRecord* record) {
  if (!type.holder_check) return Status();
  const bool person = type.holder_kind == HolderKind::kPerson;
  if (record == nullptr) {
    return Status::invalid("holder.code",
                           std::string("no ") + (person ? "person" : "legal entity") + " " +
                               holder_code + " in the " + (person ? "population" : "legal-entity") +
                               " registry");
  }
  const std::string& status = record->status;
  if (person ? status != "living" : (status == "revoked" || status == "deregistered")) {
    return Status::invalid("holder.code", "the registry records " + holder_code + " as " + status);
  }
  if (holder_name != record->name) {
    return Status::invalid("holder.name",
                           "the registry's name for " + holder_code + " is not " + holder_name);
  }
  return Status();
}

}  // namespace tongban::certs::internal
