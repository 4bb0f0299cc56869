// Authorised queries end to end: the authorisation matrix (no ungranted field ever appears; every
// refusal is audited), masking, the approval workflow over HTTP, quotas, suspension, subject
// views, bad input on every consumer endpoint, the holders' access log, and an intact audit chain
// at the end.
#include <chrono>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "exchange/exchange_env.h"
#include "support/test_env.h"
#include "tongban/audit/verify.h"
#include "tongban/catalog/model.h"
#include "tongban/certs/keys.h"
#include "tongban/common/time_format.h"
#include "tongban/exchange/holder_token.h"

namespace tongban::exchange {
namespace {

using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;

constexpr const char* kM1 = "11110000000010014U4000117";  // 户籍证明事项
constexpr const char* kM2 = "11330100MB0000001X4000203";  // 企业开办事项
constexpr const char* kPerson = testenv::kPersonId;
constexpr const char* kEntity = testenv::kEntityCode;

const std::vector<std::string> kPersonFields = {
    "citizen_id", "name", "sex", "birth_date", "ethnicity", "region_code", "address", "status"};

std::string queryBody(const std::string& key_name, const std::string& key,
                      const std::vector<std::string>& fields, const std::string& matter,
                      const std::string& case_id = "CASE-1") {
  std::string f = "[";
  for (size_t i = 0; i < fields.size(); ++i) f += (i ? ",\"" : "\"") + fields[i] + "\"";
  f += "]";
  return "{\"keys\":{\"" + key_name + "\":\"" + key + "\"},\"fields\":" + f +
         ",\"purpose\":{\"matter_code\":\"" + matter + "\",\"case_id\":\"" + case_id + "\"}}";
}

std::string idpKeyFile(const std::string& dir, certs::EvpPkeyPtr* private_key) {
  auto key = certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256);
  EXPECT_TRUE(key);
  auto pem = certs::publicKeyPem(key->get());
  EXPECT_TRUE(pem);
  std::string path = dir + "/holder-idp.pub.pem";
  std::ofstream(path) << *pem;
  *private_key = std::move(*key);
  return path;
}

certs::EvpPkeyPtr g_idp_key;

class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static std::string key_file = idpKeyFile(testing::binaryDir(), &g_idp_key);
    env_ = new ExchangeEnv("query",
                           [](ExchangeConfig& c) { c.holder_idp_public_key_file = key_file; });
    // A: civil affairs' marriage system — person name+sex for M1, masked.
    a_ = new testenv::App(env_->makeApp(testenv::kCivilAffairs, "婚姻登记系统", "consumer"));
    env_->grant(*a_, "POP-PERSON-BASIC", {"citizen_id", "name", "sex"}, {kM1});
    // B: tax — persons for M2 with name unmasked; all entity fields for M2.
    b_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "税务登记系统", "consumer"));
    env_->grant(*b_, "POP-PERSON-BASIC", {"citizen_id", "name", "birth_date", "address"}, {kM2},
                6000, {"name"});
    env_->grant(*b_, "LE-ENTITY-BASIC",
                {"credit_code", "name", "entity_type", "legal_rep_citizen_id", "registered_capital",
                 "established_on", "region_code", "address", "status", "business_scope"},
                {kM2});
    // C: no grants at all.
    c_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "未授权系统", "consumer"));
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete c_;
    delete env_;
  }
  int auditCount(const std::string& app_id, const std::string& result) {
    return env_
        ->sql("SELECT count(*) FROM exchange.audit_log WHERE app_id = '" + app_id +
              "' AND result = '" + result + "'")[0][0]
        .as<int>();
  }

  static ExchangeEnv* env_;
  static testenv::App *a_, *b_, *c_;
};

ExchangeEnv* QueryTest::env_ = nullptr;
testenv::App* QueryTest::a_ = nullptr;
testenv::App* QueryTest::b_ = nullptr;
testenv::App* QueryTest::c_ = nullptr;

