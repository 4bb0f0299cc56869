#include "tongban/common/migrations.h"

#include <map>

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"

namespace tongban::db {

namespace {

// Any constant: the key of the advisory lock that serialises migrators.
constexpr long long kMigrationLockKey = 0x546f6e6762616e;  // "Tongban"

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
    "  name text PRIMARY KEY,"
    "  checksum text NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

Result<std::map<std::string, std::string>> appliedMigrations(pqxx::transaction_base& tx) {
  std::map<std::string, std::string> applied;
  auto exists = tx.exec1("SELECT to_regclass('public.schema_migrations') IS NOT NULL");
  if (!exists[0].as<bool>()) return applied;
  for (const auto& row : tx.exec("SELECT name, checksum FROM public.schema_migrations")) {
    applied[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  return applied;
}

Status compare(const std::map<std::string, std::string>& applied,
               const std::vector<Migration>& migrations, bool require_all) {
  std::map<std::string, const Migration*> known;
  for (const auto& m : migrations) known[m.name] = &m;
  for (const auto& [name, checksum] : applied) {
    auto it = known.find(name);
    if (it == known.end()) {
      return Status(ErrorCode::kConflict, "the database has migration " + name +
                                              " which this binary does not know (a newer version "
                                              "migrated it?)");
    }
    if (sha256Hex(it->second->sql) != checksum) {
      return Status(ErrorCode::kConflict, "migration " + name +
                                              " was edited after it was applied (checksum "
                                              "differs); released migrations must not change");
    }
  }
  if (require_all) {
    for (const auto& m : migrations) {
      if (!applied.count(m.name)) {
        return Status(ErrorCode::kUnavailable, "migration " + m.name + " is not applied");
      }
    }
  }
  return Status::ok();
}

}  // namespace

std::string sha256Hex(const std::string& data) { return hexEncode(sha256(data)); }

Result<MigrationReport> migrate(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  MigrationReport report;
  try {
    {
      pqxx::work tx(conn);
      tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
      tx.exec(kCreateTable);
      tx.commit();
    }
    for (const auto& m : migrations) {
      pqxx::work tx(conn);
      tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
      auto applied = appliedMigrations(tx);
      if (!applied) return applied.status();
      if (Status s = compare(*applied, migrations, false); !s) return s;
      if (applied->count(m.name)) {
        ++report.already_applied;
        continue;
      }
      try {
        tx.exec(m.sql);
      } catch (const pqxx::sql_error& e) {
        return Status::internal("migration " + m.name + " failed: " + e.what());
      }
      tx.exec_params("INSERT INTO public.schema_migrations (name, checksum) VALUES ($1, $2)",
                     m.name, sha256Hex(m.sql));
      tx.commit();
      report.applied.push_back(m.name);
    }
    // Ownership and the runtime role's grants (0012_roles.sql) cover whatever the migrations just
    // created, whichever role ran them and in whatever order they were applied.
    if (!report.applied.empty()) {
      pqxx::work tx(conn);
      tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
      if (tx.exec1("SELECT to_regprocedure('public.tongban_apply_privileges()') IS NOT NULL")[0]
              .as<bool>()) {
        try {
          tx.exec("SELECT public.tongban_apply_privileges()");
        } catch (const pqxx::sql_error& e) {
          return Status::internal(std::string("applying the database roles' privileges failed: ") +
                                  e.what());
        }
      }
      tx.commit();
    }
  } catch (const pqxx::broken_connection& e) {
    return Status::unavailable(std::string("database unreachable: ") + e.what());
  } catch (const pqxx::failure& e) {
    return Status::internal(std::string("migration failed: ") + e.what());
  }
  return report;
}

Status checkMigrationsCurrent(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  try {
    pqxx::read_transaction tx(conn);
    auto applied = appliedMigrations(tx);
    if (!applied) return applied.status();
    return compare(*applied, migrations, true);
  } catch (const pqxx::broken_connection& e) {
    return Status::unavailable(std::string("database unreachable: ") + e.what());
  } catch (const pqxx::failure& e) {
    return Status::unavailable(std::string("cannot read migrations: ") + e.what());
  }
}

}  // namespace tongban::db
