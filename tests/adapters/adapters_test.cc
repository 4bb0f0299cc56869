// Adapters end to end: a consumer's POST /v1/query/... → the exchange → an adapter → a simulator
// of a ministry system (child processes on free ports) → a masked, audited answer; and every way
// an upstream fails gives a quick problem document naming the upstream (502/503/504), the breaker
// opens and recovers, and local queries carry on meanwhile.
#include <atomic>
#include <chrono>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "adapters/sim_process.h"
#include "exchange/exchange_env.h"

namespace tongban::testing {

int unusedPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = s.address().port();
  s.close();
  return port;
}

}  // namespace tongban::testing

namespace tongban::exchange {
namespace {

using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;
using testing::SimProcess;

constexpr const char* kMatter = "11110000000010014U4000117";
constexpr const char* kPerson = testenv::kPersonId;  // in household.json
constexpr const char* kEntity = testenv::kEntityCode;

// Simulators, started before the exchange (whose configuration names their ports).
SimProcess* g_household = nullptr;  // healthy
SimProcess* g_flaky = nullptr;      // household, faults switched by each test
SimProcess* g_breaker = nullptr;    // household, for the breaker test
SimProcess* g_market = nullptr;     // SOAP, faults switched by tests
SimProcess* g_tax = nullptr;        // Thrift
int g_dead_port = 0;

adapters::AdapterInstance instance(const std::string& name, const std::string& kind,
                                   const std::string& source, const std::string& owner,
                                   std::map<std::string, std::string> settings) {
  adapters::AdapterInstance a;
  a.instance = name;
  a.kind = kind;
  a.source = source;
  a.owner = owner;
  a.settings = std::move(settings);
  return a;
}

std::map<std::string, std::string> person(int port, std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> s = {
      {"endpoint", "http://127.0.0.1:" + std::to_string(port)},
      {"path", "/persons/{key}"},
      {"key_field", "citizen_id"},
      {"fields",
       "citizen_id=idNumber::citizen_id, name=fullName::name, sex=gender:enum, "
       "birth_date=birthDate:date:date, address=residence.address::address, "
       "phone=phone::phone, status=householdStatus:enum"},
      {"connect_timeout_ms", "500"},
      {"request_timeout_ms", "800"},
      {"retries", "1"},
      {"backoff_base_ms", "5"},
      {"backoff_max_ms", "20"},
      {"breaker_failures", "1000"}};
  for (auto& [k, v] : extra) s[k] = v;
  return s;
}

void configure(ExchangeConfig& c) {
  c.adapters.push_back(instance("household", "rest", "household.persons", testenv::kPublicSecurity,
                                person(g_household->port(), {})));
  c.adapters.push_back(instance("flaky", "rest", "flaky.persons", testenv::kPublicSecurity,
                                person(g_flaky->port(), {})));
  c.adapters.push_back(
      instance("breaker", "rest", "breaker.persons", testenv::kPublicSecurity,
               person(g_breaker->port(),
                      {{"retries", "0"}, {"breaker_failures", "2"}, {"breaker_open_ms", "300"}})));
  c.adapters.push_back(
      instance("dead", "rest", "dead.persons", testenv::kPublicSecurity, person(g_dead_port, {})));
  c.adapters.push_back(instance(
      "market", "soap", "market.entities", testenv::kMarketRegulation,
      {{"endpoint", "http://127.0.0.1:" + std::to_string(g_market->port()) + "/"},
       {"operation", "GetEntity"},
       {"namespace", "urn:tongban:sim:market"},
       {"soap_action", "urn:tongban:sim:market#GetEntity"},
       {"key_element", "CreditCode"},
       {"record_element", "Entity"},
       {"key_field", "credit_code"},
       {"fields",
        "credit_code=CreditCode, name=EntityName, entity_type=EntityType:enum, "
        "legal_rep=LegalRepresentative::name, registered_capital=RegisteredCapital:decimal, "
        "status=RegStatus:enum"},
       {"request_timeout_ms", "800"},
       {"retries", "0"},
       {"breaker_failures", "1000"}}));
  c.adapters.push_back(
      instance("tax", "thrift", "tax.clearance", testenv::kTaxBureau,
               {{"endpoint", "127.0.0.1:" + std::to_string(g_tax->port())},
                {"key_field", "taxpayer_id"},
                {"fields",
                 "taxpayer_id=taxpayer_id, taxpayer_name=taxpayer_name, clearance=clearance:enum, "
                 "arrears_amount=arrears_amount:decimal, checked_on=checked_on:date, "
                 "tax_office=tax_office"},
                {"request_timeout_ms", "800"},
                {"breaker_failures", "1000"}}));
}

std::string list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ",\"" : "\"") + v[i] + "\"";
  return s + "]";
}

