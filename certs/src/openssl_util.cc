// Internal OpenSSL helpers of the certs module.
#include "openssl_util.h"

#include <openssl/err.h>

#include <string>

#include "tongban/certs/openssl_handles.h"

namespace tongban::certs {

EvpPkeyPtr shareKey(EVP_PKEY* key) {
  if (key != nullptr) EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

X509Ptr shareCertificate(X509* cert) {
  if (cert != nullptr) X509_up_ref(cert);
  return X509Ptr(cert);
}

const char* algorithmName(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::kSm2Sm3:
      return "SM2-SM3";
    case SignatureAlgorithm::kEcdsaP256Sha256:
      return "ECDSA-P256-SHA256";
  }
  return "unknown";
}

Result<SignatureAlgorithm> parseAlgorithm(std::string_view name) {
  if (name == "SM2-SM3") return SignatureAlgorithm::kSm2Sm3;
  if (name == "ECDSA-P256-SHA256") return SignatureAlgorithm::kEcdsaP256Sha256;
  return Status::invalid("algorithm", "unknown signature algorithm '" + std::string(name) +
                                          "' (expected SM2-SM3 or ECDSA-P256-SHA256)");
}

namespace internal {

std::string drainErrors() {
  std::string text;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

Status opensslFailure(std::string_view what) {
  std::string errors = drainErrors();
  std::string message(what);
  if (!errors.empty()) message += ": " + errors;
  return Status::internal(std::move(message));
}

BioPtr memoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

BioPtr emptyMemoryBio() { return BioPtr(BIO_new(BIO_s_mem())); }

std::string bioContents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(length));
}

Result<SignatureAlgorithm> keyAlgorithm(const EVP_PKEY* key, const std::string& field) {
  if (key == nullptr) return Status::invalid(field, "no key");
  if (EVP_PKEY_is_a(key, "SM2")) return SignatureAlgorithm::kSm2Sm3;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t group_length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &group_length) == 1) {
      std::string_view name(group, group_length);
      if (name == "prime256v1" || name == "P-256") return SignatureAlgorithm::kEcdsaP256Sha256;
      // An SM2-curve key typed as plain EC would be used for ECDSA, not SM2: refuse it.
      drainErrors();
      return Status::invalid(field, "EC key on unsupported curve '" + std::string(name) + "'");
    }
    drainErrors();
  }
  return Status::invalid(field, "key type is neither SM2 nor ECDSA P-256");
}

Status initDigestContext(EVP_MD_CTX* ctx, EVP_PKEY* key, SignatureAlgorithm algorithm, bool sign) {
  Result<SignatureAlgorithm> actual = keyAlgorithm(key, "key");
  if (!actual) return actual.status();
  if (*actual != algorithm) {
    return Status::invalid("algorithm", std::string("key is ") + algorithmName(*actual) + ", not " +
                                            algorithmName(algorithm));
  }
  const char* digest = algorithm == SignatureAlgorithm::kSm2Sm3 ? "SM3" : "SHA256";
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  int rc = sign ? EVP_DigestSignInit_ex(ctx, &pkey_ctx, digest, nullptr, nullptr, key, nullptr)
                : EVP_DigestVerifyInit_ex(ctx, &pkey_ctx, digest, nullptr, nullptr, key, nullptr);
  if (rc != 1) return opensslFailure(sign ? "EVP_DigestSignInit_ex" : "EVP_DigestVerifyInit_ex");
  if (algorithm == SignatureAlgorithm::kSm2Sm3) {
    // The SM2 trap: without this OpenSSL 3.0 uses the empty ID and nobody else can verify.
    if (EVP_PKEY_CTX_set1_id(pkey_ctx, kSm2DefaultId.data(), kSm2DefaultId.size()) != 1) {
      return opensslFailure("EVP_PKEY_CTX_set1_id");
    }
  }
  return Status::ok();
}

}  // namespace internal
}  // namespace tongban::certs
