// Tests of holder tokens (ES256 JWTs from the identity provider): what verifies, and each way a
// token is refused, with its own message.
#include "tongban/exchange/holder_token.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include <gtest/gtest.h>

#include "tongban/certs/keys.h"

namespace tongban::exchange {
namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
const char kCitizen[] = "11010519491231002X";
const char kCreditCode[] = "91350100M000100Y43";

std::string b64url(std::string_view in) {
  // Small independent encoder so the tests do not trust the code under test.
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = ((val << 8) + c) & 0xFFFFFFu;
    bits += 8;
    while (bits >= 0) {
      out.push_back(t[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(t[((val << 8) >> (bits + 8)) & 0x3F]);
  return out;
}

class HolderToken : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256);
    ASSERT_TRUE(key.isOk());
    key_ = std::move(*key);
    auto pem = certs::publicKeyPem(key_.get());
    ASSERT_TRUE(pem.isOk());
    auto pub = certs::parsePublicKeyPem(*pem);
    ASSERT_TRUE(pub.isOk());
    public_ = std::move(*pub);
  }

  HolderClaims claims(const std::string& sub = kCitizen) const {
    HolderClaims c;
    c.subject = sub;
    c.issuer = "https://idp.example.gov.cn";
    c.expires_at = kNow + 600;
    c.issued_at = kNow - 10;
    return c;
  }

  std::string make(const HolderClaims& c) const {
    auto token = makeHolderToken(key_.get(), c);
    EXPECT_TRUE(token.isOk()) << token.status().toString();
    return token.isOk() ? *token : "";
  }

  // Verifies and expects kUnauthenticated whose message contains `needle`.
  void expectRefused(const std::string& token, const std::string& needle,
                     int64_t now = kNow) const {
    auto r = verifyHolderToken(token, public_.get(), now);
    ASSERT_FALSE(r.isOk()) << "accepted: " << token;
    EXPECT_EQ(r.status().code(), ErrorCode::kUnauthenticated);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  }

  // A token with the given header and claims JSON, signed properly with the key.
  std::string signRaw(const std::string& header, const std::string& payload) const {
    // Reuse makeHolderToken's signature path by signing through EVP ourselves.
    const std::string input = b64url(header) + "." + b64url(payload);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get());
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string der(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    der.resize(len);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    unsigned char raw[64];
    BN_bn2binpad(r, raw, 32);
    BN_bn2binpad(s, raw + 32, 32);
    ECDSA_SIG_free(sig);
    return input + "." + b64url({reinterpret_cast<const char*>(raw), 64});
  }

  certs::EvpPkeyPtr key_;
  certs::EvpPkeyPtr public_;
};

TEST_F(HolderToken, RoundTrip) {
  auto r = verifyHolderToken(make(claims()), public_.get(), kNow);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->subject, kCitizen);
  EXPECT_EQ(r->issuer, "https://idp.example.gov.cn");
  EXPECT_EQ(r->expires_at, kNow + 600);
  EXPECT_EQ(r->issued_at, kNow - 10);
  auto company = verifyHolderToken(make(claims(kCreditCode)), public_.get(), kNow);
  ASSERT_TRUE(company.isOk()) << company.status().toString();
  EXPECT_EQ(company->subject, kCreditCode);
}

TEST_F(HolderToken, AcceptsAnAudienceArrayAndHandWrittenTokens) {
  const std::string payload = std::string(R"({"sub":")") + kCitizen +
                              R"(","aud":["other","tongban"],"exp":)" + std::to_string(kNow + 5) +
                              "}";
  auto r = verifyHolderToken(signRaw(R"({"alg":"ES256"})", payload), public_.get(), kNow);
  EXPECT_TRUE(r.isOk()) << r.status().toString();
}

TEST_F(HolderToken, ExpiryWithLeeway) {
  HolderClaims c = claims();
  c.issued_at = kNow - 300;
  c.expires_at = kNow - 30;  // within the 60 s leeway
  EXPECT_TRUE(verifyHolderToken(make(c), public_.get(), kNow).isOk());
  c.expires_at = kNow - 61;
  expectRefused(make(c), "expired");
}

TEST_F(HolderToken, NotYetValid) {
  HolderClaims c = claims();
  c.not_before = kNow + 120;
  expectRefused(make(c), "not valid before");
  c.not_before = kNow + 30;  // leeway
  EXPECT_TRUE(verifyHolderToken(make(c), public_.get(), kNow).isOk());
  c = claims();
  c.issued_at = kNow + 3600;
  expectRefused(make(c), "issued in the future");
}

TEST_F(HolderToken, WrongAudience) {
  HolderClaims c = claims();
  c.audience = "someone-else";
  expectRefused(make(c), "wrong audience");
  EXPECT_TRUE(verifyHolderToken(make(c), public_.get(), kNow, "someone-else").isOk());
}

