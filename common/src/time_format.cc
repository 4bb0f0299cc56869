#include "tongban/common/time_format.h"

#include <cstdio>
#include <ctime>

namespace tongban {

std::string formatRfc3339Micros(int64_t micros) {
  int64_t secs = micros / 1000000, frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  const auto t = static_cast<time_t>(secs);
  struct tm tm_utc;
  gmtime_r(&t, &tm_utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::string formatRfc3339Seconds(std::chrono::system_clock::time_point t) {
  const auto t_s =
      static_cast<time_t>(std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
  struct tm tm_utc;
  gmtime_r(&t_s, &tm_utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec);
  return buf;
}

}  // namespace tongban
