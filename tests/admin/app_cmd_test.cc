// Tests of `tongban-admin department | app | key | call`: in-process on a migrated database, and
// `call` against a running exchange (signing for real).
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "exchange/exchange_env.h"
#include "support/test_db.h"
#include "support/test_env.h"
#include "tongban/admin/commands.h"

namespace tongban::admin {
namespace {

constexpr const char* kKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

struct CmdResult {
  int code;
  std::string out;
  std::string err;
};

CmdResult run(int (*fn)(const Args&, std::ostream&, std::ostream&), const Args& args) {
  std::ostringstream out, err;
  int code = fn(args, out, err);
  return {code, out.str(), err.str()};
}

std::string member(const std::string& json, const char* name) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(name) || !d[name].IsString()) return "";
  return d[name].GetString();
}

class AppCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>("app_cmd");
    db_->migrate();
    setenv("TONGBAN_SECURITY_MASTER_KEY", kKey, 1);
  }
  void TearDown() override { unsetenv("TONGBAN_SECURITY_MASTER_KEY"); }
  Args withDb(Args a) {
    a.push_back("--db");
    a.push_back(db_->conninfo());
    return a;
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(AppCmdTest, DepartmentsApplicationsAndKeys) {
  CmdResult d = run(runDepartment, withDb({"add", "--code", "1133010000002001XU", "--name",
                                           "杭州市税务局", "--region", "330100"}));
  ASSERT_EQ(d.code, 0) << d.err;
  CmdResult dup = run(runDepartment, withDb({"add", "--code", "1133010000002001XU", "--name",
                                             "另一个", "--region", "330100"}));
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("exists"), std::string::npos) << dup.err;
  CmdResult list = run(runDepartment, withDb({"list"}));
  EXPECT_NE(list.out.find("杭州市税务局"), std::string::npos);

  CmdResult app =
      run(runApp, withDb({"add", "--department", "1133010000002001XU", "--name", "征管系统"}));
  ASSERT_EQ(app.code, 0) << app.err;
  std::string app_id = member(app.out, "app_id");
  std::string key_id = member(app.out, "key_id");
  EXPECT_EQ(member(app.out, "secret").rfind("tbs_", 0), 0u) << app.out;
  EXPECT_NE(app.err.find("shown once"), std::string::npos);

  CmdResult rotated = run(runKey, withDb({"rotate", app_id, "--overlap-seconds", "60"}));
  ASSERT_EQ(rotated.code, 0) << rotated.err;
  EXPECT_NE(member(rotated.out, "key_id"), key_id);
  EXPECT_EQ(run(runKey, withDb({"disable", key_id})).code, 0);
  EXPECT_EQ(run(runKey, withDb({"disable", "key_ffffffffffffffff"})).code, 1);
  CmdResult disabled = run(runApp, withDb({"disable", app_id}));
  EXPECT_EQ(disabled.code, 0) << disabled.err;
  EXPECT_EQ(member(disabled.out, "status"), "disabled");
  CmdResult apps = run(runApp, withDb({"list", "--department", "1133010000002001XU"}));
  EXPECT_NE(apps.out.find(app_id), std::string::npos);
}

