// The hub's PKI: a self-signed root CA, optional intermediates, and the X.509 certificates of
// department seals; and verifying a chain up to a root the caller trusts.
//
// Certificates are X.509 v3 with 128-bit random serials. Root and intermediates carry
// basicConstraints CA:TRUE (critical), keyUsage keyCertSign+cRLSign (critical) and a subject key
// identifier; seal certificates carry basicConstraints CA:FALSE, keyUsage digitalSignature +
// nonRepudiation (critical), subject and authority key identifiers.
//
// SM2-signed certificates: the issuer signs with the GM/T 0009 ID 1234567812345678, as GM/T 0015
// requires. OpenSSL 3.0's `openssl verify` checks certificate signatures with the empty ID unless
// told `-vfyopt distid:1234567812345678`, so a chain whose CA is SM2 fails a plain `openssl
// verify`. The recommended layout is therefore an ECDSA P-256 root that issues seal certificates
// for either algorithm (the seal's own signatures are still SM2); an SM2 root works with
// verifyChain here and with `openssl verify -vfyopt distid:1234567812345678`. See
// docs/transparency-log.md.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/verification.h"
#include "tongban/common/result.h"

namespace tongban::certs {

// Subject or issuer name. Empty fields are left out; common_name is required.
struct DistinguishedName {
  std::string common_name;          // CN
  std::string organization;         // O, e.g. the department's name
  std::string organizational_unit;  // OU
  std::string country = "CN";       // C
  std::string serial_number;        // serialNumber, e.g. the department's credit code
};

struct Validity {
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};

enum class CertificateKind {
  kIntermediateCa,  // CA:TRUE, pathlen:0, keyCertSign + cRLSign
  kSeal,            // CA:FALSE, digitalSignature + nonRepudiation (any end-entity signing key)
};

// What a key may sign. Each role is an extendedKeyUsage key purpose under the private arc
// 2.25.321785715282007672776426862569020286480 (a UUID OID, ITU-T X.667: no registration needed):
//   .1.1  seal              a department's seal signs certificate payloads
//   .1.2  transparency log  the hub signs tree heads (and seal records)
//   .1.3  status            the hub signs status statements
//   .1.4  audit checkpoint  the hub signs audit-log checkpoints
//   .1.5  verification receipt  the verification core signs the Merkle roots of its answers
//                           (docs/receipts.md)
// End-entity certificates carry exactly their role (critical EKU); an intermediate CA carries the
// roles it may issue for (non-critical EKU); the root carries none. verifyChain with a role
// requires the leaf to carry it and every intermediate that has an EKU to include it.
enum class KeyRole {
  kNone,  // no role check (and no EKU issued)
  kSeal,
  kTransparencyLog,
  kStatus,
  kAuditCheckpoint,
  kVerificationReceipt,
};
inline constexpr const char* kTongbanOidArc = "2.25.321785715282007672776426862569020286480";
// Dotted OID of a role ("" for kNone) and its name ("seal", "transparency_log", "status",
// "audit_checkpoint", "verification_receipt", "none").
const char* keyRoleOid(KeyRole role);
const char* keyRoleName(KeyRole role);

// Creates a self-signed root CA certificate for `key` (private key; its algorithm decides the
// signature algorithm). InvalidArgument for an empty common name or an empty/inverted validity.
Result<X509Ptr> createRootCertificate(EVP_PKEY* key, const DistinguishedName& subject,
                                      const Validity& validity);

// Issues a certificate for `subject_public_key`, signed by `issuer_key` whose certificate is
// `issuer_certificate`. InvalidArgument when the issuer certificate is not a CA or the issuer key
// does not match it, or for a bad name or validity. `role` adds the role's extendedKeyUsage.
Result<X509Ptr> issueCertificate(EVP_PKEY* issuer_key, X509* issuer_certificate,
                                 EVP_PKEY* subject_public_key, const DistinguishedName& subject,
                                 const Validity& validity, CertificateKind kind,
                                 KeyRole role = KeyRole::kNone);

// True when `certificate` carries `role` in its extendedKeyUsage.
bool hasKeyRole(const X509* certificate, KeyRole role);

// PEM <-> X509. parseCertificatePem fails with InvalidArgument (field "certificate").
Result<std::string> certificatePem(const X509* certificate);
Result<X509Ptr> parseCertificatePem(std::string_view pem);
// Every certificate in a PEM bundle, in order. InvalidArgument when there is none or one is bad.
Result<std::vector<X509Ptr>> parseCertificateChainPem(std::string_view pem);

// Lower-case hex of the certificate's serial number.
std::string serialHex(const X509* certificate);

// Verifies that `leaf` chains through `intermediates` (untrusted, any order) to one of `roots`
// at time `at` (seconds since the epoch; injected so tests and offline verifiers are hermetic).
// Checks signatures (SM2 ones with the GM/T 0009 ID), validity periods, CA constraints, and that
// `leaf` may sign documents (digitalSignature or nonRepudiation). With a `role`, also that the leaf
// is not a CA and carries the role's key purpose, and that every intermediate on the built path
// that has an extendedKeyUsage includes it (kNotAuthorized otherwise). The inputs are not
// modified.
Verification verifyChain(const X509* leaf, const std::vector<X509Ptr>& intermediates,
                         const std::vector<X509Ptr>& roots, std::time_t at,
                         KeyRole role = KeyRole::kNone);

// The same over PEM text (the leaf; any intermediates concatenated; the trusted roots).
Verification verifyChainPem(std::string_view leaf_pem, std::string_view intermediates_pem,
                            std::string_view roots_pem, std::time_t at,
                            KeyRole role = KeyRole::kNone);

}  // namespace tongban::certs
