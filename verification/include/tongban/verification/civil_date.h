// Civil (proleptic Gregorian) dates as days since 1970-01-01, and ages in completed years
// (周岁). Pure and thread-safe.
#pragma once

#include <cstdint>

namespace tongban::verification {

int32_t daysFromCivil(int32_t year, uint32_t month, uint32_t day);
void civilFromDays(int32_t days, int32_t* year, uint32_t* month, uint32_t* day);

// Completed years of a person born on (year, month, day) on `on` (days since 1970-01-01): the
// age grows on the birthday; someone born on 29 February grows a year older on 1 March in common
// years (docs/verification.md). Negative before birth.
int32_t ageOn(int32_t birth_year, uint32_t birth_month, uint32_t birth_day, int32_t on);

}  // namespace tongban::verification
