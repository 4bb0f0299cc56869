// Small cryptographic primitives over OpenSSL 3 that several modules need: digests, HMAC, random
// bytes and a constant-time comparison. Signatures and keys live in the certs module.
// Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tongban {

inline constexpr size_t kSha256Bytes = 32;
std::string sha256(std::string_view data);  // 32 raw bytes
// The same into `out` (kSha256Bytes), without allocating: for hot paths (Merkle hashing).
void sha256Into(std::string_view data, unsigned char* out);
std::string hmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
// `n` bytes from OpenSSL's CSPRNG. Aborts if the generator fails (nothing sensible to do then).
std::string randomBytes(size_t n);
// True when a == b, in time that depends only on the lengths.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace tongban
