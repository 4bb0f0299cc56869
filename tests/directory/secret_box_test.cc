#include "tongban/directory/secret_box.h"

#include <gtest/gtest.h>

namespace tongban::directory {
namespace {

constexpr const char* kKeyA = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // bytes 0..31
constexpr const char* kKeyB = "HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

TEST(SecretBox, RefusesKeysThatAreNot32Bytes) {
  for (const char* bad : {"", "not base64!", "AAECAwQFBgcICQoLDA0ODw==" /* 16 bytes */}) {
    auto box = SecretBox::fromBase64(bad);
    ASSERT_FALSE(box) << bad;
    EXPECT_EQ(box.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(box.status().field(), "security.master_key");
  }
}

TEST(SecretBox, RoundTripsAndUsesAFreshNonceEachTime) {
  auto box = SecretBox::fromBase64(kKeyA);
  ASSERT_TRUE(box) << box.status().toString();
  std::string a = box->seal("hmac-secret", "key-1");
  std::string b = box->seal("hmac-secret", "key-1");
  EXPECT_NE(a, b);                       // same plaintext, different ciphertexts
  EXPECT_EQ(a.size(), 12u + 11u + 16u);  // nonce || ciphertext || tag
  auto opened = box->open(a, "key-1");
  ASSERT_TRUE(opened) << opened.status().toString();
  EXPECT_EQ(*opened, "hmac-secret");
}

TEST(SecretBox, RefusesAlteredMovedOrForeignCiphertexts) {
  auto box = SecretBox::fromBase64(kKeyA);
  auto other = SecretBox::fromBase64(kKeyB);
  ASSERT_TRUE(box && other);
  std::string sealed = box->seal("hmac-secret", "key-1");
  // Moved to another row.
  EXPECT_EQ(box->open(sealed, "key-2").status().code(), ErrorCode::kPermissionDenied);
  // Another master key.
  EXPECT_EQ(other->open(sealed, "key-1").status().code(), ErrorCode::kPermissionDenied);
  // Any one bit flipped, in nonce, ciphertext or tag.
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(box->open(bad, "key-1")) << "byte " << i;
  }
  // Truncated, down to nothing.
  for (size_t n : {sealed.size() - 1, size_t{28}, size_t{12}, size_t{0}}) {
    EXPECT_FALSE(box->open(sealed.substr(0, n), "key-1")) << n;
  }
}

}  // namespace
}  // namespace tongban::directory
