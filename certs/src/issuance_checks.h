// The checks every new version of a certificate passes, whether it is issued (the group commit,
// issuance_sequencer.cc) or made by a correction (certificate_registry.cc): the issuer may issue
// the type, the seal is the issuer's and in force, the holder is in its registry, active, and
// named as the registry names it. One definition, so that a correction can never skip one.
// Nobody outside certs/src includes this. All functions are pure and thread-safe.
#pragma once

#include <string>

#include "tongban/certs/certificate_type.h"
#include "tongban/common/result.h"

namespace tongban::certs::internal {

// PermissionDenied unless `issuer_code` is among the type's issuers.
Status checkMayIssue(const CertificateType& type, const std::string& issuer_code);

// A seal as the checks need it (certs.seals).
struct SealState {
  std::string owner_code;
  std::string status;        // active, suspended, revoked
  bool in_validity = false;  // valid_from <= sealing time < valid_to
};

// PermissionDenied for another department's seal; Conflict (field "seal_id") for a seal that is
// not active or outside its validity.
Status checkSeal(const std::string& seal_id, const std::string& issuer_code, const SealState& seal);

// The holder's row in the population or legal-entity registry.
struct HolderRecord {
  std::string name;
  std::string status;
};

// For a type with holder_check: InvalidArgument "holder.code" when `record` is null (no such
// person or entity) or records the holder as inactive (a person not living; an entity revoked or
// deregistered), "holder.name" when the registry's name differs. OK for a type without it.
Status checkHolder(const CertificateType& type, const std::string& holder_code,
                   const std::string& holder_name, const HolderRecord* record);

}  // namespace tongban::certs::internal
