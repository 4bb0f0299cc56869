// RFC 3339 timestamps in UTC, the one formatter and parser of the code base: with microseconds
// ("2026-03-01T08:00:00.123456Z") for the audit records and API answers that carry database times;
// with milliseconds for log lines; in whole seconds ("2026-03-01T08:00:00Z") where a format fixes
// that (certificate payloads, status statements, catalog periods). Pure and thread-safe.
//
// Invariants:
//   1. Formatting rounds down (toward the past) to the precision asked for; a time before the
//      epoch borrows a second ("1969-12-31T23:59:59.999999Z", never "-0.000001").
//   2. The parser accepts what the formatters write, and any RFC 3339 date-time: 'T', 't' or ' '
//      between date and time, 1 or more fraction digits (beyond the sixth ignored), and 'Z', 'z'
//      or a "+hh:mm"/"-hh:mm" offset. It refuses anything else (no date alone, no missing zone,
//      no 2026-02-30, no trailing text) with nullopt.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tongban {

// `micros` since 1970-01-01T00:00:00Z with `fraction_digits` (0, 3 or 6) digits of the second.
std::string formatRfc3339(int64_t micros, int fraction_digits);

// `micros` since 1970-01-01T00:00:00Z (negative values are before it), six fraction digits.
std::string formatRfc3339Micros(int64_t micros);

// `t` rounded down to the millisecond: "2026-03-01T08:00:00.123Z".
std::string formatRfc3339Millis(std::chrono::system_clock::time_point t);

// `t` rounded down to the second: "2026-03-01T08:00:00Z".
std::string formatRfc3339Seconds(std::chrono::system_clock::time_point t);

// Microseconds since the epoch of an RFC 3339 date-time (invariant 2), or nullopt.
std::optional<int64_t> parseRfc3339Micros(std::string_view text);

// The same as a time point, or nullopt.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// The SQL expression PostgreSQL evaluates to formatRfc3339Seconds() of the timestamptz `column`,
// for queries that answer with the text directly.
std::string rfc3339SecondsSql(const std::string& column);

}  // namespace tongban
