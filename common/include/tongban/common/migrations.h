// Versioned SQL migrations (deploy/sql/NNNN_name.sql), compiled into the binaries.
//
// Applied in name order, each in its own transaction together with its row in
// public.schema_migrations (name, SHA-256 of the file, time). A migration whose recorded checksum
// differs from the file's is refused: released migrations are never edited. Concurrent callers
// serialise on an advisory lock, so two processes starting at once apply each file once. After a
// run that applied anything, public.tongban_apply_privileges() (0012_roles.sql) gives every object
// to the owner role and (re)grants the runtime role, so migrations written later need not.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/common/result.h"

namespace tongban::db {

struct Migration {
  std::string name;  // file name, e.g. "0001_population.sql"
  std::string sql;
};

// Every file of deploy/sql/, sorted by name.
const std::vector<Migration>& embeddedMigrations();

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this call, in order
  size_t already_applied = 0;
};

// Applies what is missing. kConflict when an applied file's checksum changed or the database
// records a migration this binary does not know (a newer binary migrated it); kUnavailable or
// kInternal on database errors. Thread-safe as far as the connection is not shared.
Result<MigrationReport> migrate(pqxx::connection& conn,
                                const std::vector<Migration>& migrations = embeddedMigrations());

// OK when every migration is applied with a matching checksum; otherwise a Status saying what is
// missing or different. Reads only.
Status checkMigrationsCurrent(pqxx::connection& conn,
                              const std::vector<Migration>& migrations = embeddedMigrations());

// Lower-case hex SHA-256 of data.
std::string sha256Hex(const std::string& data);

}  // namespace tongban::db
