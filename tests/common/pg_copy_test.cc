#include "tongban/common/pg_copy.h"

#include <gtest/gtest.h>

namespace tongban::db {
namespace {

std::string copyText(std::string_view v) {
  std::string out;
  appendCopyText(&out, v);
  return out;
}

TEST(PgCopy, PlainValuesPassThrough) {
  EXPECT_EQ(copyText(""), "");
  EXPECT_EQ(copyText("110105199001011234"), "110105199001011234");
  EXPECT_EQ(copyText("杭州市西湖区"), "杭州市西湖区");  // UTF-8 bytes are not escaped
}

TEST(PgCopy, EscapesTheFourSpecialCharacters) {
  EXPECT_EQ(copyText("a\\b"), "a\\\\b");
  EXPECT_EQ(copyText("a\tb"), "a\\tb");
  EXPECT_EQ(copyText("a\nb"), "a\\nb");
  EXPECT_EQ(copyText("a\rb"), "a\\rb");
}

TEST(PgCopy, ALiteralBackslashNIsNotNull) {
  // "\N" is COPY's NULL marker; the text \N must arrive as the two characters, not as NULL.
  EXPECT_EQ(copyText("\\N"), "\\\\N");
}

TEST(PgCopy, AppendsWithoutTouchingWhatIsThere) {
  std::string out = "1\t";
  appendCopyText(&out, "x\ty");
  EXPECT_EQ(out, "1\tx\\ty");
}

TEST(PgArray, QuotesEveryElementAndEscapesQuoteAndBackslash) {
  EXPECT_EQ(arrayLiteral({}), "{}");
  EXPECT_EQ(arrayLiteral({"a", "", "NULL"}), "{\"a\",\"\",\"NULL\"}");  // the text NULL
  EXPECT_EQ(arrayLiteral({"say \"hi\"", "a\\b", "x,y}"}),
            "{\"say \\\"hi\\\"\",\"a\\\\b\",\"x,y}\"}");
}

TEST(PgArray, BuildsElementByElementWithNulls) {
  std::string literal = "{";
  appendArrayElement(literal, "1");
  appendArrayNull(literal);
  appendArrayElement(literal, "浙江");
  literal += "}";
  EXPECT_EQ(literal, "{\"1\",NULL,\"浙江\"}");
}

}  // namespace
}  // namespace tongban::db