TEST_F(HolderToken, MissingClaims) {
  const std::string exp = std::to_string(kNow + 60);
  expectRefused(signRaw(R"({"alg":"ES256"})", R"({"aud":"tongban","exp":)" + exp + "}"), "'sub'");
  expectRefused(signRaw(R"({"alg":"ES256"})",
                        std::string(R"({"sub":")") + kCitizen + R"(","aud":"tongban"})"),
                "'exp' is missing");
  expectRefused(signRaw(R"({"alg":"ES256"})",
                        std::string(R"({"sub":")") + kCitizen + R"(","exp":)" + exp + "}"),
                "'aud' is missing");
  expectRefused(signRaw(R"({"alg":"ES256"})", std::string(R"({"sub":")") + kCitizen +
                                                  R"(","aud":"tongban","exp":"soon"})"),
                "'exp' is not a number");
  expectRefused(
      signRaw(R"({"alg":"ES256"})", std::string(R"({"sub":")") + kCitizen +
                                        R"(","sub":"x","aud":"tongban","exp":)" + exp + "}"),
      "repeats");
}

TEST_F(HolderToken, SubjectMustBeAValidIdentifier) {
  expectRefused(make(claims("110105194912310021")), "neither a valid citizen id");  // bad check
  expectRefused(make(claims("alice")), "neither a valid citizen id");
}

TEST_F(HolderToken, RefusesOtherAlgorithms) {
  const std::string payload = std::string(R"({"sub":")") + kCitizen +
                              R"(","aud":"tongban","exp":)" + std::to_string(kNow + 60) + "}";
  // alg none with an empty signature.
  expectRefused(b64url(R"({"alg":"none"})") + "." + b64url(payload) + ".", "alg 'none'");
  // HS256 keyed with the public key's PEM: the classic confusion attack.
  auto pem = certs::publicKeyPem(public_.get());
  ASSERT_TRUE(pem.isOk());
  const std::string input = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(payload);
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), pem->data(), static_cast<int>(pem->size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  expectRefused(input + "." + b64url({reinterpret_cast<const char*>(mac), mac_len}), "alg 'HS256'");
  expectRefused(signRaw(R"({"alg":"ES384"})", payload), "alg 'ES384'");
  expectRefused(signRaw(R"({"typ":"JWT"})", payload), "no 'alg'");
  expectRefused(signRaw(R"({"alg":"ES256","crit":["exp"]})", payload), "'crit'");
}

TEST_F(HolderToken, BadSignatures) {
  const std::string token = make(claims());
  // Another key's signature.
  auto other = certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256);
  ASSERT_TRUE(other.isOk());
  auto foreign = makeHolderToken(other->get(), claims());
  ASSERT_TRUE(foreign.isOk());
  expectRefused(*foreign, "does not verify");
  // Claims changed after signing.
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.find('.', dot1 + 1);
  HolderClaims longer = claims();
  longer.expires_at = kNow + 86400 * 365;
  const std::string other_claims = make(longer);
  const std::string spliced =
      token.substr(0, dot1) +
      other_claims.substr(other_claims.find('.'),
                          other_claims.rfind('.') - other_claims.find('.')) +
      token.substr(dot2);
  expectRefused(spliced, "does not verify");
  // Truncated and DER-encoded signatures.
  expectRefused(token.substr(0, dot2 + 1) + b64url(std::string(63, '\1')), "63 bytes");
  expectRefused(token + "AAAA", "67 bytes");
}

TEST_F(HolderToken, Malformed) {
  expectRefused("", "empty");
  expectRefused("abc", "three base64url parts");
  expectRefused("a.b", "three base64url parts");
  expectRefused("a.b.c.d", "three base64url parts");
  expectRefused("!!!.e30.AAAA", "header is not base64url");
  expectRefused(b64url("[1,2]") + ".e30.AAAA", "header is not a JSON object");
  expectRefused(b64url("{\"alg\":\"ES256\"") + ".e30.AAAA", "header is not a JSON object");
  expectRefused(b64url(R"({"alg":"ES256"})") + ".e30.A$AA", "signature is not base64url");
  expectRefused(std::string(9000, 'a'), "longer than");
  // Padding is not base64url as JWS uses it.
  expectRefused(b64url(R"({"alg":"ES256"})") + "=.e30.AAAA", "header is not base64url");
  // A claims part that is not JSON, correctly signed.
  expectRefused(signRaw(R"({"alg":"ES256"})", "not json"), "claims is not a JSON object");
}

TEST_F(HolderToken, KeyMustBeP256) {
  auto sm2 = certs::generateKey(certs::SignatureAlgorithm::kSm2Sm3);
  ASSERT_TRUE(sm2.isOk());
  auto r = verifyHolderToken(make(claims()), sm2->get(), kNow);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
  EXPECT_FALSE(makeHolderToken(sm2->get(), claims()).isOk());
}

}  // namespace
}  // namespace tongban::exchange
