// Electronic seals (电子印章): records in the shape of GB/T 38540-2020's SES_Seal, each with its
// own key pair in the KeyStore and an X.509 certificate issued by the hub's CA.
//
// A seal record is the RFC 8785 canonical JSON
//   {"header": {"id": "ES", "version": 4, "vendor": "Tongban"}, "es_id",
//    "property": {"type": "unit", "kind", "name", "owner_code", "owner_name", "cert_list",
//                 "created", "valid_from", "valid_to"},
//    "picture": {"type": "png", "sha256", "width_mm", "height_mm"},
//    "signer_certificate_sha256", "algorithm_oid"}
// signed by the hub signer. Status (active, suspended, revoked) is kept beside the record; every
// change is an event in the transparency log. Only an active seal inside its validity signs.
// Revocation is final. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/hub_identity.h"
#include "tongban/certs/key_store.h"
#include "tongban/certs/signer.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::certs {

// official (公章), business (业务专用章), contract (合同专用章), finance (财务专用章),
// certificate (证照专用章), legal_rep (法定代表人名章).
enum class SealKind { kOfficial, kBusiness, kContract, kFinance, kCertificate, kLegalRep };
const char* sealKindName(SealKind kind);
Result<SealKind> parseSealKind(std::string_view name);  // InvalidArgument, field "kind"

enum class SealStatus { kActive, kSuspended, kRevoked };
const char* sealStatusName(SealStatus status);

inline constexpr size_t kMaxSealPictureBytes = 256 * 1024;

struct SealRequest {
  std::string owner_code;  // department credit code; must be registered
  std::string name;        // e.g. "北京市市场监督管理局证照专用章"
  SealKind kind = SealKind::kCertificate;
  SignatureAlgorithm algorithm = SignatureAlgorithm::kSm2Sm3;
  std::string picture_png;  // PNG bytes, at most kMaxSealPictureBytes, at most 2048x2048 px
  double width_mm = 42;     // 10..100
  double height_mm = 42;
  int validity_days = 3 * 365;  // from now; 1..3650
  std::string actor;
};

struct Seal {
  std::string seal_id;  // "ES" + owner code + 6 digits
  std::string owner_code;
  std::string owner_name;
  std::string name;
  SealKind kind = SealKind::kCertificate;
  SignatureAlgorithm algorithm = SignatureAlgorithm::kSm2Sm3;
  std::string key_id;
  std::string certificate_pem;
  std::string valid_from;  // RFC 3339
  std::string valid_to;
  SealStatus status = SealStatus::kActive;
  std::string record;  // canonical JSON that the hub signed
  std::string hub_signature;
  SignatureAlgorithm hub_algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  double width_mm = 0;
  double height_mm = 0;
  std::string picture_png;        // filled only when asked for
  uint64_t last_event_index = 0;  // transparency-log leaf of the latest seal event
};

class SealRegistry {
 public:
  // `key_store` holds the seals' keys; `hub` issues their certificates and signs their records.
  // All references must outlive the registry.
  SealRegistry(db::ConnectionPool& pool, KeyStore& key_store, const HubIdentity& hub,
               Clock clock = std::chrono::system_clock::now);

  // Creates a seal: validates the request (InvalidArgument naming the field; PayloadTooLarge
  // for an oversize picture; NotFound for an unknown department), generates its key, issues its
  // certificate, signs the record, stores it and logs a `seal_create` event.
  Result<Seal> create(const SealRequest& request);

  Result<Seal> get(const std::string& seal_id, bool with_picture = false);
  Result<std::vector<Seal>> listByOwner(const std::string& owner_code);

  // Status changes: suspend (active -> suspended), resume (suspended -> active), revoke (active or
  // suspended -> revoked, final). Conflict for any other transition; NotFound for no such seal.
  Result<Seal> suspend(const std::string& seal_id, const std::string& reason,
                       const std::string& actor);
  Result<Seal> resume(const std::string& seal_id, const std::string& actor);
  Result<Seal> revoke(const std::string& seal_id, const std::string& reason,
                      const std::string& actor);

  // A signer for `key_id` (cached: decrypting PKCS#8 costs a PBKDF2 run). The caller has checked
  // the seal's status in the same transaction that uses the signature.
  Result<std::shared_ptr<const Signer>> signerForKey(const std::string& key_id);

 private:
  Result<Seal> changeStatus(const std::string& seal_id, const char* action, SealStatus to,
                            const std::string& reason, const std::string& actor);

  db::ConnectionPool& pool_;
  KeyStore& key_store_;
  const HubIdentity& hub_;
  const Clock clock_;
  std::mutex signers_mutex_;  // guards signers_
  std::map<std::string, std::shared_ptr<const Signer>> signers_;
};

}  // namespace tongban::certs
