#include "tongban/verification/check.h"

#include <array>
#include <cstring>

#include "tongban/common/identifiers.h"

namespace tongban::verification {

namespace {

struct KindName {
  CheckKind kind;
  const char* name;
};
constexpr std::array<KindName, 7> kKinds = {{
    {CheckKind::kCertificateValid, "certificate_valid"},
    {CheckKind::kHoldsCertificate, "holds_certificate"},
    {CheckKind::kPersonAlive, "person_alive"},
    {CheckKind::kPersonRegisteredIn, "person_registered_in"},
    {CheckKind::kPersonAgeAtLeast, "person_age_at_least"},
    {CheckKind::kEntityInBusiness, "entity_in_business"},
    {CheckKind::kLegalRepresentative, "legal_representative"},
}};

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

// A GB/T 2260 prefix: 2, 4 or 6 digits, the first not 0.
bool isRegionPrefix(std::string_view s) {
  if (s.size() != 2 && s.size() != 4 && s.size() != 6) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return s[0] != '0';
}

// The certificate type code: a credit-code-shaped body (its defining department) + 3 digits.
bool isTypeCode(std::string_view s) {
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  if (s.size() != 21) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool ok =
        i < 18 ? kAlphabet.find(s[i]) != std::string_view::npos : s[i] >= '0' && s[i] <= '9';
    if (!ok) return false;
  }
  return true;
}

Status unused(const std::string& prefix, const char* field, const char* kind) {
  return Status::invalid(prefix + field, std::string("not used by ") + kind + ": leave it out");
}

Status required(const std::string& prefix, const char* field, const char* kind, const char* what) {
  return Status::invalid(prefix + field, std::string(kind) + " needs " + what);
}

// The subject must be a citizen id (GB 11643) and/or a credit code (GB 32100), in canonical form.
// With both allowed, 17 leading digits mean a citizen id (a credit code's 18th character is never
// all that tells them apart, but its registration-authority digit 1..9 followed by letters does).
Status checkSubject(const Check& c, const std::string& prefix, bool person, bool entity) {
  const std::string field = prefix + "subject";
  bool as_person = person;
  if (person && entity) {
    as_person = c.subject.size() == 18;
    for (size_t i = 0; as_person && i < 17; ++i) {
      as_person = c.subject[i] >= '0' && c.subject[i] <= '9';
    }
    if (as_person) {
      auto id = ids::normalizeCitizenId(c.subject, field);
      if (!id) {
        // 18 digits may still be a credit code of digits only.
        auto code = ids::normalizeCreditCode(c.subject, field);
        if (code && *code == c.subject) return Status::ok();
        return Status::invalid(field,
                               "neither a citizen id nor a credit code: " + id.status().message());
      }
    }
  }
  auto normalized = as_person ? ids::normalizeCitizenId(c.subject, field)
                              : ids::normalizeCreditCode(c.subject, field);
  if (!normalized) return normalized.status();
  if (*normalized != c.subject) {
    return Status::invalid(field, "must be in canonical form (" + *normalized + ")");
  }
  return Status::ok();
}

}  // namespace

const char* kindName(CheckKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
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
  const size_t i = static_cast<size_t>(reason);
  return i < sizeof kReasons / sizeof kReasons[0] ? kReasons[i] : "unknown";
}

Result<CheckKind> parseKind(std::string_view name, const std::string& field) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  std::string known;
  for (const auto& k : kKinds) known += (known.empty() ? "" : ", ") + std::string(k.name);
  std::string shown(name.substr(0, 64));
  return Status::invalid(field, "unknown check kind '" + shown + "' (known: " + known + ")");
}

Status validateCheck(const Check& c, const std::string& prefix) {
  const char* kind = kindName(c.kind);
  if (std::strcmp(kind, "unknown") == 0) return Status::invalid(prefix + "kind", "unknown kind");
  const bool wants_type = c.kind == CheckKind::kHoldsCertificate;
  const bool wants_region =
      c.kind == CheckKind::kHoldsCertificate || c.kind == CheckKind::kPersonRegisteredIn;
  const bool wants_until = c.kind == CheckKind::kHoldsCertificate;
  const bool wants_age = c.kind == CheckKind::kPersonAgeAtLeast;
  const bool wants_entity = c.kind == CheckKind::kLegalRepresentative;
  if (c.subject.empty()) return required(prefix, "subject", kind, "a subject");
  switch (c.kind) {
    case CheckKind::kCertificateValid: {
      auto id = ids::normalizeCertificateId(c.subject, prefix + "subject");
      if (!id) return id.status();
      if (*id != c.subject) {
        return Status::invalid(prefix + "subject", "must be in canonical form (" + *id + ")");
      }
      break;
    }
    case CheckKind::kHoldsCertificate:
      if (Status s = checkSubject(c, prefix, true, true); !s) return s;
      break;
    case CheckKind::kPersonAlive:
    case CheckKind::kPersonRegisteredIn:
    case CheckKind::kPersonAgeAtLeast:
    case CheckKind::kLegalRepresentative:
      if (Status s = checkSubject(c, prefix, true, false); !s) return s;
      break;
    case CheckKind::kEntityInBusiness:
      if (Status s = checkSubject(c, prefix, false, true); !s) return s;
      break;
  }
  if (wants_type) {
    if (c.type_code.empty()) return required(prefix, "type_code", kind, "a certificate type code");
    if (!isTypeCode(c.type_code)) {
      return Status::invalid(prefix + "type_code",
                             "a certificate type code is 21 characters: the defining body's "
                             "credit code and 3 digits");
    }
  } else if (!c.type_code.empty()) {
    return unused(prefix, "type_code", kind);
  }
  if (wants_region) {
    if (c.region.empty() && c.kind == CheckKind::kPersonRegisteredIn) {
      return required(prefix, "region", kind, "a region");
    }
    if (!c.region.empty() && !isRegionPrefix(c.region)) {
      return Status::invalid(prefix + "region",
                             "a GB/T 2260 region prefix is 2, 4 or 6 digits (\"33\", \"3301\", "
                             "\"330106\")");
    }
  } else if (!c.region.empty()) {
    return unused(prefix, "region", kind);
  }
  if (!wants_until && c.valid_until != 0) return unused(prefix, "valid_until", kind);
  if (wants_until && c.valid_until < 0) {
    return Status::invalid(prefix + "valid_until", "must be a date from 1970-01-02 on");
  }
  if (wants_age) {
    if (c.min_age < 0 || c.min_age > 150) {
      return Status::invalid(prefix + "min_age", "must be 0 to 150");
    }
    if (c.on_date < 0) return Status::invalid(prefix + "on_date", "must be a date from 1970 on");
  } else {
    if (c.min_age != 0) return unused(prefix, "min_age", kind);
    if (c.on_date != 0) return unused(prefix, "on_date", kind);
  }
  if (wants_entity) {
    if (c.entity.empty()) return required(prefix, "entity", kind, "an entity (credit code)");
    auto e = ids::normalizeCreditCode(c.entity, prefix + "entity");
    if (!e) return e.status();
    if (*e != c.entity) {
      return Status::invalid(prefix + "entity", "must be in canonical form (" + *e + ")");
    }
  } else if (!c.entity.empty()) {
    return unused(prefix, "entity", kind);
  }
  return Status::ok();
}

}  // namespace tongban::verification
