#include "tongban/common/time_format.h"

#include <gtest/gtest.h>

namespace tongban {
namespace {

TEST(TimeFormat, EpochIsMidnightWithSixFractionDigits) {
  EXPECT_EQ(formatRfc3339Micros(0), "1970-01-01T00:00:00.000000Z");
}

TEST(TimeFormat, KeepsMicroseconds) {
  // 2026-03-01T08:00:00Z = 1772352000 s.
  EXPECT_EQ(formatRfc3339Micros(1772352000LL * 1000000 + 123456), "2026-03-01T08:00:00.123456Z");
  EXPECT_EQ(formatRfc3339Micros(1772352000LL * 1000000 + 1), "2026-03-01T08:00:00.000001Z");
}

TEST(TimeFormat, LeapDayAndYearEnd) {
  EXPECT_EQ(formatRfc3339Micros(1709164800LL * 1000000), "2024-02-29T00:00:00.000000Z");
  EXPECT_EQ(formatRfc3339Micros(1798761599LL * 1000000 + 999999), "2026-12-31T23:59:59.999999Z");
}

TEST(TimeFormat, BeforeTheEpochBorrowsASecond) {
  // One microsecond before the epoch is the last microsecond of 1969, not "-0.000001".
  EXPECT_EQ(formatRfc3339Micros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(formatRfc3339Micros(-1000000), "1969-12-31T23:59:59.000000Z");
}

TEST(TimeFormat, WholeSecondsRoundDown) {
  using std::chrono::system_clock;
  const system_clock::time_point t{std::chrono::seconds(1772352000)};
  EXPECT_EQ(formatRfc3339Seconds(t), "2026-03-01T08:00:00Z");
  EXPECT_EQ(formatRfc3339Seconds(t + std::chrono::microseconds(999999)), "2026-03-01T08:00:00Z");
  EXPECT_EQ(formatRfc3339Seconds(system_clock::time_point{} - std::chrono::microseconds(1)),
            "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace tongban
