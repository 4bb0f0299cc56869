#include "support/test_db.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tongban/common/migrations.h"

namespace tongban::testing {

std::string TestDatabase::clusterConninfo() {
  if (const char* env = std::getenv("TONGBAN_TEST_PG"); env && *env) return env;
  std::ifstream in(std::string(TONGBAN_TEST_PGDIR) + "/conninfo");
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    throw std::runtime_error(std::string("no test PostgreSQL: run the tests through ctest (its pg "
                                         "fixture starts one) or `deploy/pg.sh start ") +
                             TONGBAN_TEST_PGDIR + "`, or set TONGBAN_TEST_PG");
  }
  return line;
}

TestDatabase::TestDatabase(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::ostringstream name;
  name << "t_" << tag << "_" << ::getpid() << "_" << counter++;
  name_ = name.str();
  std::string cluster = clusterConninfo();
  pqxx::connection admin(cluster);
  pqxx::nontransaction tx(admin);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
  tx.exec("CREATE DATABASE " + tx.quote_name(name_) + " TEMPLATE template0");
  // Replace the dbname=... of the cluster string (pg.sh writes it last).
  auto pos = cluster.find("dbname=");
  conninfo_ =
      (pos == std::string::npos ? cluster + " " : cluster.substr(0, pos)) + "dbname=" + name_;
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(clusterConninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    // A leftover database is harmless: the cluster is private to this build tree.
    std::fprintf(stderr, "warning: could not drop test database %s: %s\n", name_.c_str(), e.what());
  }
}

void TestDatabase::migrate() {
  pqxx::connection conn(conninfo_);
  auto report = db::migrate(conn);
  if (!report) throw std::runtime_error("migration failed: " + report.status().toString());
}

std::string TestDatabase::runtimeConninfo() const {
  {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    tx.exec(
        "DO $$ BEGIN "
        "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tongban_test_runtime') THEN "
        "    CREATE ROLE tongban_test_runtime LOGIN IN ROLE tongban_runtime; "
        "  END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
        "END $$");
  }
  // Replace the user=... of the cluster string (pg.sh writes user=postgres).
  std::string out = conninfo_;
  auto pos = out.find("user=");
  if (pos == std::string::npos) return out + " user=tongban_test_runtime";
  auto end = out.find(' ', pos);
  return out.replace(pos, end == std::string::npos ? std::string::npos : end - pos,
                     "user=tongban_test_runtime");
}

}  // namespace tongban::testing
