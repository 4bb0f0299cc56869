// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 30-second steps,
// 6 digits, a code accepted in the step before, the current one and the one after (clock drift).
// Secrets are 20 random bytes, shown to the user once as base32 (RFC 4648, no padding) and as an
// otpauth:// URI for authenticator apps. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tongban::console {

inline constexpr int64_t kTotpStepSeconds = 30;

std::string newTotpSecret();  // 20 raw bytes

std::string base32Encode(std::string_view bytes);  // upper case, no padding
// Accepts upper or lower case, ignores spaces and '=' padding; nullopt for other characters.
std::optional<std::string> base32Decode(std::string_view text);

// The 6-digit code of `secret` (raw bytes) for time step `step` (unix seconds / 30).
std::string totpCode(std::string_view secret, int64_t step);

// The step whose code `code` is, among now's step ± 1 and after `last_used_step` (a code is used
// once); nullopt when none matches or `code` is not 6 digits. Compared in constant time.
std::optional<int64_t> verifyTotp(std::string_view secret, std::string_view code, int64_t unix_now,
                                  std::optional<int64_t> last_used_step = std::nullopt);

// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string totpUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace tongban::console
