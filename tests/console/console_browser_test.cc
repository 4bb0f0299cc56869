// The console in a real browser: playwright-core (console/package-lock.json, installed in the
// build tree) drives Debian's chromium headless through tests/console/browser/console_browser.cjs,
// one scenario per node process, against a real exchange on a real PostgreSQL. This harness sets
// up the data, runs each scenario, and checks what the browser did from the outside (the
// database, a consumer's signed call). Screenshots go to <build>/console-screenshots/.
// Skipped, saying why, only when chromium or node is not installed.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "exchange/exchange_env.h"
#include "tongban/catalog/model.h"
#include "tongban/common/time_format.h"
#include "tongban/console/console_store.h"

namespace tongban::exchange {
namespace {

using testenv::ExchangeEnv;

constexpr const char* kPassword = "控制台测试口令-correct-horse";
constexpr const char* kM1 = "11110000000010014U4000117";

std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

struct ScenarioRun {
  int exit = -1;
  std::string output;
};

// Runs `node console_browser.cjs scenario` with `vars` set; output is stdout and stderr.
ScenarioRun runScenario(const std::string& scenario, uint16_t port,
                        const std::vector<std::pair<std::string, std::string>>& vars) {
  const std::string shots = std::string(TONGBAN_BINARY_DIR) + "/console-screenshots";
  std::filesystem::create_directories(shots);
  std::string cmd = "env NODE_PATH='" + std::string(TONGBAN_BINARY_DIR) +
                    "/console-npm/node_modules' TB_BASE='http://127.0.0.1:" + std::to_string(port) +
                    "' TB_SHOTS='" + shots + "' TB_PASSWORD='" + kPassword + "' TB_CHROMIUM='" +
                    chromium() + "'";
  for (const auto& [k, v] : vars) cmd += " " + k + "='" + v + "'";
  cmd += " node '" + std::string(TONGBAN_SOURCE_DIR) +
         "/tests/console/browser/console_browser.cjs' " + scenario + " 2>&1";
  ScenarioRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class ConsoleBrowserTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (chromium().empty() || std::system("node --version >/dev/null 2>&1") != 0) return;
    env_ = new ExchangeEnv("console_browser");
    pool_ = new db::ConnectionPool({env_->conninfo(), 1, std::chrono::milliseconds(5000), nullptr});
    store_ = new console::ConsoleStore(*pool_, {}, {});
    for (auto [name, role, scope] :
         {std::tuple{"admin1", console::Role::kHubAdmin, ""},
          std::tuple{"ps.approver", console::Role::kDepartmentApprover, testenv::kPublicSecurity},
          std::tuple{"mr.approver", console::Role::kDepartmentApprover, testenv::kMarketRegulation},
          std::tuple{"auditor1", console::Role::kAuditor, ""},
          std::tuple{"locky", console::Role::kAuditor, ""}}) {
      std::string totp;
      auto u =
          store_->addUser(name, std::string("测试用户 ") + name, kPassword, false, "test", &totp);
      ASSERT_TRUE(u) << u.status().toString();
      ASSERT_TRUE(store_->setRole(name, role, scope, false, "test"));
    }
  }
  static void TearDownTestSuite() {
    delete store_;
    delete pool_;
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    if (!env_) {
      GTEST_SKIP() << "chromium (apt-get install chromium; deploy/deps.sh) or node is not "
                      "installed: the console's browser tests cannot run";
    }
  }
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
  std::string sql1(const std::string& q) { return env_->sql(q)[0][0].c_str(); }
  static std::string queryBody() {
    return std::string("{\"keys\":{\"citizen_id\":\"") + testenv::kPersonId +
           "\"},\"fields\":[\"name\"],\"purpose\":{\"matter_code\":\"" + kM1 +
           "\",\"case_id\":\"C-1\"}}";
  }
  void expectScenario(const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& vars,
                      std::string* output = nullptr) {
    ScenarioRun r = runScenario(name, env_->port(), vars);
    EXPECT_EQ(r.exit, 0) << name << ":\n" << r.output;
    std::cout << "[ console ] " << name << " " << r.output;
    if (output) *output = r.output;
  }

