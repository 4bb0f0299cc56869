#include "tongban/common/time_format.h"

#include <initializer_list>

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

TEST(TimeFormat, MillisecondsForLogLines) {
  using std::chrono::system_clock;
  const system_clock::time_point t{std::chrono::seconds(1772352000)};
  EXPECT_EQ(formatRfc3339Millis(t + std::chrono::microseconds(123999)), "2026-03-01T08:00:00.123Z");
  EXPECT_EQ(formatRfc3339(-1, 3), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormat, ParsesOffsetsAndFractions) {
  EXPECT_EQ(parseRfc3339Micros("2026-03-01T16:00:00+08:00"), 1772352000LL * 1000000);
  EXPECT_EQ(parseRfc3339Micros("1970-01-01T00:00:01.5Z"), 1500000);
  EXPECT_EQ(parseRfc3339Micros("1970-01-01 00:00:00.1234567z"), 123456);
  auto t = parseRfc3339("2024-02-29T23:59:59-01:30");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatRfc3339Seconds(*t), "2024-03-01T01:29:59Z");
  EXPECT_EQ(formatRfc3339Seconds(*parseRfc3339("1949-10-01T10:00:00+08:00")),
            "1949-10-01T02:00:00Z");
}

TEST(TimeFormat, ParsesWhatItFormats) {
  for (int64_t micros :
       std::initializer_list<int64_t>{0, -1, 1772352000LL * 1000000 + 123456,
                                      1709164800LL * 1000000, -86400LL * 1000000 * 365 * 30 + 7}) {
    EXPECT_EQ(parseRfc3339Micros(formatRfc3339Micros(micros)), micros) << micros;
  }
}

TEST(TimeFormat, MalformedTimestampsAreRefused) {
  for (const char* bad : {"", "2026-03-01", "2026-03-01T16:00:00", "2026-02-30T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-01T24:00:00Z",
                          "2026-03-01T16:00:00+0800", "2026-03-01T16:00:00Z ",
                          "2026-03-01T16:00:00.Z", "2026-03-01T16:00:00+24:00", "tomorrow"}) {
    EXPECT_FALSE(parseRfc3339Micros(bad)) << bad;
    EXPECT_FALSE(parseRfc3339(bad)) << bad;
  }
}

TEST(TimeFormat, SqlExpressionNamesTheColumn) {
  EXPECT_EQ(rfc3339SecondsSql("c.issued_at"),
            "to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

}  // namespace
}  // namespace tongban
