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
//                   "leaf_index", "leaf" (base64 of the leaf bytes), "proof": [hex, ...]}]}}
//
// The status is not taken on trust: it must equal what the newest logged events (entries, each
// proven included under the signed tree head) say. Freshness is the tree head's timestamp.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/certs/openssl_handles.h"

namespace tongban::certs {

inline constexpr const char* kCertificateFormat = "tongban-certificate/1";
inline constexpr const char* kBundleFormat = "tongban-bundle/1";

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
struct BundleVerification {
  std::string reason = "ok";
  std::string message;
  // Filled as far as verification got:
  std::string certificate_id;
  std::string certificate_status;
  std::string seal_status;
  uint64_t tree_size = 0;
  int64_t tree_timestamp_ms = 0;

  bool ok() const { return reason == "ok"; }
};

// Verifies a bundle offline against `roots` (the trusted root certificates) at time `at`
// (seconds since the epoch). The seal's certificate chain is checked at the sealing time the
// payload states (old signatures stay verifiable after the seal certificate expires), the log
// key's chain at the tree head's time. Thread-safe; never throws on any input.
BundleVerification verifyBundle(std::string_view bundle_json, const std::vector<X509Ptr>& roots,
                                std::time_t at);

}  // namespace tongban::certs
