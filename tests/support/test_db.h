// Fresh PostgreSQL databases for tests.
//
// ctest's `pg` fixture starts a private cluster (deploy/pg.sh) and leaves its connection string in
// TONGBAN_TEST_PGDIR/conninfo; TONGBAN_TEST_PG, when set, overrides it. TestDatabase creates a new
// empty database there and drops it on destruction. Migrated databases come from migrated().
#pragma once

#include <memory>
#include <string>

namespace tongban::testing {

class TestDatabase {
 public:
  // Creates database "t_<tag>_<pid>_<n>". Fails the calling test (ADD_FAILURE) and throws if the
  // cluster cannot be reached, with a message telling how to start it.
  explicit TestDatabase(const std::string& tag);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // Connection string of the new database.
  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }
  // Applies the embedded migrations; throws on failure.
  void migrate();

  // Connection string of the new database as the login role `tongban_test_runtime`, a member of
  // tongban_runtime (0012_roles.sql): what the exchange under test connects as. Creates that role
  // when missing (roles are cluster-wide; safe when suites race). Call after migrate().
  std::string runtimeConninfo() const;

  // Connection string of the cluster's maintenance database ("postgres").
  static std::string clusterConninfo();

 private:
  std::string name_;
  std::string conninfo_;
};

}  // namespace tongban::testing
