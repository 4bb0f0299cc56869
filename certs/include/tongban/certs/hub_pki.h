// The hub's PKI on disk: creating it once (`tongban-admin pki init`) and reading it back as the
// HubIdentity and KeyStore that the seal and certificate registries run on.
//
// Keys have roles (pki.h, KeyRole; docs/certificates.md "Key roles"):
//   DIR/                         mode 0700
//     root.pem                   the offline root CA (20 years); give this to verifiers
//     seal-ca.pem                intermediate CA issued by the root, EKU seal: issues seal
//                                certificates (the only CA key the running exchange holds)
//     hub.pem                    transparency-log signer, issued by the root, EKU transparency log:
//                                signs tree heads and seal records
//     status.pem                 status signer, issued by the root, EKU status: signs status
//                                statements in bundles
//     audit.pem                  audit checkpoint signer, issued by the root, EKU audit checkpoint
//     verification.pem           verification receipt signer, issued by the root, EKU
//                                verification receipt: signs the Merkle roots of the
//                                verification core's answers (docs/receipts.md)
//     keys/                      a PemKeyStore (mode 0700), keys encrypted PKCS#8 under
//                                pki.passphrase
//       root-ca.key.pem          the root's key: used only by `pki init`; never loaded by the
//                                exchange. Move it offline after init (the exchange does not need
//                                it).
//       seal-ca.key.pem, hub-signer.key.pem, status-signer.key.pem, audit-checkpoint.key.pem,
//       verification-signer.key.pem
//       ES<code><n>.key.pem      one key per seal, added by the SealRegistry, with its .crt.pem
// Every file is mode 0600 and written once; initHubPki never replaces anything. The root is
// ECDSA P-256 by default: certificates signed by an SM2 CA need `openssl verify -vfyopt
// distid:1234567812345678` (pki.h, docs/transparency-log.md).
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/hub_identity.h"
#include "tongban/certs/key_store.h"
#include "tongban/certs/pki.h"
#include "tongban/common/result.h"

namespace tongban::certs {

inline constexpr const char* kRootCaKeyId = "root-ca";
inline constexpr const char* kHubSignerKeyId = "hub-signer";  // the transparency-log key
inline constexpr const char* kSealCaKeyId = "seal-ca";
inline constexpr const char* kStatusSignerKeyId = "status-signer";
inline constexpr const char* kAuditCheckpointKeyId = "audit-checkpoint";
inline constexpr const char* kVerificationSignerKeyId = "verification-signer";

struct HubPkiOptions {
  // The root's algorithm. The hub signer is always ECDSA P-256.
  SignatureAlgorithm root_algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  DistinguishedName root_subject{"Tongban Root CA", "Tongban", "", "CN", ""};
  DistinguishedName hub_signer_subject{"Tongban Hub Signer", "Tongban", "", "CN", ""};
  DistinguishedName seal_ca_subject{"Tongban Seal CA", "Tongban", "", "CN", ""};
  DistinguishedName status_signer_subject{"Tongban Status Signer", "Tongban", "", "CN", ""};
  DistinguishedName audit_signer_subject{"Tongban Audit Checkpoints", "Tongban", "", "CN", ""};
  DistinguishedName verification_signer_subject{"Tongban Verification Receipts", "Tongban", "",
                                                "CN", ""};
  int root_validity_days = 7305;  // 20 years
  // The seal CA and the log, status and audit signers; at most the root's.
  int hub_signer_validity_days = 3652;  // 10 years
};

// Where the files of a PKI directory are.
struct HubPkiPaths {
  std::string dir;
  std::string root_certificate;          // DIR/root.pem
  std::string hub_certificate;           // DIR/hub.pem (transparency log)
  std::string seal_ca_certificate;       // DIR/seal-ca.pem
  std::string status_certificate;        // DIR/status.pem
  std::string audit_certificate;         // DIR/audit.pem
  std::string verification_certificate;  // DIR/verification.pem
  std::string key_dir;                   // DIR/keys
  std::string root_key;                  // DIR/keys/root-ca.key.pem
  std::string hub_key;                   // DIR/keys/hub-signer.key.pem
  std::string seal_ca_key;               // DIR/keys/seal-ca.key.pem
  std::string status_key;                // DIR/keys/status-signer.key.pem
  std::string audit_key;                 // DIR/keys/audit-checkpoint.key.pem
  std::string verification_key;          // DIR/keys/verification-signer.key.pem
};
HubPkiPaths hubPkiPaths(const std::string& dir);

// Creates the PKI in `dir` (created with mode 0700 if missing; its parent must exist): the root
// key and self-signed certificate, and the seal CA, log, status, audit and verification-receipt
// keys with their certificates issued by the root, each with its role.
// Certificates start an hour before now to tolerate clock skew between nodes.
// Failures: InvalidArgument "pki.dir" (empty, a parent missing, not a directory),
// "pki.passphrase" (empty) or naming the option that is wrong; Conflict when `dir` already holds
// any of the PKI's files (nothing is overwritten); Unavailable when a file cannot be written.
// When it fails after writing some files, it removes the files it wrote (only those).
Status initHubPki(const std::string& dir, std::string_view passphrase,
                  const HubPkiOptions& options = {});

// Reads the PKI in `dir` without the root's private key: ca_key/ca_certificate = the seal CA,
// chain_pem = {seal-ca.pem, root.pem}, hub_signer = the log signer (hub.pem), status_signer =
// the status signer (status.pem), verification_signer = the receipt signer (verification.pem;
// null when the directory predates that role and holds neither its key nor its certificate).
// Checks that each certificate belongs to its key and chains to root.pem now with its role. A
// directory made before key roles existed (no seal-ca.pem) is refused with InvalidArgument
// "pki.dir": create a new PKI. Failures: InvalidArgument "pki.dir" naming the missing or unreadable
// file (or the mismatch); InvalidArgument "pki.passphrase" for an empty passphrase;
// PermissionDenied "pki.passphrase" when the keys do not decrypt with it.
Result<HubIdentity> loadHubIdentity(const std::string& dir, std::string_view passphrase);

// The key store DIR/keys (the SealRegistry keeps the seals' keys there). Checks the passphrase by
// decrypting the log signer's key first, so that a wrong passphrase never writes a seal key that
// the rest of the store cannot open. Same failures as loadHubIdentity.
Result<std::unique_ptr<PemKeyStore>> openHubKeyStore(const std::string& dir,
                                                     std::string_view passphrase);

}  // namespace tongban::certs
