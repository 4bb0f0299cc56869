#include "tongban/common/migrations.h"

#include <gtest/gtest.h>

#include "support/test_db.h"

namespace tongban::db {
namespace {

using testing::TestDatabase;

TEST(Migrations, EmbeddedInOrder) {
  const auto& all = embeddedMigrations();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].name, "0001_population.sql");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
}

TEST(Migrations, ApplyOnceThenNothing) {
  TestDatabase db("migrate_once");
  pqxx::connection c(db.conninfo());
  EXPECT_FALSE(checkMigrationsCurrent(c));
  auto first = migrate(c);
  ASSERT_TRUE(first) << first.status().toString();
  EXPECT_EQ(first->applied.size(), embeddedMigrations().size());
  EXPECT_TRUE(checkMigrationsCurrent(c));
  auto second = migrate(c);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->already_applied, embeddedMigrations().size());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM public.schema_migrations")[0].as<size_t>(),
            embeddedMigrations().size());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM population.persons")[0].as<int>(), 0);
}

TEST(Migrations, RefusesAnEditedMigration) {
  TestDatabase db("migrate_edited");
  pqxx::connection c(db.conninfo());
  ASSERT_TRUE(migrate(c));
  auto edited = embeddedMigrations();
  edited[0].sql += "\n-- an innocent-looking edit\n";
  auto r = migrate(c, edited);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kConflict);
  EXPECT_NE(r.status().message().find("0001_population.sql"), std::string::npos);
  EXPECT_NE(r.status().message().find("edited"), std::string::npos);
  EXPECT_FALSE(checkMigrationsCurrent(c, edited));
}

TEST(Migrations, RefusesAnUnknownAppliedMigration) {
  TestDatabase db("migrate_unknown");
  pqxx::connection c(db.conninfo());
  auto more = embeddedMigrations();
  more.push_back({"9999_future.sql", "CREATE TABLE future (x int);"});
  ASSERT_TRUE(migrate(c, more));
  auto r = migrate(c);  // an older binary
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("9999_future.sql"), std::string::npos);
}

TEST(Migrations, AFailingMigrationLeavesNoTrace) {
  TestDatabase db("migrate_fail");
  pqxx::connection c(db.conninfo());
  auto broken = embeddedMigrations();
  broken.push_back({"9998_broken.sql", "CREATE TABLE half (x int); SELECT no_such_function();"});
  auto r = migrate(c, broken);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("9998_broken.sql"), std::string::npos);
  pqxx::nontransaction tx(c);
  EXPECT_TRUE(tx.exec1("SELECT to_regclass('public.half') IS NULL")[0].as<bool>());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM public.schema_migrations WHERE name = "
                     "'9998_broken.sql'")[0]
                .as<int>(),
            0);
}

