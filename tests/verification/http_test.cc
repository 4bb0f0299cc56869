// POST /v1/verify and /v1/verify/batch end to end: answers for every kind on seeded data, what an
// answer discloses, authentication, grants by kind and certificate type, quotas, bad input, and
// the audit record of every call (chain intact, visible in the holder's access log).
#include <set>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tongban/audit/access_log.h"
#include "tongban/audit/verify.h"
#include "tongban/common/time_format.h"
#include "verification/serve_env.h"

namespace tongban::exchange {
namespace {

using testenv::App;
using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;
using namespace verifytest;

std::string purpose(const std::string& matter = kMatter, const std::string& case_id = "C-1") {
  return "\"purpose\":{\"matter_code\":\"" + matter + "\",\"case_id\":\"" + case_id + "\"}";
}

std::string one(const std::string& check) { return "{" + purpose() + ",\"check\":" + check + "}"; }

std::string batch(const std::vector<std::string>& checks) {
  std::string s = "{" + purpose() + ",\"checks\":[";
  for (size_t i = 0; i < checks.size(); ++i) s += (i ? "," : "") + checks[i];
  return s + "]}";
}

std::string kindOn(const std::string& kind, const std::string& subject,
                   const std::string& more = "") {
  return "{\"kind\":\"" + kind + "\",\"subject\":\"" + subject + "\"" + more + "}";
}

// Sends exactly these bytes; returns the reply's status code.
int rawStatus(uint16_t port, const std::string& target, const std::string& authorization,
              const std::string& body) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string req = "POST " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  s.sendBytes(req.data(), static_cast<int>(req.size()));
  std::string resp;
  char buf[4096];
  int n;
  try {
    while ((n = s.receiveBytes(buf, sizeof buf)) > 0) resp.append(buf, n);
  } catch (const Poco::Exception&) {
  }
  return resp.size() < 12 ? 0 : std::stoi(resp.substr(9, 3));
}

class VerifyHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = startVerifyEnv("verify_http");
    // A verifier with grants for every kind and kType, but not kOtherType.
    verifier_ = new App(env_->makeApp(testenv::kTaxBureau, "审批系统", "consumer"));
    env_->grant(*verifier_, "VERIFY-PERSON", {"status", "region_code", "birth_date"}, {kMatter});
    env_->grant(*verifier_, "VERIFY-ENTITY", {"status", "legal_rep_citizen_id"}, {kMatter});
    env_->grant(*verifier_, std::string("CERT-") + kType, {"certificate_id", "holder_code"},
                {kMatter});
    // One that may only ask whether a person is alive.
    narrow_ = new App(env_->makeApp(testenv::kTaxBureau, "窄授权系统", "consumer"));
    env_->grant(*narrow_, "VERIFY-PERSON", {"status"}, {kMatter});
  }
  static void TearDownTestSuite() {
    delete narrow_;
    delete verifier_;
    delete env_;
  }
  static ExchangeEnv* env_;
  static App* verifier_;
  static App* narrow_;
};
ExchangeEnv* VerifyHttpTest::env_ = nullptr;
App* VerifyHttpTest::verifier_ = nullptr;
App* VerifyHttpTest::narrow_ = nullptr;

TEST_F(VerifyHttpTest, SingleCheckAnswersVerdictReasonAndAsOfOnly) {
  Client c = env_->client(*verifier_);
  Reply r = c.call("POST", "/v1/verify", one(kindOn("person_alive", kLiving)));
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  EXPECT_STREQ(d["verdict"].GetString(), "true");
  EXPECT_STREQ(d["reason"].GetString(), "ok");
  std::set<std::string> members;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) members.insert(it->name.GetString());
  // With the hub's PKI (the fixture's), the answer's receipt and the signed root of its window
  // (receipt_serve_test.cc verifies them).
  EXPECT_EQ(members, (std::set<std::string>{"verdict", "reason", "as_of", "receipt", "signed_root",
                                            "request_id"}));
  const auto& a = d["as_of"];
  // The fixture wrote 5 certificate changes, 3 persons and 1 entity before the index loaded.
  EXPECT_EQ(a["certs_seq"].GetUint64(), 5u);
  EXPECT_EQ(a["population_seq"].GetUint64(), 3u);
  EXPECT_EQ(a["legal_entity_seq"].GetUint64(), 1u);
  const std::string at = a["at"].GetString();
  EXPECT_TRUE(parseRfc3339(at).has_value()) << at;
  EXPECT_EQ(at.back(), 'Z') << at;
  EXPECT_FALSE(a["stale"].GetBool());
  EXPECT_EQ(r.body.find(kLiving), std::string::npos) << "the subject is not echoed";
}