TEST_F(QueryTest, AuthorisationMatrix) {
  struct Case {
    testenv::App* app;
    std::set<std::string> granted;  // person fields granted for the matter
    const char* matter;
  };
  // Every app × matter × single field, and the whole set: granted ⇒ 200 with exactly those
  // fields; otherwise 403 naming the field or the matter, never a partial record.
  std::vector<Case> cases = {
      {a_, {"citizen_id", "name", "sex"}, kM1},
      {a_, {}, kM2},
      {b_, {"citizen_id", "name", "birth_date", "address"}, kM2},
      {b_, {}, kM1},
      {c_, {}, kM1},
  };
  for (const auto& tc : cases) {
    Client client = env_->client(*tc.app);
    int denied_before = auditCount(tc.app->app_id, "denied");
    int refusals = 0;
    for (const auto& field : kPersonFields) {
      Reply r = client.call("POST", "/v1/query/POP-PERSON-BASIC",
                            queryBody("citizen_id", kPerson, {field}, tc.matter));
      bool allowed = tc.granted.count(field) > 0;
      if (allowed) {
        ASSERT_EQ(r.status, 200) << field << " " << r.body;
        auto d = r.json();
        ASSERT_TRUE(d["record"].IsObject());
        EXPECT_EQ(d["record"].MemberCount(), 1u) << r.body;
        EXPECT_TRUE(d["record"].HasMember(field.c_str()));
      } else {
        ++refusals;
        EXPECT_EQ(r.status, 403) << field << " " << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
        EXPECT_EQ(r.body.find("张秀英"), std::string::npos) << "data leaked in a refusal";
        if (!tc.granted.empty()) {
          EXPECT_EQ(r.str("field"), "fields[0]") << r.body;
          EXPECT_NE(r.str("detail").find(field), std::string::npos) << r.body;
        }
      }
    }
    // All fields at once: allowed only if everything is granted.
    Reply all = client.call("POST", "/v1/query/POP-PERSON-BASIC",
                            queryBody("citizen_id", kPerson, kPersonFields, tc.matter));
    EXPECT_EQ(all.status, 403) << all.body;
    ++refusals;
    EXPECT_EQ(auditCount(tc.app->app_id, "denied"), denied_before + refusals)
        << "every refusal is audited";
  }
  // C holds no grant on the entity resource either.
  Client c = env_->client(*c_);
  Reply r =
      c.call("POST", "/v1/query/LE-ENTITY-BASIC", queryBody("credit_code", kEntity, {"name"}, kM2));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.str("field"), "resource_code");
}

TEST_F(QueryTest, MaskingFollowsTheGrant) {
  Client a = env_->client(*a_);
  Reply ra = a.call("POST", "/v1/query/POP-PERSON-BASIC",
                    queryBody("citizen_id", kPerson, {"citizen_id", "name", "sex"}, kM1));
  ASSERT_EQ(ra.status, 200) << ra.body;
  auto da = ra.json();
  EXPECT_EQ(std::string(da["record"]["citizen_id"].GetString()), "110105********002X");
  EXPECT_EQ(std::string(da["record"]["name"].GetString()), "张*英");
  EXPECT_EQ(std::string(da["record"]["sex"].GetString()), "F");
  EXPECT_EQ(da["masked_fields"].Size(), 2u);
  Client b = env_->client(*b_);
  Reply rb = b.call("POST", "/v1/query/POP-PERSON-BASIC",
                    queryBody("citizen_id", kPerson, {"name", "birth_date", "address"}, kM2));
  ASSERT_EQ(rb.status, 200) << rb.body;
  auto db = rb.json();
  EXPECT_EQ(std::string(db["record"]["name"].GetString()), "张秀英");  // lifted for B
  EXPECT_EQ(std::string(db["record"]["birth_date"].GetString()), "1949-**-**");
  EXPECT_EQ(std::string(db["record"]["address"].GetString()), "北京市朝阳区****");
}

TEST_F(QueryTest, UnknownRecordIs404AndAudited) {
  Client a = env_->client(*a_);
  Reply r = a.call("POST", "/v1/query/POP-PERSON-BASIC",
                   queryBody("citizen_id", "110101199003070038", {"name"}, kM1));
  EXPECT_EQ(r.status, 404) << r.body;
  auto rows = env_->sql(
      "SELECT subject_keys FROM exchange.audit_log WHERE http_status = 404 AND app_id = '" +
      a_->app_id + "'");
  ASSERT_GE(rows.size(), 1u);
}

