// Issue 7, hole 10: private keys were encrypted with PBKDF2 at OpenSSL's default of 2048 rounds.
// New keys now carry PBKDF2-HMAC-SHA256 at 600,000 rounds (certs/keys.h), read here from the PEM
// that `tongban-admin pki init` writes; keys written the old way still open.
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/test_env.h"
#include "tongban/certs/keys.h"

namespace tongban::admin {
namespace {

struct Kdf {
  long iterations = -1;
  int prf_nid = NID_undef;
  int cipher_nid = NID_undef;
};

// The PBES2 parameters of an ENCRYPTED PRIVATE KEY PEM, read with OpenSSL's ASN.1 types.
Kdf kdfOf(const std::string& pem) {
  Kdf out;
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509_SIG, decltype(&X509_SIG_free)> sig(
      PEM_read_bio_PKCS8(in.get(), nullptr, nullptr, nullptr), X509_SIG_free);
  if (!sig) return out;
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) return out;
  std::unique_ptr<PBE2PARAM, decltype(&PBE2PARAM_free)> pbe2(
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)),
      PBE2PARAM_free);
  if (!pbe2 || OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2) return out;
  out.cipher_nid = OBJ_obj2nid(pbe2->encryption->algorithm);
  std::unique_ptr<PBKDF2PARAM, decltype(&PBKDF2PARAM_free)> kdf(
      static_cast<PBKDF2PARAM*>(
          ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)),
      PBKDF2PARAM_free);
  if (!kdf) return out;
  out.iterations = ASN1_INTEGER_get(kdf->iter);
  out.prf_nid = kdf->prf ? OBJ_obj2nid(kdf->prf->algorithm) : NID_hmacWithSHA1;  // RFC 8018
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(KeyCost, PkiInitWritesKeysWithPbkdf2Sha256At600000Rounds) {
  const std::string dir = testing::binaryDir() + "/key-cost-test-pki";
  testing::runCommand("rm -rf " + dir);
  // As deployed: no test override of the cost.
  auto r =
      testing::runCommand("env -u TONGBAN_PKI_KDF_ITERATIONS TONGBAN_PKI_PASSPHRASE=kdf-test " +
                          testing::binaryDir() + "/admin/tongban-admin pki init --dir " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"root-ca", "hub-signer"}) {
    SCOPED_TRACE(name);
    const std::string pem = readFile(dir + "/keys/" + name + ".key.pem");
    ASSERT_FALSE(pem.empty());
    const Kdf kdf = kdfOf(pem);
    EXPECT_EQ(kdf.iterations, 600000);
    EXPECT_EQ(kdf.prf_nid, NID_hmacWithSHA256);
    EXPECT_EQ(kdf.cipher_nid, NID_aes_256_cbc);
    // And the openssl tool opens it with the passphrase, as docs/transparency-log.md says.
    auto opened = testing::runCommand("openssl pkey -noout -passin pass:kdf-test -in " + dir +
                                      "/keys/" + name + ".key.pem");
    EXPECT_EQ(opened.exit_code, 0) << opened.output;
  }
  EXPECT_EQ(certs::kDefaultKdfIterations, 600000);
}

TEST(KeyCost, TheTestOverrideAndOldKeysStillWork) {
  auto key = certs::generateKey(certs::SignatureAlgorithm::kSm2Sm3);
  ASSERT_TRUE(key);
  // This process runs under ctest's TONGBAN_PKI_KDF_ITERATIONS=1000 (tests/CMakeLists.txt).
  auto pem = certs::encryptPrivateKeyPem(key->get(), "pass");
  ASSERT_TRUE(pem);
  EXPECT_EQ(kdfOf(*pem).iterations, certs::kdfIterations());
  EXPECT_TRUE(certs::decryptPrivateKeyPem(*pem, "pass"));

  // A key written the way Tongban used to (OpenSSL's default: PBKDF2, 2048 rounds) still opens.
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key->get(), EVP_aes_256_cbc(), "old", 3,
                                          nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  const std::string old_pem(data, static_cast<size_t>(size));
  EXPECT_EQ(kdfOf(old_pem).iterations, 2048);
  auto reopened = certs::decryptPrivateKeyPem(old_pem, "old");
  ASSERT_TRUE(reopened) << reopened.status().toString();
  EXPECT_EQ(EVP_PKEY_eq(key->get(), reopened->get()), 1);
}

}  // namespace
}  // namespace tongban::admin
