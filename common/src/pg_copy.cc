#include "tongban/common/pg_copy.h"

namespace tongban::db {

void appendCopyText(std::string* out, std::string_view v) {
  if (v.find_first_of("\\\t\n\r") == std::string_view::npos) {
    out->append(v);
    return;
  }
  for (char ch : v) {
    switch (ch) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(ch);
    }
  }
}

void appendArrayElement(std::string& literal, std::string_view value) {
  if (literal.size() > 1) literal.push_back(',');
  literal.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') literal.push_back('\\');
    literal.push_back(c);
  }
  literal.push_back('"');
}

void appendArrayNull(std::string& literal) {
  if (literal.size() > 1) literal.push_back(',');
  literal.append("NULL");
}

std::string arrayLiteral(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (const std::string& item : items) appendArrayElement(literal, item);
  literal.push_back('}');
  return literal;
}

namespace {

bool isArraySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool equalsNullIgnoringCase(std::string_view s) {
  if (s.size() != 4) return false;
  const char* kNull = "null";
  for (size_t i = 0; i < 4; ++i) {
    if ((s[i] | 0x20) != kNull[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::optional<std::string>>> parseArrayLiteral(std::string_view s) {
  size_t i = 0;
  auto skipSpace = [&] {
    while (i < s.size() && isArraySpace(s[i])) ++i;
  };
  skipSpace();
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  ++i;
  std::vector<std::optional<std::string>> out;
  skipSpace();
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      skipSpace();
      if (i >= s.size()) return std::nullopt;
      std::string value;
      if (s[i] == '"') {
        ++i;
        for (;;) {
          if (i >= s.size()) return std::nullopt;
          const char c = s[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= s.size()) return std::nullopt;
            value.push_back(s[i++]);
          } else {
            value.push_back(c);
          }
        }
        out.emplace_back(std::move(value));
      } else {
        if (s[i] == '{' || s[i] == '}' || s[i] == ',') return std::nullopt;
        bool escaped = false;
        size_t kept = 0;  // value's length up to its last escaped or non-space character
        while (i < s.size() && s[i] != ',' && s[i] != '}') {
          const char c = s[i++];
          if (c == '"' || c == '{') return std::nullopt;
          if (c == '\\') {
            if (i >= s.size()) return std::nullopt;
            value.push_back(s[i++]);
            escaped = true;
            kept = value.size();
          } else {
            value.push_back(c);
            if (!isArraySpace(c)) kept = value.size();
          }
        }
        value.resize(kept);
        if (!escaped && equalsNullIgnoringCase(value)) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(std::move(value));
        }
      }
      skipSpace();
      if (i >= s.size()) return std::nullopt;
      if (s[i] == '}') {
        ++i;
        break;
      }
      if (s[i] != ',') return std::nullopt;
      ++i;
    }
  }
  skipSpace();
  if (i != s.size()) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> parseTextArray(std::string_view text) {
  std::optional<std::vector<std::optional<std::string>>> elements = parseArrayLiteral(text);
  if (!elements) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(elements->size());
  for (std::optional<std::string>& e : *elements) {
    if (!e) return std::nullopt;
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace tongban::db