std::string queryBody(const std::string& key_name, const std::string& key,
                      const std::vector<std::string>& fields) {
  return "{\"keys\":{\"" + key_name + "\":\"" + key + "\"},\"fields\":" + list(fields) +
         ",\"purpose\":{\"matter_code\":\"" + kMatter + "\",\"case_id\":\"CASE-LIVE-1\"}}";
}

// {"name": ..., "type": ..., "masking": ...} for each (name, type, masking).
std::string fieldsJson(const std::vector<std::array<const char*, 3>>& fields) {
  std::string s = "[";
  for (size_t i = 0; i < fields.size(); ++i) {
    s += std::string(i ? "," : "") + "{\"name\":\"" + fields[i][0] + "\",\"type\":\"" +
         fields[i][1] + "\",\"masking\":\"" + fields[i][2] + "\"}";
  }
  return s + "]";
}

std::string draft(const std::string& code, const std::string& dept, const std::string& source,
                  const std::string& key, const std::string& fields) {
  return "{\"code\":\"" + code + "\",\"name\":\"实时 " + code + "\",\"provider_department\":\"" +
         dept + "\",\"source\":\"" + source + "\",\"key_fields\":[\"" + key +
         "\"],\"sharing_type\":\"conditional\",\"update_cycle\":\"realtime\",\"fields\":" + fields +
         "}";
}

const std::vector<std::array<const char*, 3>> kPersonFields = {
    {"citizen_id", "string", "citizen_id"},
    {"name", "string", "name"},
    {"sex", "enum", "none"},
    {"birth_date", "date", "date"},
    {"address", "string", "address"},
    {"phone", "string", "phone"},
    {"status", "enum", "none"}};
const std::vector<std::string> kAsked = {"citizen_id", "name", "sex", "address", "phone"};

// GET or POST on a simulator's control routes.
std::string simCall(int port, const std::string& method, const std::string& target) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentLength(0);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
  EXPECT_EQ(resp.getStatus(), Poco::Net::HTTPResponse::HTTP_OK) << body;
  return body;
}
void setFaults(SimProcess& sim, const std::string& query) {
  simCall(sim.port(), "POST", "/_sim/faults?" + query);
}
int simRequests(SimProcess& sim) {
  const std::string body = simCall(sim.port(), "GET", "/_sim/stats");
  return std::atoi(body.c_str() + body.find(':') + 1);
}

class AdaptersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_household = new SimProcess("household");
    g_flaky = new SimProcess("household");
    g_breaker = new SimProcess("household");
    g_market = new SimProcess("market");
    g_tax = new SimProcess("tax");
    g_dead_port = testing::unusedPort();
    env_ = new ExchangeEnv("adapters", configure);
    Client admin = env_->client(env_->admin());
    struct R {
      const char* code;
      const char* source;
    };
    for (R r : {R{"HH-PERSON-LIVE", "household.persons"}, R{"FLAKY-PERSON", "flaky.persons"},
                R{"BREAKER-PERSON", "breaker.persons"}, R{"DEAD-PERSON", "dead.persons"}}) {
      publish(admin,
              draft(r.code, testenv::kPublicSecurity, r.source, "citizen_id",
                    fieldsJson(kPersonFields)),
              r.code);
    }
    publish(admin,
            draft("MR-ENTITY-LIVE", testenv::kMarketRegulation, "market.entities", "credit_code",
                  fieldsJson({{"credit_code", "string", "none"},
                              {"name", "string", "none"},
                              {"legal_rep", "string", "name"},
                              {"status", "enum", "none"}})),
            "MR-ENTITY-LIVE");
    publish(admin,
            draft("TAX-CLEARANCE-LIVE", testenv::kTaxBureau, "tax.clearance", "taxpayer_id",
                  fieldsJson({{"taxpayer_id", "string", "none"},
                              {"taxpayer_name", "string", "none"},
                              {"clearance", "enum", "none"},
                              {"arrears_amount", "decimal", "none"}})),
            "TAX-CLEARANCE-LIVE");
    app_ = new testenv::App(env_->makeApp(testenv::kCivilAffairs, "婚姻登记系统", "consumer"));
    for (const char* code : {"HH-PERSON-LIVE", "FLAKY-PERSON", "BREAKER-PERSON", "DEAD-PERSON"}) {
      env_->grant(*app_, code, kAsked, {kMatter});
    }
    env_->grant(*app_, "MR-ENTITY-LIVE", {"credit_code", "name", "legal_rep", "status"}, {kMatter});
    env_->grant(*app_, "TAX-CLEARANCE-LIVE",
                {"taxpayer_id", "taxpayer_name", "clearance", "arrears_amount"}, {kMatter});
    env_->grant(*app_, "POP-PERSON-BASIC", {"citizen_id", "name"}, {kMatter});
  }
  static void TearDownTestSuite() {
    delete app_;
    delete env_;
    for (SimProcess* s : {g_household, g_flaky, g_breaker, g_market, g_tax}) delete s;
  }

  static void publish(Client& admin, const std::string& body, const std::string& code) {
    Reply created = admin.call("POST", "/v1/admin/catalog/resources", body);
    ASSERT_EQ(created.status, 201) << created.body;
    Reply published =
        admin.call("POST", "/v1/admin/catalog/resources/" + code + "/versions/1/publish");
    ASSERT_EQ(published.status, 200) << published.body;
  }

  Reply queryPerson(const std::string& code, const std::string& id = kPerson) {
    return env_->client(*app_).call("POST", "/v1/query/" + code,
                                    queryBody("citizen_id", id, kAsked));
  }

  // The problem document is the adapter's: status, type, and a detail naming the upstream.
  static void expectProblem(const Reply& r, int status, const char* type, const std::string& who,
                            const std::string& what) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.str("type"), std::string("urn:tongban:problem:") + type) << r.body;
    EXPECT_NE(r.str("detail").find("upstream " + who), std::string::npos) << r.body;
    EXPECT_NE(r.str("detail").find(what), std::string::npos) << r.body;
  }

  static ExchangeEnv* env_;
  static testenv::App* app_;
};
ExchangeEnv* AdaptersTest::env_ = nullptr;
testenv::App* AdaptersTest::app_ = nullptr;

TEST_F(AdaptersTest, RestQueryIsAnsweredLiveMaskedAndAudited) {
  Reply r = queryPerson("HH-PERSON-LIVE");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  const auto& rec = d["record"];
  EXPECT_STREQ(rec["citizen_id"].GetString(), "110105********002X");
  EXPECT_STRNE(rec["name"].GetString(), "张三");  // masked by default
  EXPECT_STREQ(rec["sex"].GetString(), "2");
  EXPECT_NE(std::string(rec["address"].GetString()), "北京市朝阳区建国路88号");
  EXPECT_STREQ(rec["phone"].GetString(), "138****5678");
  EXPECT_TRUE(d["masked_fields"].IsArray());
  auto audited = env_->sql(
      "SELECT count(*) FROM exchange.audit_log WHERE resource_code = 'HH-PERSON-LIVE' AND "
      "request_id = '" +
      r.str("request_id") + "'");
  EXPECT_EQ(audited[0][0].as<int>(), 1);
  // A person the upstream does not hold: 404, like a local registry.
  Reply missing = queryPerson("HH-PERSON-LIVE", "110105198507070059");
  EXPECT_EQ(missing.status, 404) << missing.body;
  // A null upstream value stays null.
  Reply li = queryPerson("HH-PERSON-LIVE", "110101198001010010");
  ASSERT_EQ(li.status, 200) << li.body;
  EXPECT_TRUE(li.json()["record"]["phone"].IsNull()) << li.body;
}

