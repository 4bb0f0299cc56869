// PostgreSQL text encodings of values: the COPY text format (the default, tab-delimited), one
// value escaped for a data line (backslash, tab, newline and carriage return backslash-escaped;
// NULL is written by the caller as \N); and array literals of text elements ('{"a","b",NULL}',
// for unnest() parameters). Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tongban::db {

// Appends `value` escaped for COPY ... FROM STDIN (FORMAT text).
void appendCopyText(std::string* out, std::string_view value);

// Appends `value` as one double-quoted element (`"` and `\` backslash-escaped) to an array
// literal being built: `literal` starts as "{", gets a comma before every element but the first,
// and the caller closes it with "}".
void appendArrayElement(std::string& literal, std::string_view value);
// Appends NULL as an element.
void appendArrayNull(std::string& literal);
// The whole literal of `items`: {"a","b"}.
std::string arrayLiteral(const std::vector<std::string>& items);

}  // namespace tongban::db
