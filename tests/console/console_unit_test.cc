// Passwords (scrypt) and TOTP (RFC 6238) of console users.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tongban/console/password.h"
#include "tongban/console/totp.h"

namespace tongban::console {
namespace {

TEST(ConsolePassword, HashVerifiesAndWrongPasswordDoesNot) {
  auto h = hashPassword("correct horse battery", ScryptParams{10, 8, 1});
  ASSERT_TRUE(h) << h.status().toString();
  EXPECT_EQ(h->rfind("scrypt$10$8$1$", 0), 0u) << *h;
  EXPECT_TRUE(verifyPassword("correct horse battery", *h));
  EXPECT_FALSE(verifyPassword("correct horse batterz", *h));
  EXPECT_FALSE(verifyPassword("", *h));
  // A fresh salt each time.
  auto h2 = hashPassword("correct horse battery", ScryptParams{10, 8, 1});
  ASSERT_TRUE(h2);
  EXPECT_NE(*h, *h2);
}

TEST(ConsolePassword, MalformedOrOutOfBoundsStoredFormsNeverVerify) {
  auto h = hashPassword("correct horse battery", ScryptParams{10, 8, 1});
  ASSERT_TRUE(h);
  for (std::string bad :
       {std::string(""), std::string("scrypt$"), std::string("bcrypt$10$8$1$a$b"),
        std::string("scrypt$30$8$1$AAAA$AAAA"),  // N = 2^30: refused, not run
        std::string("scrypt$10$8$1$!!$!!"), h->substr(0, h->size() - 4), *h + "$extra"}) {
    EXPECT_FALSE(verifyPassword("correct horse battery", bad)) << bad;
  }
}

TEST(ConsolePassword, AtMostFourDerivationsRunAtOnce) {
  auto h = hashPassword("correct horse battery", ScryptParams{12, 8, 1});
  ASSERT_TRUE(h);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] { ok += verifyPassword("correct horse battery", *h) ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_LE(scryptHighWater(), kMaxConcurrentScrypt);
  EXPECT_GE(scryptHighWater(), 1);
}

TEST(ConsolePassword, PolicyNamesTheField) {
  Status s = checkPasswordPolicy("short");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "password");
  EXPECT_FALSE(checkPasswordPolicy("twelve chars\n"));
  EXPECT_TRUE(checkPasswordPolicy("十二个汉字的密码足够长了吧对"));
}

// RFC 6238 appendix B, SHA-1 rows (the 8-digit codes' last 6 digits).
TEST(ConsoleTotp, Rfc6238Vectors) {
  const std::string secret = "12345678901234567890";
  EXPECT_EQ(totpCode(secret, 59 / 30), "287082");
  EXPECT_EQ(totpCode(secret, 1111111109 / 30), "081804");
  EXPECT_EQ(totpCode(secret, 1234567890 / 30), "005924");
  EXPECT_EQ(totpCode(secret, 2000000000 / 30), "279037");
}

TEST(ConsoleTotp, WindowIsOneStepEitherSideAndACodeIsUsedOnce) {
  const std::string secret = newTotpSecret();
  const int64_t now = 1800000000;
  const int64_t step = now / 30;
  EXPECT_EQ(verifyTotp(secret, totpCode(secret, step), now), step);
  EXPECT_EQ(verifyTotp(secret, totpCode(secret, step - 1), now), step - 1);
  EXPECT_EQ(verifyTotp(secret, totpCode(secret, step + 1), now), step + 1);
  EXPECT_FALSE(verifyTotp(secret, totpCode(secret, step - 2), now));
  EXPECT_FALSE(verifyTotp(secret, totpCode(secret, step + 2), now));
  EXPECT_FALSE(verifyTotp(secret, totpCode(secret, step), now, step));  // replayed
  EXPECT_FALSE(verifyTotp(secret, "12345", now));
  EXPECT_FALSE(verifyTotp(secret, "abcdef", now));
}

TEST(ConsoleTotp, Base32RoundTrips) {
  const std::string secret = newTotpSecret();
  auto back = base32Decode(base32Encode(secret));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, secret);
  EXPECT_EQ(base32Encode("12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_FALSE(base32Decode("GEZ1"));
}

}  // namespace
}  // namespace tongban::console
