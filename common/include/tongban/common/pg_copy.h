// PostgreSQL COPY text format (the default, tab-delimited): one value escaped for a data line.
// Backslash, tab, newline and carriage return are backslash-escaped; NULL is written by the
// caller as \N. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tongban::db {

// Appends `value` escaped for COPY ... FROM STDIN (FORMAT text).
void appendCopyText(std::string* out, std::string_view value);

}  // namespace tongban::db
