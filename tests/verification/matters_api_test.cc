// The service-matter endpoints end to end (docs/matters.md): the certificate-free listing, the
// precheck of a matter and of a one-thing through the verification grants and audit, and the
// eligibility scan (免申即享) with its cursor and its audit record naming every disclosed person.
// Seeds the shipped matters' certificate types and persons after the exchange started, and waits
// (bounded) until the index has applied them from the change feeds.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tongban/audit/access_log.h"
#include "verification/seed.h"
#include "verification/serve_env.h"

namespace tongban::exchange {
namespace {

using testenv::App;
using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;
using verification::testing::kIdCardType;
using verification::testing::kLicenceType;
namespace vt = verification::testing;

constexpr const char* kFoodPermit = "210000-SCJG-0002";
constexpr const char* kRestaurant = "210000-YJS-KBCYD";
constexpr const char* kOldAge = "210000-MZJ-0001";
constexpr const char* kPremisesType = "11100000MB196707X7001";  // 不动产权证书 (210000-SCJG-0001)

std::string purpose(const std::string& matter, const std::string& case_id = "C-9") {
  return "\"purpose\":{\"matter_code\":\"" + matter + "\",\"case_id\":\"" + case_id + "\"}";
}

std::string precheckBody(const std::string& matter, const std::string& citizen,
                         const std::string& credit) {
  std::string a;
  if (!citizen.empty()) a += "\"citizen_id\":\"" + citizen + "\"";
  if (!credit.empty())
    a += std::string(a.empty() ? "" : ",") + "\"credit_code\":\"" + credit + "\"";
  return "{" + purpose(matter) + ",\"applicant\":{" + a + "}}";
}

// Publishes CERT-<type> as startVerifyEnv does for its own type.
void publishCertResource(ExchangeEnv& env, const std::string& type) {
  env.sql(
      "INSERT INTO catalog.resources (code, version, name, description, provider_department, "
      "source, key_fields, sharing_type, open_data, update_cycle, status, created_by, "
      "updated_by) VALUES ('CERT-" +
      type + "', 1, '证照" + type + "', '', '" + testenv::kMarketRegulation + "', 'certs:" + type +
      "', '{certificate_id}', 'conditional', false, 'realtime', 'published', 't', 't') "
      "ON CONFLICT DO NOTHING");
  env.sql(
      "INSERT INTO catalog.resource_fields (resource_code, resource_version, position, name, "
      "type, description, sensitivity, masking) VALUES ('CERT-" +
      type + "', 1, 1, 'certificate_id', 'string', '', 'public', 'none'), ('CERT-" + type +
      "', 1, 2, 'holder_code', 'string', '', 'sensitive', 'none'), ('CERT-" + type +
      "', 1, 3, 'certificate', 'string', '', 'sensitive', 'none') ON CONFLICT DO NOTHING");
}

struct People {
  std::string rep_ok, rep_revoked;        // living, Liaoning, born 1980
  std::string entity_ok, entity_revoked;  // their entities
  std::vector<std::string> eligible;      // alive, 21xxxx, born 1940 (sorted)
};

class MattersApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = verifytest::startVerifyEnv("matters_api");
    for (const char* t : {kLicenceType, kIdCardType, kPremisesType}) publishCertResource(*env_, t);
    vt::Seeder seed(env_->conninfo());
    seed.continueAfterExisting();
    const std::string seal = seed.seal(testenv::kMarketRegulation);
    p_.rep_ok = vt::citizenId("210102", "19800101", 11);
    p_.rep_revoked = vt::citizenId("210102", "19800202", 13);
    p_.entity_ok = vt::creditCode("210102", 70001);
    p_.entity_revoked = vt::creditCode("210102", 70002);
    seed.person(p_.rep_ok, "210102");
    seed.person(p_.rep_revoked, "210102");
    seed.entity(p_.entity_ok, p_.rep_ok);
    seed.entity(p_.entity_revoked, p_.rep_revoked);
    seed.certificate(kLicenceType, testenv::kMarketRegulation, seal, p_.entity_ok, "2025-01-01",
                     "");
    seed.certificate(kLicenceType, testenv::kMarketRegulation, seal, p_.entity_revoked,
                     "2025-01-01", "", "revoked");
    seed.certificate(kIdCardType, testenv::kMarketRegulation, seal, p_.rep_ok, "2025-01-01", "");
    for (uint32_t i = 0; i < 5; ++i) {
      const std::string id = vt::citizenId("210203", "19400315", 21 + 2 * i);
      seed.person(id, "210203");
      p_.eligible.push_back(id);
    }
    std::sort(p_.eligible.begin(), p_.eligible.end());
    seed.person(vt::citizenId("210203", "19400315", 51), "210203", "deceased");  // not alive
    seed.person(vt::citizenId("330106", "19400315", 53), "330106");              // not 21
    seed.person(vt::citizenId("210203", "19600315", 55), "210203");              // too young

