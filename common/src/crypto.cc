#include "tongban/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace tongban {

namespace {

// Fetched once: EVP_Digest with a pre-fetched EVP_MD avoids a provider lookup per hash.
const EVP_MD* sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // lives for the process
  return md;
}

}  // namespace

void sha256Into(std::string_view data, unsigned char* out) {
  unsigned int len = 0;
  // SHA-256 over an in-memory buffer cannot fail short of memory exhaustion.
  EVP_Digest(data.data(), data.size(), out, &len, sha256Md(), nullptr);
}

std::string sha256(std::string_view data) {
  std::string out(kSha256Bytes, '\0');
  sha256Into(data, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tongban
