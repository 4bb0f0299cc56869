// Interoperability with the `openssl` command-line tool (OpenSSL 3.0): what we sign, issue and
// store must verify and load with nothing but `openssl`, and what `openssl` signs must verify
// with us. Each tampering fails, in the CLI and in verifyChain/verifySignature, with its own
// reason. The commands are the ones docs/transparency-log.md gives to operators.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/test_env.h"
#include "tongban/certs/key_store.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/signer.h"
#include "tongban/certs/verification.h"

namespace tongban::certs {
namespace {

using tongban::testing::CommandResult;
using tongban::testing::runCommand;

constexpr const char* kPassphrase = "seal-store-passphrase";
constexpr std::time_t kDay = 86400;

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

void writeFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Everything a verifier receives, written to a directory as files.
struct Exported {
  TempDir temp{"tongban_openssl_cli"};
  std::string dir = temp.path;
  EvpPkeyPtr root_key;
  X509Ptr root;
  std::string data =
      "{\"id\":\"1.2.156.3005.2.11100000000013338W001.11350100M000100Y43."
      "2026000123.001.X\",\"name\":\"食品经营许可证\"}";
  std::string signature;
  std::string seal_certificate_pem;
};

// Root (root_algorithm) -> seal certificate (seal_algorithm) whose key lives in a PemKeyStore;
// the seal signs `data`.
Exported exportAll(SignatureAlgorithm root_algorithm, SignatureAlgorithm seal_algorithm) {
  Exported e;
  const std::time_t now = std::time(nullptr);
  e.root_key = generateKey(root_algorithm).value();
  e.root = createRootCertificate(e.root_key.get(), {"Tongban Root CA", "Tongban Hub", "", "CN", ""},
                                 {now - kDay, now + 3650 * kDay})
               .value();
  auto store = PemKeyStore::open(e.dir + "/keys", kPassphrase).value();
  EXPECT_TRUE(store->generateKey("seal", seal_algorithm));
  Result<std::string> public_pem = store->publicKeyPem("seal");
  EvpPkeyPtr seal_public = parsePublicKeyPem(*public_pem).value();
  Result<X509Ptr> seal = issueCertificate(e.root_key.get(), e.root.get(), seal_public.get(),
                                          {"Food Safety Seal", "Market Regulation", "", "CN", ""},
                                          {now - kDay, now + 30 * kDay}, CertificateKind::kSeal);
  EXPECT_TRUE(seal.isOk()) << seal.status().toString();
  e.seal_certificate_pem = *certificatePem(seal->get());
  EXPECT_TRUE(store->storeCertificate("seal", e.seal_certificate_pem));
  auto signer = store->signer("seal").value();
  EXPECT_EQ(signer->certificatePem(), e.seal_certificate_pem);
  e.signature = *signer->sign(e.data);

  writeFile(e.dir + "/data", e.data);
  writeFile(e.dir + "/sig", e.signature);
  writeFile(e.dir + "/pub.pem", *public_pem);
  writeFile(e.dir + "/leaf.pem", e.seal_certificate_pem);
  writeFile(e.dir + "/root.pem", *certificatePem(e.root.get()));
  writeFile(e.dir + "/key.pem", readFile(store->privateKeyPath("seal")));
  return e;
}

std::string sm2VerifyCommand(const std::string& dir, const std::string& data_file,
                             const std::string& sig_file) {
  return "openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin "
         "-inkey " +
         dir + "/pub.pem -in " + dir + "/" + data_file + " -sigfile " + dir + "/" + sig_file;
}

std::string ecdsaVerifyCommand(const std::string& dir, const std::string& data_file,
                               const std::string& sig_file) {
  return "openssl dgst -sha256 -verify " + dir + "/pub.pem -signature " + dir + "/" + sig_file +
         " " + dir + "/" + data_file;
}

class OpensslCliTest : public ::testing::TestWithParam<SignatureAlgorithm> {
 protected:
  std::string verifyCommand(const std::string& dir, const std::string& data_file,
                            const std::string& sig_file) {
    return GetParam() == SignatureAlgorithm::kSm2Sm3 ? sm2VerifyCommand(dir, data_file, sig_file)
                                                     : ecdsaVerifyCommand(dir, data_file, sig_file);
  }
};

TEST_P(OpensslCliTest, SignatureChainAndKeyVerifyWithTheCli) {
  Exported e = exportAll(SignatureAlgorithm::kEcdsaP256Sha256, GetParam());

  CommandResult signature = runCommand(verifyCommand(e.dir, "data", "sig"));
  EXPECT_EQ(signature.exit_code, 0) << signature.output;
  EXPECT_NE(signature.output.find(GetParam() == SignatureAlgorithm::kSm2Sm3
                                      ? "Signature Verified Successfully"
                                      : "Verified OK"),
            std::string::npos)
      << signature.output;

  if (GetParam() == SignatureAlgorithm::kSm2Sm3) {  // the key taken from the certificate
    CommandResult certin = runCommand(
        "openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -certin "
        "-inkey " +
        e.dir + "/leaf.pem -in " + e.dir + "/data -sigfile " + e.dir + "/sig");
    EXPECT_EQ(certin.exit_code, 0) << certin.output;
  }

  CommandResult chain =
      runCommand("openssl verify -CAfile " + e.dir + "/root.pem " + e.dir + "/leaf.pem");
  EXPECT_EQ(chain.exit_code, 0) << chain.output;
  EXPECT_NE(chain.output.find("leaf.pem: OK"), std::string::npos) << chain.output;

  // The encrypted PKCS#8 file opens with the passphrase, and its public half is pub.pem.
  CommandResult key =
      runCommand("openssl pkey -in " + e.dir + "/key.pem -passin pass:" + kPassphrase + " -pubout");
  EXPECT_EQ(key.exit_code, 0) << key.output;
  EXPECT_EQ(key.output, readFile(e.dir + "/pub.pem"));
  CommandResult wrong_pass =
      runCommand("openssl pkey -in " + e.dir + "/key.pem -passin pass:wrong -pubout");
  EXPECT_NE(wrong_pass.exit_code, 0) << wrong_pass.output;
  CommandResult text = runCommand("openssl asn1parse -in " + e.dir + "/key.pem");
  EXPECT_NE(text.output.find("PBES2"), std::string::npos) << text.output;

  // Our own verifier agrees.
  EXPECT_TRUE(verifySignature(e.seal_certificate_pem, GetParam(), e.data, e.signature));
  EXPECT_TRUE(verifyChainPem(e.seal_certificate_pem, "", readFile(e.dir + "/root.pem"),
                             std::time(nullptr)));
}

TEST_P(OpensslCliTest, TamperingFailsInTheCliWithItsOwnReason) {
  Exported e = exportAll(SignatureAlgorithm::kEcdsaP256Sha256, GetParam());
  const std::time_t now = std::time(nullptr);

  // Tampered data.
  writeFile(e.dir + "/data.tampered", e.data + "x");
  CommandResult data = runCommand(verifyCommand(e.dir, "data.tampered", "sig"));
  EXPECT_NE(data.exit_code, 0) << data.output;
  EXPECT_EQ(verifySignature(e.seal_certificate_pem, GetParam(), e.data + "x", e.signature).reason(),
            VerifyReason::kBadSignature);

  // Tampered signature (one bit of s).
  std::string flipped = e.signature;
  flipped.back() = static_cast<char>(flipped.back() ^ 0x04);
  writeFile(e.dir + "/sig.tampered", flipped);
  CommandResult sig = runCommand(verifyCommand(e.dir, "data", "sig.tampered"));
  EXPECT_NE(sig.exit_code, 0) << sig.output;
  EXPECT_EQ(verifySignature(e.seal_certificate_pem, GetParam(), e.data, flipped).reason(),
            VerifyReason::kBadSignature);

  // Wrong root: a different CA with the same name.
  Exported other = exportAll(SignatureAlgorithm::kEcdsaP256Sha256, GetParam());
  CommandResult wrong_root =
      runCommand("openssl verify -CAfile " + other.dir + "/root.pem " + e.dir + "/leaf.pem");
  EXPECT_NE(wrong_root.exit_code, 0);
  EXPECT_NE(wrong_root.output.find("unable to get local issuer certificate"), std::string::npos)
      << wrong_root.output;
  EXPECT_EQ(
      verifyChainPem(e.seal_certificate_pem, "", readFile(other.dir + "/root.pem"), now).reason(),
      VerifyReason::kUntrustedRoot);

  // Tampered chain: the leaf certificate's subject edited after signing.
  Result<X509Ptr> leaf = parseCertificatePem(e.seal_certificate_pem);
  ASSERT_TRUE(leaf.isOk());
  unsigned char* der = nullptr;
  int length = i2d_X509(leaf->get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  size_t at = bytes.find("Food Safety Seal");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'G';
  writeFile(e.dir + "/leaf.tampered.der", bytes);
  CommandResult tampered_chain =
      runCommand("openssl x509 -inform DER -in " + e.dir + "/leaf.tampered.der -out " + e.dir +
                 "/leaf.tampered.pem && openssl verify -CAfile " + e.dir + "/root.pem " + e.dir +
                 "/leaf.tampered.pem");
  EXPECT_NE(tampered_chain.exit_code, 0);
  EXPECT_NE(tampered_chain.output.find("certificate signature failure"), std::string::npos)
      << tampered_chain.output;
  EXPECT_EQ(
      verifyChainPem(readFile(e.dir + "/leaf.tampered.pem"), "", readFile(e.dir + "/root.pem"), now)
          .reason(),
      VerifyReason::kBadCertificateSignature);

  // Expired: verify as of a time after notAfter.
  const std::time_t later = now + 60 * kDay;
  CommandResult expired = runCommand("openssl verify -attime " + std::to_string(later) +
                                     " -CAfile " + e.dir + "/root.pem " + e.dir + "/leaf.pem");
  EXPECT_NE(expired.exit_code, 0);
  EXPECT_NE(expired.output.find("certificate has expired"), std::string::npos) << expired.output;
  EXPECT_EQ(
      verifyChainPem(e.seal_certificate_pem, "", readFile(e.dir + "/root.pem"), later).reason(),
      VerifyReason::kExpired);
}

// The other direction: a signature made by the CLI from our encrypted key file verifies with us.
TEST_P(OpensslCliTest, CliSignaturesVerifyWithUs) {
  Exported e = exportAll(SignatureAlgorithm::kEcdsaP256Sha256, GetParam());
  const std::string sign =
      GetParam() == SignatureAlgorithm::kSm2Sm3
          ? "openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678 -inkey " +
                e.dir + "/key.pem -passin pass:" + kPassphrase + " -in " + e.dir + "/data -out " +
                e.dir + "/cli.sig"
          : "openssl dgst -sha256 -sign " + e.dir + "/key.pem -passin pass:" + kPassphrase +
                " -out " + e.dir + "/cli.sig " + e.dir + "/data";
  CommandResult signed_by_cli = runCommand(sign);
  ASSERT_EQ(signed_by_cli.exit_code, 0) << signed_by_cli.output;
  Verification ours =
      verifySignature(e.seal_certificate_pem, GetParam(), e.data, readFile(e.dir + "/cli.sig"));
  EXPECT_TRUE(ours) << ours.message();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, OpensslCliTest,
                         ::testing::Values(SignatureAlgorithm::kSm2Sm3,
                                           SignatureAlgorithm::kEcdsaP256Sha256),
                         [](const auto& info) {
                           return info.param == SignatureAlgorithm::kSm2Sm3 ? "Sm2" : "EcdsaP256";
                         });

// The finding behind the recommended layout (see pki.h): with an SM2 CA, certificates signed
// with the GM/T 0009 ID verify in our verifyChain and with `openssl verify -vfyopt distid:...`,
// but NOT with a plain `openssl verify` on OpenSSL 3.0, which checks with the empty ID.
TEST(OpensslCliSm2Root, PlainOpensslVerifyNeedsTheDistid) {
  Exported e = exportAll(SignatureAlgorithm::kSm2Sm3, SignatureAlgorithm::kSm2Sm3);
  const std::string files = " -CAfile " + e.dir + "/root.pem " + e.dir + "/leaf.pem";
  CommandResult with_id = runCommand("openssl verify -vfyopt distid:1234567812345678" + files);
  EXPECT_EQ(with_id.exit_code, 0) << with_id.output;
  CommandResult plain = runCommand("openssl verify" + files);
  EXPECT_NE(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("certificate signature failure"), std::string::npos) << plain.output;
  EXPECT_TRUE(verifyChainPem(e.seal_certificate_pem, "", readFile(e.dir + "/root.pem"),
                             std::time(nullptr)));
  // The seal's own SM2 signature is unaffected: the CLI verifies it with the explicit distid.
  CommandResult signature = runCommand(sm2VerifyCommand(e.dir, "data", "sig"));
  EXPECT_EQ(signature.exit_code, 0) << signature.output;
}

}  // namespace
}  // namespace tongban::certs
