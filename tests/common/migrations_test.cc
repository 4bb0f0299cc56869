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