  static ExchangeEnv* env_;
  static db::ConnectionPool* pool_;
  static console::ConsoleStore* store_;
};
ExchangeEnv* ConsoleBrowserTest::env_ = nullptr;
db::ConnectionPool* ConsoleBrowserTest::pool_ = nullptr;
console::ConsoleStore* ConsoleBrowserTest::store_ = nullptr;

TEST_F(ConsoleBrowserTest, LogInWithTheKeyboardAndSeeTheDashboard) {
  expectScenario("dashboard", {{"TB_USER", "admin1"}});
}

TEST_F(ConsoleBrowserTest, ApproveARequestAndWatchTheGrantAppear) {
  auto app = env_->makeApp(testenv::kTaxBureau, "浏览器测试一", "consumer");
  const int64_t id = pendingRequest(app);
  std::string out;
  expectScenario("approve", {{"TB_USER", "ps.approver"}, {"TB_REQUEST", std::to_string(id)}}, &out);
  EXPECT_EQ(sql1("SELECT state FROM catalog.access_requests WHERE id = " + std::to_string(id)),
            "approved");
  EXPECT_EQ(sql1("SELECT count(*) FROM catalog.grants WHERE request_id = " + std::to_string(id) +
                 " AND unmasked_fields = '{name}'"),
            "1");
  // The consumer now gets the name unmasked.
  auto r = env_->client(app).call("POST", "/v1/query/POP-PERSON-BASIC", queryBody());
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ConsoleBrowserTest, RejectWithAReason) {
  auto app = env_->makeApp(testenv::kTaxBureau, "浏览器测试二", "consumer");
  const int64_t id = pendingRequest(app);
  expectScenario("reject", {{"TB_USER", "ps.approver"},
                            {"TB_REQUEST", std::to_string(id)},
                            {"TB_REASON", "用途超出法定职责"}});
  EXPECT_EQ(sql1("SELECT state || ':' || reason FROM catalog.access_requests WHERE id = " +
                 std::to_string(id)),
            "rejected:用途超出法定职责");
}

TEST_F(ConsoleBrowserTest, SuspendAGrantAndTheConsumerIsRefused) {
  auto app = env_->makeApp(testenv::kTaxBureau, "浏览器测试三", "consumer");
  const int64_t grant = env_->grant(app, "POP-PERSON-BASIC", {"citizen_id", "name"}, {kM1});
  auto c = env_->client(app);
  ASSERT_EQ(c.call("POST", "/v1/query/POP-PERSON-BASIC", queryBody()).status, 200);
  expectScenario("suspend", {{"TB_USER", "admin1"}, {"TB_GRANT", std::to_string(grant)}});
  auto r = c.call("POST", "/v1/query/POP-PERSON-BASIC", queryBody());
  EXPECT_EQ(r.status, 403) << r.body;
  // CSRF: the same grant cannot be resumed from the page without the token.
  expectScenario("csrf", {{"TB_USER", "admin1"}, {"TB_GRANT", std::to_string(grant)}});
  EXPECT_EQ(sql1("SELECT state FROM catalog.grants WHERE id = " + std::to_string(grant)),
            "suspended");
}

TEST_F(ConsoleBrowserTest, SearchTheAuditLogAndVerifyTheChain) {
  expectScenario("audit", {{"TB_USER", "auditor1"}, {"TB_SEARCH_APP", "console:auditor1"}});
}

TEST_F(ConsoleBrowserTest, AnApproverCannotSeeOrActOnAnotherDepartmentsQueue) {
  auto app = env_->makeApp(testenv::kTaxBureau, "浏览器测试四", "consumer");
  const int64_t id = pendingRequest(app);
  expectScenario("otherDepartment", {{"TB_USER", "mr.approver"},
                                     {"TB_REQUEST", std::to_string(id)},
                                     {"TB_OTHER_DEPARTMENT", testenv::kPublicSecurity}});
  EXPECT_EQ(sql1("SELECT state FROM catalog.access_requests WHERE id = " + std::to_string(id)),
            "pending");
}

TEST_F(ConsoleBrowserTest, SessionFixationFails) {
  expectScenario("fixation", {{"TB_USER", "auditor1"}});
}

TEST_F(ConsoleBrowserTest, LockOutAfterFailedLogins) {
  expectScenario("lockout", {{"TB_USER", "locky"}, {"TB_MAX_FAILED", "5"}});
  EXPECT_EQ(sql1("SELECT locked_until > now() FROM console.users WHERE username = 'locky'"), "t");
}

}  // namespace
}  // namespace tongban::exchange
