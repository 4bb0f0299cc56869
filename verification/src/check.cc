// Names of the check kinds, verdicts and reasons, and the validation of a Check (check.h).
#include "tongban/verification/check.h"

#include <cstring>
#include <string>

#include "tongban/common/identifiers.h"

namespace tongban::verification {
namespace {

struct KindEntry {
  CheckKind kind;
  const char* name;
};
constexpr KindEntry kKinds[] = {
    {CheckKind::kCertificateValid, "certificate_valid"},
    {CheckKind::kHoldsCertificate, "holds_certificate"},
    {CheckKind::kPersonAlive, "person_alive"},
    {CheckKind::kPersonRegisteredIn, "person_registered_in"},
    {CheckKind::kPersonAgeAtLeast, "person_age_at_least"},
    {CheckKind::kEntityInBusiness, "entity_in_business"},
    {CheckKind::kLegalRepresentative, "legal_representative"},
};

constexpr const char* kReasons[] = {
    "ok",
    "not_found",
    "suspended",
    "revoked",
    "cancelled",
    "deregistered",
    "superseded",
    "expired",
    "not_yet_valid",
    "seal_inactive",
    "no_valid_certificate",
    "deceased",
    "emigrated",
    "region_mismatch",
    "under_age",
    "abnormal_operation",
    "entity_revoked",
    "not_representative",
    "entity_not_found",
};
static_assert(sizeof kReasons / sizeof kReasons[0] ==
                  static_cast<size_t>(Reason::kEntityNotFound) + 1,
              "every Reason has a wire name");

// Dates a check may carry: 1900-01-01 .. 2199-12-31 in days since 1970-01-01.
constexpr int32_t kMinDate = -25567;
constexpr int32_t kMaxDate = 84005;

bool allDigits(const std::string& s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The canonical form of an identifier, or the normaliser's error; a value that normalises to
// something else (spaces, lower case) is refused: the index compares canonical bytes.
Status canonical(const Result<std::string>& normalized, const std::string& value,
                 const std::string& field) {
  if (!normalized.isOk()) return Status::invalid(field, normalized.status().message());
  if (*normalized != value) {
    return Status::invalid(field, "must be in canonical form (" + *normalized + ")");
  }
  return Status();
}

Status citizenId(const std::string& value, const std::string& field) {
  if (value.empty()) return Status::invalid(field, "is required");
  return canonical(ids::normalizeCitizenId(value, field), value, field);
}

Status creditCode(const std::string& value, const std::string& field) {
  if (value.empty()) return Status::invalid(field, "is required");
  return canonical(ids::normalizeCreditCode(value, field), value, field);
}

// A citizen id (18 digits or 17 and X) or a credit code: citizen ids start with a digit 1-9 and
// have only digits; credit codes of the forms that can look like one also pass the credit-code
// check, so try the citizen id first and report the credit-code error only for non-digits.
Status holderCode(const std::string& value, const std::string& field) {
  if (value.empty()) return Status::invalid(field, "is required");
  if (ids::normalizeCitizenId(value, field).isOk()) return citizenId(value, field);
  if (ids::normalizeCreditCode(value, field).isOk()) return creditCode(value, field);
  return Status::invalid(field, "is neither a citizen id (GB 11643) nor a credit code (GB 32100)");
}

bool knownProvince(const std::string& two) {
  size_t count = 0;
  const ids::Region* table = ids::regionTable(&count);
  const std::string code = two + "0000";
  for (size_t i = 0; i < count; ++i) {
    if (code == table[i].code) return true;
  }
  return false;
}

Status regionPrefix(const std::string& value, const std::string& field, bool required) {
  if (value.empty()) {
    return required ? Status::invalid(field, "is required") : Status();
  }
  if (!(value.size() == 2 || value.size() == 4 || value.size() == 6) || !allDigits(value)) {
    return Status::invalid(field, "must be a GB/T 2260 region code or prefix of 2, 4 or 6 digits");
  }
  if (!knownProvince(value.substr(0, 2))) {
    return Status::invalid(field, "province " + value.substr(0, 2) + " is not in GB/T 2260");
  }
  return Status();
}

Status typeCode(const std::string& value, const std::string& field) {
  if (value.empty()) return Status::invalid(field, "is required");
  if (value.size() != 21) return Status::invalid(field, "must be 21 characters");
  if (!allDigits(value.substr(18))) {
    return Status::invalid(field, "must end in 3 digits");
  }
  return canonical(ids::normalizeCreditCode(value.substr(0, 18), field), value.substr(0, 18),
                   field);
}

Status date(int32_t value, const std::string& field) {
  if (value < kMinDate || value > kMaxDate) {
    return Status::invalid(field, "must be a date between 1900-01-01 and 2199-12-31");
  }
  return Status();
}

Status absent(bool present, const std::string& field, CheckKind kind) {
  if (!present) return Status();
  return Status::invalid(field, std::string("is not used by ") + kindName(kind));
}

}  // namespace

const char* kindName(CheckKind kind) {
  for (const KindEntry& e : kKinds) {
    if (e.kind == kind) return e.name;
  }
  return "unknown";
}

const char* verdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kFalse:
      return "false";
    case Verdict::kTrue:
      return "true";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* reasonName(Reason reason) {
  const auto i = static_cast<size_t>(reason);
  return i < sizeof kReasons / sizeof kReasons[0] ? kReasons[i] : "unknown";
}

Result<CheckKind> parseKind(std::string_view name, const std::string& field) {
  for (const KindEntry& e : kKinds) {
    if (name == e.name) return e.kind;
  }
  std::string list;
  for (const KindEntry& e : kKinds) list += (list.empty() ? "" : ", ") + std::string(e.name);
  return Status::invalid(field, "unknown check kind; one of: " + list);
}

Status validateCheck(const Check& check, const std::string& p) {
  const CheckKind k = check.kind;
  Status s;
  const bool has_type = !check.type_code.empty();
  const bool has_region = !check.region.empty();
  const bool has_entity = !check.entity.empty();
  switch (k) {
    case CheckKind::kCertificateValid:
      if (check.subject.empty()) return Status::invalid(p + "subject", "is required");
      if (!(s = canonical(ids::normalizeCertificateId(check.subject, p + "subject"), check.subject,
                          p + "subject"))) {
        return s;
      }
      if (!(s = absent(has_type, p + "type_code", k))) return s;
      if (!(s = absent(has_region, p + "region", k))) return s;
      if (!(s = absent(check.valid_until != 0, p + "valid_until", k))) return s;
      break;
    case CheckKind::kHoldsCertificate:
      if (!(s = holderCode(check.subject, p + "subject"))) return s;
      if (!(s = typeCode(check.type_code, p + "type_code"))) return s;
      if (!(s = regionPrefix(check.region, p + "region", false))) return s;
      if (check.valid_until != 0 && !(s = date(check.valid_until, p + "valid_until"))) return s;
      break;
    case CheckKind::kPersonAlive:
    case CheckKind::kPersonRegisteredIn:
    case CheckKind::kPersonAgeAtLeast:
      if (!(s = citizenId(check.subject, p + "subject"))) return s;
      if (!(s = absent(has_type, p + "type_code", k))) return s;
      if (k == CheckKind::kPersonRegisteredIn) {
        if (!(s = regionPrefix(check.region, p + "region", true))) return s;
      } else if (!(s = absent(has_region, p + "region", k))) {
        return s;
      }
      if (!(s = absent(check.valid_until != 0, p + "valid_until", k))) return s;
      break;
    case CheckKind::kEntityInBusiness:
      if (!(s = creditCode(check.subject, p + "subject"))) return s;
      if (!(s = absent(has_type, p + "type_code", k))) return s;
      if (!(s = absent(has_region, p + "region", k))) return s;
      if (!(s = absent(check.valid_until != 0, p + "valid_until", k))) return s;
      break;
    case CheckKind::kLegalRepresentative:
      if (!(s = citizenId(check.subject, p + "subject"))) return s;
      if (!(s = creditCode(check.entity, p + "entity"))) return s;
      if (!(s = absent(has_type, p + "type_code", k))) return s;
      if (!(s = absent(has_region, p + "region", k))) return s;
      if (!(s = absent(check.valid_until != 0, p + "valid_until", k))) return s;
      break;
    default:
      return Status::invalid(p + "kind", "unknown check kind");
  }
  if (k == CheckKind::kPersonAgeAtLeast) {
    if (check.min_age < 0 || check.min_age > 150) {
      return Status::invalid(p + "min_age", "must be between 0 and 150");
    }
    if (check.on_date != 0 && !(s = date(check.on_date, p + "on_date"))) return s;
  } else {
    if (!(s = absent(check.min_age != 0, p + "min_age", k))) return s;
    if (!(s = absent(check.on_date != 0, p + "on_date", k))) return s;
  }
  if (k != CheckKind::kLegalRepresentative && !(s = absent(has_entity, p + "entity", k))) return s;
  return Status();
}

}  // namespace tongban::verification
