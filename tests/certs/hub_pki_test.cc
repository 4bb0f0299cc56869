// The hub's PKI directory (hub_pki.h): init writes a root CA and a hub signer that `openssl`
// accepts, load reads them back as a working HubIdentity, and every way the directory can be
// wrong (already there, wrong passphrase, a file missing or swapped) is refused with its own error.
#include "tongban/certs/hub_pki.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/test_env.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/verification.h"

namespace tongban::certs {
namespace {

using tongban::testing::runCommand;

constexpr const char* kPassphrase = "hub-pki-test-passphrase";

// A fresh directory under the build tree; `pki` inside it does not exist yet.
struct TempDir {
  std::string path;
  std::string pki;
  TempDir() {
    std::string pattern = tongban::testing::binaryDir() + "/hub_pki_test_XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path = pattern;
    pki = path + "/pki";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

unsigned mode(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string commonName(X509* certificate) {
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, buffer,
                            sizeof buffer);
  return buffer;
}

TEST(HubPki, InitThenLoadRoundTrip) {
  TempDir temp;
  Status init = initHubPki(temp.pki, kPassphrase);
  ASSERT_TRUE(init) << init.toString();
  const HubPkiPaths paths = hubPkiPaths(temp.pki);

  EXPECT_EQ(mode(temp.pki), 0700u);
  EXPECT_EQ(mode(paths.key_dir), 0700u);
  for (const std::string& file :
       {paths.root_certificate, paths.hub_certificate, paths.seal_ca_certificate,
        paths.status_certificate, paths.audit_certificate, paths.verification_certificate,
        paths.root_key, paths.hub_key, paths.seal_ca_key, paths.status_key, paths.audit_key,
        paths.verification_key}) {
    EXPECT_EQ(mode(file), 0600u) << file;
  }
  EXPECT_TRUE(contains(readFile(paths.root_key), "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  EXPECT_TRUE(contains(readFile(paths.hub_key), "-----BEGIN ENCRYPTED PRIVATE KEY-----"));

  // The running exchange never needs the root's key: take it offline first.
  const std::string offline = temp.path + "/root-ca.key.pem.offline";
  std::filesystem::rename(paths.root_key, offline);
  Result<HubIdentity> hub = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_TRUE(hub) << hub.status().toString();
  ASSERT_TRUE(hub->ca_key && hub->ca_certificate && hub->hub_signer && hub->status_signer &&
              hub->verification_signer);
  // The CA the exchange holds is the seal CA (role seal), issued by the root.
  EXPECT_EQ(commonName(hub->ca_certificate.get()), "Tongban Seal CA");
  Result<X509Ptr> root = parseCertificatePem(readFile(paths.root_certificate));
  ASSERT_TRUE(root);
  EXPECT_EQ(X509_check_issued(root->get(), hub->ca_certificate.get()), X509_V_OK);
  EXPECT_EQ(X509_check_ca(hub->ca_certificate.get()), 1);
  EXPECT_TRUE(hasKeyRole(hub->ca_certificate.get(), KeyRole::kSeal));
  EXPECT_FALSE(hasKeyRole(hub->ca_certificate.get(), KeyRole::kTransparencyLog));
  EXPECT_EQ(*algorithmOfKey(hub->ca_key.get()), SignatureAlgorithm::kEcdsaP256Sha256);
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(root->get()),
                           X509_get0_notAfter(root->get())),
            1);
  EXPECT_EQ(days, 7305);  // 20 years
  ASSERT_EQ(hub->chain_pem.size(), 2u);
  EXPECT_EQ(hub->chain_pem[0], readFile(paths.seal_ca_certificate));
  EXPECT_EQ(hub->chain_pem[1], readFile(paths.root_certificate));
  // Each role key signs only in its role.
  const std::string root_pem = readFile(paths.root_certificate);
  const std::time_t at = std::time(nullptr);
  EXPECT_TRUE(verifyChainPem(hub->hub_signer->certificatePem(), "", root_pem, at,
                             KeyRole::kTransparencyLog));
  EXPECT_EQ(verifyChainPem(hub->hub_signer->certificatePem(), "", root_pem, at, KeyRole::kStatus)
                .reason(),
            VerifyReason::kNotAuthorized);
  EXPECT_TRUE(
      verifyChainPem(hub->status_signer->certificatePem(), "", root_pem, at, KeyRole::kStatus));
  EXPECT_TRUE(verifyChainPem(readFile(paths.audit_certificate), "", root_pem, at,
                             KeyRole::kAuditCheckpoint));
  EXPECT_EQ(
      verifyChainPem(readFile(paths.audit_certificate), "", root_pem, at, KeyRole::kTransparencyLog)
          .reason(),
      VerifyReason::kNotAuthorized);
  EXPECT_TRUE(verifyChainPem(hub->verification_signer->certificatePem(), "", root_pem, at,
                             KeyRole::kVerificationReceipt));
  EXPECT_EQ(
      verifyChainPem(hub->verification_signer->certificatePem(), "", root_pem, at, KeyRole::kStatus)
          .reason(),
      VerifyReason::kNotAuthorized);
  EXPECT_EQ(verifyChainPem(hub->status_signer->certificatePem(), "", root_pem, at,
                           KeyRole::kVerificationReceipt)
                .reason(),
            VerifyReason::kNotAuthorized);
  std::filesystem::rename(offline, paths.root_key);

  // The hub signer: ECDSA P-256, its certificate is hub.pem, issued by the root.
  EXPECT_EQ(hub->hub_signer->algorithm(), SignatureAlgorithm::kEcdsaP256Sha256);
  EXPECT_EQ(hub->hub_signer->certificatePem(), readFile(paths.hub_certificate));
  Result<X509Ptr> hub_certificate = parseCertificatePem(hub->hub_signer->certificatePem());
  ASSERT_TRUE(hub_certificate);
  EXPECT_EQ(commonName(hub_certificate->get()), "Tongban Hub Signer");
  EXPECT_TRUE(verifyChainPem(hub->hub_signer->certificatePem(), "", root_pem, std::time(nullptr)));
  Result<std::string> signature = hub->hub_signer->sign("signed tree head");
  ASSERT_TRUE(signature);
  EXPECT_TRUE(verifySignature(hub->hub_signer->certificatePem(), hub->hub_signer->algorithm(),
                              "signed tree head", *signature));

  // The loaded CA issues seal certificates that chain to root.pem.
  Result<EvpPkeyPtr> seal_key = generateKey(SignatureAlgorithm::kSm2Sm3);
  ASSERT_TRUE(seal_key);
  const std::time_t now = std::time(nullptr);
  Result<X509Ptr> seal =
      issueCertificate(hub->ca_key.get(), hub->ca_certificate.get(), seal_key->get(),
                       {"证照专用章", "北京市市场监督管理局", "", "CN", ""}, {now, now + 86400},
                       CertificateKind::kSeal, KeyRole::kSeal);
  ASSERT_TRUE(seal) << seal.status().toString();
  EXPECT_TRUE(verifyChainPem(*certificatePem(seal->get()), hub->chain_pem[0], root_pem, now,
                             KeyRole::kSeal));
  // A log key issued by the seal CA is refused: the seal CA may issue only seal keys.
  Result<X509Ptr> rogue =
      issueCertificate(hub->ca_key.get(), hub->ca_certificate.get(), seal_key->get(),
                       {"rogue log", "", "", "CN", ""}, {now, now + 86400}, CertificateKind::kSeal,
                       KeyRole::kTransparencyLog);
  ASSERT_TRUE(rogue);
  EXPECT_EQ(verifyChainPem(*certificatePem(rogue->get()), hub->chain_pem[0], root_pem, now,
                           KeyRole::kTransparencyLog)
                .reason(),
            VerifyReason::kNotAuthorized);

  // The key store opens with the same passphrase and holds both keys.
  Result<std::unique_ptr<PemKeyStore>> store = openHubKeyStore(temp.pki, kPassphrase);
  ASSERT_TRUE(store) << store.status().toString();
  EXPECT_TRUE((*store)->loadPrivateKey(kRootCaKeyId));
  EXPECT_EQ(*(*store)->publicKeyPem(kHubSignerKeyId), hub->hub_signer->publicKeyPem());
}

TEST(HubPki, OpensslVerifiesTheHubCertificateAndOpensTheKeys) {
  TempDir temp;
  ASSERT_TRUE(initHubPki(temp.pki, kPassphrase));
  const HubPkiPaths paths = hubPkiPaths(temp.pki);
  auto verify =
      runCommand("openssl verify -CAfile " + paths.root_certificate + " " + paths.hub_certificate);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_TRUE(contains(verify.output, "hub.pem: OK")) << verify.output;
  auto key =
      runCommand("openssl pkey -in " + paths.hub_key + " -passin pass:" + kPassphrase + " -pubout");
  EXPECT_EQ(key.exit_code, 0) << key.output;
  EXPECT_TRUE(contains(key.output, "-----BEGIN PUBLIC KEY-----"));
  auto wrong = runCommand("openssl pkey -in " + paths.root_key + " -passin pass:wrong -noout");
  EXPECT_NE(wrong.exit_code, 0) << wrong.output;
}

TEST(HubPki, CustomNamesAndSm2Root) {
  TempDir temp;
  HubPkiOptions options;
  options.root_algorithm = SignatureAlgorithm::kSm2Sm3;
  options.root_subject = {"Fujian Government Root CA", "Fujian", "", "CN", ""};
  options.hub_signer_subject = {"Fujian Hub Signer", "Fujian", "", "CN", ""};
  ASSERT_TRUE(initHubPki(temp.pki, kPassphrase, options));
  Result<HubIdentity> hub = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_TRUE(hub) << hub.status().toString();
  Result<X509Ptr> root = parseCertificatePem(hub->chain_pem[1]);
  ASSERT_TRUE(root);
  EXPECT_EQ(X509_get_signature_nid(root->get()), NID_SM2_with_SM3);
  EXPECT_EQ(commonName(root->get()), "Fujian Government Root CA");
  EXPECT_EQ(hub->hub_signer->algorithm(), SignatureAlgorithm::kEcdsaP256Sha256);

  // The SM2 finding of pki.h: `openssl verify` needs the GM/T 0009 ID for an SM2-signed chain.
  const HubPkiPaths paths = hubPkiPaths(temp.pki);
  auto with_id = runCommand("openssl verify -vfyopt distid:1234567812345678 -CAfile " +
                            paths.root_certificate + " " + paths.hub_certificate);
  EXPECT_EQ(with_id.exit_code, 0) << with_id.output;
  auto plain =
      runCommand("openssl verify -CAfile " + paths.root_certificate + " " + paths.hub_certificate);
  EXPECT_NE(plain.exit_code, 0) << plain.output;
}

TEST(HubPki, SecondInitIsRefusedAndChangesNothing) {
  TempDir temp;
  ASSERT_TRUE(initHubPki(temp.pki, kPassphrase));
  const HubPkiPaths paths = hubPkiPaths(temp.pki);
  const std::string root = readFile(paths.root_certificate);
  const std::string root_key = readFile(paths.root_key);
  const std::string hub_key = readFile(paths.hub_key);

  Status again = initHubPki(temp.pki, kPassphrase);
  EXPECT_EQ(again.code(), ErrorCode::kConflict) << again.toString();
  EXPECT_EQ(again.field(), "pki.dir");
  Status other_passphrase = initHubPki(temp.pki, "another passphrase");
  EXPECT_EQ(other_passphrase.code(), ErrorCode::kConflict);
  EXPECT_EQ(readFile(paths.root_certificate), root);
  EXPECT_EQ(readFile(paths.root_key), root_key);
  EXPECT_EQ(readFile(paths.hub_key), hub_key);
  EXPECT_TRUE(loadHubIdentity(temp.pki, kPassphrase));

  // A half-made directory (only a key left) is refused too: keys are never overwritten.
  TempDir partial;
  std::filesystem::create_directories(partial.pki + "/keys");
  std::filesystem::permissions(partial.pki, std::filesystem::perms::owner_all);
  std::ofstream(hubPkiPaths(partial.pki).hub_key) << "not really a key";
  EXPECT_EQ(initHubPki(partial.pki, kPassphrase).code(), ErrorCode::kConflict);
  EXPECT_EQ(readFile(hubPkiPaths(partial.pki).hub_key), "not really a key");
}

TEST(HubPki, BadArgumentsAreRefused) {
  TempDir temp;
  Status empty_passphrase = initHubPki(temp.pki, "");
  EXPECT_EQ(empty_passphrase.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(empty_passphrase.field(), "pki.passphrase");
  EXPECT_FALSE(std::filesystem::exists(temp.pki));

  Status empty_dir = initHubPki("", kPassphrase);
  EXPECT_EQ(empty_dir.field(), "pki.dir");

  Status no_parent = initHubPki(temp.path + "/no/such/parent", kPassphrase);
  EXPECT_EQ(no_parent.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_parent.field(), "pki.dir");

  // An existing directory that other users can read is not taken over.
  std::filesystem::create_directory(temp.pki);
  std::filesystem::permissions(
      temp.pki, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                    std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                    std::filesystem::perms::others_exec);
  Status open_dir = initHubPki(temp.pki, kPassphrase);
  EXPECT_EQ(open_dir.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(open_dir.message(), "chmod 700")) << open_dir.message();
  EXPECT_TRUE(std::filesystem::is_empty(temp.pki));
  // Once private, the same (empty) directory is fine.
  std::filesystem::permissions(temp.pki, std::filesystem::perms::owner_all);
  EXPECT_TRUE(initHubPki(temp.pki, kPassphrase));

  HubPkiOptions options;
  options.hub_signer_validity_days = options.root_validity_days + 1;
  EXPECT_EQ(initHubPki(temp.path + "/other", kPassphrase, options).field(),
            "hub_signer_validity_days");
  EXPECT_FALSE(std::filesystem::exists(temp.path + "/other"));
}

TEST(HubPki, WrongPassphraseIsPermissionDenied) {
  TempDir temp;
  ASSERT_TRUE(initHubPki(temp.pki, kPassphrase));
  Result<HubIdentity> hub = loadHubIdentity(temp.pki, "not the passphrase");
  ASSERT_FALSE(hub);
  EXPECT_EQ(hub.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(hub.status().field(), "pki.passphrase");
  EXPECT_TRUE(contains(hub.status().message(), "hub-signer.key.pem")) << hub.status().message();

  Result<std::unique_ptr<PemKeyStore>> store = openHubKeyStore(temp.pki, "not the passphrase");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(store.status().field(), "pki.passphrase");

  Result<HubIdentity> empty = loadHubIdentity(temp.pki, "");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(empty.status().field(), "pki.passphrase");
}

TEST(HubPki, MissingDirectoryAndFilesAreNamed) {
  TempDir temp;
  Result<HubIdentity> no_dir = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_FALSE(no_dir);
  EXPECT_EQ(no_dir.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_dir.status().field(), "pki.dir");
  EXPECT_TRUE(contains(no_dir.status().message(), temp.pki)) << no_dir.status().message();
  EXPECT_TRUE(contains(no_dir.status().message(), "pki init")) << no_dir.status().message();
  EXPECT_FALSE(openHubKeyStore(temp.pki, kPassphrase));
  EXPECT_FALSE(std::filesystem::exists(temp.pki)) << "loading must not create the directory";

  ASSERT_TRUE(initHubPki(temp.pki, kPassphrase));
  const HubPkiPaths paths = hubPkiPaths(temp.pki);
  for (const std::string& file :
       {paths.root_certificate, paths.hub_certificate, paths.seal_ca_certificate,
        paths.status_certificate, paths.hub_key, paths.seal_ca_key, paths.status_key}) {
    const std::string saved = file + ".saved";
    std::filesystem::rename(file, saved);
    Result<HubIdentity> hub = loadHubIdentity(temp.pki, kPassphrase);
    ASSERT_FALSE(hub) << file;
    EXPECT_EQ(hub.status().code(), ErrorCode::kInvalidArgument) << file;
    EXPECT_EQ(hub.status().field(), "pki.dir") << file;
    EXPECT_TRUE(contains(hub.status().message(), file)) << hub.status().message();
    std::filesystem::rename(saved, file);
  }
  EXPECT_TRUE(loadHubIdentity(temp.pki, kPassphrase));

  // A corrupt certificate, and a hub certificate from another PKI, are named too.
  const std::string hub_pem = readFile(paths.hub_certificate);
  std::ofstream(paths.hub_certificate, std::ios::trunc) << "garbage";
  Result<HubIdentity> garbage = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.status().field(), "pki.dir");
  EXPECT_TRUE(contains(garbage.status().message(), "hub.pem")) << garbage.status().message();

  TempDir other;
  ASSERT_TRUE(initHubPki(other.pki, kPassphrase));
  std::filesystem::copy_file(hubPkiPaths(other.pki).hub_certificate, paths.hub_certificate,
                             std::filesystem::copy_options::overwrite_existing);
  Result<HubIdentity> swapped = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.status().field(), "pki.dir");
  EXPECT_TRUE(contains(swapped.status().message(), "hub.pem")) << swapped.status().message();
}

// A PKI made before the verification-receipt role has neither of its files: it loads without a
// receipt signer. Only one of the two is a damaged directory, named.
TEST(HubPki, VerificationKeyOptionalButNeverHalf) {
  TempDir temp;
  ASSERT_TRUE(initHubPki(temp.pki, kPassphrase));
  const HubPkiPaths paths = hubPkiPaths(temp.pki);
  const std::string saved = temp.path + "/verification.key.saved";
  std::filesystem::rename(paths.verification_key, saved);
  Result<HubIdentity> half = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_FALSE(half);
  EXPECT_EQ(half.status().field(), "pki.dir");
  EXPECT_TRUE(contains(half.status().message(), "verification-signer.key.pem"))
      << half.status().message();
  std::filesystem::remove(paths.verification_certificate);
  Result<HubIdentity> old = loadHubIdentity(temp.pki, kPassphrase);
  ASSERT_TRUE(old) << old.status().toString();
  EXPECT_EQ(old->verification_signer, nullptr);
  EXPECT_NE(old->status_signer, nullptr);
}

}  // namespace
}  // namespace tongban::certs