TEST_F(QueryTest, BadInputIsA400NamingTheField) {
  Client a = env_->client(*a_);
  const std::string path = "/v1/query/POP-PERSON-BASIC";
  struct Bad {
    std::string body;
    std::string field;
  } cases[] = {
      {"", "body"},
      {"not json", "body"},
      {"[1,2]", "body"},
      {"{\"keys\":{\"citizen_id\":\"11010519491231002X\"},\"fields\":[\"name\"]}", "purpose"},
      {queryBody("citizen_id", kPerson, {"name"}, kM1).replace(1, 0, "\"extra\":1,"), "extra"},
      {"{\"keys\":{\"citizen_id\":\"11010519491231002X\"},\"fields\":\"name\",\"purpose\":{"
       "\"matter_code\":\"M\",\"case_id\":\"C\"}}",
       "fields"},
      {"{\"keys\":{\"citizen_id\":\"11010519491231002X\"},\"fields\":[\"name\",7],\"purpose\":{"
       "\"matter_code\":\"M\",\"case_id\":\"C\"}}",
       "fields[1]"},
      {"{\"keys\":{\"citizen_id\":\"11010519491231002X\"},\"fields\":[\"name\",\"name\"],"
       "\"purpose\":{\"matter_code\":\"M\",\"case_id\":\"C\"}}",
       "fields[1]"},
      {"{\"keys\":{\"citizen_id\":\"11010519491231002X\"},\"fields\":[],\"purpose\":{"
       "\"matter_code\":\"M\",\"case_id\":\"C\"}}",
       "fields"},
      {queryBody("citizen_id", "110105194912310021", {"name"}, kM1), "keys.citizen_id"},
      {queryBody("credit_code", kEntity, {"name"}, kM1), "keys.credit_code"},
      {queryBody("citizen_id", kPerson, {"salary"}, kM1), "fields[0]"},
      {queryBody("citizen_id", kPerson, {"name"}, "bad matter!"), "purpose.matter_code"},
      {queryBody("citizen_id", kPerson, {"name"}, kM1, ""), "purpose.case_id"},
      {"{\"keys\":{\"citizen_id\":123},\"fields\":[\"name\"],\"purpose\":{\"matter_code\":\"M\","
       "\"case_id\":\"C\"}}",
       "keys.citizen_id"},
  };
  for (const auto& c : cases) {
    Reply r = a.call("POST", path, c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.str("field"), c.field) << c.body << " -> " << r.body;
  }
  Reply unknown =
      a.call("POST", "/v1/query/NO-SUCH-RESOURCE", queryBody("citizen_id", kPerson, {"name"}, kM1));
  EXPECT_EQ(unknown.status, 404);
  Reply bad_code =
      a.call("POST", "/v1/query/lower-case", queryBody("citizen_id", kPerson, {"name"}, kM1));
  EXPECT_EQ(bad_code.status, 400);
  Reply huge = a.call("POST", path, std::string(100 * 1024, ' '));
  EXPECT_EQ(huge.status, 413);
}

TEST_F(QueryTest, QuotaGives429WithRetryAfter) {
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "限流系统", "consumer");
  env_->grant(app, "LE-ENTITY-BASIC", {"credit_code", "name"}, {kM2}, 3);
  Client c = env_->client(app);
  const std::string body = queryBody("credit_code", kEntity, {"name"}, kM2);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c.call("POST", "/v1/query/LE-ENTITY-BASIC", body).status, 200);
  Reply r = c.call("POST", "/v1/query/LE-ENTITY-BASIC", body);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.retry_after.empty());
  EXPECT_GE(std::stoi(r.retry_after), 1);
  EXPECT_EQ(auditCount(app.app_id, "denied"), 1);
}

TEST_F(QueryTest, SuspendedAndRevokedGrantsStopServing) {
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "暂停系统", "consumer");
  int64_t grant = env_->grant(app, "LE-ENTITY-BASIC", {"credit_code", "name"}, {kM2});
  Client c = env_->client(app);
  Client admin = env_->client(env_->admin());
  const std::string body = queryBody("credit_code", kEntity, {"name"}, kM2);
  EXPECT_EQ(c.call("POST", "/v1/query/LE-ENTITY-BASIC", body).status, 200);
  const std::string g = "/v1/admin/grants/" + std::to_string(grant);
  EXPECT_EQ(admin.call("POST", g + "/suspend", "{\"reason\":\"核查中\"}").status, 200);
  EXPECT_EQ(c.call("POST", "/v1/query/LE-ENTITY-BASIC", body).status, 403);
  EXPECT_EQ(admin.call("POST", g + "/resume").status, 200);
  EXPECT_EQ(c.call("POST", "/v1/query/LE-ENTITY-BASIC", body).status, 200);
  EXPECT_EQ(admin.call("POST", g + "/revoke", "{\"reason\":\"用途已结束\"}").status, 200);
  EXPECT_EQ(c.call("POST", "/v1/query/LE-ENTITY-BASIC", body).status, 403);
  Reply again = admin.call("POST", g + "/resume");
  EXPECT_EQ(again.status, 409) << again.body;  // revoked is final
  // A consumer may not touch grants.
  EXPECT_EQ(c.call("POST", g + "/suspend", "{\"reason\":\"x\"}").status, 403);
}

