// The shared JSON parser: depth limit, no recursion over the input, strictness.
#include "tongban/common/json.h"

#include <string>

#include <gtest/gtest.h>

namespace tongban {
namespace {

std::string nestedArrays(unsigned depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string nestedObjects(unsigned depth) {
  std::string s;
  for (unsigned i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

// Alternates arrays and objects: [{"k":[{"k":...}]}].
std::string nestedMixed(unsigned depth) {
  std::string open, close;
  for (unsigned i = 0; i < depth; ++i) {
    if (i % 2 == 0) {
      open += "[";
      close = "]" + close;
    } else {
      open += "{\"k\":";
      close = "}" + close;
    }
  }
  return open + "null" + close;
}

TEST(ParseJson, AcceptsNestingAtTheLimit) {
  rapidjson::Document d;
  ASSERT_TRUE(parseJson(nestedArrays(kMaxJsonDepth), d, "body"));
  EXPECT_TRUE(d.IsArray());
  ASSERT_TRUE(parseJson(nestedObjects(kMaxJsonDepth), d, "body"));
  EXPECT_TRUE(d.IsObject());
  ASSERT_TRUE(parseJson(nestedMixed(kMaxJsonDepth), d, "body"));
  EXPECT_TRUE(d.IsArray());
}

TEST(ParseJson, RefusesOneLevelBeyondTheLimitNamingItAndTheField) {
  for (const std::string& text : {nestedArrays(kMaxJsonDepth + 1), nestedObjects(kMaxJsonDepth + 1),
                                  nestedMixed(kMaxJsonDepth + 1)}) {
    rapidjson::Document d;
    Status s = parseJson(text, d, "body");
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.field(), "body");
    EXPECT_NE(s.message().find("64"), std::string::npos) << s.message();
    EXPECT_TRUE(d.IsNull());
  }
}

TEST(ParseJson, RefusesAMillionOpenBracketsWithoutRecursing) {
  // The attack of issue 7 hole 1: with a recursive parser this overflows the stack.
  rapidjson::Document d;
  Status s = parseJson(std::string(1000000, '['), d, "body");
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("deeper than the limit of 64"), std::string::npos) << s.message();
  s = parseJson(std::string(500000, '[') + std::string(500000, ']'), d, "body");
  EXPECT_FALSE(s);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_FALSE(parseJson(objects, d, "body"));
}

TEST(ParseJson, AHigherLimitIsHonoured) {
  rapidjson::Document d;
  EXPECT_TRUE(parseJson(nestedArrays(200), d, "x", 200));
  EXPECT_FALSE(parseJson(nestedArrays(201), d, "x", 200));
  EXPECT_FALSE(parseJson(nestedArrays(2), d, "x", 1));
  EXPECT_TRUE(parseJson("[]", d, "x", 1));
  EXPECT_TRUE(parseJson("7", d, "x", 0));
}

TEST(ParseJson, KeepsFullPrecisionAndValues) {
  rapidjson::Document d;
  ASSERT_TRUE(parseJson(R"({"a":[1,2.5,"x",true,null],"b":{"c":-3}})", d, "body"));
  EXPECT_EQ(d["a"].Size(), 5u);
  EXPECT_DOUBLE_EQ(d["a"][1].GetDouble(), 2.5);
  EXPECT_EQ(d["b"]["c"].GetInt(), -3);
  ASSERT_TRUE(parseJson("0.1", d, "x"));
  EXPECT_EQ(d.GetDouble(), 0.1);
}

TEST(ParseJson, RefusesMalformedInputWithTheOffset) {
  rapidjson::Document d;
  for (const char* text : {"", "{", "[1,]", "{} {}", "NaN", "[1] x", "{\"a\" 1}", "\"\xff\""}) {
    Status s = parseJson(text, d, "body");
    EXPECT_FALSE(s) << text;
    EXPECT_EQ(s.field(), "body");
    EXPECT_TRUE(d.IsNull());
  }
  Status s = parseJson("[1,]", d, "body");
  EXPECT_NE(s.message().find("at byte 3"), std::string::npos) << s.message();
}

TEST(ParseJson, ReusesADocument) {
  rapidjson::Document d;
  ASSERT_TRUE(parseJson("[1,2]", d, "x"));
  EXPECT_FALSE(parseJson("[[", d, "x"));
  EXPECT_TRUE(d.IsNull());
  ASSERT_TRUE(parseJson("{\"a\":1}", d, "x"));
  EXPECT_EQ(d["a"].GetInt(), 1);
}

TEST(ParseJson, RefusesIntegerLiteralsBeyond64BitsButNotDoubles) {
  rapidjson::Document d;
  ASSERT_TRUE(parseJson("[18446744073709551615,-9223372036854775808,-0,1e30,1.8446744073709552e19]",
                        d, "x"));
  EXPECT_TRUE(d[0].IsUint64());
  EXPECT_TRUE(d[1].IsInt64());
  EXPECT_TRUE(d[3].IsDouble());
  for (const char* text : {"18446744073709551616", "[1,-9223372036854775809]",
                           "{\"a\":123456789012345678901234567890}"}) {
    Status s = parseJson(text, d, "body");
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.field(), "body");
    EXPECT_NE(s.message().find("64 bits"), std::string::npos) << s.message();
  }
}

TEST(ParseJson, RefusesLoneSurrogateEscapes) {
  // Found by fuzz/json_fuzz: "\ude02" used to become the bytes ED B8 82, which are not UTF-8.
  rapidjson::Document d;
  for (const char* text :
       {"[\"\\ude02\"]", "{\"\\udc00\":1}", "\"a\\uf83d\\ude02\"", "\"\\ud800\"", "\"\\ud800x\""}) {
    Status s = parseJson(text, d, "body");
    EXPECT_FALSE(s) << text;
    EXPECT_EQ(s.field(), "body");
  }
  ASSERT_TRUE(parseJson("\"\\ud83d\\ude02\\u0000\"", d, "body"));  // a pair, and U+0000
  EXPECT_EQ(std::string(d.GetString(), d.GetStringLength()), std::string("\xf0\x9f\x98\x82\0", 5));
}

TEST(ParseJson, NumbersThatCrashedRapidJsonsConversionAreHandled) {
  // Found by fuzz/json_fuzz and fuzz/jcs_fuzz: RapidJSON 1.1's full-precision strtod asserted
  // (and so aborted the process in a build with assertions) on these.
  rapidjson::Document d;
  for (const char* text :
       {"[18446744770790420e308]", "[154.7546744771580841e308]", "[81e307]", "[1e309]", "-1e400"}) {
    Status s = parseJson(text, d, "body");
    EXPECT_FALSE(s) << text;
    EXPECT_EQ(s.field(), "body");
  }
  ASSERT_TRUE(
      parseJson("[1.7976931348623157e308,5e-324,1e-400,333333333.33333329,-0,0.1]", d, "x"));
  EXPECT_EQ(d[0].GetDouble(), 1.7976931348623157e308);
  EXPECT_EQ(d[1].GetDouble(), 5e-324);
  EXPECT_EQ(d[2].GetDouble(), 0.0);
  EXPECT_EQ(d[3].GetDouble(), 333333333.3333333);
  EXPECT_TRUE(d[4].IsInt());
  EXPECT_EQ(d[5].GetDouble(), 0.1);
}

TEST(ParseJsonObject, RefusesOtherRoots) {
  rapidjson::Document d;
  EXPECT_TRUE(parseJsonObject("{}", d, "body"));
  Status s = parseJsonObject("[]", d, "body");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.field(), "body");
  EXPECT_EQ(s.message(), "must be a JSON object");
  EXPECT_FALSE(parseJsonObject("\"{}\"", d, "body"));
}

}  // namespace
}  // namespace tongban
