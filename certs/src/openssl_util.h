// Internal helpers shared by the certs module's OpenSSL code: owning handles for the objects that
// never leave a .cc file, the drained error queue as text, BIO <-> string, and the one place that
// prepares a digest-sign or digest-verify context for either algorithm (including the SM2 ID).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "tongban/certs/algorithm.h"
#include "tongban/common/result.h"

namespace tongban::certs::internal {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EvpPkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct BignumDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct X509StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct X509StoreCtxDeleter {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct X509ExtensionDeleter {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
struct X509NameDeleter {
  void operator()(X509_NAME* name) const { X509_NAME_free(name); }
};
struct Asn1IntegerDeleter {
  void operator()(ASN1_INTEGER* value) const { ASN1_INTEGER_free(value); }
};
struct Asn1OctetStringDeleter {
  void operator()(ASN1_OCTET_STRING* value) const { ASN1_OCTET_STRING_free(value); }
};
struct Asn1ObjectDeleter {
  void operator()(ASN1_OBJECT* value) const { ASN1_OBJECT_free(value); }
};
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }  // does not free items
};

using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreDeleter>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxDeleter>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, X509ExtensionDeleter>;
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameDeleter>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Asn1IntegerDeleter>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, Asn1OctetStringDeleter>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, Asn1ObjectDeleter>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// Drains this thread's OpenSSL error queue into one line ("" when empty). Call it on every failure
// path so that a stale error never leaks into a later, unrelated message.
std::string drainErrors();

// Status::internal("<what>: <drained errors>").
Status opensslFailure(std::string_view what);

// A read-only memory BIO over `data` (which must outlive the BIO).
BioPtr memoryBio(std::string_view data);
BioPtr emptyMemoryBio();
std::string bioContents(BIO* bio);

// Prepares `ctx` for EVP_DigestSign* (sign = true) or EVP_DigestVerify* with `key`: SHA-256 for
// ECDSA; SM3 and the GM/T 0009 distinguishing ID for SM2. Fails if the key's type does not match
// `algorithm`.
Status initDigestContext(EVP_MD_CTX* ctx, EVP_PKEY* key, SignatureAlgorithm algorithm, bool sign);

// The algorithm a key belongs to, or InvalidArgument (field `field`) for other key types.
Result<SignatureAlgorithm> keyAlgorithm(const EVP_PKEY* key, const std::string& field);

}  // namespace tongban::certs::internal
