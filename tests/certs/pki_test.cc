// The hub's PKI: root, intermediate and seal certificates for both algorithms, and chain
// verification with its reasons (expired, not yet valid, wrong root, bad signature, misuse).
#include "tongban/certs/pki.h"

#include <gtest/gtest.h>

#include <openssl/x509v3.h>

#include <string>
#include <tuple>
#include <vector>

#include "tongban/certs/keys.h"
#include "tongban/certs/signer.h"
#include "tongban/certs/verification.h"

namespace tongban::certs {
namespace {

constexpr std::time_t kNow = 1767225600;  // 2026-01-01T00:00:00Z; injected, not read from a clock
constexpr std::time_t kDay = 86400;

X509Ptr vectorCopy(const X509Ptr& cert) { return shareCertificate(cert.get()); }

std::vector<X509Ptr> listOf(const X509Ptr& cert) {
  std::vector<X509Ptr> out;
  out.push_back(vectorCopy(cert));
  return out;
}

// The DER of `cert` with one byte of the subject's common name changed, parsed back.
X509Ptr tamperedCopy(const X509* cert, const std::string& common_name) {
  unsigned char* der = nullptr;
  int length = i2d_X509(cert, &der);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  size_t at = bytes.rfind(common_name);
  EXPECT_NE(at, std::string::npos);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x20);  // change the case of the first letter
  const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
  return X509Ptr(d2i_X509(nullptr, &cursor, static_cast<long>(bytes.size())));
}

struct Pki {
  EvpPkeyPtr root_key;
  X509Ptr root;
  EvpPkeyPtr seal_key;
  X509Ptr seal;
};

Pki makePki(SignatureAlgorithm root_algorithm, SignatureAlgorithm seal_algorithm) {
  Pki pki;
  pki.root_key = generateKey(root_algorithm).value();
  DistinguishedName root_name{"Tongban Root CA", "Tongban Hub", "PKI", "CN", ""};
  Result<X509Ptr> root =
      createRootCertificate(pki.root_key.get(), root_name, {kNow - kDay, kNow + 3650 * kDay});
  EXPECT_TRUE(root.isOk()) << root.status().toString();
  pki.root = std::move(*root);
  pki.seal_key = generateKey(seal_algorithm).value();
  DistinguishedName seal_name{"Market Regulation Official Seal", "Market Regulation Bureau", "",
                              "CN", "11350100M000100Y43"};
  Result<X509Ptr> seal =
      issueCertificate(pki.root_key.get(), pki.root.get(), pki.seal_key.get(), seal_name,
                       {kNow - kDay, kNow + 365 * kDay}, CertificateKind::kSeal);
  EXPECT_TRUE(seal.isOk()) << seal.status().toString();
  pki.seal = std::move(*seal);
  return pki;
}

class PkiTest
    : public ::testing::TestWithParam<std::tuple<SignatureAlgorithm, SignatureAlgorithm>> {};

TEST_P(PkiTest, CertificatesHaveTheRequiredProfile) {
  auto [root_algorithm, seal_algorithm] = GetParam();
  Pki pki = makePki(root_algorithm, seal_algorithm);
  ASSERT_TRUE(pki.root && pki.seal);

  EXPECT_EQ(X509_get_version(pki.root.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(pki.root.get()), 1);
  EXPECT_EQ(X509_get_extension_flags(pki.root.get()) & EXFLAG_CRITICAL, 0u);  // all understood
  EXPECT_EQ(X509_get_key_usage(pki.root.get()),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(pki.root.get()), nullptr);
  int critical = -1;
  auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(pki.root.get(), NID_basic_constraints, &critical, nullptr));
  ASSERT_NE(constraints, nullptr);
  EXPECT_EQ(critical, 1);
  EXPECT_TRUE(constraints->ca);
  BASIC_CONSTRAINTS_free(constraints);

  EXPECT_EQ(X509_get_version(pki.seal.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(pki.seal.get()), 0);
  EXPECT_EQ(X509_get_key_usage(pki.seal.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
  const ASN1_OCTET_STRING* authority = X509_get0_authority_key_id(pki.seal.get());
  ASSERT_NE(authority, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(authority, X509_get0_subject_key_id(pki.root.get())), 0);
  EXPECT_EQ(X509_check_issued(pki.root.get(), pki.seal.get()), X509_V_OK);

  // 128-bit random serials: long, and different each time.
  const std::string serial = serialHex(pki.seal.get());
  EXPECT_GE(serial.size(), 24u);
  EXPECT_LE(serial.size(), 32u);
  EXPECT_NE(serial, serialHex(pki.root.get()));

  const int expected_nid =
      root_algorithm == SignatureAlgorithm::kSm2Sm3 ? NID_SM2_with_SM3 : NID_ecdsa_with_SHA256;
  EXPECT_EQ(X509_get_signature_nid(pki.seal.get()), expected_nid);
  EXPECT_EQ(*algorithmOfKey(X509_get0_pubkey(pki.seal.get())), seal_algorithm);

  // PEM round trip.
  Result<std::string> pem = certificatePem(pki.seal.get());
  ASSERT_TRUE(pem.isOk());
  Result<X509Ptr> parsed = parseCertificatePem(*pem);
  ASSERT_TRUE(parsed.isOk());
  EXPECT_EQ(X509_cmp(parsed->get(), pki.seal.get()), 0);
}

TEST_P(PkiTest, ChainVerifiesAndFailsWithItsOwnReason) {
  auto [root_algorithm, seal_algorithm] = GetParam();
  Pki pki = makePki(root_algorithm, seal_algorithm);
  ASSERT_TRUE(pki.root && pki.seal);
  const std::vector<X509Ptr> no_intermediates;
  const std::vector<X509Ptr> roots = listOf(pki.root);

  Verification ok = verifyChain(pki.seal.get(), no_intermediates, roots, kNow);
  EXPECT_TRUE(ok) << verifyReasonName(ok.reason()) << ": " << ok.message();

  Verification expired = verifyChain(pki.seal.get(), no_intermediates, roots, kNow + 400 * kDay);
  EXPECT_EQ(expired.reason(), VerifyReason::kExpired) << expired.message();
  EXPECT_EQ(expired.toStatus().field(), "expired");

  Verification early = verifyChain(pki.seal.get(), no_intermediates, roots, kNow - 2 * kDay);
  EXPECT_EQ(early.reason(), VerifyReason::kNotYetValid) << early.message();

  Pki other = makePki(root_algorithm, seal_algorithm);  // same names, different keys
  Verification wrong_root = verifyChain(pki.seal.get(), no_intermediates, listOf(other.root), kNow);
  EXPECT_EQ(wrong_root.reason(), VerifyReason::kUntrustedRoot) << wrong_root.message();

  X509Ptr tampered = tamperedCopy(pki.seal.get(), "Market Regulation Official Seal");
  ASSERT_TRUE(tampered);
  Verification bad = verifyChain(tampered.get(), no_intermediates, roots, kNow);
  EXPECT_EQ(bad.reason(), VerifyReason::kBadCertificateSignature) << bad.message();

  // The root itself is not a document-signing certificate.
  Verification misuse = verifyChain(pki.root.get(), no_intermediates, roots, kNow);
  EXPECT_EQ(misuse.reason(), VerifyReason::kNotAuthorized) << misuse.message();

  // The seal's signature verifies with the key in its certificate.
  Result<std::string> signature = signWithKey(pki.seal_key.get(), seal_algorithm, "payload");
  ASSERT_TRUE(signature.isOk());
  EXPECT_TRUE(
      verifySignature(*certificatePem(pki.seal.get()), seal_algorithm, "payload", *signature));
}

TEST_P(PkiTest, IntermediateChain) {
  auto [root_algorithm, seal_algorithm] = GetParam();
  Pki pki = makePki(root_algorithm, root_algorithm);
  EvpPkeyPtr intermediate_key = generateKey(root_algorithm).value();
  Result<X509Ptr> intermediate =
      issueCertificate(pki.root_key.get(), pki.root.get(), intermediate_key.get(),
                       {"Tongban Seal CA 1", "Tongban Hub", "PKI", "CN", ""},
                       {kNow - kDay, kNow + 1000 * kDay}, CertificateKind::kIntermediateCa);
  ASSERT_TRUE(intermediate.isOk()) << intermediate.status().toString();
  EvpPkeyPtr seal_key = generateKey(seal_algorithm).value();
  Result<X509Ptr> seal = issueCertificate(intermediate_key.get(), intermediate->get(),
                                          seal_key.get(), {"Civil Affairs Seal", "", "", "CN", ""},
                                          {kNow - kDay, kNow + 100 * kDay}, CertificateKind::kSeal);
  ASSERT_TRUE(seal.isOk()) << seal.status().toString();

  Verification ok = verifyChain(seal->get(), listOf(*intermediate), listOf(pki.root), kNow);
  EXPECT_TRUE(ok) << ok.message();
  // Without the intermediate there is no path to the root.
  EXPECT_EQ(verifyChain(seal->get(), {}, listOf(pki.root), kNow).reason(),
            VerifyReason::kUntrustedRoot);
  // A seal certificate cannot issue certificates.
  EXPECT_EQ(issueCertificate(seal_key.get(), seal->get(), seal_key.get(), {"x", "", "", "CN", ""},
                             {kNow, kNow + kDay}, CertificateKind::kSeal)
                .status()
                .field(),
            "issuer");

  // PEM form of the same check.
  std::string chain_pem = *certificatePem(intermediate->get());
  EXPECT_TRUE(verifyChainPem(*certificatePem(seal->get()), chain_pem,
                             *certificatePem(pki.root.get()), kNow));
  EXPECT_EQ(verifyChainPem("junk", "", *certificatePem(pki.root.get()), kNow).reason(),
            VerifyReason::kMalformedKey);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, PkiTest,
                         ::testing::Combine(::testing::Values(SignatureAlgorithm::kEcdsaP256Sha256,
                                                              SignatureAlgorithm::kSm2Sm3),
                                            ::testing::Values(SignatureAlgorithm::kEcdsaP256Sha256,
                                                              SignatureAlgorithm::kSm2Sm3)),
                         [](const auto& info) {
                           auto name = [](SignatureAlgorithm a) {
                             return std::string(a == SignatureAlgorithm::kSm2Sm3 ? "Sm2" : "Ecdsa");
                           };
                           return name(std::get<0>(info.param)) + "Root" +
                                  name(std::get<1>(info.param)) + "Seal";
                         });

TEST(Pki, BadInputIsRejected) {
  EvpPkeyPtr key = generateKey(SignatureAlgorithm::kEcdsaP256Sha256).value();
  EXPECT_EQ(createRootCertificate(key.get(), {"", "", "", "CN", ""}, {kNow, kNow + kDay})
                .status()
                .field(),
            "subject.common_name");
  EXPECT_EQ(
      createRootCertificate(key.get(), {"Root", "", "", "CN", ""}, {kNow, kNow}).status().field(),
      "validity");
  EXPECT_EQ(createRootCertificate(key.get(), {"Root", "", "", "China", ""}, {kNow, kNow + kDay})
                .status()
                .field(),
            "subject.country");
  Result<X509Ptr> root =
      createRootCertificate(key.get(), {"Root", "", "", "CN", ""}, {kNow, kNow + kDay});
  ASSERT_TRUE(root.isOk());
  EvpPkeyPtr stranger = generateKey(SignatureAlgorithm::kEcdsaP256Sha256).value();
  EXPECT_EQ(
      issueCertificate(stranger.get(), root->get(), stranger.get(), {"Seal", "", "", "CN", ""},
                       {kNow, kNow + kDay}, CertificateKind::kSeal)
          .status()
          .field(),
      "issuer");
  EXPECT_FALSE(
      parseCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").isOk());
  EXPECT_FALSE(parseCertificateChainPem("").isOk());
}

}  // namespace
}  // namespace tongban::certs