TEST_F(AdaptersTest, SoapAndThriftQueriesAreAnsweredLive) {
  Reply entity = env_->client(*app_).call(
      "POST", "/v1/query/MR-ENTITY-LIVE",
      queryBody("credit_code", kEntity, {"credit_code", "name", "legal_rep", "status"}));
  ASSERT_EQ(entity.status, 200) << entity.body;
  EXPECT_STREQ(entity.json()["record"]["name"].GetString(), "福州示例科技有限公司");
  EXPECT_STREQ(entity.json()["record"]["status"].GetString(), "in_business");
  EXPECT_STRNE(entity.json()["record"]["legal_rep"].GetString(), "张三");  // masked (name)
  Reply none = env_->client(*app_).call(
      "POST", "/v1/query/MR-ENTITY-LIVE",
      queryBody("credit_code", "91330100MA2A0000XC", {"credit_code", "name"}));
  EXPECT_EQ(none.status, 404) << none.body;

  const std::vector<std::string> tax = {"taxpayer_id", "taxpayer_name", "clearance",
                                        "arrears_amount"};
  Reply arrears = env_->client(*app_).call("POST", "/v1/query/TAX-CLEARANCE-LIVE",
                                           queryBody("taxpayer_id", "91110000100000008J", tax));
  ASSERT_EQ(arrears.status, 200) << arrears.body;
  EXPECT_STREQ(arrears.json()["record"]["clearance"].GetString(), "arrears");
  EXPECT_STREQ(arrears.json()["record"]["arrears_amount"].GetString(), "12345.67");
  Reply cleared = env_->client(*app_).call("POST", "/v1/query/TAX-CLEARANCE-LIVE",
                                           queryBody("taxpayer_id", kEntity, tax));
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(cleared.json()["record"]["arrears_amount"].IsNull());  // unset optional
  Reply nobody = env_->client(*app_).call("POST", "/v1/query/TAX-CLEARANCE-LIVE",
                                          queryBody("taxpayer_id", "92440300MA5F00003D", tax));
  EXPECT_EQ(nobody.status, 404) << nobody.body;
}

TEST_F(AdaptersTest, EveryUpstreamFaultGivesItsProblemDocument) {
  setFaults(*g_flaky, "error_rate=1");
  expectProblem(queryPerson("FLAKY-PERSON"), 502, "bad_gateway", "flaky", "HTTP 500");
  setFaults(*g_flaky, "error_rate=0&garbage_rate=1");
  expectProblem(queryPerson("FLAKY-PERSON"), 502, "bad_gateway", "flaky", "not a JSON object");
  setFaults(*g_flaky, "garbage_rate=0&drop_rate=1");
  expectProblem(queryPerson("FLAKY-PERSON"), 502, "bad_gateway", "flaky", "connection");
  setFaults(*g_flaky, "drop_rate=0&latency_ms=3000");
  expectProblem(queryPerson("FLAKY-PERSON"), 504, "gateway_timeout", "flaky", "800 ms");
  setFaults(*g_flaky, "latency_ms=0&hang_rate=1");
  expectProblem(queryPerson("FLAKY-PERSON"), 504, "gateway_timeout", "flaky", "800 ms");
  setFaults(*g_flaky, "hang_rate=0");
  EXPECT_EQ(queryPerson("FLAKY-PERSON").status, 200);  // and it recovers at once
  expectProblem(queryPerson("DEAD-PERSON"), 502, "bad_gateway", "dead", "refused");

  setFaults(*g_market, "error_rate=1");
  Reply fault = env_->client(*app_).call("POST", "/v1/query/MR-ENTITY-LIVE",
                                         queryBody("credit_code", kEntity, {"name"}));
  expectProblem(fault, 502, "bad_gateway", "market", "SOAP fault (soap:Server)");
  setFaults(*g_market, "error_rate=0&garbage_rate=1");
  Reply garbage = env_->client(*app_).call("POST", "/v1/query/MR-ENTITY-LIVE",
                                           queryBody("credit_code", kEntity, {"name"}));
  expectProblem(garbage, 502, "bad_gateway", "market", "malformed XML");
  setFaults(*g_market, "garbage_rate=0");
  // Every refusal is audited like any other.
  auto audited = env_->sql(
      "SELECT count(*) FROM exchange.audit_log WHERE resource_code = 'FLAKY-PERSON' AND "
      "result <> 'ok'");
  EXPECT_GE(audited[0][0].as<int>(), 5);
}

