// deploy/sql/0013_directory.sql on a database that ran 0001..0012 and holds data: the rows stay,
// the foreign keys of catalog and certs follow the tables into the directory schema, and the
// runtime role keeps exactly the rights it had.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_db.h"
#include "tongban/common/migrations.h"

namespace tongban::directory {
namespace {

using tongban::testing::TestDatabase;

const std::vector<std::string> kTables = {"departments", "applications", "app_keys",
                                          "admin_events"};

std::vector<db::Migration> migrationsBefore(const std::string& name) {
  std::vector<db::Migration> out;
  for (const db::Migration& m : db::embeddedMigrations()) {
    if (m.name < name) out.push_back(m);
  }
  return out;
}

// "table privilege" -> granted, for the runtime role, over the four tables and admin_events' id
// sequence, in `schema`.
std::map<std::string, bool> runtimeRights(pqxx::transaction_base& tx, const std::string& schema) {
  std::map<std::string, bool> out;
  for (const std::string& table : kTables) {
    for (const char* p :
         {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}) {
      out[table + " " + p] =
          tx.exec_params1("SELECT has_table_privilege('tongban_runtime', $1, $2)",
                          schema + "." + table, p)[0]
              .as<bool>();
    }
  }
  for (const char* p : {"USAGE", "SELECT", "UPDATE"}) {
    out[std::string("admin_events_id_seq ") + p] =
        tx.exec_params1("SELECT has_sequence_privilege('tongban_runtime', $1, $2)",
                        schema + ".admin_events_id_seq", p)[0]
            .as<bool>();
  }
  return out;
}

// Every row of the four tables as text, in a stable order.
std::vector<std::string> rows(pqxx::transaction_base& tx, const std::string& schema) {
  std::vector<std::string> out;
  for (const std::string& table : kTables) {
    for (const auto& r : tx.exec("SELECT t::text FROM " + schema + "." + table + " t ORDER BY 1")) {
      out.push_back(table + ": " + r[0].as<std::string>());
    }
  }
  return out;
}

TEST(DirectoryMigration, ADatabaseAt0012KeepsItsRowsForeignKeysAndRuntimeRights) {
  TestDatabase db("directory_upgrade");
  pqxx::connection c(db.conninfo());
  {
    auto r = db::migrate(c, migrationsBefore("0013"));
    ASSERT_TRUE(r) << r.status().toString();
    ASSERT_EQ(r->applied.back(), "0012_roles.sql");
  }
  std::vector<std::string> before;
  std::map<std::string, bool> rights_before;
  {
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO exchange.departments (code, name, region_code, created_by) VALUES "
        "('1133010000002001XU', '杭州市税务局', '330100', 'test');"
        "INSERT INTO exchange.applications (app_id, department_code, name, role, created_by, "
        "client_cert_sha256) VALUES ('app_00000000000000a1', '1133010000002001XU', '征管系统', "
        "'provider', 'test', repeat('ab', 32));"
        "INSERT INTO exchange.app_keys (key_id, app_id, secret_enc, not_after, created_by) VALUES "
        "('key_00000000000000b1', 'app_00000000000000a1', '\\x0102', now(), 'test');"
        "INSERT INTO exchange.admin_events (actor, object_type, object_id, action) VALUES "
        "('test', 'application', 'app_00000000000000a1', 'create')");
    tx.commit();
  }
  {
    pqxx::read_transaction tx(c);
    before = rows(tx, "exchange");
    rights_before = runtimeRights(tx, "exchange");
  }
  ASSERT_GE(before.size(), 6u);  // the two departments 0004 ships, and the rows above
  EXPECT_TRUE(rights_before.at("departments DELETE"));
  EXPECT_FALSE(rights_before.at("admin_events UPDATE"));

  auto r = db::migrate(c);
  ASSERT_TRUE(r) << r.status().toString();
  ASSERT_FALSE(r->applied.empty());
  EXPECT_EQ(r->applied.front(), "0013_directory.sql");

  pqxx::read_transaction tx(c);
  EXPECT_EQ(rows(tx, "directory"), before);
  EXPECT_EQ(runtimeRights(tx, "directory"), rights_before);
  for (const std::string& table : kTables) {
    EXPECT_TRUE(
        tx.exec_params1("SELECT to_regclass($1) IS NULL", "exchange." + table)[0].as<bool>())
        << table;
  }
  // Every foreign key that pointed at the moved tables points at them in their new schema.
  std::map<std::string, std::string> fks;
  for (const auto& row :
       tx.exec("SELECT conrelid::regclass::text || ' ' || conname, "
               "confrelid::regclass::text FROM pg_constraint WHERE contype = "
               "'f' AND confrelid::regclass::text ~ "
               "'^(exchange|directory)\\.(departments|applications|app_keys)$'")) {
    fks[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  const std::vector<std::string> holders = {"directory.applications",
                                            "directory.app_keys",
                                            "catalog.resources",
                                            "catalog.access_requests",
                                            "catalog.grants",
                                            "catalog.source_owners",
                                            "certs.seals",
                                            "certs.type_issuers",
                                            "certs.certificates"};
  for (const std::string& holder : holders) {
    bool found = false;
    for (const auto& [name, target] : fks) {
      if (name.rfind(holder + " ", 0) != 0) continue;
      found = true;
      EXPECT_EQ(target.rfind("directory.", 0), 0u) << name << " -> " << target;
    }
    EXPECT_TRUE(found) << holder;
  }
  EXPECT_EQ(fks.size(), holders.size());
}

// What the runtime role may do to the moved tables, as the exchange connects.
TEST(DirectoryMigration, TheRuntimeRoleWorksTheTablesAndOnlyAppendsTheHistory) {
  TestDatabase db("directory_runtime");
  db.migrate();
  pqxx::connection runtime(db.runtimeConninfo());
  auto state = [&](const std::string& sql) -> std::string {
    pqxx::work tx(runtime);
    try {
      tx.exec(sql);
      tx.commit();
    } catch (const pqxx::sql_error& e) {
      std::string what = e.what();
      if (what.find("permission denied") != std::string::npos) return "denied";
      if (what.find("foreign key") != std::string::npos) return "foreign key";
      return what;
    }
    return "";
  };
  EXPECT_EQ(state("INSERT INTO directory.departments (code, name, region_code, created_by) VALUES "
                  "('1133010000002001XU', '杭州市税务局', '330100', 'test');"
                  "UPDATE directory.departments SET name = '杭州市税务局（新）' "
                  "WHERE code = '1133010000002001XU'"),
            "");
  EXPECT_EQ(state("INSERT INTO directory.admin_events (actor, object_type, object_id, action) "
                  "VALUES ('test', 'department', '1133010000002001XU', 'create')"),
            "");
  EXPECT_EQ(state("UPDATE directory.admin_events SET actor = 'mallory'"), "denied");
  EXPECT_EQ(state("DELETE FROM directory.admin_events"), "denied");
  EXPECT_EQ(state("TRUNCATE directory.departments CASCADE"), "denied");
  // catalog's foreign key into the directory holds: a source owned by an unknown department, or
  // removing a department that owns a source.
  EXPECT_EQ(state("UPDATE catalog.source_owners SET department_code = '91350100M000100Y43'"),
            "foreign key");
  EXPECT_EQ(state("DELETE FROM directory.departments WHERE code = '11110000000010014U'"),
            "foreign key");
}

}  // namespace
}  // namespace tongban::directory
