// CatalogStore, registry sources' owning departments: list and set. Part of CatalogStore over
// PostgreSQL (catalog_store.h, see store_support.h).
#include <utility>

#include "store_support.h"
#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/sources.h"
#include "tongban/directory/references.h"

namespace tongban::catalog {

using namespace store;

namespace {

SourceOwner readOwner(const std::string& source, const pqxx::result& rows) {
  SourceOwner o;
  o.source = source;
  if (rows.empty()) return o;
  o.department_code = rows[0][0].as<std::string>();
  o.updated_by = rows[0][1].as<std::string>();
  o.updated_at = fromMicros(rows[0][2].as<int64_t>());
  return o;
}

const std::string& ownerQuery() {
  static const std::string kSql = "SELECT department_code, updated_by, " + us("updated_at") +
                                  " FROM catalog.source_owners WHERE source = $1";
  return kSql;
}

}  // namespace

Result<SourceOwner> CatalogStore::ownerOf(const std::string& source, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (findSource(source) == nullptr) {
    return Status::invalid("source", "'" + source + "' is not a source of this hub");
  }
  return run(pool_, [&](pqxx::connection& conn) -> Result<SourceOwner> {
    pqxx::nontransaction tx(conn);
    return readOwner(source, tx.exec_params(ownerQuery(), source));
  });
}

Result<std::vector<SourceOwner>> CatalogStore::listSourceOwners(const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<SourceOwner>> {
    pqxx::nontransaction tx(conn);
    std::vector<SourceOwner> out;
    for (const Source& source : registrySources()) {
      out.push_back(readOwner(source.name, tx.exec_params(ownerQuery(), source.name)));
    }
    return out;
  });
}

Result<SourceOwner> CatalogStore::setSourceOwner(const std::string& source,
                                                 const std::string& department, const Actor& actor,
                                                 const std::string& reason) {
  if (Status s = checkActor(actor); !s) return s;
  if (!isAdmin(actor)) {
    return Status(ErrorCode::kPermissionDenied,
                  "changing the owner of a source is for hub administrators", "source");
  }
  if (findSource(source) == nullptr) {
    return Status::invalid("source", "'" + source + "' is not a registry source of this hub");
  }
  if (department.size() != 18) {
    return Status::invalid("department_code", "department_code must be an 18-character code");
  }
  if (Status s = validateText("reason", reason, kMaxTextChars, false); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<SourceOwner> {
    pqxx::work tx(conn);
    if (!directory::departmentExists(tx, department)) {
      return Status::invalid("department_code", "unknown department '" + department + "'");
    }
    const pqxx::result old = tx.exec_params(
        "SELECT department_code FROM catalog.source_owners WHERE source = $1 FOR UPDATE", source);
    std::optional<std::string> from;
    if (!old.empty()) from = old[0][0].as<std::string>();
    if (from == department) return readOwner(source, tx.exec_params(ownerQuery(), source));
    tx.exec_params(
        "INSERT INTO catalog.source_owners (source, department_code, updated_by)"
        " VALUES ($1, $2, $3) ON CONFLICT (source) DO UPDATE SET"
        " department_code = EXCLUDED.department_code, updated_by = EXCLUDED.updated_by,"
        " updated_at = now()",
        source, department, actor.id);
    addEvent(tx, ObjectType::kSource, source, from, department, actor.id, reason);
    const pqxx::result retired = tx.exec_params(
        "UPDATE catalog.resources SET status = 'retired', updated_by = $3, updated_at = now()"
        " WHERE source = $1 AND status = 'published' AND provider_department <> $2"
        " RETURNING code, version",
        source, department, actor.id);
    for (const pqxx::row& row : retired) {
      addEvent(tx, ObjectType::kResource,
               resourceObjectId(row[0].as<std::string>(), row[1].as<int>()), "published", "retired",
               actor.id, "source " + source + " now belongs to department " + department);
    }
    SourceOwner result = readOwner(source, tx.exec_params(ownerQuery(), source));
    tx.commit();
    return result;
  });
}

}  // namespace tongban::catalog