TEST_F(AdaptersTest, BreakerOpensAndRecovers) {
  setFaults(*g_breaker, "error_rate=1");
  expectProblem(queryPerson("BREAKER-PERSON"), 502, "bad_gateway", "breaker", "HTTP 500");
  expectProblem(queryPerson("BREAKER-PERSON"), 502, "bad_gateway", "breaker", "HTTP 500");
  const int seen = simRequests(*g_breaker);
  // Open: refused without a call upstream.
  expectProblem(queryPerson("BREAKER-PERSON"), 503, "unavailable", "breaker",
                "circuit breaker is open");
  EXPECT_EQ(simRequests(*g_breaker), seen);
  Client probe(env_->port(), {});
  Reply ready = probe.call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("\"breaker\":{\"kind\":\"rest\",\"source\":\"breaker.persons\","
                            "\"breaker\":\"open\",\"healthy\":false"),
            std::string::npos)
      << ready.body;
  setFaults(*g_breaker, "error_rate=0");
  // Wait (bounded) for the breaker to let a trial through: half-open in /readyz.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (probe.call("GET", "/readyz").body.find("\"breaker\":\"half_open\"") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "breaker never half-opened";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(queryPerson("BREAKER-PERSON").status, 200);
  EXPECT_NE(
      probe.call("GET", "/readyz")
          .body.find("\"source\":\"breaker.persons\",\"breaker\":\"closed\",\"healthy\":true"),
      std::string::npos);
  Reply metrics = probe.call("GET", "/metrics");
  EXPECT_NE(metrics.body.find(
                "tongban_adapter_breaker_opened_total{upstream=\"breaker\",kind=\"rest\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("tongban_adapter_calls_total{upstream=\"household\",kind=\"rest\"}"),
            std::string::npos);
}

TEST_F(AdaptersTest, LocalQueriesGoOnWhileAnUpstreamHangs) {
  setFaults(*g_flaky, "hang_rate=1");
  const int before = simRequests(*g_flaky);
  std::atomic<int> hung_status{0};
  std::thread hung([&] { hung_status = queryPerson("FLAKY-PERSON").status; });
  // Wait (bounded) until the hanging call has reached the upstream.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (simRequests(*g_flaky) == before && hung_status == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Reply local = env_->client(*app_).call("POST", "/v1/query/POP-PERSON-BASIC",
                                         queryBody("citizen_id", kPerson, {"citizen_id", "name"}));
  EXPECT_EQ(local.status, 200) << local.body;
  hung.join();
  EXPECT_EQ(hung_status.load(), 504);
  setFaults(*g_flaky, "hang_rate=0");
}

TEST_F(AdaptersTest, OnlyTheSourcesOwnerPublishesOverIt) {
  testenv::App tax = env_->makeApp(testenv::kTaxBureau, "税务发布系统", "provider");
  Reply r = env_->client(tax).call("POST", "/v1/admin/catalog/resources",
                                   draft("TAX-HH-COPY", testenv::kTaxBureau, "household.persons",
                                         "citizen_id", fieldsJson(kPersonFields)));
  EXPECT_EQ(r.status / 100, 4) << r.body;
  EXPECT_NE(r.status, 201);
  // A field the adapter does not map is refused naming it.
  Client admin = env_->client(env_->admin());
  Reply bad = admin.call(
      "POST", "/v1/admin/catalog/resources",
      draft("HH-BAD", testenv::kPublicSecurity, "household.persons", "citizen_id",
            fieldsJson({{"citizen_id", "string", "citizen_id"}, {"income", "string", "none"}})));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.str("field"), "fields[1].name");
}

}  // namespace
}  // namespace tongban::exchange

