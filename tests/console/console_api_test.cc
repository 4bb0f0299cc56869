// The console's JSON API over a real socket: login, sessions, CSRF, roles, the access-request
// queue, grants, audit search and verification, and the pages' headers.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <rapidjson/document.h>

#include "exchange/exchange_env.h"
#include "tongban/catalog/model.h"
#include "tongban/common/time_format.h"
#include "tongban/console/console_store.h"

namespace tongban::exchange {
namespace {

using testenv::ExchangeEnv;

constexpr const char* kPassword = "正确的马电池订书钉-2026";
constexpr const char* kM1 = "11110000000010014U4000117";

struct Answer {
  int status = 0;
  std::string body;
  std::string set_cookie;
  std::map<std::string, std::string> headers;
  rapidjson::Document json() const {
    rapidjson::Document d;
    d.Parse(body.c_str());
    return d;
  }
  std::string field() const {  // the problem document's field
    auto d = json();
    return d.IsObject() && d.HasMember("field") && d["field"].IsString() ? d["field"].GetString()
                                                                         : "";
  }
};

class Browser {
 public:
  explicit Browser(uint16_t port) : port_(port) {}
  Answer call(const std::string& method, const std::string& path, const std::string& body = "",
              std::map<std::string, std::string> extra = {}) {
    Poco::Net::HTTPClientSession s("127.0.0.1", port_);
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!cookie.empty()) req.set("Cookie", "tongban_console=" + cookie);
    if (!csrf.empty() && method != "GET" && !extra.count("no-csrf")) req.set("X-CSRF-Token", csrf);
    extra.erase("no-csrf");
    for (const auto& [k, v] : extra) req.set(k, v);
    if (!body.empty() || method == "POST") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& os = s.sendRequest(req);
    os << body;
    Poco::Net::HTTPResponse resp;
    std::istream& is = s.receiveResponse(resp);
    Answer a;
    a.status = resp.getStatus();
    Poco::StreamCopier::copyToString(is, a.body);
    for (const auto& [k, v] : resp) a.headers[k] = v;
    a.set_cookie = resp.get("Set-Cookie", "");
    return a;
  }
  // Logs in; keeps the cookie and the CSRF token as the pages do.
  Answer login(const std::string& user, const std::string& password = kPassword,
               const std::string& totp = "") {
    std::string body = "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"" +
                       (totp.empty() ? "" : ",\"totp\":\"" + totp + "\"") + "}";
    Answer a = call("POST", "/console/api/login", body);
    if (a.status == 200) {
      auto eq = a.set_cookie.find('=');
      cookie = a.set_cookie.substr(eq + 1, a.set_cookie.find(';') - eq - 1);
      csrf = a.json()["csrf_token"].GetString();
    }
    return a;
  }
  std::string cookie;
  std::string csrf;

