// Signed requests (docs/request-signing.md): the canonical string both sides compute, the
// Authorization header, and a small client that signs for you.
//
//   Authorization: TB1-HMAC-SHA256 Credential=<key id>, Timestamp=<unix seconds>,
//                  Nonce=<16..64 of [A-Za-z0-9_-]>, Signature=<hex HMAC-SHA256>
//
// The string to sign is nine lines joined by '\n' (no trailing newline):
//   TB1-HMAC-SHA256
//   <METHOD>                       upper case, as sent
//   <host>                         the Host header exactly as sent ("127.0.0.1:8080"), or empty
//   <path>                         exactly as sent on the request line, before '?'
//   <query>                        exactly as sent after '?', or empty
//   <timestamp>                    same digits as in the header
//   <nonce>                        same as in the header
//   <idempotency key>              the Idempotency-Key header exactly as sent, or empty
//   <hex SHA-256 of the body>      of the empty string when there is no body
// and the HMAC key is the application secret's text (UTF-8 bytes as shown at creation).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tongban/common/result.h"

namespace tongban::exchange {

inline constexpr const char* kSignatureScheme = "TB1-HMAC-SHA256";

// The parts of a request that its signature covers (besides timestamp and nonce).
struct SignedRequest {
  std::string_view method;
  std::string_view host;  // the Host header as sent
  std::string_view path;
  std::string_view query;
  std::string_view idempotency_key;  // the Idempotency-Key header as sent, or empty
  std::string_view body;
};

std::string stringToSign(const SignedRequest& request, std::string_view timestamp,
                         std::string_view nonce);

struct Credentials {
  std::string key_id;
  std::string secret;
};

// The Authorization header value for one request.
std::string authorizationHeader(const Credentials& credentials, const SignedRequest& request,
                                int64_t unix_seconds, std::string_view nonce);

// A fresh random nonce (32 hex characters).
std::string newNonce();

struct ParsedAuthorization {
  std::string key_id;
  std::string timestamp;  // digits, as sent
  int64_t unix_seconds = 0;
  std::string nonce;
  std::string signature;  // 32 raw bytes
};

// kUnauthenticated with a message saying what is missing or malformed.
Result<ParsedAuthorization> parseAuthorization(std::string_view header);

}  // namespace tongban::exchange