TEST_F(QueryTest, ApprovalWorkflowOverHttp) {
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "审批测试系统", "consumer");
  testenv::App provider = env_->makeApp(testenv::kPublicSecurity, "人口库共享系统", "provider");
  testenv::App foreign_provider =
      env_->makeApp(testenv::kMarketRegulation, "法人库系统", "provider");
  Client c = env_->client(app);
  auto apply = [&](const std::string& resource) {
    return c.call(
        "POST", "/v1/access-requests",
        "{\"resource_code\":\"" + resource +
            "\",\"fields\":[\"name\"],\"purpose\":\"核验\",\"legal_basis\":\"法规\","
            "\"matter_codes\":[\"" +
            kM1 + "\"],\"valid_to\":\"" +
            formatRfc3339Seconds(std::chrono::system_clock::now() + std::chrono::hours(24)) +
            "\"}");
  };
  Reply pending = apply("POP-PERSON-BASIC");
  ASSERT_EQ(pending.status, 201) << pending.body;
  EXPECT_EQ(pending.str("state"), "pending");
  std::string id = std::to_string(pending.json()["id"].GetInt64());
  // The applicant cannot approve itself; the other department's provider cannot either.
  EXPECT_EQ(c.call("POST", "/v1/admin/access-requests/" + id + "/approve").status, 403);
  Client fp = env_->client(foreign_provider);
  EXPECT_EQ(fp.call("POST", "/v1/admin/access-requests/" + id + "/approve").status, 403);
  // Not granted yet.
  EXPECT_EQ(
      c.call("POST", "/v1/query/POP-PERSON-BASIC", queryBody("citizen_id", kPerson, {"name"}, kM1))
          .status,
      403);
  Client p = env_->client(provider);
  Reply reject_without_reason = p.call("POST", "/v1/admin/access-requests/" + id + "/reject", "{}");
  EXPECT_EQ(reject_without_reason.status, 400);
  Reply approved = p.call("POST", "/v1/admin/access-requests/" + id + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(p.call("POST", "/v1/admin/access-requests/" + id + "/approve").status, 409);
  EXPECT_EQ(
      c.call("POST", "/v1/query/POP-PERSON-BASIC", queryBody("citizen_id", kPerson, {"name"}, kM1))
          .status,
      200);
  // A second request, rejected with a reason.
  Reply second = apply("POP-PERSON-BASIC");
  std::string id2 = std::to_string(second.json()["id"].GetInt64());
  Reply rejected = p.call("POST", "/v1/admin/access-requests/" + id2 + "/reject",
                          "{\"reason\":\"用途与事项不符\"}");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.str("state"), "rejected");
  // The consumer sees its own requests and grants.
  Reply mine = c.call("GET", "/v1/access-requests");
  EXPECT_EQ(mine.status, 200);
  EXPECT_EQ(mine.json()["access_requests"].Size(), 2u);
  EXPECT_EQ(c.call("GET", "/v1/grants").json()["grants"].Size(), 1u);
  // Catalog browsing.
  Reply list = c.call("GET", "/v1/catalog/resources?q=%E4%BA%BA%E5%8F%A3");  // 人口
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json()["resources"].Size(), 2u);  // POP-PERSON-BASIC, VERIFY-PERSON (0015)
  EXPECT_EQ(c.call("GET", "/v1/catalog/resources/LE-ENTITY-BASIC").str("sharing_type"),
            "unconditional");
  EXPECT_EQ(c.call("GET", "/v1/catalog/resources/NOPE").status, 404);
}

