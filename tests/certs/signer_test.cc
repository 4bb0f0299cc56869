// Keys, the PEM key store, software signers and signature verification, for both algorithms.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tongban/certs/key_store.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/signer.h"
#include "tongban/certs/verification.h"

namespace tongban::certs {
namespace {

// A fresh directory under /tmp, removed with everything in it when the object dies.
struct TempDir {
  std::string path;
  explicit TempDir(const char* prefix) {
    std::string pattern = std::string("/tmp/") + prefix + "_XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path = pattern;
  }
  TempDir(TempDir&& other) noexcept : path(std::move(other.path)) { other.path.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class SignerTest : public ::testing::TestWithParam<SignatureAlgorithm> {};

TEST_P(SignerTest, SignVerifyAndTamper) {
  const SignatureAlgorithm algorithm = GetParam();
  Result<EvpPkeyPtr> key = generateKey(algorithm);
  ASSERT_TRUE(key.isOk()) << key.status().toString();
  ASSERT_EQ(*algorithmOfKey(key->get()), algorithm);

  Result<std::unique_ptr<Signer>> signer = makeSoftwareSigner(shareKey(key->get()), algorithm);
  ASSERT_TRUE(signer.isOk()) << signer.status().toString();
  EXPECT_EQ((*signer)->algorithm(), algorithm);
  EXPECT_TRUE((*signer)->certificatePem().empty());

  const std::string data = "{\"certificate\":\"营业执照\",\"holder\":\"91350100M000100Y43\"}";
  Result<std::string> signature = (*signer)->sign(data);
  ASSERT_TRUE(signature.isOk()) << signature.status().toString();

  const std::string& public_pem = (*signer)->publicKeyPem();
  EXPECT_TRUE(verifySignature(public_pem, algorithm, data, *signature));

  // Tampered data: the signature no longer matches.
  Verification tampered_data = verifySignature(public_pem, algorithm, data + " ", *signature);
  EXPECT_EQ(tampered_data.reason(), VerifyReason::kBadSignature) << tampered_data.message();
  EXPECT_EQ(tampered_data.toStatus().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(tampered_data.toStatus().field(), "bad_signature");

  // Tampered signature value (still DER): same reason, as the mathematics cannot tell them apart.
  std::string flipped = *signature;
  flipped[flipped.size() - 1] = static_cast<char>(flipped.back() ^ 0x01);
  EXPECT_EQ(verifySignature(public_pem, algorithm, data, flipped).reason(),
            VerifyReason::kBadSignature);

  // Broken DER structure: a reason of its own.
  Verification truncated =
      verifySignature(public_pem, algorithm, data, signature->substr(0, signature->size() - 3));
  EXPECT_EQ(truncated.reason(), VerifyReason::kMalformedSignature) << truncated.message();
  EXPECT_EQ(truncated.toStatus().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(verifySignature(public_pem, algorithm, data, *signature + "x").reason(),
            VerifyReason::kMalformedSignature);
  EXPECT_EQ(verifySignature(public_pem, algorithm, data, "").reason(),
            VerifyReason::kMalformedSignature);

  // Another key of the same algorithm.
  Result<EvpPkeyPtr> other = generateKey(algorithm);
  ASSERT_TRUE(other.isOk());
  EXPECT_EQ(verifySignature(other->get(), algorithm, data, *signature).reason(),
            VerifyReason::kBadSignature);

  // The wrong algorithm claimed for the key.
  const SignatureAlgorithm wrong = algorithm == SignatureAlgorithm::kSm2Sm3
                                       ? SignatureAlgorithm::kEcdsaP256Sha256
                                       : SignatureAlgorithm::kSm2Sm3;
  EXPECT_EQ(verifySignature(public_pem, wrong, data, *signature).reason(),
            VerifyReason::kAlgorithmMismatch);
  EXPECT_FALSE(makeSoftwareSigner(shareKey(key->get()), wrong).isOk());

  // Garbage instead of a key.
  EXPECT_EQ(verifySignature("not a pem", algorithm, data, *signature).reason(),
            VerifyReason::kMalformedKey);
}

TEST_P(SignerTest, EncryptedPkcs8RoundTrip) {
  const SignatureAlgorithm algorithm = GetParam();
  Result<EvpPkeyPtr> key = generateKey(algorithm);
  ASSERT_TRUE(key.isOk());
  Result<std::string> pem = encryptPrivateKeyPem(key->get(), "correct horse");
  ASSERT_TRUE(pem.isOk()) << pem.status().toString();
  EXPECT_NE(pem->find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos);

  Result<EvpPkeyPtr> loaded = decryptPrivateKeyPem(*pem, "correct horse");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(*algorithmOfKey(loaded->get()), algorithm);
  EXPECT_EQ(EVP_PKEY_eq(key->get(), loaded->get()), 1);

  // A signature by the reloaded key verifies with the original public key.
  Result<std::string> signature = signWithKey(loaded->get(), algorithm, "payload");
  ASSERT_TRUE(signature.isOk());
  EXPECT_TRUE(verifySignature(key->get(), algorithm, "payload", *signature));

  Result<EvpPkeyPtr> wrong = decryptPrivateKeyPem(*pem, "wrong horse");
  EXPECT_EQ(wrong.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(encryptPrivateKeyPem(key->get(), "").status().field(), "passphrase");

  Result<std::string> public_pem = publicKeyPem(key->get());
  ASSERT_TRUE(public_pem.isOk());
  EXPECT_EQ(decryptPrivateKeyPem(*public_pem, "x").status().field(), "private_key");
  Result<EvpPkeyPtr> public_key = parsePublicKeyPem(*public_pem);
  ASSERT_TRUE(public_key.isOk());
  EXPECT_EQ(*algorithmOfKey(public_key->get()), algorithm);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, SignerTest,
                         ::testing::Values(SignatureAlgorithm::kSm2Sm3,
                                           SignatureAlgorithm::kEcdsaP256Sha256),
                         [](const auto& info) {
                           return info.param == SignatureAlgorithm::kSm2Sm3 ? "Sm2" : "EcdsaP256";
                         });

TEST(Algorithm, NamesRoundTrip) {
  for (SignatureAlgorithm algorithm :
       {SignatureAlgorithm::kSm2Sm3, SignatureAlgorithm::kEcdsaP256Sha256}) {
    EXPECT_EQ(*parseAlgorithm(algorithmName(algorithm)), algorithm);
  }
  EXPECT_STREQ(algorithmName(SignatureAlgorithm::kSm2Sm3), "SM2-SM3");
  EXPECT_STREQ(algorithmName(SignatureAlgorithm::kEcdsaP256Sha256), "ECDSA-P256-SHA256");
  EXPECT_EQ(parseAlgorithm("RSA").status().field(), "algorithm");
}

TEST(Sm2, SignatureUsesTheGmT0009IdNotOpenSslsEmptyDefault) {
  // Verify a Signer's SM2 signature with a context that has NO ID set (OpenSSL 3.0's empty
  // default): it must fail, proving the signer did set 1234567812345678.
  Result<EvpPkeyPtr> key = generateKey(SignatureAlgorithm::kSm2Sm3);
  ASSERT_TRUE(key.isOk());
  Result<std::string> signature = signWithKey(key->get(), SignatureAlgorithm::kSm2Sm3, "data");
  ASSERT_TRUE(signature.isOk());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit_ex(ctx, nullptr, "SM3", nullptr, nullptr, key->get(), nullptr), 1);
  int rc = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature->data()),
                            signature->size(), reinterpret_cast<const unsigned char*>("data"), 4);
  EVP_MD_CTX_free(ctx);
  EXPECT_NE(rc, 1);
  EXPECT_TRUE(verifySignature(key->get(), SignatureAlgorithm::kSm2Sm3, "data", *signature));
}

TEST(PemKeyStore, GenerateSignRotateAndReopen) {
  TempDir temp("tongban_key_store");
  const std::string dir = temp.path + "/keys";
  Result<std::unique_ptr<PemKeyStore>> store = PemKeyStore::open(dir, "store passphrase");
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  ASSERT_TRUE((*store)->generateKey("seal-2026-01", SignatureAlgorithm::kSm2Sm3));
  ASSERT_TRUE((*store)->generateKey("seal-2026-02", SignatureAlgorithm::kEcdsaP256Sha256));

  // Ids are never reused (rotation takes a new id) and never escape the directory.
  EXPECT_EQ((*store)->generateKey("seal-2026-01", SignatureAlgorithm::kSm2Sm3).code(),
            ErrorCode::kConflict);
  EXPECT_EQ((*store)->generateKey("../evil", SignatureAlgorithm::kSm2Sm3).field(), "key_id");
  EXPECT_EQ((*store)->generateKey("", SignatureAlgorithm::kSm2Sm3).field(), "key_id");
  EXPECT_EQ((*store)->signer("missing").status().code(), ErrorCode::kNotFound);

  // The private key file is encrypted PKCS#8 and private to the owner.
  const std::string key_path = (*store)->privateKeyPath("seal-2026-01");
  EXPECT_NE(readFile(key_path).find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(key_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  Result<std::unique_ptr<Signer>> signer = (*store)->signer("seal-2026-01");
  ASSERT_TRUE(signer.isOk()) << signer.status().toString();
  EXPECT_EQ((*signer)->algorithm(), SignatureAlgorithm::kSm2Sm3);
  Result<std::string> signature = (*signer)->sign("document");
  ASSERT_TRUE(signature.isOk());
  Result<std::string> public_pem = (*store)->publicKeyPem("seal-2026-01");
  ASSERT_TRUE(public_pem.isOk());
  EXPECT_TRUE(verifySignature(*public_pem, SignatureAlgorithm::kSm2Sm3, "document", *signature));

  // Reopened with the wrong passphrase: the key cannot be used.
  Result<std::unique_ptr<PemKeyStore>> wrong = PemKeyStore::open(dir, "not the passphrase");
  ASSERT_TRUE(wrong.isOk());
  EXPECT_EQ((*wrong)->signer("seal-2026-01").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(PemKeyStore::open(dir, "").status().field(), "passphrase");

  // A certificate for a different key is refused.
  EXPECT_EQ((*store)->storeCertificate("seal-2026-01", "garbage").field(), "certificate");
}

TEST(JoseSignature, RoundTripsAndVerifies) {
  Result<EvpPkeyPtr> key = generateKey(SignatureAlgorithm::kEcdsaP256Sha256);
  ASSERT_TRUE(key) << key.status().toString();
  for (int i = 0; i < 20; ++i) {  // r or s with a leading zero byte now and then: padded to 32
    const std::string data = "header.claims" + std::to_string(i);
    Result<std::string> der = signWithKey(key->get(), SignatureAlgorithm::kEcdsaP256Sha256, data);
    ASSERT_TRUE(der) << der.status().toString();
    Result<std::string> raw = ecdsaP256JoseFromDer(*der);
    ASSERT_TRUE(raw) << raw.status().toString();
    EXPECT_EQ(raw->size(), 64u);
    Result<std::string> back = ecdsaP256DerFromJose(*raw);
    ASSERT_TRUE(back) << back.status().toString();
    EXPECT_EQ(*back, *der);
    EXPECT_TRUE(verifySignature(key->get(), SignatureAlgorithm::kEcdsaP256Sha256, data, *back));
  }
}

TEST(JoseSignature, RefusesWrongShapes) {
  EXPECT_EQ(ecdsaP256DerFromJose(std::string(63, '\1')).status().field(), "signature");
  EXPECT_EQ(ecdsaP256DerFromJose(std::string(65, '\1')).status().field(), "signature");
  EXPECT_EQ(ecdsaP256JoseFromDer("not der").status().field(), "signature");
  // A DER signature whose r is 33 significant bytes does not fit JOSE's 32.
  std::string big_r = std::string("\x30\x26\x02\x21\x01", 5) + std::string(32, '\x7f') +
                      std::string("\x02\x01\x01", 3);
  EXPECT_EQ(ecdsaP256JoseFromDer(big_r).status().field(), "signature");
}

}  // namespace
}  // namespace tongban::certs
