// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
#include "tongban/verification/civil_date.h"

namespace tongban::verification {

int32_t daysFromCivil(int32_t y, uint32_t m, uint32_t d) {
  y -= m <= 2;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<uint32_t>(y - era * 400);
  const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

void civilFromDays(int32_t z, int32_t* year, uint32_t* month, uint32_t* day) {
  z += 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int32_t y = static_cast<int32_t>(yoe) + era * 400;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

int32_t ageOn(int32_t by, uint32_t bm, uint32_t bd, int32_t on) {
  int32_t y;
  uint32_t m, d;
  civilFromDays(on, &y, &m, &d);
  int32_t age = y - by;
  // (m, d) before (bm, bd): not yet had this year's birthday. 29 February compares after
  // 28 February, so in a common year the birthday is reached on 1 March.
  if (m < bm || (m == bm && d < bd)) --age;
  return age;
}

}  // namespace tongban::verification
