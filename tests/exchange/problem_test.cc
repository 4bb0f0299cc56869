#include "tongban/exchange/problem.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace tongban::exchange {
namespace {

TEST(Problem, EveryErrorCodeHasAStatusAndTitle) {
  const std::pair<ErrorCode, int> expected[] = {
      {ErrorCode::kInvalidArgument, 400},   {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403},  {ErrorCode::kNotFound, 404},
      {ErrorCode::kConflict, 409},          {ErrorCode::kPayloadTooLarge, 413},
      {ErrorCode::kResourceExhausted, 429}, {ErrorCode::kUnavailable, 503},
      {ErrorCode::kInternal, 500}};
  for (const auto& [code, status] : expected) {
    EXPECT_EQ(httpStatusFor(code), status) << errorCodeName(code);
    EXPECT_STRNE(problemTitle(code), "") << errorCodeName(code);
  }
}

TEST(Problem, DocumentIsValidJsonWithTypeFieldAndInstance) {
  Status s = Status::invalid("citizen_id", "check character is '3', expected 'X'");
  std::string body = problemJson(s, "/v1/registry/persons/11010519491231002\"3", "req-1");
  rapidjson::Document d;
  d.Parse(body.c_str());
  ASSERT_FALSE(d.HasParseError()) << body;
  EXPECT_STREQ(d["type"].GetString(), "urn:tongban:problem:invalid_argument");
  EXPECT_STREQ(d["title"].GetString(), "Invalid argument");
  EXPECT_EQ(d["status"].GetInt(), 400);
  EXPECT_STREQ(d["detail"].GetString(), "check character is '3', expected 'X'");
  EXPECT_STREQ(d["field"].GetString(), "citizen_id");
  // A quote in the path is escaped, not allowed to end the string.
  EXPECT_STREQ(d["instance"].GetString(), "/v1/registry/persons/11010519491231002\"3");
  EXPECT_STREQ(d["request_id"].GetString(), "req-1");
}

TEST(Problem, NoFieldOrRequestIdWhenThereIsNone) {
  std::string body = problemJson(Status::notFound("no such endpoint: /x"), "/x", "");
  rapidjson::Document d;
  d.Parse(body.c_str());
  ASSERT_FALSE(d.HasParseError()) << body;
  EXPECT_EQ(d["status"].GetInt(), 404);
  EXPECT_FALSE(d.HasMember("field"));
  EXPECT_FALSE(d.HasMember("request_id"));
}

TEST(Problem, ControlCharactersInDetailAreEscaped) {
  std::string body = problemJson(Status::invalid("body", "bad\x01value\n"), "/v1/x", "r");
  rapidjson::Document d;
  d.Parse(body.c_str());
  ASSERT_FALSE(d.HasParseError()) << body;
  EXPECT_STREQ(d["detail"].GetString(), "bad\x01value\n");
}

TEST(Problem, MethodNotAllowedEscapesWhatTheClientSent) {
  std::string body = methodNotAllowedJson("PO\"ST", "GET, HEAD", "/v1/x\"y", "r-1");
  rapidjson::Document d;
  d.Parse(body.c_str());
  ASSERT_FALSE(d.HasParseError()) << body;
  EXPECT_STREQ(d["type"].GetString(), "urn:tongban:problem:method_not_allowed");
  EXPECT_EQ(d["status"].GetInt(), 405);
  EXPECT_STREQ(d["detail"].GetString(), "PO\"ST is not allowed here; allowed: GET, HEAD");
  EXPECT_STREQ(d["instance"].GetString(), "/v1/x\"y");
  EXPECT_FALSE(d.HasMember("field"));
}

}  // namespace
}  // namespace tongban::exchange
