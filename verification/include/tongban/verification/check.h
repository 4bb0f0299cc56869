// The verification core's contract: what a "no certificate needed" (免证办) check asks and what it
// answers. Every serving path (HTTP/JSON, Thrift, matter prechecks, eligibility scans) speaks these
// types; the index (index.h) evaluates them; receipts hash their canonical encoding.
//
// Invariants:
//   1. An answer discloses a verdict, a reason code and the as-of position: never a name, an id
//      other than the one asked about, an address or a date of birth.
//   2. `unknown` means the subject (certificate, person, entity) is not in the index at as_of;
//      `false` always names why in `reason`.
//   3. Evaluation is a pure function of (check, index state, evaluation date): the same check on
//      the same state and date gives the same answer, so a receipt can be re-derived from the
//      feeds up to as_of. The index state an answer reflects includes every change up to as_of
//      (and, while a change is being applied, possibly that change too: index_store.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tongban/common/result.h"

namespace tongban::verification {

// The check kinds. The wire names (kindName) are stable API; fact predicates are separate kinds
// so a grant can name exactly the facts an application may ask about.
enum class CheckKind : uint8_t {
  kCertificateValid = 1,     // "certificate_valid": subject = certificate id
  kHoldsCertificate = 2,     // "holds_certificate": subject = citizen id or credit code,
                             //   type_code required; region and valid_until optional
  kPersonAlive = 3,          // "person_alive": subject = citizen id
  kPersonRegisteredIn = 4,   // "person_registered_in": subject = citizen id, region required
                             //   (GB/T 2260 prefix: "33" province, "3301" city, "330106" county)
  kPersonAgeAtLeast = 5,     // "person_age_at_least": subject = citizen id, min_age required,
                             //   on_date optional (default: evaluation date)
  kEntityInBusiness = 6,     // "entity_in_business": subject = credit code
  kLegalRepresentative = 7,  // "legal_representative": subject = citizen id, entity required
};

enum class Verdict : uint8_t { kFalse = 0, kTrue = 1, kUnknown = 2 };

// Why an answer is what it is. Wire names (reasonName) are stable API and listed in
// docs/verification.md.
enum class Reason : uint8_t {
  kOk = 0,              // "ok": the predicate holds
  kNotFound,            // "not_found": subject unknown at as_of (verdict unknown)
  kSuspended,           // "suspended"
  kRevoked,             // "revoked" (吊销)
  kCancelled,           // "cancelled" (撤销)
  kDeregistered,        // "deregistered" (注销): certificate or entity
  kSuperseded,          // "superseded": a newer version replaced it
  kExpired,             // "expired": past valid_to, or status expired
  kNotYetValid,         // "not_yet_valid": before valid_from
  kSealInactive,        // "seal_inactive": the sealing seal is suspended or revoked
  kNoValidCertificate,  // "no_valid_certificate": holder has none of the type (matching
                        //   region and valid_until)
  kDeceased,            // "deceased"
  kEmigrated,           // "emigrated"
  kRegionMismatch,      // "region_mismatch"
  kUnderAge,            // "under_age"
  kAbnormalOperation,   // "abnormal_operation": on the abnormal-operation list (经营异常名录)
  kEntityRevoked,       // "entity_revoked": business licence revoked (吊销)
  kNotRepresentative,   // "not_representative"
  kEntityNotFound,      // "entity_not_found": legal_representative's entity unknown (unknown)
};

// One question. Strings are the caller's, validated by parseCheck/validateCheck before they reach
// the index; fields a kind does not use are empty / zero.
struct Check {
  CheckKind kind = CheckKind::kCertificateValid;
  std::string subject;      // certificate id, citizen id (GB 11643) or credit code (GB 32100)
  std::string type_code;    // holds_certificate: 21-character certificate type code
  std::string region;       // holds_certificate (issuer's region) / person_registered_in:
                            //   GB/T 2260 prefix of 2, 4 or 6 digits
  int32_t valid_until = 0;  // holds_certificate: days since 1970-01-01 the certificate must be
                            //   valid until at least; 0 = not asked
  int32_t min_age = 0;      // person_age_at_least: 0..150
  int32_t on_date = 0;      // person_age_at_least: days since 1970-01-01; 0 = evaluation date
  std::string entity;       // legal_representative: credit code
};

// Where the index stood when it answered: the last change-feed sequence applied from each feed and
// the commit time of the newest change applied. `stale` is set when the index has not heard from
// PostgreSQL for longer than the configured lag (degraded mode, index.h).
// Each *_seq is the highest sequence number below which every change of that feed is applied.
struct AsOf {
  uint64_t certs_seq = 0;
  uint64_t population_seq = 0;
  uint64_t legal_entity_seq = 0;
  uint64_t seals_seq = 0;  // certs.seal_changes (0014): seal status, read by certificate checks
  int64_t at_micros = 0;   // Unix microseconds, UTC
  bool stale = false;
};

struct Answer {
  Verdict verdict = Verdict::kUnknown;
  Reason reason = Reason::kNotFound;
};

const char* kindName(CheckKind kind);
const char* verdictName(Verdict verdict);
const char* reasonName(Reason reason);
// InvalidArgument naming `field` for an unknown name.
Result<CheckKind> parseKind(std::string_view name, const std::string& field = "kind");

// Checks a Check's fields for its kind (identifier syntax and check digits, region prefix length,
// ranges; fields the kind needs present, fields it does not use absent). `field_prefix` is
// prepended to field names in errors ("checks[12].").
Status validateCheck(const Check& check, const std::string& field_prefix = "");

}  // namespace tongban::verification