// Tables that migrations written later create (in any schema, by whichever role runs them) get
// the owner role and the runtime role's grants: working tables full DML, append-only ones (a
// *refuse_change trigger, or a COMMENT 'append-only ...') INSERT and SELECT only.
TEST(Migrations, LaterMigrationsTablesGetTheRolesPrivileges) {
  TestDatabase db("migrate_roles");
  auto more = embeddedMigrations();
  more.push_back({"9996_later.sql",
                  "CREATE SCHEMA later;"
                  "CREATE TABLE later.things (id bigserial PRIMARY KEY, x int);"
                  "CREATE TABLE later.history (id bigserial PRIMARY KEY, x int);"
                  "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON later.history "
                  "  FOR EACH ROW EXECUTE FUNCTION certs.refuse_change();"
                  "CREATE TABLE exchange.later_log (x int);"
                  "COMMENT ON TABLE exchange.later_log IS 'append-only: a test';"
                  "CREATE TABLE public.later_public (x int);"});
  {
    pqxx::connection c(db.conninfo());
    auto r = migrate(c, more);
    ASSERT_TRUE(r) << r.status().toString();
  }
  pqxx::connection owner(db.conninfo());
  pqxx::nontransaction q(owner);
  EXPECT_EQ(q.exec1("SELECT count(*) FROM pg_tables WHERE schemaname IN ('later', 'exchange', "
                    "'public') AND tableowner <> 'tongban_owner'")[0]
                .as<int>(),
            0);
  EXPECT_EQ(q.exec1("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'later'")[0]
                .as<std::string>(),
            "tongban_owner");
  pqxx::connection runtime(db.runtimeConninfo());
  // "" when it worked, "denied" when refused for want of a privilege or ownership.
  auto state = [&](const std::string& sql) -> std::string {
    pqxx::work tx(runtime);
    try {
      tx.exec(sql);
    } catch (const pqxx::sql_error& e) {
      std::string what = e.what();
      return what.find("permission denied") != std::string::npos ||
                     what.find("must be owner") != std::string::npos
                 ? "denied"
                 : what;
    }
    return "";
  };
  EXPECT_EQ(state("INSERT INTO later.things (x) VALUES (1); UPDATE later.things SET x = 2; "
                  "DELETE FROM later.things"),
            "");
  EXPECT_EQ(state("INSERT INTO later.history (x) VALUES (1); SELECT * FROM later.history"), "");
  EXPECT_EQ(state("UPDATE later.history SET x = 2"), "denied");
  EXPECT_EQ(state("DELETE FROM later.history"), "denied");
  EXPECT_EQ(state("INSERT INTO exchange.later_log VALUES (1)"), "");
  EXPECT_EQ(state("INSERT INTO public.later_public VALUES (1); DELETE FROM public.later_public"),
            "");
  EXPECT_EQ(state("DELETE FROM public.schema_migrations"), "denied");
  EXPECT_EQ(state("DELETE FROM exchange.later_log"), "denied");
  EXPECT_EQ(state("ALTER TABLE later.history DISABLE TRIGGER ALL"), "denied");
}

TEST(Migrations, SchemaConstraintsHold) {
  TestDatabase db("migrate_constraints");
  db.migrate();
  pqxx::connection c(db.conninfo());
  auto insert = [&](const std::string& sql) {
    try {
      pqxx::work tx(c);
      tx.exec(sql);
      tx.commit();
      return true;
    } catch (const pqxx::sql_error&) {
      return false;
    }
  };
  const std::string cols =
      "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, address) ";
  EXPECT_TRUE(
      insert(cols + "VALUES ('11010519491231002X', '张三', 'F', '1949-12-31', '110105', 'x')"));
  // Sex disagrees with the order digit; birth date disagrees with the id; bad status.
  EXPECT_FALSE(
      insert(cols + "VALUES ('110105194912310037', '李四', 'F', '1949-12-31', '110105', 'x')"));
  EXPECT_FALSE(
      insert(cols + "VALUES ('110105194912310037', '李四', 'M', '1950-01-01', '110105', 'x')"));
  EXPECT_FALSE(
      insert(cols + "VALUES ('11010519491231003', '李四', 'M', '1949-12-31', '110105', 'x')"));
  EXPECT_FALSE(insert("UPDATE population.persons SET status = 'unknown'"));
  EXPECT_FALSE(insert(
      "INSERT INTO legal_entity.entities (credit_code, name, entity_type, legal_rep_citizen_id, "
      "established_on, region_code, address, business_scope) VALUES ('91350100M000100Y43', "
      "'某公司', 'corporation', '11010519491231002X', '2000-01-01', '350102', 'x', 'y')"));
  EXPECT_FALSE(insert(
      "INSERT INTO legal_entity.entities (credit_code, name, entity_type, legal_rep_citizen_id, "
      "established_on, region_code, address, business_scope) VALUES ('91350100O000100Y43', "
      "'某公司', 'llc', '11010519491231002X', '2000-01-01', '350102', 'x', 'y')"));
}

}  // namespace
}  // namespace tongban::db
