// Request-target splitting, request id vetting and citizen-id masking (request_target.h, http.h).
#include "request_target.h"

#include <cctype>
#include <string_view>

#include "tongban/catalog/masking.h"
#include "tongban/exchange/http.h"

namespace tongban::exchange {

bool saneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status splitTarget(const std::string& target, std::string* path, std::string* query) {
  if (target.empty() || target[0] != '/') {
    return Status::invalid("uri", "request target must be an absolute path");
  }
  size_t q = target.find('?');
  size_t end = q == std::string::npos ? target.size() : q;
  size_t hash = target.find('#');
  if (hash != std::string::npos && hash < end) end = hash;
  path->clear();
  path->reserve(end);
  for (size_t i = 0; i < end; ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= end || hexDigit(target[i + 1]) < 0 || hexDigit(target[i + 2]) < 0) {
        return Status::invalid("uri", "malformed request target: bad percent-encoding");
      }
      int hi = hexDigit(target[i + 1]), lo = hexDigit(target[i + 2]);
      path->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::invalid("uri", "malformed request target: control character or space");
    } else {
      path->push_back(c);
    }
  }
  if (q == std::string::npos) {
    query->clear();
  } else {
    size_t qend = target.find('#', q);
    *query = target.substr(q + 1, (qend == std::string::npos ? target.size() : qend) - q - 1);
  }
  return Status::ok();
}

namespace {

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool looksLikeCitizenId(std::string_view s) {
  if (s.size() != 18) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return (s[17] >= '0' && s[17] <= '9') || s[17] == 'X' || s[17] == 'x';
}

}  // namespace

// Every token of `text` shaped like a citizen id (17 digits and a digit or X, not inside a longer
// run of letters and digits) masked as the catalog masks it: 110105********002X. For lines that
// leave the audit log's protection (the access log).
std::string maskCitizenIds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!isAlnum(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && isAlnum(text[j])) ++j;
    std::string_view token = text.substr(i, j - i);
    if (looksLikeCitizenId(token)) {
      out += catalog::maskValue(catalog::MaskingRule::kCitizenId, token);
    } else {
      out.append(token);
    }
    i = j;
  }
  return out;
}

}  // namespace tongban::exchange