 private:
  uint16_t port_;
};

class ConsoleApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new ExchangeEnv("console_api");
    pool_ = new db::ConnectionPool({env_->conninfo(), 1, std::chrono::milliseconds(5000), nullptr});
    store_ = new console::ConsoleStore(*pool_, {}, {});
    addUser("admin1", console::Role::kHubAdmin, "");
    addUser("ps.approver", console::Role::kDepartmentApprover, testenv::kPublicSecurity);
    addUser("mr.approver", console::Role::kDepartmentApprover, testenv::kMarketRegulation);
    addUser("auditor1", console::Role::kAuditor, "");
    addUser("locky", console::Role::kAuditor, "");
    consumer_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "税务征管系统", "consumer"));
  }
  static void TearDownTestSuite() {
    delete store_;
    delete pool_;
    delete consumer_;
    delete env_;
  }
  static void addUser(const std::string& name, console::Role role, const std::string& scope) {
    std::string totp;
    auto u = store_->addUser(name, name, kPassword, false, "test", &totp);
    ASSERT_TRUE(u) << u.status().toString();
    ASSERT_TRUE(store_->setRole(name, role, scope, false, "test"));
  }
  // A pending request of the consumer on POP-PERSON-BASIC (public security's).
  int64_t pendingRequest() { return pendingRequest(*consumer_); }
  int64_t pendingRequest(const testenv::App& app) {
    auto c = env_->client(app);
    auto r = c.call(
        "POST", "/v1/access-requests",
        "{\"resource_code\":\"POP-PERSON-BASIC\",\"fields\":[\"citizen_id\",\"name\"],"
        "\"purpose\":\"核验纳税人身份\",\"legal_basis\":\"《税收征收管理法》\","
        "\"matter_codes\":[\"" +
            std::string(kM1) + "\"],\"valid_to\":\"" +
            formatRfc3339Seconds(std::chrono::system_clock::now() + std::chrono::hours(24 * 300)) +
            "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
    auto d = r.json();
    return d.IsObject() && d.HasMember("id") ? d["id"].GetInt64() : 0;
  }
  std::string requestState(int64_t id) {
    return env_
        ->sql("SELECT state FROM catalog.access_requests WHERE id = " + std::to_string(id))[0][0]
        .as<std::string>();
  }

  static ExchangeEnv* env_;
  static db::ConnectionPool* pool_;
  static console::ConsoleStore* store_;
  static testenv::App* consumer_;
};
ExchangeEnv* ConsoleApiTest::env_ = nullptr;
db::ConnectionPool* ConsoleApiTest::pool_ = nullptr;
console::ConsoleStore* ConsoleApiTest::store_ = nullptr;
testenv::App* ConsoleApiTest::consumer_ = nullptr;

