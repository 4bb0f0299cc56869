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

using Elements = std::vector<std::optional<std::string>>;

TEST(PgArrayParse, EmptyArray) {
  EXPECT_EQ(parseArrayLiteral("{}"), Elements{});
  EXPECT_EQ(parseArrayLiteral(" { } "), Elements{});
  EXPECT_EQ(parseTextArray("{}"), std::vector<std::string>{});
}

TEST(PgArrayParse, UnquotedAndQuotedElements) {
  EXPECT_EQ(parseTextArray("{a,b}"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parseTextArray("{ a b , c }"), (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(parseTextArray("{\"a,b\",\"\",\"x}y\",\"{z\"}"),
            (std::vector<std::string>{"a,b", "", "x}y", "{z"}));
  EXPECT_EQ(parseTextArray("{浙江,\"杭州 市\"}"), (std::vector<std::string>{"浙江", "杭州 市"}));
}

TEST(PgArrayParse, BackslashesEscapeQuotedOrNot) {
  EXPECT_EQ(parseTextArray(R"({"say \"hi\"","a\\b",c\,d,e\ })"),
            (std::vector<std::string>{"say \"hi\"", "a\\b", "c,d", "e "}));
}

TEST(PgArrayParse, NullElementsAndTheTextNull) {
  EXPECT_EQ(parseArrayLiteral("{NULL,null,\"NULL\",N\\ULL}"),
            (Elements{std::nullopt, std::nullopt, std::string("NULL"), std::string("NULL")}));
  EXPECT_FALSE(parseTextArray("{a,NULL}"));
  EXPECT_EQ(parseTextArray("{\"NULL\"}"), std::vector<std::string>{"NULL"});
}

TEST(PgArrayParse, ReadsWhatTheBuilderWrites) {
  const std::vector<std::string> items = {"", "NULL", "a,b", "say \"hi\"", "a\\b", "{}", " x "};
  EXPECT_EQ(parseTextArray(arrayLiteral(items)), items);
  std::string literal = "{";
  appendArrayElement(literal, "1");
  appendArrayNull(literal);
  literal += "}";
  EXPECT_EQ(parseArrayLiteral(literal), (Elements{std::string("1"), std::nullopt}));
}

TEST(PgArrayParse, RefusesWhatIsNotAOneDimensionalLiteral) {
  for (const char* bad : {"", "a", "{", "}", "{a", "{a,}", "{,a}", "{a,,b}", "{\"a}", "{\"a\"b}",
                          "{a\"b}", "{{a},{b}}", "[0:1]={a,b}", "{a} x", "{a}}", "{a\\}"}) {
    EXPECT_FALSE(parseArrayLiteral(bad)) << bad;
  }
}

}  // namespace
}  // namespace tongban::db
