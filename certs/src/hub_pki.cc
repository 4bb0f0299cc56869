// The hub's PKI directory: creation (root CA + hub signer) and loading it back.
#include "tongban/certs/hub_pki.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

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

// Writes `contents` to a new file `path` (mode 0600, fsynced); Conflict when it already exists.
Status writeNewFile(const std::string& path, const std::string& contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(ErrorCode::kConflict, path + " already exists; it is never overwritten",
                    "pki.dir");
    }
    return Status::unavailable("cannot create " + path + ": " + std::strerror(errno));
  }
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Status::unavailable("cannot write " + path + ": " + std::strerror(saved));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(path.c_str());
    return Status::unavailable("cannot flush " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid("pki.dir", "cannot read " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
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
  for (const std::string* file :
       {&paths.root_certificate, &paths.hub_certificate, &paths.root_key, &paths.hub_key}) {
    if (!exists(*file)) {
      return Status::invalid("pki.dir", "PKI file " + *file + " is missing");
    }
  }
  return Status::ok();
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
  paths.key_dir = dir + "/keys";
  paths.root_key = paths.key_dir + "/" + kRootCaKeyId + ".key.pem";
  paths.hub_key = paths.key_dir + "/" + kHubSignerKeyId + ".key.pem";
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
  for (const std::string* file :
       {&paths.root_certificate, &paths.hub_certificate, &paths.root_key, &paths.hub_key}) {
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

  // Hub signer, issued by the root.
  Result<EvpPkeyPtr> hub_key = generateKey(SignatureAlgorithm::kEcdsaP256Sha256);
  if (!hub_key) return hub_key.status();
  if (Status s = (*store)->importKey(kHubSignerKeyId, hub_key->get()); !s) {
    return s.code() == ErrorCode::kConflict
               ? Status(ErrorCode::kConflict, paths.hub_key + " already exists", "pki.dir")
               : s;
  }
  rollback.file(paths.hub_key);
  Result<X509Ptr> hub = issueCertificate(
      root_key->get(), root->get(), hub_key->get(), options.hub_signer_subject,
      {start, start + kDay * static_cast<int64_t>(options.hub_signer_validity_days)},
      CertificateKind::kSeal);
  if (!hub) return hub.status();
  Result<std::string> hub_pem = certificatePem(hub->get());
  if (!hub_pem) return hub_pem.status();

  // Certificates last, root.pem the very last: a directory with root.pem is complete.
  if (Status s = writeNewFile(paths.hub_certificate, *hub_pem); !s) return s;
  rollback.file(paths.hub_certificate);
  if (Status s = writeNewFile(paths.root_certificate, *root_pem); !s) return s;
  rollback.commit();
  return Status::ok();
}

Result<HubIdentity> loadHubIdentity(const std::string& dir, std::string_view passphrase) {
  if (Status s = checkDirAndPassphrase(dir, passphrase); !s) return s;
  const HubPkiPaths paths = hubPkiPaths(dir);
  if (Status s = checkLayout(paths); !s) return s;
  Result<X509Ptr> root = readCertificate(paths.root_certificate);
  if (!root) return root.status();
  Result<X509Ptr> hub = readCertificate(paths.hub_certificate);
  if (!hub) return hub.status();

  Result<std::unique_ptr<PemKeyStore>> store =
      PemKeyStore::open(paths.key_dir, std::string(passphrase));
  if (!store) return store.status();
  Result<EvpPkeyPtr> root_key = (*store)->loadPrivateKey(kRootCaKeyId);
  if (!root_key) return keyError(root_key.status(), paths.root_key);
  Result<EvpPkeyPtr> hub_key = (*store)->loadPrivateKey(kHubSignerKeyId);
  if (!hub_key) return keyError(hub_key.status(), paths.hub_key);
  if (Status s = checkPair(root->get(), root_key->get(), paths.root_certificate, paths.root_key);
      !s) {
    return s;
  }
  if (Status s = checkPair(hub->get(), hub_key->get(), paths.hub_certificate, paths.hub_key); !s) {
    return s;
  }
  std::vector<X509Ptr> roots;
  roots.push_back(shareCertificate(root->get()));
  if (Verification v = verifyChain(hub->get(), {}, roots, std::time(nullptr)); !v) {
    return Status::invalid("pki.dir", paths.hub_certificate + " does not chain to " +
                                          paths.root_certificate + " now (" +
                                          verifyReasonName(v.reason()) + "): " + v.message());
  }

  Result<std::string> root_pem = certificatePem(root->get());
  if (!root_pem) return root_pem.status();
  Result<std::string> hub_pem = certificatePem(hub->get());
  if (!hub_pem) return hub_pem.status();
  Result<SignatureAlgorithm> hub_algorithm = algorithmOfKey(hub_key->get());
  if (!hub_algorithm)
    return Status::invalid("pki.dir", paths.hub_key + ": " + hub_algorithm.status().message());
  Result<std::unique_ptr<Signer>> signer =
      makeSoftwareSigner(std::move(*hub_key), *hub_algorithm, std::move(*hub_pem));
  if (!signer) return signer.status();

  HubIdentity identity;
  identity.ca_key = std::move(*root_key);
  identity.ca_certificate = std::move(*root);
  identity.chain_pem = {std::move(*root_pem)};
  identity.hub_signer = std::shared_ptr<const Signer>(std::move(*signer));
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
