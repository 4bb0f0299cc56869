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

}  // namespace tongban::db
