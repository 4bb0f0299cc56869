// Issue 7, hole 9: the exchange's database role cannot rewrite history. The exchange under test
// runs as a member of tongban_runtime (ExchangeEnv); here that role tries what an attacker who
// took over the exchange process (or its SQL) would try on the audit and transparency logs, and
// is refused, while the owner role — which the exchange used to run as — can do all of it.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "exchange/exchange_env.h"

namespace tongban::exchange {
namespace {

using testenv::ExchangeEnv;

// Runs `statement` as `conninfo` in a transaction that is rolled back: "" when it succeeded,
// kDenied when PostgreSQL refused it for want of a privilege or of ownership (not the append-only
// triggers: those say "append-only"), else the error.
constexpr const char* kDenied = "denied";
std::string sqlState(const std::string& conninfo, const std::string& statement) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  try {
    tx.exec(statement);
  } catch (const pqxx::sql_error& e) {
    const std::string what = e.what();
    const bool denied = what.find("permission denied") != std::string::npos ||
                        what.find("must be owner") != std::string::npos ||
                        what.find("must be member") != std::string::npos ||
                        what.find("must be able to SET ROLE") != std::string::npos;
    return denied ? kDenied : what;
  }
  return "";  // tx rolls back
}

class DatabaseRoles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { env_ = new ExchangeEnv("roles"); }
  static void TearDownTestSuite() { delete env_; }
  static ExchangeEnv* env_;
};
ExchangeEnv* DatabaseRoles::env_ = nullptr;

TEST_F(DatabaseRoles, TheExchangeRunsAsTheRuntimeRoleAndStillAudits) {
  testenv::Client c = env_->client(env_->admin());
  EXPECT_EQ(c.call("GET", "/v1/admin/audit?limit=1").status, 200);
  pqxx::connection conn(env_->runtimeConninfo());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), "tongban_test_runtime");
  EXPECT_TRUE(tx.exec1("SELECT pg_has_role('tongban_runtime', 'MEMBER')")[0].as<bool>());
  EXPECT_FALSE(tx.exec1("SELECT pg_has_role('tongban_owner', 'MEMBER')")[0].as<bool>());
  EXPECT_GT(tx.exec1("SELECT count(*) FROM exchange.audit_log")[0].as<int>(), 0);
  // Every table of the hub belongs to the owner role, none to the runtime role.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_tables WHERE schemaname IN ('exchange', 'catalog', "
                     "'certs', 'population', 'legal_entity') AND tableowner <> 'tongban_owner'")[0]
                .as<int>(),
            0);
}

TEST_F(DatabaseRoles, RuntimeRoleCannotRewriteTheAuditLog) {
  testenv::Client c = env_->client(env_->admin());
  ASSERT_EQ(c.call("GET", "/v1/admin/audit?limit=1").status, 200);  // at least one row
  const std::string runtime = env_->runtimeConninfo();
  for (const char* table : {"exchange.audit_log", "exchange.audit_checkpoints"}) {
    const std::string t = table;
    SCOPED_TRACE(t);
    EXPECT_EQ(sqlState(runtime, "UPDATE " + t + " SET node_id = node_id"), kDenied);
    EXPECT_EQ(sqlState(runtime, "DELETE FROM " + t), kDenied);
    EXPECT_EQ(sqlState(runtime, "TRUNCATE " + t), kDenied);
    EXPECT_EQ(sqlState(runtime, "ALTER TABLE " + t + " DISABLE TRIGGER ALL"), kDenied);
    EXPECT_EQ(sqlState(runtime, "ALTER TABLE " + t + " DISABLE TRIGGER USER"), kDenied);
    EXPECT_EQ(sqlState(runtime, "DROP TABLE " + t), kDenied);
    EXPECT_EQ(sqlState(runtime, "ALTER TABLE " + t + " OWNER TO tongban_test_runtime"), kDenied);
    // GRANT without the right only warns ("no privileges were granted"); the UPDATE still fails.
    EXPECT_EQ(sqlState(runtime, "GRANT UPDATE ON " + t + " TO tongban_test_runtime; UPDATE " + t +
                                    " SET node_id = node_id"),
              kDenied);
  }
  EXPECT_EQ(sqlState(runtime, "DROP TRIGGER audit_log_append_only ON exchange.audit_log"), kDenied);
  EXPECT_EQ(sqlState(runtime,
                     "CREATE OR REPLACE FUNCTION exchange.audit_refuse_change() "
                     "RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$"),
            kDenied);
  EXPECT_EQ(sqlState(runtime, "SET ROLE tongban_owner"), kDenied);
  // What the exchange used to be able to do as the owner: switch the guard off, then rewrite.
  const std::string owner = env_->conninfo();
  EXPECT_EQ(sqlState(owner,
                     "ALTER TABLE exchange.audit_log DISABLE TRIGGER USER; "
                     "UPDATE exchange.audit_log SET reason = 'nothing happened'"),
            "");
}

TEST_F(DatabaseRoles, RuntimeRoleCannotTouchTheTransparencyLog) {
  const std::string runtime = env_->runtimeConninfo();
  for (const char* table : {"certs.log_leaves", "certs.log_nodes", "certs.tree_heads",
                            "certs.status_events", "certs.seal_events", "certs.changes"}) {
    const std::string t = table;
    SCOPED_TRACE(t);
    const std::string column =
        env_
            ->sql("SELECT attname FROM pg_attribute WHERE attrelid = '" + t +
                  "'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum DESC LIMIT 1")[0]
                                                                                                 [0]
            .as<std::string>();
    EXPECT_EQ(sqlState(runtime, "UPDATE " + t + " SET " + column + " = " + column), kDenied);
    EXPECT_EQ(sqlState(runtime, "DELETE FROM " + t), kDenied);
    EXPECT_EQ(sqlState(runtime, "TRUNCATE " + t), kDenied);
    EXPECT_EQ(sqlState(runtime, "ALTER TABLE " + t + " DISABLE TRIGGER ALL"), kDenied);
    EXPECT_EQ(sqlState(runtime, "DROP TABLE " + t), kDenied);
  }
  // The registries and the migration record are read-only for it.
  EXPECT_EQ(sqlState(runtime, "UPDATE population.persons SET name = name"), kDenied);
  EXPECT_EQ(sqlState(runtime, "DELETE FROM public.schema_migrations"), kDenied);
  EXPECT_EQ(sqlState(runtime, "CREATE TABLE exchange.mine (x int)"), kDenied);
  EXPECT_EQ(sqlState(runtime, "SELECT public.tongban_apply_privileges()"), kDenied);
}

}  // namespace
}  // namespace tongban::exchange