    officer_ = new App(env_->makeApp(testenv::kMarketRegulation, "食品经营许可审批", "consumer"));
    env_->grant(*officer_, "VERIFY-ENTITY", {"status", "legal_rep_citizen_id"}, {kFoodPermit});
    env_->grant(*officer_, std::string("CERT-") + kLicenceType, {"holder_code"}, {kFoodPermit});
    portal_ = new App(env_->makeApp(testenv::kTaxBureau, "一件事门户", "consumer"));
    env_->grant(*portal_, "VERIFY-ENTITY", {"status", "legal_rep_citizen_id"}, {kRestaurant});
    for (const char* t : {kLicenceType, kIdCardType, kPremisesType}) {
      env_->grant(*portal_, std::string("CERT-") + t, {"holder_code"}, {kRestaurant});
    }
    // The portal of another county: everything but the premises certificate.
    partial_ = new App(env_->makeApp(testenv::kTaxBureau, "部分授权门户", "consumer"));
    env_->grant(*partial_, "VERIFY-ENTITY", {"status", "legal_rep_citizen_id"}, {kRestaurant});
    for (const char* t : {kLicenceType, kIdCardType}) {
      env_->grant(*partial_, std::string("CERT-") + t, {"holder_code"}, {kRestaurant});
    }
    civil_ = new App(env_->makeApp(testenv::kCivilAffairs, "高龄津贴", "consumer"));
    env_->grant(*civil_, "VERIFY-PERSON", {"status", "region_code", "birth_date"}, {kOldAge});
    narrow_ = new App(env_->makeApp(testenv::kCivilAffairs, "窄授权", "consumer"));
    env_->grant(*narrow_, "VERIFY-PERSON", {"status"}, {kOldAge});

    // Wait (bounded) until the index has applied the seed from the change feeds.
    Client c = env_->client(*officer_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
      Reply r = c.call("POST", std::string("/v1/matters/") + kFoodPermit + "/precheck",
                       precheckBody(kFoodPermit, p_.rep_ok, p_.entity_ok));
      ready = r.status == 200 && r.body.find("not_satisfied") == std::string::npos;
      if (ready) {
        // And the last persons seeded (the scan reads them).
        Client v = env_->client(*civil_);
        Reply e = v.call("POST", std::string("/v1/matters/") + kOldAge + "/eligible",
                         "{" + purpose(kOldAge) + ",\"limit\":1000}");
        ready = e.status == 200 && e.json()["citizen_ids"].Size() == p_.eligible.size();
      }
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ready) << "the index did not apply the seed within 20 s";
  }
  static void TearDownTestSuite() {
    delete narrow_;
    delete civil_;
    delete portal_;
    delete partial_;
    delete officer_;
    delete env_;
  }
  static ExchangeEnv* env_;
  static App *officer_, *portal_, *partial_, *civil_, *narrow_;
  static People p_;
};
ExchangeEnv* MattersApiTest::env_ = nullptr;
App* MattersApiTest::officer_ = nullptr;
App* MattersApiTest::portal_ = nullptr;
App* MattersApiTest::partial_ = nullptr;
App* MattersApiTest::civil_ = nullptr;
App* MattersApiTest::narrow_ = nullptr;
People MattersApiTest::p_;

TEST_F(MattersApiTest, CertificateFreeListsMaterialsAndHowTheHubStandsIn) {
  Client c = env_->client(*narrow_);  // any authenticated application
  Reply r = c.call("GET", std::string("/v1/matters/") + kFoodPermit + "/certificate-free");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  EXPECT_STREQ(d["code"].GetString(), kFoodPermit);
  const auto& m = d["materials"];
  ASSERT_EQ(m.Size(), 6u);
  EXPECT_STREQ(m[0]["substitute"].GetString(), "none");
  EXPECT_STREQ(m[5]["substitute"].GetString(), "none");
  EXPECT_STREQ(m[1]["substitute"].GetString(), "certificate");
  EXPECT_STREQ(m[1]["type_code"].GetString(), kLicenceType);
  EXPECT_STREQ(m[2]["substitute"].GetString(), "fact");
  EXPECT_STREQ(m[2]["check"]["kind"].GetString(), "entity_in_business");

  r = c.call("GET", std::string("/v1/things/") + kRestaurant);
  ASSERT_EQ(r.status, 200) << r.body;
  d = r.json();
  ASSERT_EQ(d["matters"].Size(), 4u);
  EXPECT_STREQ(d["matters"][1].GetString(), kFoodPermit);
}

