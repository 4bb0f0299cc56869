// Tests of `tongban-admin user`: in-process on a migrated database; a user made with --totp logs
// in with the code from the secret shown once, and each code works once.
#include <cstdlib>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "support/test_db.h"
#include "tongban/admin/commands.h"
#include "tongban/console/console_store.h"
#include "tongban/console/totp.h"
#include "tongban/directory/secret_box.h"

namespace tongban::admin {
namespace {

constexpr const char* kKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr const char* kPassword = "第一位管理员的长口令-2026";

struct CmdResult {
  int code;
  std::string out;
  std::string err;
};

class UserCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>("user_cmd");
    db_->migrate();
    setenv("TONGBAN_SECURITY_MASTER_KEY", kKey, 1);
    setenv("TONGBAN_CONSOLE_PASSWORD", kPassword, 1);
    setenv("TONGBAN_CONSOLE_SCRYPT_LOG2N", "10", 1);
  }
  void TearDown() override {
    unsetenv("TONGBAN_SECURITY_MASTER_KEY");
    unsetenv("TONGBAN_CONSOLE_PASSWORD");
    unsetenv("TONGBAN_CONSOLE_SCRYPT_LOG2N");
  }
  CmdResult user(Args a) {
    a.push_back("--db");
    a.push_back(db_->conninfo());
    std::ostringstream out, err;
    int code = runUser(a, out, err);
    return {code, out.str(), err.str()};
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(UserCmdTest, TheFirstAdministratorWithATotpSecret) {
  CmdResult add = user({"add", "zhang.san", "--name", "张三", "--totp"});
  ASSERT_EQ(add.code, 0) << add.err;
  const size_t nl = add.out.find('\n');
  rapidjson::Document totp;
  totp.Parse(add.out.substr(nl + 1).c_str());
  ASSERT_TRUE(totp.IsObject() && totp.HasMember("totp_secret")) << add.out;
  EXPECT_EQ(
      std::string(totp["otpauth_uri"].GetString()).rfind("otpauth://totp/Tongban:zhang.san", 0),
      0u);
  CmdResult role = user({"role", "zhang.san", "hub_admin"});
  ASSERT_EQ(role.code, 0) << role.err;
  EXPECT_NE(role.out.find("\"hub_admin\""), std::string::npos);
  // The password is stored hashed, the TOTP secret sealed.
  pqxx::connection c(db_->conninfo());
  pqxx::nontransaction tx(c);
  auto row = tx.exec(
      "SELECT password_hash, encode(totp_secret_enc, 'escape') FROM console.users "
      "WHERE username = 'zhang.san'");
  EXPECT_EQ(row[0][0].as<std::string>().rfind("scrypt$10$8$1$", 0), 0u);
  EXPECT_EQ(row[0][0].as<std::string>().find(kPassword), std::string::npos);
  EXPECT_EQ(row[0][1].as<std::string>().find(totp["totp_secret"].GetString()), std::string::npos);

  auto box = directory::SecretBox::fromBase64(kKey);
  ASSERT_TRUE(box);
  auto shared = std::make_shared<directory::SecretBox>(std::move(*box));
  console::SecretSealer sealer{
      [shared](std::string_view p, std::string_view ad) { return shared->seal(p, ad); },
      [shared](std::string_view s, std::string_view ad) { return shared->open(s, ad); }};
  db::ConnectionPool pool({db_->conninfo(), 1, std::chrono::milliseconds(5000), nullptr});
  console::ConsoleStore store(pool, {}, sealer);
  auto secret = console::base32Decode(totp["totp_secret"].GetString());
  ASSERT_TRUE(secret);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string code = console::totpCode(*secret, now / 30);
  int64_t id = 0;
  EXPECT_FALSE(store.login("zhang.san", kPassword, "", "", &id));         // no code
  EXPECT_FALSE(store.login("zhang.san", kPassword, "000000", "", &id) &&  // a wrong one
               code != "000000");
  auto ok = store.login("zhang.san", kPassword, code, "", &id);
  ASSERT_TRUE(ok) << ok.status().toString();
  EXPECT_TRUE(ok->session.user.has(console::Role::kHubAdmin));
  auto again = store.login("zhang.san", kPassword, code, "", &id);  // the same code: used
  EXPECT_FALSE(again);
}

TEST_F(UserCmdTest, RolesScopesStatusAndBadInput) {
  ASSERT_EQ(user({"add", "li.si", "--name", "李四"}).code, 0);
  CmdResult noscope = user({"role", "li.si", "department_approver"});
  EXPECT_EQ(noscope.code, 1);
  EXPECT_NE(noscope.err.find("scope"), std::string::npos) << noscope.err;
  CmdResult unknown_dept =
      user({"role", "li.si", "department_approver", "--scope", "91350100M000100Y43"});
  EXPECT_EQ(unknown_dept.code, 1) << unknown_dept.out;
  CmdResult ok = user({"role", "li.si", "department_approver", "--scope", "11110000000010014U"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(user({"role", "li.si", "department_approver", "--scope", "11110000000010014U"}).code,
            1);  // held already
  EXPECT_EQ(user({"role", "li.si", "auditor", "--scope", "11110000000010014U"}).code, 1);
  EXPECT_EQ(user({"role", "li.si", "superuser"}).code, 1);
  EXPECT_EQ(
      user({"role", "li.si", "department_approver", "--scope", "11110000000010014U", "--remove"})
          .code,
      0);
  EXPECT_EQ(user({"add", "li.si", "--name", "重复"}).code, 1);
  EXPECT_EQ(user({"add", "Bad Name", "--name", "x"}).code, 1);
  setenv("TONGBAN_CONSOLE_PASSWORD", "short", 1);
  CmdResult weak = user({"add", "wang.wu", "--name", "王五"});
  EXPECT_EQ(weak.code, 1);
  EXPECT_NE(weak.err.find("password"), std::string::npos);
  EXPECT_EQ(user({"add", "wang.wu", "--name", "王五", "--password", "x"}).code, 2);  // no such flag
  setenv("TONGBAN_CONSOLE_PASSWORD", kPassword, 1);
  EXPECT_EQ(user({"disable", "li.si"}).code, 0);
  EXPECT_EQ(user({"disable", "nobody"}).code, 1);
  CmdResult list = user({"list"});
  EXPECT_NE(list.out.find("\"status\":\"disabled\""), std::string::npos) << list.out;
  EXPECT_EQ(user({"reset-password", "li.si"}).code, 0);
  EXPECT_EQ(user({"enable", "li.si"}).code, 0);
}

}  // namespace
}  // namespace tongban::admin