TEST_F(QueryTest, SubjectViewsJoinWithinGrants) {
  Client b = env_->client(*b_);
  Reply person = b.call("GET", std::string("/v1/subjects/persons/") + kPerson +
                                   "?matter_code=" + kM2 + "&case_id=C9");
  ASSERT_EQ(person.status, 200) << person.body;
  auto d = person.json();
  EXPECT_EQ(std::string(d["person"]["name"].GetString()), "张秀英");
  EXPECT_FALSE(d["person"].HasMember("sex"));  // not in B's grant
  ASSERT_EQ(d["represents"].Size(), 1u);
  EXPECT_EQ(std::string(d["represents"][0]["credit_code"].GetString()), kEntity);
  Reply entity = b.call("GET", std::string("/v1/subjects/entities/") + kEntity +
                                   "?matter_code=" + kM2 + "&case_id=C9");
  ASSERT_EQ(entity.status, 200) << entity.body;
  auto e = entity.json();
  EXPECT_EQ(std::string(e["entity"]["name"].GetString()), "福州闽江软件有限公司");
  EXPECT_EQ(std::string(e["legal_representative"]["name"].GetString()), "张秀英");
  // A holds only a person grant for M1: the view shows the person and says what is omitted.
  Client a = env_->client(*a_);
  Reply partial = a.call("GET", std::string("/v1/subjects/persons/") + kPerson +
                                    "?matter_code=" + kM1 + "&case_id=C9");
  ASSERT_EQ(partial.status, 200) << partial.body;
  auto p = partial.json();
  EXPECT_FALSE(p.HasMember("represents"));
  EXPECT_EQ(p["omitted"].Size(), 1u);
  // C: nothing granted at all.
  Client c = env_->client(*c_);
  EXPECT_EQ(c.call("GET", std::string("/v1/subjects/persons/") + kPerson + "?matter_code=" + kM1 +
                              "&case_id=C9")
                .status,
            403);
}

TEST_F(QueryTest, HoldersSeeWhoLookedAtTheirData) {
  Client b = env_->client(*b_);
  ASSERT_EQ(
      b.call("POST", "/v1/query/POP-PERSON-BASIC", queryBody("citizen_id", kPerson, {"name"}, kM2))
          .status,
      200);
  HolderClaims claims;
  claims.subject = kPerson;
  claims.issuer = "test-idp";
  claims.expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() +
                      600;
  auto token = makeHolderToken(g_idp_key.get(), claims);
  ASSERT_TRUE(token) << token.status().toString();
  Client anyone(env_->port(), Credentials{});
  auto r = anyone.raw().call("GET", std::string("/v1/holders/persons/") + kPerson + "/access-log",
                             "", "Authorization", "Bearer " + *token);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("杭州市税务局"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(kM2), std::string::npos);
  // The time of each access keeps the audit record's microseconds.
  rapidjson::Document log;
  log.Parse(r->body.c_str());
  ASSERT_TRUE(log.IsObject() && log["accesses"].IsArray() && log["accesses"].Size() > 0u);
  const std::string at = log["accesses"][0]["at"].GetString();
  EXPECT_EQ(at.size(), std::string("2026-03-01T08:00:00.123456Z").size()) << at;
  EXPECT_EQ(at[19], '.') << at;
  EXPECT_TRUE(parseRfc3339Micros(at)) << at;
  // Another holder's log, no token, a forged token.
  auto other = anyone.raw().call("GET", "/v1/holders/persons/110101199003070011/access-log", "",
                                 "Authorization", "Bearer " + *token);
  EXPECT_EQ(other->status, 403);
  auto none =
      anyone.raw().call("GET", std::string("/v1/holders/persons/") + kPerson + "/access-log");
  EXPECT_EQ(none->status, 401);
  std::string forged = *token;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  auto bad = anyone.raw().call("GET", std::string("/v1/holders/persons/") + kPerson + "/access-log",
                               "", "Authorization", "Bearer " + forged);
  EXPECT_EQ(bad->status, 401);
}

// --- Registry sources belong to their department (issue 7, hole 2) -----------------------------

// A resource definition over population.persons with every field in the clear.
std::string personResourceJson(const std::string& code, const std::string& provider,
                               const std::string& sharing, const std::string& name_masking) {
  return "{\"code\":\"" + code + "\",\"name\":\"人口全量\",\"provider_department\":\"" + provider +
         "\",\"source\":\"population.persons\",\"key_fields\":[\"citizen_id\"],"
         "\"sharing_type\":\"" +
         sharing +
         "\",\"update_cycle\":\"daily\",\"fields\":["
         "{\"name\":\"citizen_id\",\"type\":\"string\",\"masking\":\"none\"},"
         "{\"name\":\"name\",\"type\":\"string\",\"masking\":\"" +
         name_masking +
         "\"},"
         "{\"name\":\"sex\",\"type\":\"enum\",\"masking\":\"none\"},"
         "{\"name\":\"address\",\"type\":\"string\",\"masking\":\"none\"}]}";
}

std::string applicationJson(const std::string& code, const std::vector<std::string>& fields,
                            const std::string& matter) {
  std::string f = "[";
  for (size_t i = 0; i < fields.size(); ++i) f += (i ? ",\"" : "\"") + fields[i] + "\"";
  return "{\"resource_code\":\"" + code + "\",\"fields\":" + f +
         "],\"purpose\":\"核验\",\"legal_basis\":\"法规\",\"matter_codes\":[\"" + matter +
         "\"],\"valid_to\":\"" +
         formatRfc3339Seconds(std::chrono::system_clock::now() + std::chrono::hours(24)) + "\"}";
}

