// Owning handles for OpenSSL objects used across the certs module's interfaces.
//
// Every OpenSSL object the module hands out or takes is held in one of these unique_ptrs, so it is
// freed exactly once whatever path the code takes. The public headers expose EVP_PKEY and X509
// because callers (seals, bundles, the exchange's TLS setup) need to pass keys and certificates
// around without another round trip through PEM.
#pragma once

#include <memory>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace tongban::certs {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// New owning references to shared objects (OpenSSL reference counting); never null for non-null
// input.
EvpPkeyPtr shareKey(EVP_PKEY* key);
X509Ptr shareCertificate(X509* cert);

}  // namespace tongban::certs