TEST_F(ConsoleApiTest, LoginSetsAStrictHttpOnlyCookieAndMeNamesThePerson) {
  Browser b(env_->port());
  EXPECT_EQ(b.call("GET", "/console/api/me").status, 401);
  Answer a = b.login("admin1");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.set_cookie.find("HttpOnly"), std::string::npos) << a.set_cookie;
  EXPECT_NE(a.set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(a.set_cookie.find("Path=/console"), std::string::npos);
  EXPECT_EQ(a.set_cookie.find("Secure"), std::string::npos);  // plain HTTP, no front door
  EXPECT_EQ(a.headers["Cache-Control"], "no-store");
  Answer me = b.call("GET", "/console/api/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(std::string(me.json()["user"]["username"].GetString()), "admin1");
  EXPECT_EQ(std::string(me.json()["csrf_token"].GetString()), b.csrf);
  // Only a hash of the token is stored.
  auto rows = env_->sql("SELECT count(*) FROM console.sessions WHERE token_hash = sha256('" +
                        b.cookie + "'::bytea)");
  EXPECT_EQ(rows[0][0].as<int>(), 1);
  EXPECT_EQ(env_->sql("SELECT count(*) FROM console.sessions WHERE token_hash::text LIKE '%" +
                      b.cookie + "%'")[0][0]
                .as<int>(),
            0);
  Answer out = b.call("POST", "/console/api/logout");
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(b.call("GET", "/console/api/me").status, 401);
}

TEST_F(ConsoleApiTest, SecureCookieBehindTheTlsFrontDoorOnly) {
  // The test exchange trusts no proxy: a client's own X-Forwarded-Proto is not believed.
  Browser b(env_->port());
  Answer a = b.call("POST", "/console/api/login",
                    std::string("{\"username\":\"admin1\",\"password\":\"") + kPassword + "\"}",
                    {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.set_cookie.find("Secure"), std::string::npos);
}

TEST_F(ConsoleApiTest, WrongPasswordsLockTheAccountAndEachIsAuditedNamingThePerson) {
  Browser b(env_->port());
  for (int i = 0; i < 5; ++i) {
    Answer a = b.login("locky", "wrong password here");
    EXPECT_EQ(a.status, 401) << a.body;
  }
  Answer right = b.login("locky");
  EXPECT_EQ(right.status, 401) << right.body;
  EXPECT_NE(right.body.find("locked"), std::string::npos) << right.body;
  EXPECT_EQ(env_->sql("SELECT count(*) FROM exchange.audit_log WHERE app_id = 'console:locky' "
                      "AND result = 'denied' AND path = '/console/api/login'")[0][0]
                .as<int>(),
            6);
  // An unknown user gets the same answer as a wrong password.
  Answer unknown = b.login("nobody", "wrong password here");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_NE(unknown.body.find("wrong username, password or code"), std::string::npos);
  // reset-password unlocks.
  ASSERT_TRUE(store_->resetPassword("locky", kPassword, false, "test", nullptr));
  EXPECT_EQ(b.login("locky").status, 200);
}

TEST_F(ConsoleApiTest, SessionFixationFails) {
  Browser victim(env_->port());
  victim.cookie = "attacker-chosen-session-id-0123456789";  // planted before login
  Answer a = victim.login("auditor1");
  ASSERT_EQ(a.status, 200);
  EXPECT_NE(victim.cookie, "attacker-chosen-session-id-0123456789");
  Browser attacker(env_->port());
  attacker.cookie = "attacker-chosen-session-id-0123456789";
  EXPECT_EQ(attacker.call("GET", "/console/api/me").status, 401);
  // A real session token known before a new login is ended by it (rotation).
  const std::string before = victim.cookie;
  ASSERT_EQ(victim.login("auditor1").status, 200);
  EXPECT_NE(victim.cookie, before);
  attacker.cookie = before;
  EXPECT_EQ(attacker.call("GET", "/console/api/me").status, 401);
  EXPECT_EQ(victim.call("GET", "/console/api/me").status, 200);
}

TEST_F(ConsoleApiTest, IdleAndAbsoluteTimeoutsEndSessions) {
  Browser b(env_->port());
  ASSERT_EQ(b.login("auditor1").status, 200);
  env_->sql(
      "UPDATE console.sessions SET last_seen_at = now() - interval '16 minutes' "
      "WHERE token_hash = sha256('" +
      b.cookie + "'::bytea)");
  EXPECT_EQ(b.call("GET", "/console/api/me").status, 401);
  ASSERT_EQ(b.login("auditor1").status, 200);
  env_->sql(
      "UPDATE console.sessions SET expires_at = now() - interval '1 second' "
      "WHERE token_hash = sha256('" +
      b.cookie + "'::bytea)");
  EXPECT_EQ(b.call("GET", "/console/api/me").status, 401);
}

TEST_F(ConsoleApiTest, StateChangesWithoutTheCsrfTokenOrFromAnotherOriginAreRefused) {
  const int64_t id = pendingRequest();
  Browser b(env_->port());
  ASSERT_EQ(b.login("admin1").status, 200);
  Answer no_token = b.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/reject",
                           "{\"reason\":\"x\"}", {{"no-csrf", ""}});
  EXPECT_EQ(no_token.status, 403) << no_token.body;
  EXPECT_EQ(no_token.field(), "X-CSRF-Token");
  Answer wrong = b.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/reject",
                        "{\"reason\":\"x\"}", {{"X-CSRF-Token", "forged"}});
  EXPECT_EQ(wrong.status, 403);
  Answer cross = b.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/reject",
                        "{\"reason\":\"x\"}", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(cross.field(), "Origin");
  EXPECT_EQ(requestState(id), "pending");
  // Refusals are audited naming the person.
  EXPECT_GE(env_->sql("SELECT count(*) FROM exchange.audit_log WHERE app_id = 'console:admin1' "
                      "AND http_status = 403")[0][0]
                .as<int>(),
            3);
}