TEST_F(QueryTest, AProviderCannotPublishAnotherDepartmentsRegistry) {
  // The attack: the market regulator's certificate-issuing provider application defines an
  // unconditional resource over population.persons with every field in the clear, publishes it,
  // applies for it and reads a citizen's name and address.
  testenv::App issuer = env_->makeApp(testenv::kMarketRegulation, "证照签发系统", "provider");
  Client attacker = env_->client(issuer);
  const int denied_before = auditCount(issuer.app_id, "denied");
  Reply created = attacker.call(
      "POST", "/v1/admin/catalog/resources",
      personResourceJson("MR-PERSONS-ALL", testenv::kMarketRegulation, "unconditional", "none"));
  EXPECT_EQ(created.status, 403) << created.body;
  EXPECT_EQ(created.content_type, "application/problem+json");
  EXPECT_EQ(created.str("field"), "source") << created.body;
  EXPECT_NE(created.str("detail").find(testenv::kPublicSecurity), std::string::npos)
      << created.body;
  // Naming the owner as provider does not help either.
  Reply as_owner = attacker.call(
      "POST", "/v1/admin/catalog/resources",
      personResourceJson("MR-PERSONS-ALL", testenv::kPublicSecurity, "unconditional", "none"));
  EXPECT_EQ(as_owner.status, 403) << as_owner.body;
  EXPECT_EQ(as_owner.str("field"), "provider_department") << as_owner.body;
  Reply publish =
      attacker.call("POST", "/v1/admin/catalog/resources/MR-PERSONS-ALL/versions/1/publish");
  EXPECT_EQ(publish.status, 404) << publish.body;
  Reply apply = attacker.call("POST", "/v1/access-requests",
                              applicationJson("MR-PERSONS-ALL", {"name", "address"}, kM1));
  EXPECT_EQ(apply.status, 404) << apply.body;
  Reply read = attacker.call("POST", "/v1/query/MR-PERSONS-ALL",
                             queryBody("citizen_id", kPerson, {"name", "address"}, kM1));
  EXPECT_NE(read.status, 200);
  for (const Reply* r : {&created, &as_owner, &publish, &apply, &read}) {
    EXPECT_EQ(r->body.find("张秀英"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("建国路"), std::string::npos) << r->body;
  }
  EXPECT_EQ(auditCount(issuer.app_id, "denied"), denied_before + 2) << "refusals are audited";
  EXPECT_EQ(env_->sql("SELECT count(*) FROM catalog.resources WHERE code = 'MR-PERSONS-ALL'")[0][0]
                .as<int>(),
            0);

  // A hub administrator may define one, but not weaken the source's masking.
  Client admin = env_->client(env_->admin());
  Reply weakened = admin.call(
      "POST", "/v1/admin/catalog/resources",
      personResourceJson("ADM-PERSONS", testenv::kPublicSecurity, "conditional", "none"));
  EXPECT_EQ(weakened.status, 403) << weakened.body;
  EXPECT_EQ(weakened.str("field"), "fields[0].masking") << weakened.body;

  // The owner, public security, may publish its own registry as openly as it decides.
  testenv::App owner = env_->makeApp(testenv::kPublicSecurity, "人口库目录系统", "provider");
  Client ps = env_->client(owner);
  Reply mine = ps.call(
      "POST", "/v1/admin/catalog/resources",
      personResourceJson("PS-PERSONS-OPEN", testenv::kPublicSecurity, "conditional", "none"));
  ASSERT_EQ(mine.status, 201) << mine.body;
  EXPECT_EQ(
      ps.call("POST", "/v1/admin/catalog/resources/PS-PERSONS-OPEN/versions/1/publish").status,
      200);
  // The market regulator cannot publish a new version of it.
  Reply foreign_version = attacker.call(
      "POST", "/v1/admin/catalog/resources",
      personResourceJson("PS-PERSONS-OPEN", testenv::kMarketRegulation, "unconditional", "none"));
  EXPECT_EQ(foreign_version.status, 403) << foreign_version.body;
}

TEST_F(QueryTest, SourceOwnersOverHttp) {
  Client c = env_->client(*c_);
  Reply list = c.call("GET", "/v1/admin/catalog/sources");
  ASSERT_EQ(list.status, 200) << list.body;
  auto d = list.json();
  ASSERT_EQ(d["sources"].Size(), 2u);
  EXPECT_EQ(std::string(d["sources"][0]["department_code"].GetString()), testenv::kPublicSecurity);
  // Only a hub administrator changes an owner; a provider of the owner cannot give it away.
  testenv::App owner = env_->makeApp(testenv::kPublicSecurity, "人口库管理", "provider");
  const std::string target = "/v1/admin/catalog/sources/population.persons/owner";
  const std::string body =
      std::string("{\"department_code\":\"") + testenv::kMarketRegulation + "\"}";
  Reply refused = env_->client(owner).call("POST", target, body);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.content_type, "application/problem+json");
  Client admin = env_->client(env_->admin());
  Reply bad = admin.call("POST", target, "{\"department_code\":\"nope\"}");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.str("field"), "department_code");
  Reply unknown = admin.call("POST", "/v1/admin/catalog/sources/population.secrets/owner", body);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.str("field"), "source");
  Reply extra = admin.call("POST", target, "{\"department\":\"x\"}");
  EXPECT_EQ(extra.status, 400) << extra.body;
  // Setting the current owner again is accepted and changes nothing.
  Reply same = admin.call(
      "POST", target, std::string("{\"department_code\":\"") + testenv::kPublicSecurity + "\"}");
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.str("department_code"), testenv::kPublicSecurity);
}