TEST_F(MattersApiTest, PrecheckAnswersPerMaterialWithoutEchoingTheApplicant) {
  Client c = env_->client(*officer_);
  const std::string target = std::string("/v1/matters/") + kFoodPermit + "/precheck";
  Reply r = c.call("POST", target, precheckBody(kFoodPermit, p_.rep_ok, p_.entity_ok));
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  ASSERT_EQ(d["matters"].Size(), 1u);
  const auto& m = d["matters"][0]["materials"];
  ASSERT_EQ(m.Size(), 6u);
  for (int i : {0, 4, 5}) {
    EXPECT_STREQ(m[i]["outcome"].GetString(), "must_submit") << i;
    EXPECT_FALSE(m[i].HasMember("reason")) << i;
  }
  for (int i = 1; i < 4; ++i) {
    EXPECT_STREQ(m[i]["outcome"].GetString(), "satisfied") << i;
    EXPECT_STREQ(m[i]["reason"].GetString(), "ok") << i;
  }
  EXPECT_TRUE(d.HasMember("as_of"));
  EXPECT_EQ(r.body.find(p_.rep_ok), std::string::npos);
  EXPECT_EQ(r.body.find(p_.entity_ok), std::string::npos);

  // The entity whose licence is revoked: the licence is not satisfied (submit it or have the
  // record corrected); the other checks still hold.
  r = c.call("POST", target, precheckBody(kFoodPermit, p_.rep_revoked, p_.entity_revoked));
  ASSERT_EQ(r.status, 200) << r.body;
  d = r.json();
  const auto& n = d["matters"][0]["materials"];
  EXPECT_STREQ(n[1]["outcome"].GetString(), "not_satisfied");
  EXPECT_STREQ(n[1]["reason"].GetString(), "no_valid_certificate");
  EXPECT_STREQ(n[2]["outcome"].GetString(), "satisfied");
  EXPECT_STREQ(n[3]["outcome"].GetString(), "satisfied");
}

TEST_F(MattersApiTest, OneThingRunsEachDistinctCheckOnceAndAnswersPerMatter) {
  Client c = env_->client(*portal_);
  Reply r = c.call("POST", std::string("/v1/things/") + kRestaurant + "/precheck",
                   precheckBody(kRestaurant, p_.rep_ok, p_.entity_ok));
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  const auto& ms = d["matters"];
  ASSERT_EQ(ms.Size(), 4u);
  EXPECT_STREQ(ms[0]["code"].GetString(), "210000-SCJG-0001");
  EXPECT_STREQ(ms[1]["code"].GetString(), kFoodPermit);
  // 居民身份证 held, 不动产权证书 not: per matter, per material.
  EXPECT_STREQ(ms[0]["materials"][2]["outcome"].GetString(), "satisfied");
  EXPECT_STREQ(ms[0]["materials"][3]["outcome"].GetString(), "not_satisfied");
  // id card, premises certificate, licence, in business, legal representative.
  EXPECT_EQ(d["checks"].GetUint64(), 5u);
  auto rows = env_->sql(
      "SELECT cardinality(subject_keys), cardinality(fields), matter_code "
      "FROM exchange.audit_log WHERE request_id = '" +
      r.str("request_id") + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<int>(), 5);
  EXPECT_EQ(rows[0][1].as<int>(), 5);
  EXPECT_EQ(rows[0][2].as<std::string>(), kRestaurant);
}

TEST_F(MattersApiTest, OneThingRefusalNamesTheMatterAndMaterialAndIsAudited) {
  Client c = env_->client(*partial_);
  Reply r = c.call("POST", std::string("/v1/things/") + kRestaurant + "/precheck",
                   precheckBody(kRestaurant, p_.rep_ok, p_.entity_ok));
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.str("field"), "matters[0].materials[3].type_code") << r.body;
  EXPECT_EQ(r.body.find(p_.rep_ok), std::string::npos);
  auto rows = env_->sql(
      "SELECT result, cardinality(subject_keys) FROM exchange.audit_log "
      "WHERE app_id = '" +
      partial_->app_id + "' AND http_status = 403");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "denied");
  EXPECT_EQ(rows[0][1].as<int>(), 5);
}

