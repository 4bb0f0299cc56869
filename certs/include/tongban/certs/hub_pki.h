// The hub's PKI on disk: creating it once (`tongban-admin pki init`) and reading it back as the
// HubIdentity and KeyStore that the seal and certificate registries run on.
//
// Layout of the PKI directory (configuration key pki.dir):
//   DIR/                      mode 0700
//     root.pem                the self-signed root CA certificate (20 years); give this to
//     verifiers hub.pem                 the hub signer's certificate, issued by the root keys/ a
//     PemKeyStore (mode 0700), every key encrypted PKCS#8 under pki.passphrase
//       root-ca.key.pem       the root CA's private key: issues seal certificates
//       hub-signer.key.pem    the hub signer's key (ECDSA P-256): signs seal records, signed tree
//                             heads and audit checkpoints
//       ES<code><n>.key.pem   one key per seal, added by the SealRegistry, with its .crt.pem
// Every file is mode 0600 and written once; initHubPki never replaces anything. The root is
// ECDSA P-256 by default: certificates signed by an SM2 CA need `openssl verify -vfyopt
// distid:1234567812345678` (pki.h, docs/transparency-log.md). The root itself is the issuing CA.
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
inline constexpr const char* kHubSignerKeyId = "hub-signer";

struct HubPkiOptions {
  // The root's algorithm. The hub signer is always ECDSA P-256.
  SignatureAlgorithm root_algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  DistinguishedName root_subject{"Tongban Root CA", "Tongban", "", "CN", ""};
  DistinguishedName hub_signer_subject{"Tongban Hub Signer", "Tongban", "", "CN", ""};
  int root_validity_days = 7305;        // 20 years
  int hub_signer_validity_days = 3652;  // 10 years; at most the root's
};

// Where the files of a PKI directory are.
struct HubPkiPaths {
  std::string dir;
  std::string root_certificate;  // DIR/root.pem
  std::string hub_certificate;   // DIR/hub.pem
  std::string key_dir;           // DIR/keys
  std::string root_key;          // DIR/keys/root-ca.key.pem
  std::string hub_key;           // DIR/keys/hub-signer.key.pem
};
HubPkiPaths hubPkiPaths(const std::string& dir);

// Creates the PKI in `dir` (created with mode 0700 if missing; its parent must exist): the root
// key and self-signed certificate, and the hub signer's key and certificate issued by the root.
// Certificates start an hour before now to tolerate clock skew between nodes.
// Failures: InvalidArgument "pki.dir" (empty, a parent missing, not a directory),
// "pki.passphrase" (empty) or naming the option that is wrong; Conflict when `dir` already holds
// any of the PKI's files (nothing is overwritten); Unavailable when a file cannot be written.
// When it fails after writing some files, it removes the files it wrote (only those).
Status initHubPki(const std::string& dir, std::string_view passphrase,
                  const HubPkiOptions& options = {});

// Reads the PKI in `dir`: ca_key/ca_certificate = the root, chain_pem = {root.pem}, hub_signer =
// a software signer over hub-signer carrying hub.pem. Checks that each certificate belongs to its
// key and that hub.pem chains to root.pem now.
// Failures: InvalidArgument "pki.dir" naming the missing or unreadable file (or the mismatch);
// InvalidArgument "pki.passphrase" for an empty passphrase; PermissionDenied "pki.passphrase" when
// the keys do not decrypt with it.
Result<HubIdentity> loadHubIdentity(const std::string& dir, std::string_view passphrase);

// The key store DIR/keys (the SealRegistry keeps the seals' keys there). Checks the passphrase by
// decrypting the hub signer's key first, so that a wrong passphrase never writes a seal key that
// the rest of the store cannot open. Same failures as loadHubIdentity.
Result<std::unique_ptr<PemKeyStore>> openHubKeyStore(const std::string& dir,
                                                     std::string_view passphrase);

}  // namespace tongban::certs