TEST_F(QueryTest, AGrantIsPinnedToTheVersionItWasApprovedFor) {
  testenv::App owner = env_->makeApp(testenv::kPublicSecurity, "人口库版本系统", "provider");
  Client ps = env_->client(owner);
  // Version 1: name masked by the name rule, sex fully masked, address masked.
  std::string v1 = personResourceJson("PS-PINNED", testenv::kPublicSecurity, "conditional", "name");
  v1.replace(v1.find("\"sex\",\"type\":\"enum\",\"masking\":\"none\""),
             std::string("\"sex\",\"type\":\"enum\",\"masking\":\"none\"").size(),
             "\"sex\",\"type\":\"enum\",\"masking\":\"full\"");
  v1.replace(v1.find("\"address\",\"type\":\"string\",\"masking\":\"none\""),
             std::string("\"address\",\"type\":\"string\",\"masking\":\"none\"").size(),
             "\"address\",\"type\":\"string\",\"masking\":\"address\"");
  ASSERT_EQ(ps.call("POST", "/v1/admin/catalog/resources", v1).status, 201);
  ASSERT_EQ(ps.call("POST", "/v1/admin/catalog/resources/PS-PINNED/versions/1/publish").status,
            200);
  // A consumer is granted name, sex and address, with name and address unmasked.
  testenv::App app = env_->makeApp(testenv::kCivilAffairs, "版本测试系统", "consumer");
  Client c = env_->client(app);
  Reply applied = c.call("POST", "/v1/access-requests",
                         applicationJson("PS-PINNED", {"name", "sex", "address"}, kM1));
  ASSERT_EQ(applied.status, 201) << applied.body;
  Reply approved = ps.call(
      "POST",
      "/v1/admin/access-requests/" + std::to_string(applied.json()["id"].GetInt64()) + "/approve",
      "{\"unmasked_fields\":[\"name\",\"address\"]}");
  ASSERT_EQ(approved.status, 200) << approved.body;
  auto grant_json = approved.json();
  EXPECT_TRUE(grant_json["grant"].HasMember("resource_version")) << approved.body;
  if (grant_json["grant"].HasMember("resource_version")) {
    EXPECT_EQ(grant_json["grant"]["resource_version"].GetInt(), 1);
  }
  auto read = [&](const std::vector<std::string>& fields) {
    return c.call("POST", "/v1/query/PS-PINNED", queryBody("citizen_id", kPerson, fields, kM1));
  };
  Reply before = read({"name", "sex", "address"});
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(std::string(before.json()["record"]["name"].GetString()), "张秀英");
  EXPECT_EQ(std::string(before.json()["record"]["sex"].GetString()), "******");

  // Version 2: the owner masks name fully, drops address, and shows sex in the clear.
  std::string v2 =
      "{\"code\":\"PS-PINNED\",\"name\":\"人口（第二版）\",\"provider_department\":\"" +
      std::string(testenv::kPublicSecurity) +
      "\",\"source\":\"population.persons\",\"key_fields\":[\"citizen_id\"],"
      "\"sharing_type\":\"conditional\",\"update_cycle\":\"daily\",\"fields\":["
      "{\"name\":\"citizen_id\",\"type\":\"string\",\"masking\":\"citizen_id\"},"
      "{\"name\":\"name\",\"type\":\"string\",\"masking\":\"full\"},"
      "{\"name\":\"sex\",\"type\":\"enum\",\"masking\":\"none\"}]}";
  ASSERT_EQ(ps.call("POST", "/v1/admin/catalog/resources", v2).status, 201);
  ASSERT_EQ(ps.call("POST", "/v1/admin/catalog/resources/PS-PINNED/versions/2/publish").status,
            200);

  // The old grant: name re-masked (its lifting covered version 1's rule only), sex still as
  // version 1 masked it (a new version never widens an old grant), address gone.
  Reply after = read({"name", "sex"});
  ASSERT_EQ(after.status, 200) << after.body;
  auto d = after.json();
  EXPECT_EQ(d["version"].GetInt(), 2);
  EXPECT_EQ(std::string(d["record"]["name"].GetString()), "******") << after.body;
  EXPECT_EQ(std::string(d["record"]["sex"].GetString()), "******") << after.body;
  EXPECT_EQ(d["masked_fields"].Size(), 2u);
  Reply address = read({"address"});
  EXPECT_NE(address.status, 200) << address.body;
  EXPECT_EQ(address.body.find("建国路"), std::string::npos) << address.body;
  for (const Reply& r : {after, address}) {
    EXPECT_EQ(r.body.find("张秀英"), std::string::npos) << r.body;
  }
}

