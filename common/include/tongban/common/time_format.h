// RFC 3339 timestamps in UTC: with microseconds ("2026-03-01T08:00:00.123456Z") for the logs,
// audit records and API answers that carry database times; in whole seconds
// ("2026-03-01T08:00:00Z") where a format fixes that (certificate payloads, status statements).
// Pure and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tongban {

// `micros` since 1970-01-01T00:00:00Z (negative values are before it).
std::string formatRfc3339Micros(int64_t micros);

// `t` rounded down to the second: "2026-03-01T08:00:00Z".
std::string formatRfc3339Seconds(std::chrono::system_clock::time_point t);

}  // namespace tongban
