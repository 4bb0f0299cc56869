// Holder tokens: how a citizen or a company proves to the exchange who they are before seeing
// who accessed their data (GET /v1/holders/persons/{citizen_id}/access-log).
//
// A holder token is a compact JWS (a JWT, RFC 7519) signed by the identity provider the
// configuration names, with ES256 (ECDSA P-256 + SHA-256, RFC 7518 §3.4: a raw 64-byte r||s
// signature) and nothing else: "none", HS256 (which would let anyone holding the public key mint
// tokens) and every other alg are refused. Claims: `sub` the holder's citizen id or credit code,
// `aud` the exchange ("tongban"), `exp` (required), optional `nbf`, `iat`, `iss`.
// All functions are stateless and thread-safe.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tongban/common/result.h"

namespace tongban::exchange {

inline constexpr std::string_view kHolderTokenAudience = "tongban";
inline constexpr int64_t kHolderTokenLeewaySeconds = 60;
inline constexpr size_t kHolderTokenMaxBytes = 8192;

struct HolderClaims {
  std::string subject;  // `sub`: citizen id (GB 11643) or unified social credit code (GB 32100)
  std::string issuer;   // `iss`; empty when absent
  std::string audience = std::string(kHolderTokenAudience);  // `aud`
  int64_t expires_at = 0;                                    // `exp`, Unix seconds
  std::optional<int64_t> not_before;                         // `nbf`
  std::optional<int64_t> issued_at;                          // `iat`
};

// Verifies `token` with the identity provider's P-256 public key at time `now_unix`.
// kUnauthenticated with a message saying exactly what is wrong: malformed (not three base64url
// parts, bad JSON, a claim of the wrong type), an alg other than ES256 or a `crit` header, a
// signature that does not verify, expired (exp + 60 s leeway <= now), not yet valid (nbf or iat
// more than 60 s ahead), wrong audience, a subject that is neither a valid citizen id nor a valid
// credit code. kInternal when `idp_public_key` is not a P-256 key (a configuration error).
Result<HolderClaims> verifyHolderToken(std::string_view token, const EVP_PKEY* idp_public_key,
                                       int64_t now_unix,
                                       std::string_view audience = kHolderTokenAudience);

// Signs `claims` into a token with a P-256 private key (tests, the demo, `tongban-admin
// holder-token`). iat is written when set, nbf likewise; iss when not empty. kInvalidArgument when
// the key is not a P-256 private key or the subject is empty; kInternal on an OpenSSL failure.
Result<std::string> makeHolderToken(const EVP_PKEY* idp_private_key, const HolderClaims& claims);

}  // namespace tongban::exchange
