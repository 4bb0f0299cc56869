// AppRegistry on a real PostgreSQL, connected as the runtime role the exchange uses: departments,
// applications and keys in the directory schema, the history of changes, and the key caches.
#include "tongban/directory/app_registry.h"
#include "tongban/directory/references.h"

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/test_db.h"

namespace tongban::directory {
namespace {

using tongban::testing::TestDatabase;

constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr const char* kTaxBureau = "1133010000002001XU";

class AppRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new TestDatabase("directory_registry");
    db_->migrate();
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void SetUp() override {
    pool_ = std::make_unique<db::ConnectionPool>(
        db::PoolOptions{db_->runtimeConninfo(), 1, std::chrono::milliseconds(5000), nullptr});
  }
  // The registry's own view of a department: created once for the suite.
  static void ensureTaxBureau(AppRegistry& registry) {
    auto departments = registry.listDepartments();
    ASSERT_TRUE(departments) << departments.status().toString();
    for (const Department& d : *departments) {
      if (d.code == kTaxBureau) return;
    }
    auto d = registry.createDepartment(kTaxBureau, "杭州市税务局", "330100", "test");
    ASSERT_TRUE(d) << d.status().toString();
  }
  int64_t count(const std::string& sql) {
    pqxx::connection c(db_->conninfo());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  static TestDatabase* db_;
  std::unique_ptr<db::ConnectionPool> pool_;
};
TestDatabase* AppRegistryTest::db_ = nullptr;

TEST_F(AppRegistryTest, DepartmentsApplicationsAndKeysLiveInTheDirectorySchema) {
  AppRegistry registry(*pool_, *SecretBox::fromBase64(kMasterKey), std::chrono::milliseconds(0));
  ensureTaxBureau(registry);
  auto again = registry.createDepartment(kTaxBureau, "另一个名字", "330100", "test");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);

  auto key = registry.createApplication(kTaxBureau, "目录测试", "provider", "alice");
  ASSERT_TRUE(key) << key.status().toString();
  EXPECT_EQ(count("SELECT count(*) FROM directory.applications WHERE app_id = '" + key->app_id +
                  "' AND role = 'provider'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM directory.app_keys WHERE key_id = '" + key->key_id + "'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM directory.admin_events WHERE actor = 'alice' AND "
                  "object_id IN ('" +
                  key->app_id + "', '" + key->key_id + "') AND action = 'create'"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = 'exchange' AND c.relname IN ('departments', 'applications', "
                  "'app_keys', 'admin_events')"),
            0);

  auto info = registry.lookupKey(key->key_id);
  ASSERT_TRUE(info) << info.status().toString();
  EXPECT_EQ(info->secret, key->secret);
  EXPECT_EQ(info->department_code, kTaxBureau);
  EXPECT_TRUE(info->key_active && info->app_active);

  auto disabled = registry.setApplicationStatus(key->app_id, "disabled", "alice");
  ASSERT_TRUE(disabled) << disabled.status().toString();
  EXPECT_EQ(disabled->status, "disabled");
  EXPECT_FALSE(registry.lookupKey(key->key_id)->app_active);

  auto unknown = registry.createApplication("91350100M000100Y43", "无此部门", "consumer", "alice");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);
  auto bad_role = registry.createApplication(kTaxBureau, "坏角色", "root", "alice");
  ASSERT_FALSE(bad_role);
  EXPECT_EQ(bad_role.status().field(), "role");
}

// Moved from tests/exchange/edge_test.cc (issue 7, hole 8).
TEST_F(AppRegistryTest, UnknownKeysAreRememberedBrieflyAndForgottenWhenAKeyIsCreated) {
  AppRegistry registry(*pool_, *SecretBox::fromBase64(kMasterKey), std::chrono::milliseconds(0),
                       std::chrono::milliseconds(600000));
  ensureTaxBureau(registry);
  auto first = registry.lookupKey("key_0000000000000000");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.status().code(), ErrorCode::kNotFound);
  const uint64_t queries = pool_->stats().acquired;
  for (int i = 0; i < 100; ++i) {
    auto again = registry.lookupKey("key_0000000000000000");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.status().code(), ErrorCode::kNotFound);
  }
  EXPECT_EQ(pool_->stats().acquired, queries);  // no query for a key known to be unknown
  EXPECT_EQ(registry.unknownKeyCacheHits(), 100u);
  // A key created through the registry clears what it remembered.
  auto created = registry.createApplication(kTaxBureau, "负缓存测试", "consumer", "test");
  ASSERT_TRUE(created) << created.status().toString();
  const uint64_t after_create = pool_->stats().acquired;
  auto looked = registry.lookupKey("key_0000000000000000");
  ASSERT_FALSE(looked);
  EXPECT_EQ(pool_->stats().acquired, after_create + 1);
  EXPECT_TRUE(registry.lookupKey(created->key_id));
}

TEST_F(AppRegistryTest, WithoutAMasterKeyItListsButIssuesNoSecrets) {
  AppRegistry registry(*pool_, std::nullopt);
  ensureTaxBureau(registry);
  auto k = registry.createApplication(kTaxBureau, "无主密钥", "consumer", "test");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.status().field(), "security.master_key");
  // Not half-written: no application without its key.
  EXPECT_EQ(count("SELECT count(*) FROM directory.applications WHERE name = '无主密钥'"), 0);
}

TEST_F(AppRegistryTest, ReferencesAnswerInTheCallersTransaction) {
  AppRegistry registry(*pool_, *SecretBox::fromBase64(kMasterKey));
  ensureTaxBureau(registry);
  auto key = registry.createApplication(kTaxBureau, "引用测试", "consumer", "test");
  ASSERT_TRUE(key) << key.status().toString();
  pqxx::connection c(db_->runtimeConninfo());
  pqxx::work tx(c);
  EXPECT_TRUE(departmentExists(tx, kTaxBureau));
  EXPECT_FALSE(departmentExists(tx, "91350100M000100Y43"));
  EXPECT_EQ(departmentName(tx, kTaxBureau).value_or(""), "杭州市税务局");
  EXPECT_FALSE(departmentName(tx, "91350100M000100Y43"));
  EXPECT_EQ(applicationStatus(tx, key->app_id).value_or(""), "active");
  EXPECT_FALSE(applicationStatus(tx, "app_0000000000000000"));
  // A department inserted by the caller's own transaction, not yet committed, is seen.
  tx.exec(
      "INSERT INTO directory.departments (code, name, region_code, created_by) VALUES "
      "('11110000000000019K', '市民政局', '110000', 'test')");
  EXPECT_TRUE(departmentExists(tx, "11110000000000019K"));
  tx.abort();
}

}  // namespace
}  // namespace tongban::directory