TEST_F(QueryTest, TheAuditChainStaysIntact) {
  pqxx::connection c(env_->conninfo());
  auto report = audit::verifyAuditChain(c);
  ASSERT_TRUE(report) << report.status().toString();
  EXPECT_TRUE(report->intact());
  ASSERT_FALSE(report->nodes.empty());
  EXPECT_GT(report->nodes[0].entries_checked, 10);
}

// --- Revocation on every node (issue 7, hole 10) ----------------------------------------------

// Polls `call` until it answers `status` or a deadline passes; the answer last seen.
template <typename Call>
int pollUntil(int status, std::chrono::milliseconds deadline, Call&& call) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  int seen = call();
  while (seen != status && std::chrono::steady_clock::now() < until) seen = call();
  return seen;
}

TEST(CatalogNodesTest, SuspensionAndRevocationReachEveryNodeWithinASecond) {
  // Two exchange nodes on one database, each caching grants for ten minutes: only the catalog's
  // change notifications can make the second node notice a change made through the first.
  ExchangeEnv env("catalog_nodes", [](ExchangeConfig& c) { c.grant_cache_ms = 600000; });
  ExchangeConfig node_b_config = env.config();
  node_b_config.audit_node_id = "node-2";  // each node writes its own audit chain
  auto second = ExchangeServer::start(node_b_config);
  ASSERT_TRUE(second) << second.status().toString();
  testenv::App app = env.makeApp(testenv::kTaxBureau, "两节点系统", "consumer");
  const int64_t grant = env.grant(app, "LE-ENTITY-BASIC", {"credit_code", "name"}, {kM2});
  ASSERT_GT(grant, 0);
  Client node_b(second.value()->port(), app.credentials);
  Client admin_a = env.client(env.admin());
  const std::string body = queryBody("credit_code", kEntity, {"name"}, kM2);
  auto query_b = [&] { return node_b.call("POST", "/v1/query/LE-ENTITY-BASIC", body).status; };
  // Warm node B's cache (several reads, so that one of them is after its LISTEN is in force).
  for (int i = 0; i < 3; ++i) ASSERT_EQ(query_b(), 200);
  const std::string g = "/v1/admin/grants/" + std::to_string(grant);
  const auto second_ = std::chrono::milliseconds(1000);

  ASSERT_EQ(admin_a.call("POST", g + "/suspend", "{\"reason\":\"核查中\"}").status, 200);
  EXPECT_EQ(pollUntil(403, second_, query_b), 403) << "suspension not seen by node B";
  ASSERT_EQ(admin_a.call("POST", g + "/resume").status, 200);
  EXPECT_EQ(pollUntil(200, second_, query_b), 200) << "resumption not seen by node B";
  ASSERT_EQ(admin_a.call("POST", g + "/revoke", "{\"reason\":\"用途已结束\"}").status, 200);
  EXPECT_EQ(pollUntil(403, second_, query_b), 403) << "revocation not seen by node B";
  // And it stays refused.
  EXPECT_EQ(query_b(), 403);
  second.value()->stop();
}

}  // namespace
}  // namespace tongban::exchange
