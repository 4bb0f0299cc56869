// PostgreSQL text encodings of values: the COPY text format (the default, tab-delimited), one
// value escaped for a data line (backslash, tab, newline and carriage return backslash-escaped;
// NULL is written by the caller as \N); and array literals of text elements ('{"a","b",NULL}',
// for unnest() parameters), built and parsed: the one builder and the one parser of the code base
// (a text[] column read back arrives in the same text form). Pure and thread-safe.
#pragma once

#include <optional>
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

// The elements of a one-dimensional array literal as PostgreSQL writes it: {} ; {a,b} ; elements
// double-quoted where they hold a delimiter, quote, backslash, space or brace, or are empty or the
// text NULL ({"a,b","say \"hi\"","",NULL}); backslash escapes the next character, quoted or not;
// whitespace around an unquoted element is not part of it; an unquoted NULL (any case) is a NULL
// element. nullopt for anything else: a nested array, a dimension prefix ([0:1]={...}), an empty
// unquoted element ({a,,b}), an unterminated quote, text after the closing brace.
std::optional<std::vector<std::optional<std::string>>> parseArrayLiteral(std::string_view text);
// The same for an array that must not hold NULL: nullopt also when it does.
std::optional<std::vector<std::string>> parseTextArray(std::string_view text);

}  // namespace tongban::db
