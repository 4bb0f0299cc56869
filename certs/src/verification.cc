// Signature verification with reasons.
#include "tongban/certs/verification.h"

#include <openssl/ec.h>
#include <openssl/pem.h>

#include <string>

#include "openssl_util.h"
#include "tongban/certs/keys.h"

namespace tongban::certs {
namespace {

// True when `signature` is exactly one DER SEQUENCE { INTEGER r, INTEGER s } and nothing else
// (both ECDSA and SM2 use this shape). Re-encoding catches BER leniency and trailing bytes.
bool isStrictDerSignature(std::string_view signature) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(signature.data());
  internal::EcdsaSigPtr parsed(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(signature.size())));
  if (!parsed) return false;
  unsigned char* encoded = nullptr;
  int length = i2d_ECDSA_SIG(parsed.get(), &encoded);
  bool same = length > 0 && static_cast<size_t>(length) == signature.size() &&
              std::string_view(reinterpret_cast<char*>(encoded), length) == signature;
  OPENSSL_free(encoded);
  return same;
}

}  // namespace

const char* verifyReasonName(VerifyReason reason) {
  switch (reason) {
    case VerifyReason::kOk:
      return "ok";
    case VerifyReason::kBadSignature:
      return "bad_signature";
    case VerifyReason::kMalformedSignature:
      return "malformed_signature";
    case VerifyReason::kMalformedKey:
      return "malformed_key";
    case VerifyReason::kAlgorithmMismatch:
      return "algorithm_mismatch";
    case VerifyReason::kExpired:
      return "expired";
    case VerifyReason::kNotYetValid:
      return "not_yet_valid";
    case VerifyReason::kUntrustedRoot:
      return "untrusted_root";
    case VerifyReason::kBadCertificateSignature:
      return "bad_certificate_signature";
    case VerifyReason::kNotAuthorized:
      return "not_authorized";
    case VerifyReason::kOther:
      return "other";
  }
  return "other";
}

Status Verification::toStatus() const {
  switch (reason_) {
    case VerifyReason::kOk:
      return Status::ok();
    case VerifyReason::kMalformedSignature:
    case VerifyReason::kMalformedKey:
    case VerifyReason::kAlgorithmMismatch:
      return Status(ErrorCode::kInvalidArgument, message_, verifyReasonName(reason_));
    default:
      return Status(ErrorCode::kPermissionDenied, message_, verifyReasonName(reason_));
  }
}

Verification verifySignature(EVP_PKEY* public_key, SignatureAlgorithm algorithm,
                             std::string_view data, std::string_view signature) {
  Result<SignatureAlgorithm> actual = algorithmOfKey(public_key);
  if (!actual) return Verification(VerifyReason::kMalformedKey, actual.status().message());
  if (*actual != algorithm) {
    return Verification(VerifyReason::kAlgorithmMismatch,
                        std::string("the key is ") + algorithmName(*actual) +
                            " but the signature claims " + algorithmName(algorithm));
  }
  if (!isStrictDerSignature(signature)) {
    internal::drainErrors();
    return Verification(VerifyReason::kMalformedSignature,
                        "signature is not a DER SEQUENCE of two INTEGERs");
  }
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx)
    return Verification(VerifyReason::kOther, internal::opensslFailure("EVP_MD_CTX_new").message());
  if (Status status = internal::initDigestContext(ctx.get(), public_key, algorithm, false);
      !status) {
    return Verification(VerifyReason::kOther, status.message());
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  std::string errors = internal::drainErrors();
  if (rc == 1) return Verification();
  if (rc == 0) {
    return Verification(VerifyReason::kBadSignature, std::string(algorithmName(algorithm)) +
                                                         " signature does not match the data");
  }
  return Verification(VerifyReason::kMalformedSignature,
                      "signature could not be checked: " + errors);
}

Verification verifySignature(std::string_view certificate_or_public_key_pem,
                             SignatureAlgorithm algorithm, std::string_view data,
                             std::string_view signature) {
  EvpPkeyPtr key;
  if (certificate_or_public_key_pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    internal::BioPtr in = internal::memoryBio(certificate_or_public_key_pem);
    X509Ptr cert(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
      return Verification(
          VerifyReason::kMalformedKey,
          "signer certificate is not a PEM certificate: " + internal::drainErrors());
    }
    key.reset(X509_get_pubkey(cert.get()));  // new reference
    if (!key) {
      return Verification(
          VerifyReason::kMalformedKey,
          "signer certificate has no usable public key: " + internal::drainErrors());
    }
  } else {
    Result<EvpPkeyPtr> parsed = parsePublicKeyPem(certificate_or_public_key_pem);
    if (!parsed) return Verification(VerifyReason::kMalformedKey, parsed.status().message());
    key = std::move(*parsed);
  }
  return verifySignature(key.get(), algorithm, data, signature);
}

Result<std::string> ecdsaP256DerFromJose(std::string_view raw) {
  if (raw.size() != 64) {
    return Status::invalid(
        "signature", "an ES256 signature is 64 bytes (r||s), not " + std::to_string(raw.size()));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  internal::EcdsaSigPtr sig(ECDSA_SIG_new());
  internal::BignumPtr r(BN_bin2bn(bytes, 32, nullptr));
  internal::BignumPtr s(BN_bin2bn(bytes + 32, 32, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return internal::opensslFailure("ECDSA_SIG_set0");
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return internal::opensslFailure("i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

Result<std::string> ecdsaP256JoseFromDer(std::string_view der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  internal::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!sig) {
    internal::drainErrors();
    return Status::invalid("signature", "not a DER ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(64, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32) {
    internal::drainErrors();
    return Status::invalid("signature", "r or s does not fit in 32 bytes");
  }
  return out;
}

}  // namespace tongban::certs
