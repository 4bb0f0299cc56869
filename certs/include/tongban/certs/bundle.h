// The offline certificate bundle: everything needed to check a certificate with nothing but the
// hub's root certificate (docs/certificates.md, "Bundle").
//
//   {"format": "tongban-bundle/1", "certificate_id",
//    "payload": base64 of the exact signed bytes, "signature": base64 DER,
//    "algorithm": "SM2-SM3" | "ECDSA-P256-SHA256",
//    "signer_certificate": PEM of the seal's certificate,
//    "chain": [PEM, ...] issuing CA up to the root,
//    "status": {"certificate": "valid"..., "seal": "active"..., "open_objections": n, "as_of"},
//    "transparency": {
//      "tree_head": {"tree_size", "timestamp", "root_hash" (hex), "signature" (base64),
//                    "algorithm", "signer_certificate"},
//      "entries": [{"role": "issuance" | "certificate_status" | "seal_status",
//                   "leaf_index", "leaf" (base64 of the leaf bytes), "proof": [hex, ...]}]},
//    "status_statement": {"statement": base64 of the exact signed bytes (canonical JSON, below),
//                         "signature" (base64 DER), "algorithm", "signer_certificate"}}
//
// The status is not taken on trust: it must equal what the newest logged events (entries, each
// proven included under the signed tree head) say, and the status statement signed by the hub's
// status key (role status, pki.h) must say which events are the newest and be fresh:
//   {"format": "tongban-status/1", "certificate_id", "certificate_version", "certificate_status",
//    "seal_id", "seal_status", "certificate_event_index", "seal_event_index", "tree_size",
//    "produced_at", "next_update"}   (RFC 8785 canonical JSON; times RFC 3339 UTC)
// An inclusion proof shows an event is in the log, not that it is the newest; the statement does.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/signer.h"
#include "tongban/common/result.h"

namespace tongban::certs {

inline constexpr const char* kCertificateFormat = "tongban-certificate/1";
inline constexpr const char* kBundleFormat = "tongban-bundle/1";
inline constexpr const char* kStatusStatementFormat = "tongban-status/1";
// A statement's next_update is produced_at + this; verifiers refuse it after next_update.
inline constexpr int64_t kStatusStatementValiditySeconds = 86400;
// Default --max-age of tongban-verify: a statement older than this is refused.
inline constexpr int64_t kDefaultStatusMaxAgeSeconds = 86400;

struct StatusStatement {
  std::string certificate_id;
  int64_t certificate_version = 1;
  std::string certificate_status;
  std::string seal_id;
  std::string seal_status;
  uint64_t certificate_event_index = 0;  // newest log event of the certificate (issuance or later)
  uint64_t seal_event_index = 0;         // newest log event of its seal
  uint64_t tree_size = 0;                // the tree head the bundle carries
  std::string produced_at;               // RFC 3339 UTC
  std::string next_update;               // RFC 3339 UTC
};

// The signed bytes: RFC 8785 canonical JSON of the statement.
Result<std::string> statusStatementBytes(const StatusStatement& statement);

// The bundle member "status_statement" as JSON text, signed by `status_signer`.
Result<std::string> signedStatusStatementJson(const StatusStatement& statement,
                                              const Signer& status_signer);

// Outcome of verifyBundle. `reason` is "ok" or one stable name:
//   malformed_bundle          not a bundle: missing member, bad base64/hex/PEM/JSON
//   untrusted_root, bad_certificate_signature, expired, not_yet_valid, not_authorized,
//   malformed_key, other      a certificate chain (the seal's or the log's) fails (pki.h names);
//                             the message says which chain
//   bad_tree_head_signature   the signed tree head's signature does not verify
//   bad_inclusion_proof       a log entry is not included under the tree head
//   log_entry_mismatch        a log entry is about another certificate or seal, or is not of
//                             its role
//   payload_altered           the payload is not the one the log recorded at issuance
//   signature_altered         the signature is not the one the log recorded at issuance
//   bad_signature, malformed_signature, algorithm_mismatch
//                             the seal's signature over the payload does not verify
//   payload_mismatch          the payload names another certificate id, seal certificate or
//                             algorithm than the bundle
//   status_mismatch           the claimed status is not what the logged events say
//   seal_revoked              the seal that signed has been revoked
//   certificate_suspended, certificate_cancelled, certificate_deregistered,
//   certificate_revoked, certificate_expired, certificate_superseded
//                             the certificate's logged status is not valid
//   certificate_not_yet_valid the validity starts after the verification date (China time)
//   missing_status_statement  the bundle carries no status statement
//   bad_status_signature      the statement's signature does not verify
//   status_statement_mismatch the statement is about another certificate or version, or its
//                             newest events, status or tree size are not the bundle's
//   stale_status              the statement is older than max_age or past its next_update
//   signer_mismatch           the seal's certificate does not name the payload's seal and issuer
// A key used outside its role (a tree head or status statement signed by a seal key, a seal
// certificate without the seal role) is not_authorized.
struct BundleVerification {
  std::string reason = "ok";
  std::string message;
  // Filled as far as verification got:
  std::string certificate_id;
  std::string certificate_status;
  std::string seal_status;
  uint64_t tree_size = 0;
  int64_t tree_timestamp_ms = 0;
  std::string status_produced_at;

  bool ok() const { return reason == "ok"; }
};

// Verifies a bundle offline against `roots` (the trusted root certificates) at time `at`
// (seconds since the epoch). The seal's certificate chain is checked at the sealing time the
// payload states (old signatures stay verifiable after the seal certificate expires), the log
// key's chain at the tree head's time, the status key's at the statement's production time. The
// status statement must be at most `max_age_seconds` old at `at` and `at` not past its
// next_update. Thread-safe; never throws on any input.
BundleVerification verifyBundle(std::string_view bundle_json, const std::vector<X509Ptr>& roots,
                                std::time_t at,
                                int64_t max_age_seconds = kDefaultStatusMaxAgeSeconds);

}  // namespace tongban::certs
