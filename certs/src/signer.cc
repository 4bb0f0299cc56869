// Software Signer over an in-memory EVP_PKEY.
#include "tongban/certs/signer.h"

#include <string>

#include "openssl_util.h"
#include "tongban/certs/keys.h"

namespace tongban::certs {
namespace {

class SoftwareSigner final : public Signer {
 public:
  SoftwareSigner(EvpPkeyPtr key, SignatureAlgorithm algorithm, std::string certificate_pem,
                 std::string public_key_pem)
      : key_(std::move(key)),
        algorithm_(algorithm),
        certificate_pem_(std::move(certificate_pem)),
        public_key_pem_(std::move(public_key_pem)) {}

  // Signer
  Result<std::string> sign(std::string_view data) const override {
    return signWithKey(key_.get(), algorithm_, data);
  }
  SignatureAlgorithm algorithm() const override { return algorithm_; }
  const std::string& certificatePem() const override { return certificate_pem_; }
  const std::string& publicKeyPem() const override { return public_key_pem_; }

 private:
  // EVP_PKEY is immutable once built; OpenSSL 3 allows concurrent signing with one key as long
  // as every call has its own EVP_MD_CTX, which signWithKey does.
  const EvpPkeyPtr key_;
  const SignatureAlgorithm algorithm_;
  const std::string certificate_pem_;
  const std::string public_key_pem_;
};

}  // namespace

Result<std::string> signWithKey(EVP_PKEY* private_key, SignatureAlgorithm algorithm,
                                std::string_view data) {
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return internal::opensslFailure("EVP_MD_CTX_new");
  if (Status status = internal::initDigestContext(ctx.get(), private_key, algorithm, true);
      !status) {
    return status;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1) {
    return internal::opensslFailure("EVP_DigestSign (size)");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes,
                     data.size()) != 1) {
    return internal::opensslFailure("EVP_DigestSign");
  }
  signature.resize(length);
  return signature;
}

Result<std::unique_ptr<Signer>> makeSoftwareSigner(EvpPkeyPtr private_key,
                                                   SignatureAlgorithm algorithm,
                                                   std::string certificate_pem) {
  Result<SignatureAlgorithm> actual = algorithmOfKey(private_key.get());
  if (!actual) return actual.status();
  if (*actual != algorithm) {
    return Status::invalid("algorithm", std::string("key is ") + algorithmName(*actual) + ", not " +
                                            algorithmName(algorithm));
  }
  Result<std::string> public_pem = publicKeyPem(private_key.get());
  if (!public_pem) return public_pem.status();
  return std::unique_ptr<Signer>(std::make_unique<SoftwareSigner>(
      std::move(private_key), algorithm, std::move(certificate_pem), std::move(*public_pem)));
}

}  // namespace tongban::certs