TEST_F(MattersApiTest, PrecheckRefusalsNameTheirField) {
  Client c = env_->client(*officer_);
  const std::string target = std::string("/v1/matters/") + kFoodPermit + "/precheck";
  Reply r = c.call("POST", target, precheckBody(kFoodPermit, p_.rep_ok, ""));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "applicant.credit_code") << r.body;
  r = c.call("POST", target, "{" + purpose(kFoodPermit) + "}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "applicant") << r.body;
  r = c.call("POST", target, precheckBody("210000-SCJG-0001", p_.rep_ok, p_.entity_ok));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "purpose.matter_code") << r.body;
  // Ungranted: the civil-affairs application holds no grant on the licence type.
  Client other = env_->client(*civil_);
  r = other.call("POST", target, precheckBody(kFoodPermit, p_.rep_ok, p_.entity_ok));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.str("field"), "materials[1].type_code") << r.body;
  // Unknown and malformed matters.
  r = c.call("POST", "/v1/matters/210000-XXX-9999/precheck",
             precheckBody("210000-XXX-9999", p_.rep_ok, p_.entity_ok));
  EXPECT_EQ(r.status, 404) << r.body;
  r = c.call("GET", "/v1/matters/210000-XXX-9999/certificate-free");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.str("field"), "code") << r.body;
  r = c.call("GET", "/v1/matters/-bad/certificate-free");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "code") << r.body;
  r = c.call("GET", "/v1/things/210000-YJS-NONE");
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(MattersApiTest, EligibleScanPaginatesAndAuditsEveryDisclosedPerson) {
  Client c = env_->client(*civil_);
  const std::string target = std::string("/v1/matters/") + kOldAge + "/eligible";
  std::vector<std::string> seen;
  std::string after;
  std::vector<std::string> request_ids;
  for (int page = 0; page < 10; ++page) {
    std::string body = "{" + purpose(kOldAge) + ",\"limit\":2";
    if (!after.empty()) body += ",\"after\":\"" + after + "\"";
    Reply r = c.call("POST", target, body + "}");
    ASSERT_EQ(r.status, 200) << r.body;
    auto d = r.json();
    for (const auto& id : d["citizen_ids"].GetArray()) seen.push_back(id.GetString());
    request_ids.push_back(r.str("request_id"));
    if (d["next"].IsNull()) break;
    after = d["next"].GetString();
  }
  EXPECT_EQ(seen, p_.eligible);
  EXPECT_EQ(request_ids.size(), 3u);  // 2 + 2 + 1
  auto rows = env_->sql(
      "SELECT subject_keys::text, resource_code FROM exchange.audit_log "
      "WHERE request_id = '" +
      request_ids[0] + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "{" + p_.eligible[0] + "," + p_.eligible[1] + "}");
  EXPECT_EQ(rows[0][1].as<std::string>(), "VERIFY-PERSON");
  // The person sees the disclosure in their access log.
  pqxx::connection conn(env_->conninfo());
  auto log = audit::accessLogForSubject(conn, p_.eligible[4], 10);
  ASSERT_TRUE(log) << log.status().toString();
  bool found = false;
  for (const auto& a : *log) found = found || a.matter_code == kOldAge;
  EXPECT_TRUE(found);
}

TEST_F(MattersApiTest, EligibleRefusesBadInputAndUngrantedCallers) {
  Client c = env_->client(*civil_);
  const std::string target = std::string("/v1/matters/") + kOldAge + "/eligible";
  Reply r = c.call("POST", target, "{" + purpose(kOldAge) + ",\"after\":\"12345\"}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "after") << r.body;
  r = c.call("POST", target, "{" + purpose(kOldAge) + ",\"limit\":1001}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "limit") << r.body;
  r = c.call("POST", target, "{" + purpose(kOldAge) + ",\"limit\":0}");
  EXPECT_EQ(r.status, 400) << r.body;
  // A matter without a rule.
  r = c.call("POST", std::string("/v1/matters/") + kFoodPermit + "/eligible",
             "{" + purpose(kFoodPermit) + "}");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.str("field"), "code") << r.body;
  r = c.call("POST", "/v1/matters/210000-XXX-9999/eligible",
             "{" + purpose("210000-XXX-9999") + "}");
  EXPECT_EQ(r.status, 404) << r.body;
  r = c.call("POST", "/v1/matters/!!/eligible", "{" + purpose(kOldAge) + "}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "code") << r.body;
  // A grant that does not name every field the rule reads; a caller with no grant at all.
  Client narrow = env_->client(*narrow_);
  r = narrow.call("POST", target, "{" + purpose(kOldAge) + "}");
  EXPECT_EQ(r.status, 403) << r.body;
  Client officer = env_->client(*officer_);
  r = officer.call("POST", target, "{" + purpose(kOldAge) + "}");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.body.find(p_.eligible[0]), std::string::npos);
}

}  // namespace
}  // namespace tongban::exchange
