// Issue 7, hole 1: a signed application must not be able to kill the exchange with deeply nested
// JSON. The server here accepts bodies up to 1 MiB, as a deployment does by default.
#include <string>

#include <gtest/gtest.h>

#include "exchange/exchange_env.h"

namespace tongban::exchange {
namespace {

using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;

constexpr const char* kM1 = "11110000000010014U4000117";

std::string validQuery() {
  return std::string("{\"keys\":{\"citizen_id\":\"") + testenv::kPersonId +
         "\"},\"fields\":[\"name\"],\"purpose\":{\"matter_code\":\"" + kM1 +
         "\",\"case_id\":\"CASE-1\"}}";
}

TEST(JsonDepth, AMillionOpenBracketsGetA400AndTheServerKeepsAnswering) {
  ExchangeEnv env("jsondepth", [](ExchangeConfig& c) { c.max_body_bytes = 1 << 20; });
  testenv::App app = env.makeApp(testenv::kCivilAffairs, "嵌套攻击系统", "consumer");
  env.grant(app, "POP-PERSON-BASIC", {"citizen_id", "name"}, {kM1});
  Client client = env.client(app);

  const std::string path = "/v1/query/POP-PERSON-BASIC";
  struct Attack {
    const char* what;
    std::string body;
  } attacks[] = {
      {"a million [", std::string(1000000, '[')},
      {"balanced arrays", std::string(500000, '[') + std::string(500000, ']')},
      {"nested objects",
       [] {
         std::string s;
         while (s.size() < 1000000) s += "{\"a\":";
         return s;
       }()},
      {"deep inside a valid query",
       [] {
         std::string q = validQuery();
         return q.substr(0, q.size() - 1) + ",\"x\":" + std::string(65, '[') +
                std::string(65, ']') + "}";
       }()},
  };
  for (const Attack& attack : attacks) {
    ASSERT_LE(attack.body.size(), size_t{1} << 20) << attack.what;
    Reply r = client.call("POST", path, attack.body);
    EXPECT_EQ(r.status, 400) << attack.what << " -> " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << attack.what;
    EXPECT_EQ(r.str("field"), "body") << attack.what << " -> " << r.body;
    EXPECT_NE(r.body.find("limit of 64"), std::string::npos) << attack.what << " -> " << r.body;
  }

  // Still alive and serving.
  Reply ok = client.call("POST", path, validQuery());
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST(JsonDepth, OtherHostileJsonFoundByFuzzingGetsA400NamingTheField) {
  ExchangeEnv env("jsonhostile");
  testenv::App app = env.makeApp(testenv::kCivilAffairs, "畸形输入系统", "consumer");
  env.grant(app, "POP-PERSON-BASIC", {"citizen_id", "name"}, {kM1});
  Client client = env.client(app);
  const std::string path = "/v1/query/POP-PERSON-BASIC";
  const std::string q = validQuery();
  struct Case {
    std::string body;
    std::string field;
  } cases[] = {
      // RapidJSON's own conversion asserted on this number (an abort with assertions on).
      {q.substr(0, q.size() - 1) + ",\"n\":18446744770790420e308}", "body"},
      {q.substr(0, q.size() - 1) + ",\"n\":123456789012345678901234567890}", "body"},
      {q.substr(0, q.size() - 1) + ",\"n\":\"\\udc00\"}", "body"},  // lone surrogate
      {"{\"\":{}}", "body"},                                        // empty member name
      {std::string("{\"keys\":{\"citizen_id\":\"") + testenv::kPersonId +
           "\"},\"fields\":[\"name\"],\"purpose\":{\"matter_code\":\"" + kM1 +
           "\",\"case_id\":\"A\\u0000B\"}}",
       "purpose.case_id"},
  };
  for (const Case& c : cases) {
    Reply r = client.call("POST", path, c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.str("field"), c.field) << c.body << " -> " << r.body;
  }
  Reply ok = client.call("POST", path, q);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

}  // namespace
}  // namespace tongban::exchange
