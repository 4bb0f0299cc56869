// The audit facts a handler returns (HandlerResult, http.h) reach the audit record the dispatcher
// appends: on an answer, and on a refusal half-way through the handler, which is audited with what
// the handler knew by then.
#include <string>

#include <gtest/gtest.h>

#include "exchange/exchange_env.h"

namespace tongban::exchange {
namespace {

using testenv::ExchangeEnv;

constexpr const char* kMatter = "11110000000010014U4000117";

std::string queryBody(const std::string& case_id) {
  return std::string("{\"keys\":{\"citizen_id\":\"") + testenv::kPersonId +
         "\"},\"fields\":[\"name\"],\"purpose\":{\"matter_code\":\"" + kMatter +
         "\",\"case_id\":\"" + case_id + "\"}}";
}

class AuditFactsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { env_ = new ExchangeEnv("auditfacts"); }
  static void TearDownTestSuite() { delete env_; }

  // resource_code | fields | subject_keys | matter_code | case_id | result of the entry of the
  // request with case id `case_id`.
  static std::string auditedFacts(const std::string& case_id) {
    auto rows = env_->sql(
        "SELECT coalesce(resource_code, '') || '|' || array_to_string(fields, ',') || '|' || "
        "array_to_string(subject_keys, ',') || '|' || coalesce(matter_code, '') || '|' || "
        "coalesce(case_id, '') || '|' || result FROM exchange.audit_log WHERE case_id = '" +
        case_id + "'");
    if (rows.size() != 1) return "rows: " + std::to_string(rows.size());
    return rows[0][0].as<std::string>();
  }

  static ExchangeEnv* env_;
};

ExchangeEnv* AuditFactsTest::env_ = nullptr;

TEST_F(AuditFactsTest, AnAnswerIsAuditedWithTheFactsItsHandlerReturned) {
  testenv::App app = env_->makeApp(testenv::kCivilAffairs, "婚姻登记系统", "consumer");
  env_->grant(app, "POP-PERSON-BASIC", {"citizen_id", "name"}, {kMatter});
  auto r = env_->client(app).call("POST", "/v1/query/POP-PERSON-BASIC", queryBody("FACTS-OK"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(auditedFacts("FACTS-OK"), std::string("POP-PERSON-BASIC|name|") + testenv::kPersonId +
                                          "|" + kMatter + "|FACTS-OK|allowed");
}

TEST_F(AuditFactsTest, ARefusalHalfWayIsAuditedWithWhatTheHandlerKnew) {
  // No grant: the handler has read the resource, fields and purpose when it refuses.
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "未授权系统", "consumer");
  auto r = env_->client(app).call("POST", "/v1/query/POP-PERSON-BASIC", queryBody("FACTS-403"));
  ASSERT_EQ(r.status, 403) << r.body;
  const std::string facts = auditedFacts("FACTS-403");
  EXPECT_EQ(facts.rfind(std::string("POP-PERSON-BASIC|name|"), 0), 0u) << facts;
  EXPECT_NE(facts.find(std::string("|") + kMatter + "|FACTS-403|denied"), std::string::npos)
      << facts;
}

}  // namespace
}  // namespace tongban::exchange