TEST_F(AppCmdTest, ClientCertificatesAreBoundAndUnbound) {
  ASSERT_EQ(run(runDepartment, withDb({"add", "--code", "1133010000002001XU", "--name",
                                       "杭州市税务局", "--region", "330100"}))
                .code,
            0);
  CmdResult app =
      run(runApp, withDb({"add", "--department", "1133010000002001XU", "--name", "征管系统"}));
  ASSERT_EQ(app.code, 0) << app.err;
  const std::string app_id = member(app.out, "app_id");
  const std::string colons =
      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
      "67:89";
  CmdResult bound = run(runApp, withDb({"bind-cert", app_id, "--sha256", colons}));
  ASSERT_EQ(bound.code, 0) << bound.err;
  EXPECT_NE(bound.out.find("\"client_certificate_bound\":true"), std::string::npos) << bound.out;
  pqxx::connection c(db_->conninfo());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(
      tx.exec_params1("SELECT client_cert_sha256 FROM directory.applications WHERE app_id = $1",
                      app_id)[0]
          .as<std::string>(),
      "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  CmdResult bad = run(runApp, withDb({"bind-cert", app_id, "--sha256", "xyz"}));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("sha256"), std::string::npos) << bad.err;
  EXPECT_EQ(run(runApp, withDb({"bind-cert", "app_ffffffffffffffff", "--sha256", colons})).code, 1);
  CmdResult unbound = run(runApp, withDb({"unbind-cert", app_id}));
  ASSERT_EQ(unbound.code, 0) << unbound.err;
  EXPECT_TRUE(
      tx.exec_params1("SELECT client_cert_sha256 FROM directory.applications WHERE app_id = $1",
                      app_id)[0]
          .is_null());
}

TEST_F(AppCmdTest, BadInputIsRefusedWithTheReason) {
  // Invalid credit code, unknown region, unknown department, bad role, no master key.
  CmdResult bad_code =
      run(runDepartment,
          withDb({"add", "--code", "1133010000002001XA", "--name", "某局", "--region", "330100"}));
  EXPECT_EQ(bad_code.code, 1);
  EXPECT_NE(bad_code.err.find("check character"), std::string::npos) << bad_code.err;
  CmdResult bad_region =
      run(runDepartment,
          withDb({"add", "--code", "1133010000002001XU", "--name", "某局", "--region", "999999"}));
  EXPECT_EQ(bad_region.code, 1);
  CmdResult no_dept =
      run(runApp, withDb({"add", "--department", "1133010000002001XU", "--name", "系统"}));
  EXPECT_EQ(no_dept.code, 1);
  EXPECT_NE(no_dept.err.find("no department"), std::string::npos) << no_dept.err;
  CmdResult role = run(runApp, withDb({"add", "--department", "11110000000010014U", "--name",
                                       "系统", "--role", "superuser"}));
  EXPECT_EQ(role.code, 1);
  EXPECT_NE(role.err.find("role"), std::string::npos);
  unsetenv("TONGBAN_SECURITY_MASTER_KEY");
  CmdResult no_key =
      run(runApp, withDb({"add", "--department", "11110000000010014U", "--name", "系统"}));
  EXPECT_EQ(no_key.code, 1);
  EXPECT_NE(no_key.err.find("master_key"), std::string::npos) << no_key.err;
  // Usage errors.
  EXPECT_EQ(run(runApp, {"add"}).code, 2);
  EXPECT_EQ(run(runApp, withDb({"frobnicate"})).code, 2);
  EXPECT_EQ(run(runKey, withDb({"rotate", "app_x", "--overlap-seconds", "-5"})).code, 2);
  EXPECT_EQ(run(runDepartment, {"add", "--bogus", "x"}).code, 2);
  unsetenv("TONGBAN_DATABASE_URL");
  CmdResult no_db = run(runDepartment, {"list"});
  EXPECT_EQ(no_db.code, 2);
  EXPECT_NE(no_db.err.find("TONGBAN_DATABASE_URL"), std::string::npos) << no_db.err;
}

TEST(CallCmd, SignsRequestsToARunningExchange) {
  exchange::testenv::ExchangeEnv env("call_cmd");
  exchange::testenv::App app = env.makeApp(exchange::testenv::kTaxBureau, "命令行", "consumer");
  std::string creds = testing::binaryDir() + "/call-cmd-creds.json";
  std::ofstream(creds) << "{\"key_id\":\"" << app.credentials.key_id << "\",\"secret\":\""
                       << app.credentials.secret << "\"}";
  std::string url = "http://127.0.0.1:" + std::to_string(env.port());
  CmdResult ok =
      run(runCall, {"get", "/v1/catalog/resources", "--url", url, "--credentials", creds});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("POP-PERSON-BASIC"), std::string::npos);
  EXPECT_NE(ok.err.find("HTTP 200"), std::string::npos);
  CmdResult denied =
      run(runCall, {"GET", "/v1/admin/departments", "--url", url, "--credentials", creds});
  EXPECT_EQ(denied.code, 1);
  EXPECT_NE(denied.err.find("HTTP 403"), std::string::npos);
  std::ofstream(creds) << "not json";
  EXPECT_EQ(run(runCall, {"GET", "/v1/grants", "--url", url, "--credentials", creds}).code, 2);
  EXPECT_EQ(run(runCall, {"GET", "v1/grants", "--url", url}).code, 2);
  EXPECT_EQ(run(runCall, {"GET", "/v1/grants", "--url", "ftp://x"}).code, 2);
  setenv("TONGBAN_KEY_ID", app.credentials.key_id.c_str(), 1);
  setenv("TONGBAN_SECRET", app.credentials.secret.c_str(), 1);
  CmdResult env_creds = run(runCall, {"GET", "/v1/grants", "--url", url});
  EXPECT_EQ(env_creds.code, 0) << env_creds.err;
  CmdResult down = run(runCall, {"GET", "/v1/grants", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(down.code, 1);
  unsetenv("TONGBAN_KEY_ID");
  unsetenv("TONGBAN_SECRET");
}

}  // namespace
}  // namespace tongban::admin
