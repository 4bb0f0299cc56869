// CatalogStore, grants: get, list, suspend, resume, revoke, and the active grants the exchange
// authorises with. Part of CatalogStore over PostgreSQL (catalog_store.h, see store_support.h).
#include <utility>

#include "store_support.h"
#include "tongban/catalog/catalog_store.h"

namespace tongban::catalog {

using namespace store;

namespace {

const char kGrantJoin[] =
    " FROM catalog.grants g JOIN catalog.access_requests q ON q.id = g.request_id"
    " JOIN catalog.resources r ON r.code = q.resource_code AND r.version = q.resource_version";

}  // namespace

Result<Grant> CatalogStore::getGrant(int64_t id, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Grant> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT " + grantColumns() + ", r.provider_department" + kGrantJoin + " WHERE g.id = $1",
        id);
    if (rows.empty()) return Status::notFound("no grant " + std::to_string(id));
    Grant g = readGrant(rows[0]);
    if (!canManage(actor, rows[0][kGrantColumnCount].as<std::string>()) && g.app_id != actor.id) {
      return Status::notFound("no grant " + std::to_string(id));
    }
    return g;
  });
}

Result<std::vector<Grant>> CatalogStore::listGrants(const GrantFilter& filter, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateList(filter.limit); !s) return s;
  std::string own_app;
  std::string own_department;
  if (Status s = visibility(actor, filter.app_id, &own_app, &own_department); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Grant>> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT " + grantColumns() + kGrantJoin +
            " WHERE ($1::text = '' OR g.app_id = $1::text)"
            "   AND ($2::text = '' OR g.resource_code = $2::text)"
            "   AND ($3::text = '' OR g.state = $3::text)"
            "   AND ($4::text = '' OR g.app_id = $4::text"
            "        OR r.provider_department::text = $5::text)"
            " ORDER BY g.id DESC LIMIT $6 OFFSET $7",
        filter.app_id, filter.resource_code,
        std::string(filter.state ? toString(*filter.state) : ""), own_app, own_department,
        static_cast<int64_t>(filter.limit), static_cast<int64_t>(filter.offset));
    std::vector<Grant> out;
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) out.push_back(readGrant(row));
    return out;
  });
}

Result<Grant> CatalogStore::transitionGrant(int64_t id, const Actor& actor,
                                            const std::string& reason, GrantState to) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateText("reason", reason, kMaxTextChars, to != GrantState::kActive); !s) {
    return s;
  }
  return run(pool_, [&](pqxx::connection& conn) -> Result<Grant> {
    pqxx::work tx(conn);
    const pqxx::result rows =
        tx.exec_params("SELECT " + grantColumns() + ", r.provider_department" + kGrantJoin +
                           " WHERE g.id = $1 FOR UPDATE OF g",
                       id);
    if (rows.empty()) return Status::notFound("no grant " + std::to_string(id));
    const Grant g = readGrant(rows[0]);
    const std::string department = rows[0][kGrantColumnCount].as<std::string>();
    const char* verb = to == GrantState::kSuspended ? "suspending"
                       : to == GrantState::kActive  ? "resuming"
                                                    : "revoking";
    if (!canManage(actor, department)) {
      return denied(
          needsManager(std::string(verb) + " grants on resource " + g.resource_code, department));
    }
    const bool allowed = (to == GrantState::kSuspended && g.state == GrantState::kActive) ||
                         (to == GrantState::kActive && g.state == GrantState::kSuspended) ||
                         (to == GrantState::kRevoked && g.state != GrantState::kRevoked);
    if (!allowed) {
      std::string message = "grant " + std::to_string(id) + " is " + toString(g.state);
      if (g.state == GrantState::kRevoked) {
        message += "; revocation is final";
      } else {
        message += std::string("; ") + verb + " needs a " +
                   (to == GrantState::kActive ? "suspended" : "active") + " grant";
      }
      return conflict(message);
    }
    tx.exec_params(
        "UPDATE catalog.grants SET state = $2, updated_by = $3, updated_at = now() WHERE id = $1",
        id, std::string(toString(to)), actor.id);
    addEvent(tx, ObjectType::kGrant, std::to_string(id), std::string(toString(g.state)),
             toString(to), actor.id, reason);
    Grant result = loadGrant(tx, id);
    tx.commit();
    return result;
  });
}

Result<Grant> CatalogStore::suspendGrant(int64_t id, const Actor& actor,
                                         const std::string& reason) {
  return transitionGrant(id, actor, reason, GrantState::kSuspended);
}

Result<Grant> CatalogStore::resumeGrant(int64_t id, const Actor& actor, const std::string& reason) {
  return transitionGrant(id, actor, reason, GrantState::kActive);
}

Result<Grant> CatalogStore::revokeGrant(int64_t id, const Actor& actor, const std::string& reason) {
  return transitionGrant(id, actor, reason, GrantState::kRevoked);
}

Result<std::vector<Grant>> CatalogStore::activeGrants(const std::string& app_id,
                                                      const std::string& resource_code,
                                                      TimePoint now) {
  static const std::string kSql = "SELECT " + grantColumns() +
                                  " FROM catalog.grants g"
                                  " WHERE g.app_id = $1 AND g.resource_code = $2"
                                  "   AND g.state = 'active' AND g.valid_from <= " +
                                  ts(3) + " AND g.valid_to > " + ts(3) + " ORDER BY g.id";
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Grant>> {
    // Registering the same definition again is a no-op; the server-side statement is prepared
    // on first use per connection.
    conn.prepare("tongban_catalog_active_grants", kSql);
    pqxx::nontransaction tx(conn);
    const pqxx::result rows =
        tx.exec_prepared("tongban_catalog_active_grants", app_id, resource_code, toMicros(now));
    std::vector<Grant> out;
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) out.push_back(readGrant(row));
    return out;
  });
}

}  // namespace tongban::catalog
