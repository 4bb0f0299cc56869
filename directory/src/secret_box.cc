#include "tongban/directory/secret_box.h"

#include <openssl/evp.h>

#include <memory>

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"

namespace tongban::directory {

namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

const unsigned char* u(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<SecretBox> SecretBox::fromBase64(std::string_view key_base64) {
  auto key = base64Decode(key_base64);
  if (!key || key->size() != 32) {
    return Status::invalid("security.master_key",
                           "must be base64 of 32 random bytes (openssl rand -base64 32)");
  }
  return SecretBox(std::move(*key));
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view aad) const {
  std::string nonce = randomBytes(kNonce);
  std::string out = nonce;
  out.resize(kNonce + plaintext.size() + kTag);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u(key_), u(nonce));
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), dst + kNonce, &len, u(plaintext),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx.get(), dst + kNonce + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, dst + kNonce + plaintext.size());
  return out;
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view aad) const {
  const auto refused = [] {
    return Status(ErrorCode::kPermissionDenied,
                  "stored secret does not decrypt under the configured master key");
  };
  if (sealed.size() < kNonce + kTag) return refused();
  std::string_view nonce = sealed.substr(0, kNonce);
  std::string_view body = sealed.substr(kNonce, sealed.size() - kNonce - kTag);
  std::string tag(sealed.substr(sealed.size() - kTag));
  std::string out(body.size(), '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u(key_), u(nonce));
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), dst, &len, u(body), static_cast<int>(body.size()));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), dst + len, &len) != 1) return refused();
  return out;
}

}  // namespace tongban::directory
