// KeyStore: where signing keys live, by key id, and how a Signer for one is obtained.
//
// The interface is what seals and the CA depend on; PemKeyStore is the software implementation
// (a directory of encrypted PKCS#8 PEM files, one passphrase from configuration for the store) and
// a hardware module can implement the same interface later. Key ids are short names
// ([A-Za-z0-9._-], 1..128 characters, not starting with '.'), so they can never escape the store.
//
// Files in a PemKeyStore directory:
//   <key_id>.key.pem   ENCRYPTED PRIVATE KEY (PKCS#8), mode 0600, written once, never replaced
//   <key_id>.crt.pem   the key's certificate (PEM), replaced when the certificate is renewed
#pragma once

#include <memory>
#include <string>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/signer.h"
#include "tongban/common/result.h"

namespace tongban::certs {

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Generates and stores a new key pair. Conflict when `key_id` already exists (keys rotate by
  // taking a new id, so old signatures stay verifiable); InvalidArgument for a bad id.
  virtual Status generateKey(const std::string& key_id, SignatureAlgorithm algorithm) = 0;

  // Stores or replaces the certificate of `key_id`. NotFound when there is no such key;
  // InvalidArgument when the certificate's public key is not this key's.
  virtual Status storeCertificate(const std::string& key_id,
                                  const std::string& certificate_pem) = 0;

  // PEM SubjectPublicKeyInfo of `key_id`. NotFound when absent.
  virtual Result<std::string> publicKeyPem(const std::string& key_id) const = 0;

  // A signer for `key_id` carrying its certificate (empty if none stored yet). NotFound when
  // absent; PermissionDenied when the key cannot be decrypted.
  virtual Result<std::unique_ptr<Signer>> signer(const std::string& key_id) const = 0;
};

// Software key store over a directory. All methods are thread-safe (each call works on files
// only; creation is atomic with O_EXCL, certificate replacement with rename).
class PemKeyStore final : public KeyStore {
 public:
  // Opens (creating it with mode 0700 if missing) `directory`. InvalidArgument (field
  // "passphrase") for an empty passphrase; Unavailable when the directory cannot be made.
  static Result<std::unique_ptr<PemKeyStore>> open(std::string directory, std::string passphrase);

  // KeyStore
  Status generateKey(const std::string& key_id, SignatureAlgorithm algorithm) override;
  Status storeCertificate(const std::string& key_id, const std::string& certificate_pem) override;
  Result<std::string> publicKeyPem(const std::string& key_id) const override;
  Result<std::unique_ptr<Signer>> signer(const std::string& key_id) const override;

  // Stores an existing private key under a new id (Conflict when the id exists).
  Status importKey(const std::string& key_id, const EVP_PKEY* private_key);

  // The decrypted private key itself. Only the software CA needs this (X509_sign takes an
  // EVP_PKEY); a hardware store would not offer it.
  Result<EvpPkeyPtr> loadPrivateKey(const std::string& key_id) const;

  std::string privateKeyPath(const std::string& key_id) const;
  std::string certificatePath(const std::string& key_id) const;

 private:
  PemKeyStore(std::string directory, std::string passphrase)
      : directory_(std::move(directory)), passphrase_(std::move(passphrase)) {}

  const std::string directory_;
  const std::string passphrase_;
};

// InvalidArgument (field "key_id") unless `key_id` is a valid key id.
Status validateKeyId(const std::string& key_id);

}  // namespace tongban::certs
