// PemKeyStore: encrypted PKCS#8 files in a directory.
#include "tongban/certs/key_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <openssl/pem.h>

#include "files.h"
#include "openssl_util.h"
#include "tongban/certs/keys.h"

namespace tongban::certs {
namespace {

Result<std::string> readFile(const std::string& path, const std::string& what) {
  std::optional<std::string> contents = internal::readWholeFile(path);
  if (!contents) return Status::notFound(what + " not found");
  return std::move(*contents);
}

}  // namespace

Status validateKeyId(const std::string& key_id) {
  if (key_id.empty() || key_id.size() > 128) {
    return Status::invalid("key_id", "key id must be 1..128 characters");
  }
  if (key_id.front() == '.') return Status::invalid("key_id", "key id must not start with '.'");
  for (char c : key_id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
    if (!allowed) return Status::invalid("key_id", "key id may hold only A-Z a-z 0-9 . _ -");
  }
  return Status::ok();
}

Result<std::unique_ptr<PemKeyStore>> PemKeyStore::open(std::string directory,
                                                       std::string passphrase) {
  if (passphrase.empty()) return Status::invalid("passphrase", "key store passphrase is empty");
  if (directory.empty()) return Status::invalid("directory", "key store directory is empty");
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::unavailable("cannot create key store " + directory + ": " +
                               std::strerror(errno));
  }
  struct stat info {};
  if (::stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::unavailable("key store " + directory + " is not a directory");
  }
  return std::unique_ptr<PemKeyStore>(new PemKeyStore(std::move(directory), std::move(passphrase)));
}

std::string PemKeyStore::privateKeyPath(const std::string& key_id) const {
  return directory_ + "/" + key_id + ".key.pem";
}

std::string PemKeyStore::certificatePath(const std::string& key_id) const {
  return directory_ + "/" + key_id + ".crt.pem";
}

Status PemKeyStore::generateKey(const std::string& key_id, SignatureAlgorithm algorithm) {
  if (Status status = validateKeyId(key_id); !status) return status;
  Result<EvpPkeyPtr> key = certs::generateKey(algorithm);
  if (!key) return key.status();
  return importKey(key_id, key->get());
}

Status PemKeyStore::importKey(const std::string& key_id, const EVP_PKEY* private_key) {
  if (Status status = validateKeyId(key_id); !status) return status;
  Result<SignatureAlgorithm> algorithm = algorithmOfKey(private_key);
  if (!algorithm) return algorithm.status();
  Result<std::string> pem = encryptPrivateKeyPem(private_key, passphrase_);
  if (!pem) return pem.status();
  return internal::writeNewFile(privateKeyPath(key_id), *pem, "key_id");
}

Result<EvpPkeyPtr> PemKeyStore::loadPrivateKey(const std::string& key_id) const {
  if (Status status = validateKeyId(key_id); !status) return status;
  Result<std::string> pem = readFile(privateKeyPath(key_id), "key '" + key_id + "'");
  if (!pem) return pem.status();
  return decryptPrivateKeyPem(*pem, passphrase_);
}

Status PemKeyStore::storeCertificate(const std::string& key_id,
                                     const std::string& certificate_pem) {
  Result<EvpPkeyPtr> key = loadPrivateKey(key_id);
  if (!key) return key.status();
  internal::BioPtr in = internal::memoryBio(certificate_pem);
  X509Ptr cert(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    return Status::invalid("certificate", "not a PEM certificate: " + internal::drainErrors());
  }
  if (X509_check_private_key(cert.get(), key->get()) != 1) {
    internal::drainErrors();
    return Status::invalid("certificate", "certificate is not for key '" + key_id + "'");
  }
  std::string final_path = certificatePath(key_id);
  static std::atomic<unsigned long> temp_counter{0};
  std::string temp_path = final_path + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(temp_counter.fetch_add(1));
  ::unlink(temp_path.c_str());
  if (Status status = internal::writeNewFile(temp_path, certificate_pem, "key_id"); !status)
    return status;
  if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    ::unlink(temp_path.c_str());
    return Status::unavailable("cannot replace " + final_path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Result<std::string> PemKeyStore::publicKeyPem(const std::string& key_id) const {
  Result<EvpPkeyPtr> key = loadPrivateKey(key_id);
  if (!key) return key.status();
  return certs::publicKeyPem(key->get());
}

Result<std::unique_ptr<Signer>> PemKeyStore::signer(const std::string& key_id) const {
  Result<EvpPkeyPtr> key = loadPrivateKey(key_id);
  if (!key) return key.status();
  Result<SignatureAlgorithm> algorithm = algorithmOfKey(key->get());
  if (!algorithm) return algorithm.status();
  std::string certificate;
  if (::access(certificatePath(key_id).c_str(), F_OK) == 0) {
    Result<std::string> pem = readFile(certificatePath(key_id), "certificate");
    if (!pem) return pem.status();
    certificate = std::move(*pem);
  }
  return makeSoftwareSigner(std::move(*key), *algorithm, std::move(certificate));
}

}  // namespace tongban::certs
