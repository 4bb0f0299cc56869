// What the files of CatalogStore over PostgreSQL share (internal to the catalog module):
// limits, SQL helpers, the row readers and loaders (catalog_rows.cc), the events writer,
// permission checks, and run(), which maps integrity violations to statuses. One file per concept
// uses them: resource_store.cc, access_request_store.cc, grant_store.cc, source_owner_store.cc,
// catalog_event_store.cc.
//
// Every state change runs in one transaction that locks the rows it reads (SELECT ... FOR
// UPDATE), checks the transition, updates, and appends its catalog.events row. Reads run outside
// a transaction block (one statement, or two over immutable rows: a version's fields never change).
// Timestamps cross the wire as microseconds since the epoch, so no time zone setting matters.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/model.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/pg_copy.h"
#include "tongban/common/result.h"

namespace tongban::catalog::store {

inline constexpr size_t kMaxMatterCodes = 100;
inline constexpr size_t kMaxTextChars = 1000;
inline constexpr char kSystemActor[] = "system:auto";

// --- SQL helpers (store_support.cc) --------------------------------------------------------------

// A timestamptz column as microseconds since the epoch (exact: extract returns numeric).
std::string us(const std::string& column);
// The timestamptz of parameter $n given in microseconds since the epoch.
std::string ts(int n);
int64_t toMicros(TimePoint t);
TimePoint fromMicros(int64_t micros);
// A text[] literal: {"a","b"} with backslashes and quotes escaped.
using db::arrayLiteral;
// A text[] column's elements (db::parseArrayLiteral); NULL elements, and a NULL or unreadable
// array, are left out.
std::vector<std::string> readArray(const pqxx::field& f);
std::optional<std::string> optText(const pqxx::field& f);
std::string resourceObjectId(const std::string& code, int version);
Status conflict(std::string message);
Status denied(std::string message);

// --- Columns and row readers (catalog_rows.cc) ---------------------------------------------------

const std::string& resourceColumns();
Resource readResource(const pqxx::row& row);
// Attaches the fields to each resource (by code and version).
void loadFields(pqxx::transaction_base& tx, std::vector<Resource>* resources);
// The resource (code, version), or the published version when version is nullopt.
std::optional<Resource> loadResource(pqxx::transaction_base& tx, const std::string& code,
                                     std::optional<int> version);
const std::string& requestColumns();
inline constexpr int kRequestColumnCount = 18;
AccessRequest readRequest(const pqxx::row& row);
const std::string& grantColumns();
inline constexpr int kGrantColumnCount = 16;
Grant readGrant(const pqxx::row& row);
void addEvent(pqxx::transaction_base& tx, ObjectType type, const std::string& object_id,
              const std::optional<std::string>& from, const std::string& to,
              const std::string& actor, const std::string& reason);
Grant loadGrant(pqxx::transaction_base& tx, int64_t id);
AccessRequest loadRequest(pqxx::transaction_base& tx, int64_t id);

// --- Permissions and checks (store_support.cc) ---------------------------------------------------

bool isAdmin(const Actor& a);
bool isProviderOf(const Actor& a, const std::string& department);
bool canManage(const Actor& a, const std::string& department);
std::string needsManager(const std::string& what, const std::string& department);
Status checkActor(const Actor& a);
Status validateText(const std::string& field, const std::string& value, size_t max_chars,
                    bool required);
Status validateList(size_t limit);
Status validateRate(const std::string& field, int rate);
// Visibility of requests and grants for a non-admin actor: the actor's own, and for a provider
// also those on its department's resources. Fills the two visibility parameters.
Status visibility(const Actor& actor, const std::string& filter_app_id, std::string* own_app,
                  std::string* own_department);

// Runs fn(connection) on a pooled connection; integrity violations the checks above let through
// (a concurrent change, a constraint of the schema) become kConflict or kInvalidArgument.
template <typename Fn>
auto run(db::ConnectionPool& pool, Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>())) {
  return db::withConnection(
      pool, [&](pqxx::connection& conn) -> decltype(fn(std::declval<pqxx::connection&>())) {
        try {
          return fn(conn);
        } catch (const pqxx::unique_violation& e) {
          return conflict(std::string("changed concurrently, try again: ") + e.what());
        } catch (const pqxx::foreign_key_violation& e) {
          return Status::invalid(
              "", std::string("refers to something that does not exist: ") + e.what());
        } catch (const pqxx::check_violation& e) {
          return Status::invalid("", std::string("value out of range: ") + e.what());
        } catch (const pqxx::sql_error&) {
          throw;  // withConnection tells lost connections from SQL errors
        } catch (const pqxx::failure&) {
          throw;
        } catch (const std::exception& e) {
          // Conversion and usage errors of libpqxx: a row that does not read as expected.
          return Status::internal(std::string("catalog store: ") + e.what());
        }
      });
}

}  // namespace tongban::catalog::store