TEST_F(VerifyHttpTest, BatchAnswersEveryKindInOrder) {
  const Seeded& s = seeded();
  Client c = env_->client(*verifier_);
  const std::string type = std::string(",\"type_code\":\"") + kType + "\"";
  Reply r = c.call(
      "POST", "/v1/verify/batch",
      batch(
          {kindOn("certificate_valid", s.valid), kindOn("certificate_valid", s.revoked),
           kindOn("certificate_valid", s.suspended), kindOn("certificate_valid", s.expired),
           kindOn("certificate_valid", s.superseded), kindOn("certificate_valid", s.unknown),
           kindOn("holds_certificate", kEntity, type),
           kindOn("holds_certificate", kEntity, type + ",\"region\":\"35\""),
           kindOn("holds_certificate", kLiving, type), kindOn("person_alive", s.deceased),
           kindOn("person_registered_in", kLiving, ",\"region\":\"11\""),
           kindOn("person_registered_in", kLiving, ",\"region\":\"3301\""),
           kindOn("person_age_at_least", kLiving, ",\"min_age\":76,\"on_date\":\"2026-01-01\""),
           kindOn("person_age_at_least", kLiving, ",\"min_age\":77,\"on_date\":\"2026-12-30\""),
           kindOn("person_alive", citizenId("11010119800101005")),
           kindOn("entity_in_business", kEntity),
           kindOn("legal_representative", kLiving, std::string(",\"entity\":\"") + kEntity + "\""),
           kindOn("legal_representative", s.deceased,
                  std::string(",\"entity\":\"") + kEntity + "\"")}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  const std::vector<std::pair<const char*, const char*>> want = {{"true", "ok"},
                                                                 {"false", "revoked"},
                                                                 {"false", "suspended"},
                                                                 {"false", "expired"},
                                                                 {"false", "superseded"},
                                                                 {"unknown", "not_found"},
                                                                 {"true", "ok"},
                                                                 {"false", "no_valid_certificate"},
                                                                 {"false", "no_valid_certificate"},
                                                                 {"false", "deceased"},
                                                                 {"true", "ok"},
                                                                 {"false", "region_mismatch"},
                                                                 {"true", "ok"},
                                                                 {"false", "under_age"},
                                                                 {"unknown", "not_found"},
                                                                 {"true", "ok"},
                                                                 {"true", "ok"},
                                                                 {"false", "not_representative"}};
  ASSERT_EQ(d["answers"].Size(), want.size()) << r.body;
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& a = d["answers"][static_cast<rapidjson::SizeType>(i)];
    EXPECT_STREQ(a["verdict"].GetString(), want[i].first) << "check " << i;
    EXPECT_STREQ(a["reason"].GetString(), want[i].second) << "check " << i;
    EXPECT_EQ(a.MemberCount(), 3u) << "check " << i;  // verdict, reason, receipt
    ASSERT_TRUE(a.HasMember("receipt")) << "check " << i;
    EXPECT_EQ(a["receipt"]["leaf_index"].GetUint64(), i) << "check " << i;
  }
}

TEST_F(VerifyHttpTest, UnsignedAndBadlySignedCallsAre401) {
  EXPECT_EQ(rawStatus(env_->port(), "/v1/verify", "", one(kindOn("person_alive", kLiving))), 401);
  EXPECT_EQ(rawStatus(env_->port(), "/v1/verify/batch",
                      "TB1-HMAC-SHA256 Credential=" + verifier_->credentials.key_id +
                          ", Timestamp=1, Nonce=aaaaaaaaaaaaaaaa, Signature=00",
                      batch({kindOn("person_alive", kLiving)})),
            401);
  Client forged(env_->port(), Credentials{verifier_->credentials.key_id, "not-the-secret"});
  EXPECT_EQ(forged.call("POST", "/v1/verify", one(kindOn("person_alive", kLiving))).status, 401);
}

TEST_F(VerifyHttpTest, UngrantedKindTypeOrMatterIs403NamingIt) {
  Client narrow = env_->client(*narrow_);
  Reply r = narrow.call("POST", "/v1/verify/batch",
                        batch({kindOn("person_alive", kLiving),
                               kindOn("person_registered_in", kLiving, ",\"region\":\"11\"")}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.str("field"), "checks[1].kind") << r.body;
  r = narrow.call("POST", "/v1/verify", one(kindOn("certificate_valid", seeded().valid)));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.str("field"), "check.subject") << r.body;
  EXPECT_NE(r.body.find(std::string("CERT-") + kType), std::string::npos) << r.body;

  Client c = env_->client(*verifier_);
  r = c.call(
      "POST", "/v1/verify/batch",
      batch({kindOn("holds_certificate", kEntity, std::string(",\"type_code\":\"") + kType + "\""),
             kindOn("holds_certificate", kEntity,
                    std::string(",\"type_code\":\"") + kOtherType + "\"")}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.str("field"), "checks[1].type_code") << r.body;
  r = c.call("POST", "/v1/verify",
             "{" + purpose("OTHER-MATTER") + ",\"check\":" + kindOn("person_alive", kLiving) + "}");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.str("field"), "purpose.matter_code") << r.body;
}

TEST_F(VerifyHttpTest, QuotaIsPerCallAnd429WithRetryAfter) {
  App app = env_->makeApp(testenv::kTaxBureau, "限额系统", "consumer");
  env_->grant(app, "VERIFY-ENTITY", {"status"}, {kMatter}, /*rate_per_minute=*/2);
  Client c = env_->client(app);
  const std::string body =
      batch({kindOn("entity_in_business", kEntity), kindOn("entity_in_business", kEntity)});
  EXPECT_EQ(c.call("POST", "/v1/verify/batch", body).status, 200);
  EXPECT_EQ(c.call("POST", "/v1/verify/batch", body).status, 200);
  Reply r = c.call("POST", "/v1/verify/batch", body);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.retry_after.empty());
}

