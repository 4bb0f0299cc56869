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

}  // namespace tongban::db
