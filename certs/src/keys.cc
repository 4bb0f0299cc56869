// Key generation and PEM forms (encrypted PKCS#8, SubjectPublicKeyInfo).
#include "tongban/certs/keys.h"

#include <openssl/pem.h>

#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "openssl_util.h"

namespace tongban::certs {
namespace {

using internal::BioPtr;

constexpr std::string_view kEncryptedKeyHeader = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

// pem_password_cb that hands OpenSSL the caller's passphrase (never prompts on a terminal).
int passphraseCallback(char* buffer, int size, int /*rwflag*/, void* user_data) {
  const auto* passphrase = static_cast<const std::string_view*>(user_data);
  if (passphrase == nullptr || size <= 0) return -1;
  if (passphrase->size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buffer, passphrase->data(), passphrase->size());
  return static_cast<int>(passphrase->size());
}

}  // namespace

int kdfIterations() {
  // Read once: tests lower the cost through the environment (tests/CMakeLists.txt); a value
  // that is not a whole number from kMinKdfIterations up is ignored.
  static const int iterations = [] {
    const char* text = std::getenv("TONGBAN_PKI_KDF_ITERATIONS");
    if (text == nullptr || *text == '\0') return kDefaultKdfIterations;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < kMinKdfIterations || value > 100000000) {
      return kDefaultKdfIterations;
    }
    return static_cast<int>(value);
  }();
  return iterations;
}

Result<EvpPkeyPtr> generateKey(SignatureAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  if (algorithm == SignatureAlgorithm::kSm2Sm3) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2");
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  if (key == nullptr) return internal::opensslFailure("key generation");
  return EvpPkeyPtr(key);
}

Result<SignatureAlgorithm> algorithmOfKey(const EVP_PKEY* key) {
  return internal::keyAlgorithm(key, "key");
}

Result<std::string> encryptPrivateKeyPem(const EVP_PKEY* key, std::string_view passphrase) {
  if (key == nullptr) return Status::invalid("key", "no key");
  if (passphrase.empty()) {
    return Status::invalid("passphrase", "an empty passphrase would store the key unencrypted");
  }
  BioPtr out = internal::emptyMemoryBio();
  if (!out) return internal::opensslFailure("BIO_new");
  // PKCS#8 v2, PBES2: PBKDF2-HMAC-SHA256 with kdf_iterations rounds (OpenSSL's default, used by
  // PEM_write_bio_PKCS8PrivateKey, is 2048) and AES-256-CBC, a random 16-byte salt and IV.
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> info(
      EVP_PKEY2PKCS8(key), PKCS8_PRIV_KEY_INFO_free);
  if (!info) return internal::opensslFailure("EVP_PKEY2PKCS8");
  std::unique_ptr<X509_SIG, decltype(&X509_SIG_free)> encrypted(
      PKCS8_encrypt_ex(-1, EVP_aes_256_cbc(), passphrase.data(),
                       static_cast<int>(passphrase.size()), nullptr, 16, kdfIterations(),
                       info.get(), nullptr, nullptr),
      X509_SIG_free);
  if (!encrypted) return internal::opensslFailure("PKCS8_encrypt_ex");
  if (PEM_write_bio_PKCS8(out.get(), encrypted.get()) != 1) {
    return internal::opensslFailure("PEM_write_bio_PKCS8");
  }
  return internal::bioContents(out.get());
}

Result<EvpPkeyPtr> decryptPrivateKeyPem(std::string_view pem, std::string_view passphrase) {
  if (pem.find(kEncryptedKeyHeader) == std::string_view::npos) {
    return Status::invalid("private_key", "not an encrypted PKCS#8 PEM (ENCRYPTED PRIVATE KEY)");
  }
  if (passphrase.empty()) return Status::invalid("passphrase", "passphrase is empty");
  BioPtr in = internal::memoryBio(pem);
  if (!in) return internal::opensslFailure("BIO_new_mem_buf");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in.get(), nullptr, passphraseCallback,
                                          const_cast<std::string_view*>(&passphrase));
  if (key == nullptr) {
    std::string errors = internal::drainErrors();
    return Status(ErrorCode::kPermissionDenied,
                  "cannot decrypt private key (wrong passphrase or corrupt data): " + errors,
                  "private_key");
  }
  return EvpPkeyPtr(key);
}

Result<std::string> publicKeyPem(const EVP_PKEY* key) {
  if (key == nullptr) return Status::invalid("key", "no key");
  BioPtr out = internal::emptyMemoryBio();
  if (!out) return internal::opensslFailure("BIO_new");
  if (PEM_write_bio_PUBKEY(out.get(), key) != 1) {
    return internal::opensslFailure("PEM_write_bio_PUBKEY");
  }
  return internal::bioContents(out.get());
}

Result<EvpPkeyPtr> parsePublicKeyPem(std::string_view pem) {
  BioPtr in = internal::memoryBio(pem);
  if (!in) return internal::opensslFailure("BIO_new_mem_buf");
  EVP_PKEY* key = PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return Status::invalid("public_key", "not a PUBLIC KEY PEM: " + internal::drainErrors());
  }
  return EvpPkeyPtr(key);
}

}  // namespace tongban::certs
