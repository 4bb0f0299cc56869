#include "tongban/common/result.h"

#include <gtest/gtest.h>

#include "tongban/common/log.h"

namespace tongban {
namespace {

TEST(Status, OkAndError) {
  Status ok;
  EXPECT_TRUE(ok.isOk());
  EXPECT_EQ(ok.toString(), "ok");
  Status bad = Status::invalid("citizen_id", "must be 18 characters, got 3");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.toString(), "citizen_id: must be 18 characters, got 3");
  EXPECT_STREQ(errorCodeName(bad.code()), "invalid_argument");
}

TEST(Result, HoldsValueOrStatus) {
  Result<int> v = 42;
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 42);
  EXPECT_TRUE(v.status().isOk());
  Result<int> e = Status::notFound("no such person");
  EXPECT_FALSE(e);
  EXPECT_EQ(e.status().code(), ErrorCode::kNotFound);
  Result<std::string> s = std::string("x");
  EXPECT_EQ(s->size(), 1u);
}

TEST(JsonString, EscapesAndRepairsUtf8) {
  std::string out;
  appendJsonString(out, "a\"b\\c\n\x01张");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001张\"");
  out.clear();
  appendJsonString(out, "\b\f\r\t\x1f\x7f");  // the short escapes JSON has, as JCS writes them
  EXPECT_EQ(out, "\"\\b\\f\\r\\t\\u001f\x7f\"");
  out.clear();
  appendJsonString(out, std::string("bad\xff\xc0 end"));
  EXPECT_EQ(out, "\"bad\xEF\xBF\xBD\xEF\xBF\xBD end\"");
  out.clear();
  appendJsonString(out, std::string("\xe5\xbc"));  // truncated sequence
  EXPECT_EQ(out, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace tongban