TEST_F(ConsoleApiTest, ApproverSeesAndDecidesOnlyTheirDepartmentsQueue) {
  const int64_t id = pendingRequest();
  Browser mr(env_->port());
  ASSERT_EQ(mr.login("mr.approver").status, 200);
  Answer own = mr.call("GET", "/console/api/access-requests");
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.body.find("POP-PERSON-BASIC"), std::string::npos) << own.body;
  Answer other = mr.call(
      "GET", std::string("/console/api/access-requests?department=") + testenv::kPublicSecurity);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(other.field(), "department");
  Answer act =
      mr.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/approve", "{}");
  EXPECT_TRUE(act.status == 403 || act.status == 404) << act.status << act.body;
  EXPECT_EQ(requestState(id), "pending");

  Browser ps(env_->port());
  ASSERT_EQ(ps.login("ps.approver").status, 200);
  Answer queue = ps.call("GET", "/console/api/access-requests");
  ASSERT_EQ(queue.status, 200);
  EXPECT_NE(queue.body.find("\"id\":" + std::to_string(id)), std::string::npos) << queue.body;
  EXPECT_NE(queue.body.find("\"working_days_left\":10"), std::string::npos) << queue.body;
  Answer ok = ps.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/approve",
                      "{\"unmasked_fields\":[\"name\"]}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(requestState(id), "approved");
  EXPECT_EQ(env_->sql("SELECT count(*) FROM catalog.grants WHERE request_id = " +
                      std::to_string(id) + " AND 'name' = ANY (unmasked_fields)")[0][0]
                .as<int>(),
            1);
  EXPECT_EQ(env_->sql("SELECT count(*) FROM exchange.audit_log WHERE app_id = "
                      "'console:ps.approver' AND path LIKE '%/approve' AND result = "
                      "'allowed'")[0][0]
                .as<int>(),
            1);
  EXPECT_EQ(
      env_->sql("SELECT count(*) FROM catalog.events WHERE actor = 'console:ps.approver'")[0][0]
          .as<int>(),
      2);  // the request approved, the grant made
}

TEST_F(ConsoleApiTest, RejectNeedsAReasonAndAuditorsChangeNothing) {
  const int64_t id = pendingRequest();
  Browser aud(env_->port());
  ASSERT_EQ(aud.login("auditor1").status, 200);
  EXPECT_EQ(aud.call("GET", "/console/api/access-requests").status, 200);
  Answer no = aud.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/reject",
                       "{\"reason\":\"不符合\"}");
  EXPECT_EQ(no.status, 403) << no.body;
  Browser ps(env_->port());
  ASSERT_EQ(ps.login("ps.approver").status, 200);
  const std::string path = "/console/api/access-requests/" + std::to_string(id) + "/reject";
  Answer empty = ps.call("POST", path, "{\"reason\":\"  \"}");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.field(), "reason");
  Answer bad_id = ps.call("POST", "/console/api/access-requests/abc/reject", "{\"reason\":\"x\"}");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.field(), "id");
  Answer bad_json = ps.call("POST", path, "{\"reason\":");
  EXPECT_EQ(bad_json.status, 400);
  Answer ok = ps.call("POST", path, "{\"reason\":\"用途与法定职责不符\"}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(requestState(id), "rejected");
}

TEST_F(ConsoleApiTest, SuspendingAGrantRefusesTheConsumer) {
  const testenv::App own = env_->makeApp(testenv::kTaxBureau, "征管查询系统", "consumer");
  const int64_t id = pendingRequest(own);
  Browser admin(env_->port());
  ASSERT_EQ(admin.login("admin1").status, 200);
  Answer ok =
      admin.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/approve", "{}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  const int64_t grant = ok.json()["grant"]["id"].GetInt64();
  auto c = env_->client(own);
  const std::string query = std::string("{\"keys\":{\"citizen_id\":\"") + testenv::kPersonId +
                            "\"},\"fields\":[\"name\"],\"purpose\":{\"matter_code\":\"" + kM1 +
                            "\",\"case_id\":\"C-1\"}}";
  EXPECT_EQ(c.call("POST", "/v1/query/POP-PERSON-BASIC", query).status, 200);
  Answer list = admin.call("GET", "/console/api/grants?state=active");
  EXPECT_NE(list.body.find("\"id\":" + std::to_string(grant)), std::string::npos);
  Answer no_reason =
      admin.call("POST", "/console/api/grants/" + std::to_string(grant) + "/suspend", "{}");
  EXPECT_EQ(no_reason.status, 400);
  Answer s = admin.call("POST", "/console/api/grants/" + std::to_string(grant) + "/suspend",
                        "{\"reason\":\"核查异常调用\"}");
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(c.call("POST", "/v1/query/POP-PERSON-BASIC", query).status, 403);
  EXPECT_EQ(
      admin.call("POST", "/console/api/grants/" + std::to_string(grant) + "/resume", "{}").status,
      200);
  EXPECT_EQ(c.call("POST", "/v1/query/POP-PERSON-BASIC", query).status, 200);
}