TEST_F(VerifyHttpTest, BadInputIs4xxNamingTheField) {
  Client c = env_->client(*verifier_);
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const std::string ok = kindOn("person_alive", kLiving);
  std::string too_many;
  std::vector<std::string> many(kMaxBatch + 1, ok);
  const std::vector<Case> cases = {
      {batch({ok, ok, ok, kindOn("person_dead", kLiving)}), 400, "checks[3].kind"},
      {batch({kindOn("person_alive", "11010519491231002")}), 400, "checks[0].subject"},
      {batch({kindOn("person_alive", "110105194912310021")}), 400, "checks[0].subject"},
      {batch({kindOn("entity_in_business", "91350100M000100Y44")}), 400, "checks[0].subject"},
      {batch({kindOn("certificate_valid", "1.2.156.3005.2.X")}), 400, "checks[0].subject"},
      {batch({kindOn("person_alive", kLiving, ",\"region\":\"11\"")}), 400, "checks[0].region"},
      {batch({kindOn("person_registered_in", kLiving)}), 400, "checks[0].region"},
      {batch({kindOn("person_registered_in", kLiving, ",\"region\":\"110\"")}), 400,
       "checks[0].region"},
      {batch({kindOn("person_age_at_least", kLiving)}), 400, "checks[0].min_age"},
      {batch({kindOn("person_age_at_least", kLiving, ",\"min_age\":151")}), 400,
       "checks[0].min_age"},
      {batch(
           {kindOn("person_age_at_least", kLiving, ",\"min_age\":18,\"on_date\":\"2026-02-30\"")}),
       400, "checks[0].on_date"},
      {batch({kindOn("holds_certificate", kEntity)}), 400, "checks[0].type_code"},
      {batch({kindOn("legal_representative", kLiving)}), 400, "checks[0].entity"},
      {batch({kindOn("person_alive", kLiving, ",\"colour\":\"red\"")}), 400, "checks[0].colour"},
      {batch({"{\"kind\":\"person_alive\"}"}), 400, "checks[0].subject"},
      {batch({"{\"kind\":\"person_alive\",\"subject\":17}"}), 400, "checks[0].subject"},
      {batch({"[]"}), 400, "checks[0]"},
      {batch({}), 400, "checks"},
      {batch(many), 413, "checks"},
      {"{" + purpose() + ",\"checks\":{}}", 400, "checks"},
      {"{\"checks\":[" + ok + "]}", 400, "purpose"},
      {"{" + purpose("") + ",\"checks\":[" + ok + "]}", 400, "purpose.matter_code"},
      {"{" + purpose(kMatter, "") + ",\"checks\":[" + ok + "]}", 400, "purpose.case_id"},
      {"{" + purpose() + ",\"checks\":[" + ok + "]", 400, "body"},
      {"{" + purpose() + ",\"checks\":" + std::string(100, '[') + std::string(100, ']') + "}", 400,
       "body"},
      {"", 400, "body"},
  };
  for (const auto& k : cases) {
    Reply r = c.call("POST", "/v1/verify/batch", k.body);
    EXPECT_EQ(r.status, k.status) << k.body.substr(0, 300) << "\n" << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << r.body;
    EXPECT_EQ(r.str("field"), k.field) << k.body.substr(0, 300) << "\n" << r.body;
  }
  Reply r = c.call("POST", "/v1/verify", "{" + purpose() + ",\"checks\":[" + ok + "]}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.str("field"), "checks");
  r = c.call("POST", "/v1/verify", "{" + purpose() + ",\"check\":" + kindOn("x", kLiving) + "}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.str("field"), "check.kind");
  // A body over the route's limit is refused before it is parsed.
  r = c.call("POST", "/v1/verify/batch",
             "{" + purpose() + ",\"checks\":[" + ok + "],\"pad\":\"" +
                 std::string(300 * 1024, 'a') + "\"}");
  EXPECT_EQ(r.status, 413) << r.body;
  // The server still answers.
  EXPECT_EQ(c.call("POST", "/v1/verify", one(ok)).status, 200);
}

TEST_F(VerifyHttpTest, EveryCallIsAuditedAttributablyAndTheChainVerifies) {
  Client c = env_->client(*verifier_);
  const Seeded& s = seeded();
  Reply r =
      c.call("POST", "/v1/verify/batch",
             batch({kindOn("person_alive", s.deceased), kindOn("certificate_valid", s.revoked)}));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string request_id = r.str("request_id");
  ASSERT_FALSE(request_id.empty());
  // Durable before the response: the row is there as soon as the answer is.
  auto rows = env_->sql(
      "SELECT app_id, matter_code, case_id, resource_code, subject_keys::text, fields::text, "
      "result FROM exchange.audit_log WHERE request_id = '" +
      request_id + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), verifier_->app_id);
  EXPECT_EQ(rows[0][1].as<std::string>(), kMatter);
  EXPECT_EQ(rows[0][2].as<std::string>(), "C-1");
  EXPECT_EQ(rows[0][3].as<std::string>(), std::string("VERIFY-PERSON,CERT-") + kType);
  EXPECT_EQ(rows[0][4].as<std::string>(), "{" + s.deceased + "," + s.revoked + "}");
  EXPECT_EQ(rows[0][5].as<std::string>(),
            "{\"person_alive -> false deceased\",\"certificate_valid -> false revoked\"}");
  EXPECT_EQ(rows[0][6].as<std::string>(), "allowed");

  // A refusal is audited too, with what was asked.
  Client narrow = env_->client(*narrow_);
  r = narrow.call("POST", "/v1/verify",
                  one(kindOn("person_registered_in", s.deceased, ",\"region\":\"33\"")));
  ASSERT_EQ(r.status, 403);
  rows = env_->sql("SELECT result, subject_keys::text FROM exchange.audit_log WHERE app_id = '" +
                   narrow_->app_id + "' AND http_status = 403 ORDER BY seq DESC");
  ASSERT_GE(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "denied");
  EXPECT_EQ(rows[0][1].as<std::string>(), "{" + s.deceased + "}");

  // The holder sees who checked them and why.
  pqxx::connection conn(env_->conninfo());
  auto seen = audit::accessLogForSubject(conn, s.deceased, 10);
  ASSERT_TRUE(seen) << seen.status().toString();
  bool found = false;
  for (const auto& a : *seen) {
    if (a.resource_code != std::string("VERIFY-PERSON,CERT-") + kType) continue;
    found = true;
    EXPECT_EQ(a.matter_code, kMatter);
    // Only the holder's own checks: not what the same batch asked about anyone else.
    EXPECT_EQ(a.fields, std::vector<std::string>{"person_alive -> false deceased"});
  }
  EXPECT_TRUE(found);
  // And the chain verifies (what `tongban-admin audit verify` runs).
  auto report = audit::verifyAuditChain(conn);
  ASSERT_TRUE(report) << report.status().toString();
  EXPECT_TRUE(report->intact());
}

std::string publicGet(uint16_t port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  return body;
}

TEST_F(VerifyHttpTest, ReadinessAndMetricsReportTheIndex) {
  const std::string ready = publicGet(env_->port(), "/readyz");
  EXPECT_NE(ready.find("\"verification\":{\"loaded\":true,\"connected\":true,\"stale\":false"),
            std::string::npos)
      << ready;
  EXPECT_NE(ready.find("\"certificates\":5"), std::string::npos) << ready;
  const std::string metrics = publicGet(env_->port(), "/metrics");
  EXPECT_NE(metrics.find("tongban_verification_index{what=\"certificates\"} 5"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tongban_verification_index{what=\"stale\"} 0"), std::string::npos);
}

}  // namespace
}  // namespace tongban::exchange
