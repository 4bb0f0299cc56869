// Key pairs for seals and the hub's CA: generation, and the PEM forms they are stored and
// exported in.
//
// Private keys leave memory only as encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY", PBES2 with
// PBKDF2-HMAC-SHA256 at kDefaultKdfIterations rounds and AES-256-CBC), readable by
// `openssl pkey -passin pass:...`; keys written with any other cost (OpenSSL's default of 2048,
// before Tongban set its own) still open, as the cost is stored in the file. Public keys are
// SubjectPublicKeyInfo ("PUBLIC KEY"), readable by `openssl pkeyutl -pubin` and `openssl dgst`.
// All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/common/result.h"

namespace tongban::certs {

// PBKDF2-HMAC-SHA256 rounds for new encrypted keys: OWASP's 2023 figure for that PRF. About a
// quarter of a second per encryption or decryption here; keys are decrypted when a signer is
// first loaded, not per signature.
inline constexpr int kDefaultKdfIterations = 600000;
// The lowest cost TONGBAN_PKI_KDF_ITERATIONS may set. Only the tests lower it (to keep hundreds
// of throw-away keys fast); a deployment leaves it unset.
inline constexpr int kMinKdfIterations = 1000;

// The cost new keys are written with: TONGBAN_PKI_KDF_ITERATIONS when it is a whole number from
// kMinKdfIterations on, else kDefaultKdfIterations. Read once per process.
int kdfIterations();

// A fresh key pair for `algorithm`. Internal on an OpenSSL failure.
Result<EvpPkeyPtr> generateKey(SignatureAlgorithm algorithm);

// The algorithm `key` signs with; InvalidArgument for keys of any other type or curve.
Result<SignatureAlgorithm> algorithmOfKey(const EVP_PKEY* key);

// Encrypted PKCS#8 PEM of `key`'s private half. InvalidArgument (field "passphrase") when the
// passphrase is empty: unencrypted private keys are never written.
Result<std::string> encryptPrivateKeyPem(const EVP_PKEY* key, std::string_view passphrase);

// Reads an encrypted PKCS#8 PEM. InvalidArgument (field "private_key") when the text is not an
// encrypted private key (an unencrypted one is refused too) and PermissionDenied when the
// passphrase is wrong or the data corrupt (the two cannot be told apart).
Result<EvpPkeyPtr> decryptPrivateKeyPem(std::string_view pem, std::string_view passphrase);

// SubjectPublicKeyInfo PEM of `key`'s public half.
Result<std::string> publicKeyPem(const EVP_PKEY* key);

// Reads a "PUBLIC KEY" PEM; InvalidArgument (field "public_key") when it is not one.
Result<EvpPkeyPtr> parsePublicKeyPem(std::string_view pem);

}  // namespace tongban::certs