namespace tongban::exchange {
namespace {

// The REST adapter over HTTPS: a simulator with a certificate made by the openssl tool, trusted
// through tls_ca_file; the same upstream without that CA is refused (502 naming TLS), never read.
SimProcess* g_tls = nullptr;
std::string g_tls_ca;

void configureTls(ExchangeConfig& c) {
  const std::string endpoint = "https://localhost:" + std::to_string(g_tls->port());
  c.adapters.push_back(instance(
      "secure", "rest", "secure.persons", testenv::kPublicSecurity,
      person(g_tls->port(),
             {{"endpoint", endpoint}, {"tls_ca_file", g_tls_ca}, {"breaker_failures", "1000"}})));
  c.adapters.push_back(instance("untrusted", "rest", "untrusted.persons", testenv::kPublicSecurity,
                                person(g_tls->port(), {{"endpoint", endpoint}})));
}

TEST(AdaptersTlsTest, HttpsUpstreamIsVerifiedAgainstItsCa) {
  const std::string dir = testing::binaryDir();
  const std::string key = dir + "/sim-tls.key.pem";
  g_tls_ca = dir + "/sim-tls.cert.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " +
      key + " -out " + g_tls_ca + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  SimProcess tls("household", {"--tls-cert", g_tls_ca, "--tls-key", key});
  g_tls = &tls;
  ExchangeEnv env("adapters_tls", configureTls);
  Client admin = env.client(env.admin());
  for (auto [code, source] : {std::pair{"SECURE-PERSON", "secure.persons"},
                              std::pair{"UNTRUSTED-PERSON", "untrusted.persons"}}) {
    ASSERT_EQ(admin
                  .call("POST", "/v1/admin/catalog/resources",
                        draft(code, testenv::kPublicSecurity, source, "citizen_id",
                              fieldsJson(kPersonFields)))
                  .status,
              201);
    ASSERT_EQ(admin
                  .call("POST",
                        std::string("/v1/admin/catalog/resources/") + code + "/versions/1/publish")
                  .status,
              200);
  }
  testenv::App app = env.makeApp(testenv::kCivilAffairs, "婚姻登记系统", "consumer");
  env.grant(app, "SECURE-PERSON", kAsked, {kMatter});
  env.grant(app, "UNTRUSTED-PERSON", kAsked, {kMatter});
  Reply ok = env.client(app).call("POST", "/v1/query/SECURE-PERSON",
                                  queryBody("citizen_id", kPerson, kAsked));
  EXPECT_EQ(ok.status, 200) << ok.body;
  Reply refused = env.client(app).call("POST", "/v1/query/UNTRUSTED-PERSON",
                                       queryBody("citizen_id", kPerson, kAsked));
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_NE(refused.str("detail").find("upstream untrusted (rest): TLS"), std::string::npos)
      << refused.body;
  g_tls = nullptr;
}

}  // namespace
}  // namespace tongban::exchange

