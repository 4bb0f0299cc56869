// Console users' passwords, hashed with scrypt (RFC 7914) through OpenSSL 3's EVP_KDF "SCRYPT".
//
// Stored form: "scrypt$<log2 N>$<r>$<p>$<salt, base64>$<hash, base64>" — the parameters travel
// with each hash, so raising the cost later leaves existing hashes verifiable. Defaults: N = 2^15,
// r = 8, p = 1 (32 MiB and roughly 0.1 s per hash on one core here), 16-byte salt, 32-byte hash.
// The environment variable TONGBAN_CONSOLE_SCRYPT_LOG2N lowers N for throw-away test accounts
// (10..20); deployments leave it unset. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tongban/common/result.h"

namespace tongban::console {

struct ScryptParams {
  int log2_n = 15;
  int r = 8;
  int p = 1;
};

// The default parameters, or N from TONGBAN_CONSOLE_SCRYPT_LOG2N when set and within 10..20.
ScryptParams defaultScryptParams();

// kInvalidArgument (field "password") when the password is shorter than 12 characters, longer
// than 1024 bytes, or holds a control character.
Status checkPasswordPolicy(std::string_view password);

// The stored form of `password` with a fresh salt. kInternal when OpenSSL fails.
Result<std::string> hashPassword(std::string_view password,
                                 const ScryptParams& params = defaultScryptParams());

// True when `password` hashes to `stored` (compared in constant time). False for a stored form
// that does not parse or has parameters outside the accepted bounds (log2 N 10..20, r 1..32,
// p 1..16, a hash of other than 32 bytes — scrypt's output for a shorter length is a prefix of
// the longer one): never an exception.
bool verifyPassword(std::string_view password, std::string_view stored);

// A stored form that matches no password, with the default cost: verified against when a login
// names an unknown user, so that the answer takes as long as for a known one.
const std::string& decoyPasswordHash();

// At most this many scrypt derivations run at once in the process (each holds 128·N·r bytes,
// 32 MiB by default); more wait their turn, so a burst of logins cannot exhaust memory.
inline constexpr int kMaxConcurrentScrypt = 4;
// The most derivations that have run at once so far (for tests).
int scryptHighWater();

}  // namespace tongban::console
