// The hub's PKI directory: creation (offline root, seal CA, log/status/audit signers) and loading
// it back without the root's key.
#include "tongban/certs/hub_pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include <openssl/x509v3.h>

#include "files.h"
#include "openssl_util.h"
#include "tongban/certs/keys.h"

namespace tongban::certs {
namespace {

constexpr int64_t kDay = 86400;
constexpr std::time_t kBackdate = 3600;  // clock skew between nodes

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

Result<std::string> readFile(const std::string& path) {
  std::optional<std::string> contents = internal::readWholeFile(path);
  if (!contents) return Status::invalid("pki.dir", "cannot read " + path);
  return std::move(*contents);
}

// A new file of the PKI directory; existing ones are never overwritten.
Status writeNewFile(const std::string& path, const std::string& contents) {
  return internal::writeNewFile(path, contents, "pki.dir", "; it is never overwritten");
}

Status checkDirAndPassphrase(const std::string& dir, std::string_view passphrase) {
  if (dir.empty()) {
    return Status::invalid("pki.dir", "no PKI directory: give --dir or set pki.dir");
  }
  if (passphrase.empty()) {
    return Status::invalid("pki.passphrase", "the PKI passphrase is empty; set pki.passphrase");
  }
  return Status::ok();
}

// Every file loadHubIdentity needs must be there; InvalidArgument "pki.dir" naming the first
// one that is not.
Status checkLayout(const HubPkiPaths& paths) {
  struct stat info {};
  if (::stat(paths.dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::invalid("pki.dir", "PKI directory " + paths.dir +
                                          " does not exist; create it with `tongban-admin pki "
                                          "init`");
  }
  if (!exists(paths.seal_ca_certificate) && exists(paths.root_certificate)) {
    return Status::invalid("pki.dir", "PKI file " + paths.seal_ca_certificate +
                                          " is missing: the directory predates key roles; "
                                          "create a new PKI with `tongban-admin pki init`");
  }
  for (const std::string* file :
       {&paths.root_certificate, &paths.hub_certificate, &paths.seal_ca_certificate,
        &paths.status_certificate, &paths.hub_key, &paths.seal_ca_key, &paths.status_key}) {
    if (!exists(*file)) {
      return Status::invalid("pki.dir", "PKI file " + *file + " is missing");
    }
  }
  return Status::ok();
}

// Every file initHubPki writes.
std::vector<const std::string*> allFiles(const HubPkiPaths& paths) {
  return {&paths.root_certificate,   &paths.hub_certificate,   &paths.seal_ca_certificate,
          &paths.status_certificate, &paths.audit_certificate, &paths.verification_certificate,
          &paths.root_key,           &paths.hub_key,           &paths.seal_ca_key,
          &paths.status_key,         &paths.audit_key,         &paths.verification_key};
}

// A key store failure while reading `key_path`, in the PKI's terms.
Status keyError(const Status& status, const std::string& key_path) {
  if (status.code() == ErrorCode::kPermissionDenied) {
    return Status(ErrorCode::kPermissionDenied,
                  "cannot decrypt " + key_path + ": wrong passphrase (or a corrupt key file)",
                  "pki.passphrase");
  }
  if (status.code() == ErrorCode::kInvalidArgument || status.code() == ErrorCode::kNotFound) {
    return Status::invalid("pki.dir", key_path + ": " + status.message());
  }
  return status;
}

Result<X509Ptr> readCertificate(const std::string& path) {
  Result<std::string> pem = readFile(path);
  if (!pem) return pem.status();
  Result<X509Ptr> certificate = parseCertificatePem(*pem);
  if (!certificate) {
    return Status::invalid("pki.dir", path + " is not a PEM certificate");
  }
  return certificate;
}

Status checkPair(X509* certificate, EVP_PKEY* key, const std::string& certificate_path,
                 const std::string& key_path) {
  if (X509_check_private_key(certificate, key) != 1) {
    internal::drainErrors();
    return Status::invalid("pki.dir", certificate_path + " is not the certificate of " + key_path);
  }
  return Status::ok();
}

// Files and directories initHubPki made; removed again unless committed.
class Rollback {
 public:
  ~Rollback() {
    if (committed_) return;
    for (auto it = files_.rbegin(); it != files_.rend(); ++it) ::unlink(it->c_str());
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) ::rmdir(it->c_str());
  }
  void file(std::string path) { files_.push_back(std::move(path)); }
  void dir(std::string path) { dirs_.push_back(std::move(path)); }
  void commit() { committed_ = true; }

 private:
  std::vector<std::string> files_;
  std::vector<std::string> dirs_;
  bool committed_ = false;
};

}  // namespace

HubPkiPaths hubPkiPaths(const std::string& dir) {
  HubPkiPaths paths;
  paths.dir = dir;
  paths.root_certificate = dir + "/root.pem";
  paths.hub_certificate = dir + "/hub.pem";
  paths.seal_ca_certificate = dir + "/seal-ca.pem";
  paths.status_certificate = dir + "/status.pem";
  paths.audit_certificate = dir + "/audit.pem";
  paths.verification_certificate = dir + "/verification.pem";
  paths.key_dir = dir + "/keys";
  paths.root_key = paths.key_dir + "/" + kRootCaKeyId + ".key.pem";
  paths.hub_key = paths.key_dir + "/" + kHubSignerKeyId + ".key.pem";
  paths.seal_ca_key = paths.key_dir + "/" + kSealCaKeyId + ".key.pem";
  paths.status_key = paths.key_dir + "/" + kStatusSignerKeyId + ".key.pem";
  paths.audit_key = paths.key_dir + "/" + kAuditCheckpointKeyId + ".key.pem";
  paths.verification_key = paths.key_dir + "/" + kVerificationSignerKeyId + ".key.pem";
  return paths;
}

Status initHubPki(const std::string& dir, std::string_view passphrase,
                  const HubPkiOptions& options) {
  if (Status s = checkDirAndPassphrase(dir, passphrase); !s) return s;
  if (options.root_validity_days < 1 || options.root_validity_days > 36500) {
    return Status::invalid("root_validity_days", "must be 1..36500");
  }
  if (options.hub_signer_validity_days < 1 ||
      options.hub_signer_validity_days > options.root_validity_days) {
    return Status::invalid("hub_signer_validity_days", "must be 1..root_validity_days");
  }
  if (options.root_subject.common_name.empty()) {
    return Status::invalid("root_subject", "the root CA needs a common name");
  }
  if (options.hub_signer_subject.common_name.empty()) {
    return Status::invalid("hub_signer_subject", "the hub signer needs a common name");
  }
  if (options.seal_ca_subject.common_name.empty() ||
      options.status_signer_subject.common_name.empty() ||
      options.audit_signer_subject.common_name.empty() ||
      options.verification_signer_subject.common_name.empty()) {
    return Status::invalid("subject", "every role key needs a common name");
  }
  const HubPkiPaths paths = hubPkiPaths(dir);
  Rollback rollback;

  // The directory: made here (0700), or an existing private one.
  if (::mkdir(dir.c_str(), 0700) == 0) {
    rollback.dir(dir);
  } else if (errno == ENOENT) {
    return Status::invalid("pki.dir", "the parent directory of " + dir + " does not exist");
  } else if (errno != EEXIST) {
    return Status::unavailable("cannot create " + dir + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::invalid("pki.dir", dir + " is not a directory");
  }
  for (const std::string* file : allFiles(paths)) {
    if (exists(*file)) {
      return Status(ErrorCode::kConflict,
                    dir + " already holds a PKI (" + *file + " exists); it is never overwritten",
                    "pki.dir");
    }
  }
  if ((info.st_mode & 077) != 0) {
    return Status::invalid("pki.dir", dir +
                                          " is accessible to other users; `chmod 700` it or "
                                          "choose a new directory");
  }
  const bool key_dir_existed = exists(paths.key_dir);
  Result<std::unique_ptr<PemKeyStore>> store =
      PemKeyStore::open(paths.key_dir, std::string(passphrase));
  if (!store) return store.status();
  if (!key_dir_existed) rollback.dir(paths.key_dir);

  const std::time_t start = std::time(nullptr) - kBackdate;

  // Root CA.
  Result<EvpPkeyPtr> root_key = generateKey(options.root_algorithm);
  if (!root_key) return root_key.status();
  if (Status s = (*store)->importKey(kRootCaKeyId, root_key->get()); !s) {
    return s.code() == ErrorCode::kConflict
               ? Status(ErrorCode::kConflict, paths.root_key + " already exists", "pki.dir")
               : s;
  }
  rollback.file(paths.root_key);
  Result<X509Ptr> root = createRootCertificate(
      root_key->get(), options.root_subject,
      {start, start + kDay * static_cast<int64_t>(options.root_validity_days)});
  if (!root) return root.status();
  Result<std::string> root_pem = certificatePem(root->get());
  if (!root_pem) return root_pem.status();

  // The role keys, each issued by the root with its key purpose.
  struct RoleKey {
    const char* key_id;
    const std::string* key_path;
    const std::string* certificate_path;
    const DistinguishedName* subject;
    CertificateKind kind;
    KeyRole role;
  };
  const RoleKey role_keys[] = {
      {kSealCaKeyId, &paths.seal_ca_key, &paths.seal_ca_certificate, &options.seal_ca_subject,
       CertificateKind::kIntermediateCa, KeyRole::kSeal},
      {kHubSignerKeyId, &paths.hub_key, &paths.hub_certificate, &options.hub_signer_subject,
       CertificateKind::kSeal, KeyRole::kTransparencyLog},
      {kStatusSignerKeyId, &paths.status_key, &paths.status_certificate,
       &options.status_signer_subject, CertificateKind::kSeal, KeyRole::kStatus},
      {kAuditCheckpointKeyId, &paths.audit_key, &paths.audit_certificate,
       &options.audit_signer_subject, CertificateKind::kSeal, KeyRole::kAuditCheckpoint},
      {kVerificationSignerKeyId, &paths.verification_key, &paths.verification_certificate,
       &options.verification_signer_subject, CertificateKind::kSeal, KeyRole::kVerificationReceipt},
  };
  std::vector<std::pair<const std::string*, std::string>> certificates;
  for (const RoleKey& r : role_keys) {
    Result<EvpPkeyPtr> key = generateKey(SignatureAlgorithm::kEcdsaP256Sha256);
    if (!key) return key.status();
    if (Status s = (*store)->importKey(r.key_id, key->get()); !s) {
      return s.code() == ErrorCode::kConflict
                 ? Status(ErrorCode::kConflict, *r.key_path + " already exists", "pki.dir")
                 : s;
    }
    rollback.file(*r.key_path);
    Result<X509Ptr> certificate = issueCertificate(
        root_key->get(), root->get(), key->get(), *r.subject,
        {start, start + kDay * static_cast<int64_t>(options.hub_signer_validity_days)}, r.kind,
        r.role);
    if (!certificate) return certificate.status();
    Result<std::string> pem = certificatePem(certificate->get());
    if (!pem) return pem.status();
    certificates.emplace_back(r.certificate_path, std::move(*pem));
  }

  // Certificates last, root.pem the very last: a directory with root.pem is complete.
  for (const auto& [path, pem] : certificates) {
    if (Status s = writeNewFile(*path, pem); !s) return s;
    rollback.file(*path);
  }
  if (Status s = writeNewFile(paths.root_certificate, *root_pem); !s) return s;
  rollback.commit();
  return Status::ok();
}

namespace {

// A role key and its certificate from the PKI directory, checked to belong together and to chain
// to `root` now with `role` (through the seal CA when given).
Result<std::pair<EvpPkeyPtr, X509Ptr>> loadRoleKey(PemKeyStore& store, const char* key_id,
                                                   const std::string& key_path,
                                                   const std::string& certificate_path,
                                                   const X509Ptr& root, KeyRole role) {
  Result<X509Ptr> certificate = readCertificate(certificate_path);
  if (!certificate) return certificate.status();
  Result<EvpPkeyPtr> key = store.loadPrivateKey(key_id);
  if (!key) return keyError(key.status(), key_path);
  if (Status s = checkPair(certificate->get(), key->get(), certificate_path, key_path); !s) {
    return s;
  }
  const bool is_ca = X509_check_ca(certificate->get()) != 0;
  std::vector<X509Ptr> roots;
  roots.push_back(shareCertificate(root.get()));
  Verification v = is_ca ? verifyChain(certificate->get(), {}, roots, std::time(nullptr))
                         : verifyChain(certificate->get(), {}, roots, std::time(nullptr), role);
  if (!v && !(is_ca && v.reason() == VerifyReason::kNotAuthorized)) {
    return Status::invalid("pki.dir", certificate_path + " does not chain to the root now (" +
                                          verifyReasonName(v.reason()) + "): " + v.message());
  }
  if (!hasKeyRole(certificate->get(), role)) {
    return Status::invalid(
        "pki.dir", certificate_path + " is not a " + std::string(keyRoleName(role)) + " key");
  }
  return std::make_pair(std::move(*key), std::move(*certificate));
}

}  // namespace

Result<HubIdentity> loadHubIdentity(const std::string& dir, std::string_view passphrase) {
  if (Status s = checkDirAndPassphrase(dir, passphrase); !s) return s;
  const HubPkiPaths paths = hubPkiPaths(dir);
  if (Status s = checkLayout(paths); !s) return s;
  Result<X509Ptr> root = readCertificate(paths.root_certificate);
  if (!root) return root.status();
  Result<std::unique_ptr<PemKeyStore>> store =
      PemKeyStore::open(paths.key_dir, std::string(passphrase));
  if (!store) return store.status();

  // Never the root's key: only the role keys.
  auto log = loadRoleKey(**store, kHubSignerKeyId, paths.hub_key, paths.hub_certificate, *root,
                         KeyRole::kTransparencyLog);
  if (!log) return log.status();
  auto seal_ca = loadRoleKey(**store, kSealCaKeyId, paths.seal_ca_key, paths.seal_ca_certificate,
                             *root, KeyRole::kSeal);
  if (!seal_ca) return seal_ca.status();
  auto status = loadRoleKey(**store, kStatusSignerKeyId, paths.status_key, paths.status_certificate,
                            *root, KeyRole::kStatus);
  if (!status) return status.status();
  // The receipt key came with its role: a directory made before has neither file, and runs
  // without receipts. One of the two alone is a damaged directory.
  std::optional<std::pair<EvpPkeyPtr, X509Ptr>> verification;
  const bool has_verification_certificate = exists(paths.verification_certificate);
  if (has_verification_certificate != exists(paths.verification_key)) {
    return Status::invalid("pki.dir",
                           "PKI file " +
                               (has_verification_certificate ? paths.verification_key
                                                             : paths.verification_certificate) +
                               " is missing");
  }
  if (has_verification_certificate) {
    auto loaded = loadRoleKey(**store, kVerificationSignerKeyId, paths.verification_key,
                              paths.verification_certificate, *root, KeyRole::kVerificationReceipt);
    if (!loaded) return loaded.status();
    verification = std::move(*loaded);
  }

  auto makeSigner = [](EvpPkeyPtr key, X509* certificate,
                       const std::string& key_path) -> Result<std::shared_ptr<const Signer>> {
    Result<std::string> pem = certificatePem(certificate);
    if (!pem) return pem.status();
    Result<SignatureAlgorithm> algorithm = algorithmOfKey(key.get());
    if (!algorithm)
      return Status::invalid("pki.dir", key_path + ": " + algorithm.status().message());
    Result<std::unique_ptr<Signer>> signer =
        makeSoftwareSigner(std::move(key), *algorithm, std::move(*pem));
    if (!signer) return signer.status();
    return std::shared_ptr<const Signer>(std::move(*signer));
  };
  auto log_signer = makeSigner(std::move(log->first), log->second.get(), paths.hub_key);
  if (!log_signer) return log_signer.status();
  auto status_signer = makeSigner(std::move(status->first), status->second.get(), paths.status_key);
  if (!status_signer) return status_signer.status();
  std::shared_ptr<const Signer> verification_signer;
  if (verification) {
    auto made = makeSigner(std::move(verification->first), verification->second.get(),
                           paths.verification_key);
    if (!made) return made.status();
    verification_signer = std::move(*made);
  }

  Result<std::string> root_pem = certificatePem(root->get());
  if (!root_pem) return root_pem.status();
  Result<std::string> seal_ca_pem = certificatePem(seal_ca->second.get());
  if (!seal_ca_pem) return seal_ca_pem.status();

  HubIdentity identity;
  identity.ca_key = std::move(seal_ca->first);
  identity.ca_certificate = std::move(seal_ca->second);
  identity.chain_pem = {std::move(*seal_ca_pem), std::move(*root_pem)};
  identity.hub_signer = std::move(*log_signer);
  identity.status_signer = std::move(*status_signer);
  identity.verification_signer = std::move(verification_signer);
  return identity;
}

Result<std::unique_ptr<PemKeyStore>> openHubKeyStore(const std::string& dir,
                                                     std::string_view passphrase) {
  if (Status s = checkDirAndPassphrase(dir, passphrase); !s) return s;
  const HubPkiPaths paths = hubPkiPaths(dir);
  if (Status s = checkLayout(paths); !s) return s;
  Result<std::unique_ptr<PemKeyStore>> store =
      PemKeyStore::open(paths.key_dir, std::string(passphrase));
  if (!store) return store.status();
  if (Result<EvpPkeyPtr> probe = (*store)->loadPrivateKey(kHubSignerKeyId); !probe) {
    return keyError(probe.status(), paths.hub_key);
  }
  return store;
}

}  // namespace tongban::certs
