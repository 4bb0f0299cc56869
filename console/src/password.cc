#include "tongban/console/password.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"

namespace tongban::console {

namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// At most kMaxConcurrentScrypt derivations run at once (each holds 32 MiB): a burst of logins
// waits instead of taking the process's memory.
class ScryptGate {
 public:
  void enter() {
    std::unique_lock<std::mutex> lock(mutex_);
    free_.wait(lock, [this] { return running_ < kMaxConcurrentScrypt; });
    ++running_;
    high_water_ = std::max(high_water_, running_);
  }
  void leave() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
    }
    free_.notify_one();
  }
  int highWater() {
    std::lock_guard<std::mutex> lock(mutex_);
    return high_water_;
  }

 private:
  std::mutex mutex_;  // guards running_, high_water_
  std::condition_variable free_;
  int running_ = 0;
  int high_water_ = 0;
};

ScryptGate& gate() {
  static ScryptGate g;
  return g;
}

bool deriveUngated(std::string_view password, std::string_view salt, const ScryptParams& p,
                   unsigned char* out, size_t out_len);

bool derive(std::string_view password, std::string_view salt, const ScryptParams& p,
            unsigned char* out, size_t out_len) {
  gate().enter();
  const bool ok = deriveUngated(password, salt, p, out, out_len);
  gate().leave();
  return ok;
}

bool deriveUngated(std::string_view password, std::string_view salt, const ScryptParams& p,
                   unsigned char* out, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SCRYPT", nullptr);
  if (!kdf) return false;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!ctx) return false;
  uint64_t n = uint64_t{1} << p.log2_n;
  uint32_t r = static_cast<uint32_t>(p.r);
  uint32_t par = static_cast<uint32_t>(p.p);
  // scrypt needs 128 * N * r bytes (plus p's share); allow that and a margin.
  uint64_t maxmem = 128 * n * r * 2 + 128 * r * par + (1u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  const bool ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

bool parseInt(std::string_view s, int lo, int hi, int* out) {
  if (s.empty() || s.size() > 3) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

int scryptHighWater() { return gate().highWater(); }

ScryptParams defaultScryptParams() {
  ScryptParams p;
  if (const char* env = std::getenv("TONGBAN_CONSOLE_SCRYPT_LOG2N")) {
    int v = 0;
    if (parseInt(env, 10, 20, &v)) p.log2_n = v;
  }
  return p;
}

Status checkPasswordPolicy(std::string_view password) {
  size_t chars = 0;
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7f) {
      return Status::invalid("password", "the password must not hold control characters");
    }
    if ((c & 0xc0) != 0x80) ++chars;
  }
  if (chars < 12) return Status::invalid("password", "the password needs at least 12 characters");
  if (password.size() > 1024) {
    return Status::invalid("password", "the password is longer than 1024 bytes");
  }
  return Status::ok();
}

Result<std::string> hashPassword(std::string_view password, const ScryptParams& params) {
  const std::string salt = randomBytes(kSaltBytes);
  unsigned char out[kHashBytes];
  if (!derive(password, salt, params, out, sizeof out)) {
    return Status::internal("scrypt failed (OpenSSL EVP_KDF SCRYPT)");
  }
  return "scrypt$" + std::to_string(params.log2_n) + "$" + std::to_string(params.r) + "$" +
         std::to_string(params.p) + "$" + base64Encode(salt) + "$" +
         base64Encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

bool verifyPassword(std::string_view password, std::string_view stored) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (parts.size() < 7) {
    size_t j = stored.find('$', i);
    parts.push_back(stored.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptParams p;
  if (!parseInt(parts[1], 10, 20, &p.log2_n) || !parseInt(parts[2], 1, 32, &p.r) ||
      !parseInt(parts[3], 1, 16, &p.p)) {
    return false;
  }
  auto salt = base64Decode(parts[4]);
  auto expected = base64Decode(parts[5]);
  if (!salt || !expected || salt->empty() || expected->size() != kHashBytes) {
    return false;
  }
  std::string got(expected->size(), '\0');
  if (!derive(password, *salt, p, reinterpret_cast<unsigned char*>(got.data()), got.size())) {
    return false;
  }
  return constantTimeEqual(got, *expected);
}

const std::string& decoyPasswordHash() {
  static const std::string decoy = [] {
    auto h = hashPassword(randomBytes(24));
    return h ? *h : std::string("scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$invalid");
  }();
  return decoy;
}

}  // namespace tongban::console