namespace tongban::exchange {
namespace {

// Thrift upstreams that fail every call in one way each, and a REST upstream behind a bulkhead of
// one call: each failure is its problem document, and a second call while the bulkhead is full is
// refused at once (503) instead of queueing behind the hanging one.
SimProcess* g_tax_error = nullptr;
SimProcess* g_tax_drop = nullptr;
SimProcess* g_tax_garbage = nullptr;
SimProcess* g_tax_hang = nullptr;
SimProcess* g_narrow = nullptr;

std::map<std::string, std::string> tax(SimProcess* sim) {
  return {{"endpoint", "127.0.0.1:" + std::to_string(sim->port())},
          {"key_field", "taxpayer_id"},
          {"fields", "taxpayer_id=taxpayer_id, clearance=clearance:enum"},
          {"request_timeout_ms", "500"},
          {"retries", "1"},
          {"backoff_base_ms", "1"},
          {"breaker_failures", "1000"}};
}

void configureFaults(ExchangeConfig& c) {
  for (auto [name, sim] :
       {std::pair{"taxerror", g_tax_error}, std::pair{"taxdrop", g_tax_drop},
        std::pair{"taxgarbage", g_tax_garbage}, std::pair{"taxhang", g_tax_hang}}) {
    c.adapters.push_back(
        instance(name, "thrift", std::string(name) + ".clearance", testenv::kTaxBureau, tax(sim)));
  }
  c.adapters.push_back(instance(
      "narrow", "rest", "narrow.persons", testenv::kPublicSecurity,
      person(g_narrow->port(), {{"max_concurrent", "1"}, {"request_timeout_ms", "3000"}})));
}

TEST(AdaptersFaultsTest, ThriftFailuresAndAFullBulkhead) {
  SimProcess error("tax", {"--error-rate", "1"}), drop("tax", {"--drop-rate", "1"}),
      garbage("tax", {"--garbage-rate", "1"}), hang("tax", {"--hang-rate", "1"}),
      narrow("household", {"--hang-rate", "1"});
  g_tax_error = &error;
  g_tax_drop = &drop;
  g_tax_garbage = &garbage;
  g_tax_hang = &hang;
  g_narrow = &narrow;
  ExchangeEnv env("adapters_faults", configureFaults);
  Client admin = env.client(env.admin());
  testenv::App app = env.makeApp(testenv::kCivilAffairs, "婚姻登记系统", "consumer");
  auto publishOver = [&](const std::string& code, const std::string& dept,
                         const std::string& source, const std::string& key,
                         const std::string& fields, const std::vector<std::string>& asked) {
    ASSERT_EQ(
        admin.call("POST", "/v1/admin/catalog/resources", draft(code, dept, source, key, fields))
            .status,
        201);
    ASSERT_EQ(
        admin.call("POST", "/v1/admin/catalog/resources/" + code + "/versions/1/publish").status,
        200);
    env.grant(app, code, asked, {kMatter});
  };
  const std::string tax_fields =
      fieldsJson({{"taxpayer_id", "string", "none"}, {"clearance", "enum", "none"}});
  for (const char* name : {"taxerror", "taxdrop", "taxgarbage", "taxhang"}) {
    std::string code = std::string("T-") + name;
    for (char& ch : code) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    publishOver(code, testenv::kTaxBureau, std::string(name) + ".clearance", "taxpayer_id",
                tax_fields, {"taxpayer_id", "clearance"});
  }
  publishOver("NARROW-PERSON", testenv::kPublicSecurity, "narrow.persons", "citizen_id",
              fieldsJson(kPersonFields), kAsked);
  auto ask = [&](const std::string& code) {
    return env.client(app).call("POST", "/v1/query/" + code,
                                queryBody("taxpayer_id", kEntity, {"clearance"}));
  };
  Reply e = ask("T-TAXERROR");
  EXPECT_EQ(e.status, 502) << e.body;
  EXPECT_NE(e.str("detail").find("upstream taxerror (thrift): answered failure 503"),
            std::string::npos)
      << e.body;
  Reply d = ask("T-TAXDROP");
  EXPECT_EQ(d.status, 502) << d.body;
  EXPECT_NE(d.str("detail").find("upstream taxdrop (thrift)"), std::string::npos) << d.body;
  Reply g = ask("T-TAXGARBAGE");
  EXPECT_EQ(g.status, 502) << g.body;
  EXPECT_NE(g.str("detail").find("upstream taxgarbage (thrift)"), std::string::npos) << g.body;
  Reply h = ask("T-TAXHANG");
  EXPECT_EQ(h.status, 504) << h.body;
  EXPECT_NE(h.str("detail").find("upstream taxhang (thrift): did not answer within 500 ms"),
            std::string::npos)
      << h.body;

  // The bulkhead: one call hangs on the upstream; the next is refused at once, naming it.
  std::atomic<int> first{0};
  std::thread hung([&] {
    first = env.client(app)
                .call("POST", "/v1/query/NARROW-PERSON", queryBody("citizen_id", kPerson, kAsked))
                .status;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (simRequests(narrow) == 0 && first == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Reply full = env.client(app).call("POST", "/v1/query/NARROW-PERSON",
                                    queryBody("citizen_id", kPerson, kAsked));
  hung.join();
  EXPECT_EQ(first.load(), 504);
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_NE(full.str("detail").find("upstream narrow (rest) has 1 calls in flight"),
            std::string::npos)
      << full.body;
  EXPECT_EQ(simRequests(narrow), 1);  // the refused call never reached it
}

}  // namespace
}  // namespace tongban::exchange
