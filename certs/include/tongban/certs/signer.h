// Signer: the one thing that holds a private key and signs bytes with it.
//
// Seals, the CA and the transparency log sign through this interface so that a hardware security
// module can replace the software implementation without touching callers. A signer knows its
// algorithm and the certificate that vouches for its public key (PEM; empty before one is issued).
// Signatures are DER: ECDSA-Sig-Value for ECDSA, the same SEQUENCE {r, s} for SM2 (GM/T 0009),
// with SM2 always over the GM/T 0009 distinguishing ID 1234567812345678.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/common/result.h"

namespace tongban::certs {

class Signer {
 public:
  virtual ~Signer() = default;

  // DER signature over `data` (the data itself, not a digest). Internal when the key or the
  // library fails; Unavailable from a hardware module that cannot be reached. Thread-safe.
  virtual Result<std::string> sign(std::string_view data) const = 0;

  virtual SignatureAlgorithm algorithm() const = 0;

  // PEM certificate of the signing key; empty when none has been issued yet.
  virtual const std::string& certificatePem() const = 0;

  // PEM SubjectPublicKeyInfo of the signing key.
  virtual const std::string& publicKeyPem() const = 0;
};

// A software signer over an in-memory private key. InvalidArgument when the key does not belong
// to `algorithm`. The signer shares ownership of the key.
Result<std::unique_ptr<Signer>> makeSoftwareSigner(EvpPkeyPtr private_key,
                                                   SignatureAlgorithm algorithm,
                                                   std::string certificate_pem = {});

// Signs `data` with `private_key` directly; what the software signer and the CA use.
Result<std::string> signWithKey(EVP_PKEY* private_key, SignatureAlgorithm algorithm,
                                std::string_view data);

}  // namespace tongban::certs