TEST_F(ConsoleApiTest, AuditSearchPagesAndTheChainVerifies) {
  Browser aud(env_->port());
  ASSERT_EQ(aud.login("auditor1").status, 200);
  for (int i = 0; i < 3; ++i) aud.call("GET", "/console/api/me");
  Answer p1 = aud.call("GET", "/console/api/audit?app_id=console:auditor1&limit=2");
  ASSERT_EQ(p1.status, 200) << p1.body;
  auto d1 = p1.json();
  EXPECT_EQ(d1["entries"].Size(), 2u);
  EXPECT_TRUE(d1["more"].GetBool());
  for (int i = 0; i < 2; ++i) aud.call("GET", "/console/api/me");  // newer entries: not in pages
  const std::string to = d1["to"].GetString();
  Answer p2 =
      aud.call("GET", "/console/api/audit?app_id=console:auditor1&limit=2&offset=2&to=" + to);
  auto d2 = p2.json();
  ASSERT_GE(d2["entries"].Size(), 1u);
  EXPECT_NE(std::string(d1["entries"][1]["hash"].GetString()),
            std::string(d2["entries"][0]["hash"].GetString()));
  Answer again = aud.call("GET", "/console/api/audit?app_id=console:auditor1&limit=2&to=" + to);
  EXPECT_EQ(std::string(again.json()["entries"][0]["hash"].GetString()),
            std::string(d1["entries"][0]["hash"].GetString()));
  Answer bad = aud.call("GET", "/console/api/audit?limit=100000");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.field(), "limit");
  Answer bad_time = aud.call("GET", "/console/api/audit?from=yesterday");
  EXPECT_EQ(bad_time.field(), "from");
  Answer csv = aud.call("GET", "/console/api/audit.csv?app_id=console:auditor1&to=" + to);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.headers["Content-Type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF\"at\",\"node_id\"", 0), 0u) << csv.body.substr(0, 80);
  EXPECT_NE(csv.body.find(d1["entries"][0]["hash"].GetString()), std::string::npos);
  EXPECT_EQ(aud.call("GET", "/console/api/audit.csv?from=bad").field(), "from");
  Answer v = aud.call("POST", "/console/api/audit/verify", "");
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_TRUE(v.json()["intact"].GetBool()) << v.body;
  Answer dash = aud.call("GET", "/console/api/dashboard");
  ASSERT_EQ(dash.status, 200) << dash.body;
  EXPECT_TRUE(dash.json()["last_verification"]["intact"].GetBool());
  // Approvers do not read the audit log.
  Browser ps(env_->port());
  ASSERT_EQ(ps.login("ps.approver").status, 200);
  EXPECT_EQ(ps.call("GET", "/console/api/audit").status, 403);
}

