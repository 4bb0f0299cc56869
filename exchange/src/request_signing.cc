#include "tongban/exchange/request_signing.h"

#include <cctype>
#include <chrono>

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"

namespace tongban::exchange {

std::string stringToSign(const SignedRequest& r, std::string_view timestamp,
                         std::string_view nonce) {
  std::string s;
  s.reserve(192 + r.host.size() + r.path.size() + r.query.size() + r.idempotency_key.size());
  s += kSignatureScheme;
  s += '\n';
  s += r.method;
  s += '\n';
  s += r.host;
  s += '\n';
  s += r.path;
  s += '\n';
  s += r.query;
  s += '\n';
  s += timestamp;
  s += '\n';
  s += nonce;
  s += '\n';
  s += r.idempotency_key;
  s += '\n';
  s += hexEncode(sha256(r.body));
  return s;
}

std::string authorizationHeader(const Credentials& c, const SignedRequest& request,
                                int64_t unix_seconds, std::string_view nonce) {
  std::string ts = std::to_string(unix_seconds);
  std::string sig = hexEncode(hmacSha256(c.secret, stringToSign(request, ts, nonce)));
  std::string h = kSignatureScheme;
  h += " Credential=" + c.key_id + ", Timestamp=" + ts + ", Nonce=";
  h += nonce;
  h += ", Signature=" + sig;
  return h;
}

std::string newNonce() { return hexEncode(randomBytes(16)); }

Result<ParsedAuthorization> parseAuthorization(std::string_view header) {
  const auto bad = [](const std::string& why) {
    return Status(ErrorCode::kUnauthenticated, why, "Authorization");
  };
  if (header.empty()) return bad("missing Authorization header (see docs/request-signing.md)");
  std::string_view scheme = kSignatureScheme;
  if (header.substr(0, scheme.size()) != scheme || header.size() == scheme.size() ||
      header[scheme.size()] != ' ') {
    return bad(std::string("Authorization scheme must be ") + kSignatureScheme);
  }
  ParsedAuthorization p;
  std::string sig_hex;
  bool have_cred = false, have_ts = false, have_nonce = false, have_sig = false;
  std::string_view rest = header.substr(scheme.size() + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) break;
    size_t end = rest.find(',');
    std::string_view item = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return bad("malformed Authorization parameter '" + std::string(item) + "'");
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    bool* seen;
    if (name == "Credential") {
      seen = &have_cred;
      p.key_id = value;
    } else if (name == "Timestamp") {
      seen = &have_ts;
      p.timestamp = value;
    } else if (name == "Nonce") {
      seen = &have_nonce;
      p.nonce = value;
    } else if (name == "Signature") {
      seen = &have_sig;
      sig_hex = value;
    } else {
      return bad("unknown Authorization parameter '" + std::string(name) + "'");
    }
    if (*seen) return bad("Authorization parameter " + std::string(name) + " given twice");
    *seen = true;
  }
  if (!have_cred) return bad("Authorization lacks Credential");
  if (!have_ts) return bad("Authorization lacks Timestamp");
  if (!have_nonce) return bad("Authorization lacks Nonce");
  if (!have_sig) return bad("Authorization lacks Signature");
  if (p.key_id.empty() || p.key_id.size() > 64) return bad("malformed Credential");
  if (p.timestamp.empty() || p.timestamp.size() > 12) return bad("Timestamp must be unix seconds");
  for (char c : p.timestamp) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("Timestamp must be unix seconds");
  }
  p.unix_seconds = std::stoll(p.timestamp);
  if (p.nonce.size() < 16 || p.nonce.size() > 64) return bad("Nonce must be 16 to 64 characters");
  for (char c : p.nonce) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return bad("Nonce may hold only A-Z a-z 0-9 - _");
    }
  }
  auto sig = hexDecode(sig_hex);
  if (!sig || sig->size() != 32) return bad("Signature must be 64 hex characters");
  p.signature = std::move(*sig);
  return p;
}

}  // namespace tongban::exchange
