// Verifying signatures and saying why one does not verify.
//
// A Verification is the outcome of checking a signature or a certificate chain: OK, or a stable
// reason (for tools, problem documents and tests) with a human message. `toStatus()` turns it into
// the module-boundary Status (InvalidArgument for a malformed input, PermissionDenied for a
// well-formed input that does not check out). Note that a changed payload and a changed (but still
// well-formed) signature value are the same failure to the mathematics: both are kBadSignature.
#pragma once

#include <string>
#include <string_view>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/common/result.h"

namespace tongban::certs {

enum class VerifyReason {
  kOk = 0,
  kBadSignature,             // well-formed signature that does not match these bytes and this key
  kMalformedSignature,       // not a DER signature of the algorithm
  kMalformedKey,             // the public key or certificate cannot be read
  kAlgorithmMismatch,        // the key does not belong to the claimed algorithm
  kExpired,                  // a certificate in the chain is past its notAfter
  kNotYetValid,              // a certificate in the chain is before its notBefore
  kUntrustedRoot,            // the chain does not lead to the given root
  kBadCertificateSignature,  // a certificate's signature does not verify with its issuer's key
  kNotAuthorized,            // key usage, basic constraints or path length forbid this use
  kOther,                    // any other chain failure; the message says which
};

// Stable snake_case name: "bad_signature", "untrusted_root", ...
const char* verifyReasonName(VerifyReason reason);

class [[nodiscard]] Verification {
 public:
  Verification() = default;  // OK
  Verification(VerifyReason reason, std::string message)
      : reason_(reason), message_(std::move(message)) {}

  bool isOk() const { return reason_ == VerifyReason::kOk; }
  explicit operator bool() const { return isOk(); }
  VerifyReason reason() const { return reason_; }
  const std::string& message() const { return message_; }
  // OK, or InvalidArgument / PermissionDenied with field = the reason name.
  Status toStatus() const;

 private:
  VerifyReason reason_ = VerifyReason::kOk;
  std::string message_;
};

// Checks a DER `signature` over `data` with a public key. Thread-safe.
Verification verifySignature(EVP_PKEY* public_key, SignatureAlgorithm algorithm,
                             std::string_view data, std::string_view signature);

// Same, with the key taken from PEM text: a "CERTIFICATE" (the signer's certificate) or a
// "PUBLIC KEY". Only the signature is checked here; the chain is verifyChain's job (pki.h).
Verification verifySignature(std::string_view certificate_or_public_key_pem,
                             SignatureAlgorithm algorithm, std::string_view data,
                             std::string_view signature);

// JOSE (RFC 7518 §3.4) carries an ECDSA P-256 signature as the 64 bytes r||s, each big-endian and
// zero-padded; verifySignature() and signWithKey() (signer.h) use DER. InvalidArgument (field
// "signature") when the input is not of that shape.
Result<std::string> ecdsaP256DerFromJose(std::string_view raw);
Result<std::string> ecdsaP256JoseFromDer(std::string_view der);

}  // namespace tongban::certs