TEST_F(ConsoleApiTest, PagesCarryAStrictCspAndTheirContentTypes) {
  Browser b(env_->port());
  Answer page = b.call("GET", "/console/login.html");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["Content-Type"], "text/html; charset=utf-8");
  EXPECT_NE(page.headers["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(page.headers["Cache-Control"], "no-cache");
  Answer js = b.call("GET", "/console/vendor/echarts.min.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["Content-Type"], "text/javascript; charset=utf-8");
  EXPECT_GT(js.body.size(), 100000u);
  Answer again =
      b.call("GET", "/console/vendor/echarts.min.js", "", {{"If-None-Match", js.headers["ETag"]}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(b.call("GET", "/console").status, 303);
  EXPECT_EQ(b.call("GET", "/console/nope.html").status, 404);
}

}  // namespace
}  // namespace tongban::exchange

namespace tongban::exchange {
namespace {

TEST_F(ConsoleApiTest, DisablingAUserEndsTheirSessions) {
  ASSERT_TRUE(store_->addUser("shortlived", "短期用户", kPassword, false, "test", nullptr));
  ASSERT_TRUE(store_->setRole("shortlived", console::Role::kAuditor, "", false, "test"));
  Browser b(env_->port());
  ASSERT_EQ(b.login("shortlived").status, 200);
  ASSERT_EQ(b.call("GET", "/console/api/me").status, 200);
  ASSERT_TRUE(store_->setStatus("shortlived", "disabled", "test"));
  EXPECT_EQ(b.call("GET", "/console/api/me").status, 401);
  EXPECT_EQ(b.login("shortlived").status, 401);
}

TEST_F(ConsoleApiTest, ARoleTakenAwayTakesEffectOnTheNextRequest) {
  ASSERT_TRUE(store_->addUser("demoted", "降级用户", kPassword, false, "test", nullptr));
  ASSERT_TRUE(store_->setRole("demoted", console::Role::kAuditor, "", false, "test"));
  Browser b(env_->port());
  ASSERT_EQ(b.login("demoted").status, 200);
  EXPECT_EQ(b.call("GET", "/console/api/audit").status, 200);
  ASSERT_TRUE(store_->setRole("demoted", console::Role::kAuditor, "", true, "test"));
  EXPECT_EQ(b.call("GET", "/console/api/audit").status, 403);
}

// Behind the front door (a trusted proxy that says the browser came over TLS) the cookie is
// Secure.
void trustLoopback(ExchangeConfig& c) { c.trusted_proxies = "127.0.0.1"; }

TEST(ConsoleTls, CookieIsSecureWhenTheTrustedFrontDoorSaysHttps) {
  ExchangeEnv env("console_tls", trustLoopback);
  db::ConnectionPool pool({env.conninfo(), 1, std::chrono::milliseconds(5000), nullptr});
  console::ConsoleStore store(pool, {}, {});
  ASSERT_TRUE(store.addUser("tls.user", "TLS", kPassword, false, "test", nullptr));
  Browser b(env.port());
  const std::string body =
      std::string("{\"username\":\"tls.user\",\"password\":\"") + kPassword + "\"}";
  Answer https = b.call("POST", "/console/api/login", body, {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(https.status, 200) << https.body;
  EXPECT_NE(https.set_cookie.find("; Secure"), std::string::npos) << https.set_cookie;
  Answer http = b.call("POST", "/console/api/login", body, {{"X-Forwarded-Proto", "http"}});
  ASSERT_EQ(http.status, 200);
  EXPECT_EQ(http.set_cookie.find("Secure"), std::string::npos);
}

}  // namespace
}  // namespace tongban::exchange

namespace tongban::exchange {
namespace {

// 国发〔2016〕51号: 10 working days. A request made on Monday 2 November 2020 (Beijing time) is due
// on Monday 16 November (weekends skipped); long past it, the queue shows it overdue and the
// dashboard counts it.
TEST_F(ConsoleApiTest, TheDeadlineIsTenWorkingDaysAndOverdueRequestsAreCounted) {
  const int64_t id = pendingRequest();
  env_->sql(
      "UPDATE catalog.access_requests SET created_at = '2020-11-02T10:00:00+08:00' "
      "WHERE id = " +
      std::to_string(id));
  Browser b(env_->port());
  ASSERT_EQ(b.login("admin1").status, 200);
  Answer q = b.call("GET", "/console/api/access-requests?limit=200");
  ASSERT_EQ(q.status, 200) << q.body;
  auto d = q.json();
  bool found = false;
  for (const auto& r : d["access_requests"].GetArray()) {
    if (r["id"].GetInt64() != id) continue;
    found = true;
    EXPECT_EQ(std::string(r["deadline"].GetString()), "2020-11-16");
    EXPECT_LT(r["working_days_left"].GetInt64(), 0);
  }
  EXPECT_TRUE(found) << q.body;
  Answer dash = b.call("GET", "/console/api/dashboard");
  ASSERT_EQ(dash.status, 200);
  EXPECT_GE(dash.json()["requests"]["overdue"].GetInt64(), 1);
  ASSERT_EQ(b.call("POST", "/console/api/access-requests/" + std::to_string(id) + "/reject",
                   "{\"reason\":\"逾期清理\"}")
                .status,
            200);
}

}  // namespace
}  // namespace tongban::exchange
