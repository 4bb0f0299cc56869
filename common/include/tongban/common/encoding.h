// Byte encodings used across modules: lower-case hex, base64 (RFC 4648 §4) and base64url without
// padding (§5, as in JWS). Decoders are strict: they refuse characters outside the alphabet,
// wrong padding and (for hex) odd lengths, returning std::nullopt. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tongban {

std::string hexEncode(std::string_view bytes);
std::optional<std::string> hexDecode(std::string_view hex);

std::string base64Encode(std::string_view bytes);
std::optional<std::string> base64Decode(std::string_view text);

std::string base64UrlEncode(std::string_view bytes);                // no padding
std::optional<std::string> base64UrlDecode(std::string_view text);  // padding not accepted

}  // namespace tongban
