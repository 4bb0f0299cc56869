// CatalogStore, history: the catalog.events of one object. Part of CatalogStore over PostgreSQL
// (catalog_store.h, see store_support.h).
#include <utility>

#include "store_support.h"
#include "tongban/catalog/catalog_store.h"

namespace tongban::catalog {

using namespace store;

Result<std::vector<CatalogEvent>> CatalogStore::listEvents(ObjectType type,
                                                           const std::string& object_id,
                                                           const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (!isAdmin(actor)) return denied("the catalog's event history is for admins");
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<CatalogEvent>> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT id, object_id, from_state, to_state, actor, reason, " + us("at") +
            " FROM catalog.events WHERE object_type = $1 AND object_id = $2 ORDER BY id",
        std::string(toString(type)), object_id);
    std::vector<CatalogEvent> out;
    for (const pqxx::row& row : rows) {
      CatalogEvent e;
      e.id = row[0].as<int64_t>();
      e.object_type = type;
      e.object_id = row[1].as<std::string>();
      e.from_state = optText(row[2]);
      e.to_state = row[3].as<std::string>();
      e.actor = row[4].as<std::string>();
      e.reason = row[5].as<std::string>();
      e.at = fromMicros(row[6].as<int64_t>());
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace tongban::catalog
