// CatalogStore over PostgreSQL (catalog_store.h, deploy/sql/0004_catalog.sql).
//
// Every state change runs in one transaction that locks the rows it reads (SELECT ... FOR
// UPDATE), checks the transition, updates, and appends its catalog.events row. Reads run outside
// a transaction block (one statement, or two over immutable rows: a version's fields never change).
// Timestamps cross the wire as microseconds since the epoch, so no time zone setting matters.
#include "tongban/catalog/catalog_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include <pqxx/pqxx>

#include "tongban/catalog/masking.h"
#include "tongban/catalog/sources.h"

namespace tongban::catalog {
namespace {

constexpr size_t kMaxFields = 200;
constexpr size_t kMaxMatterCodes = 100;
constexpr size_t kMaxTextChars = 1000;
const char kSystemActor[] = "system:auto";

// --- SQL helpers --------------------------------------------------------------------------------

// A timestamptz column as microseconds since the epoch (exact: extract returns numeric).
std::string us(const std::string& column) {
  return "(extract(epoch from " + column + ") * 1000000)::bigint";
}
// The timestamptz of parameter $n given in microseconds since the epoch.
std::string ts(int n) {
  return "(timestamptz 'epoch' + $" + std::to_string(n) + "::bigint * interval '1 microsecond')";
}

int64_t toMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint fromMicros(int64_t micros) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(micros)));
}

// A text[] literal: {"a","b"} with backslashes and quotes escaped.
std::string arrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::string> readArray(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  pqxx::array_parser parser = f.as_array();
  for (;;) {
    auto [kind, value] = parser.get_next();
    if (kind == pqxx::array_parser::done) break;
    if (kind == pqxx::array_parser::string_value) out.push_back(std::move(value));
  }
  return out;
}

std::optional<std::string> optText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

size_t utf8Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

std::string resourceObjectId(const std::string& code, int version) {
  return code + "/" + std::to_string(version);
}

Status conflict(std::string message) { return Status(ErrorCode::kConflict, std::move(message)); }
Status denied(std::string message) {
  return Status(ErrorCode::kPermissionDenied, std::move(message));
}

// --- Columns and row readers -------------------------------------------------------------------

const std::string& resourceColumns() {
  static const std::string kColumns =
      "r.code, r.version, r.name, r.description, r.provider_department, r.source, r.key_fields, "
      "r.sharing_type, r.open_data, r.update_cycle, r.status, r.created_by, " +
      us("r.created_at") + ", r.updated_by, " + us("r.updated_at");
  return kColumns;
}

Resource readResource(const pqxx::row& row) {
  Resource r;
  r.code = row[0].as<std::string>();
  r.version = row[1].as<int>();
  r.name = row[2].as<std::string>();
  r.description = row[3].as<std::string>();
  r.provider_department = row[4].as<std::string>();
  r.source = row[5].as<std::string>();
  r.key_fields = readArray(row[6]);
  r.sharing_type = parseSharingType(row[7].as<std::string>()).value_or(SharingType::kNotShared);
  r.open_data = row[8].as<bool>();
  r.update_cycle = parseUpdateCycle(row[9].as<std::string>()).value_or(UpdateCycle::kIrregular);
  r.status = parseResourceStatus(row[10].as<std::string>()).value_or(ResourceStatus::kRetired);
  r.created_by = row[11].as<std::string>();
  r.created_at = fromMicros(row[12].as<int64_t>());
  r.updated_by = row[13].as<std::string>();
  r.updated_at = fromMicros(row[14].as<int64_t>());
  return r;
}

const char kFieldColumns[] =
    "resource_code, resource_version, position, name, type, description, sensitivity, masking";

ResourceField readField(const pqxx::row& row) {
  ResourceField f;
  f.position = row[2].as<int>();
  f.name = row[3].as<std::string>();
  f.type = parseFieldType(row[4].as<std::string>()).value_or(FieldType::kString);
  f.description = row[5].as<std::string>();
  f.sensitivity = parseSensitivity(row[6].as<std::string>()).value_or(Sensitivity::kSecret);
  // An unknown rule in the database hides the value rather than showing it.
  f.masking = parseMaskingRule(row[7].as<std::string>()).value_or(MaskingRule::kFull);
  return f;
}

// Attaches the fields to each resource (by code and version).
void loadFields(pqxx::transaction_base& tx, std::vector<Resource>* resources) {
  if (resources->empty()) return;
  std::vector<std::string> codes;
  for (const Resource& r : *resources) codes.push_back(r.code);
  const pqxx::result rows =
      tx.exec_params(std::string("SELECT ") + kFieldColumns +
                         " FROM catalog.resource_fields"
                         " WHERE resource_code = ANY($1::text[])"
                         " ORDER BY resource_code, resource_version, position",
                     arrayLiteral(codes));
  std::map<std::pair<std::string, int>, std::vector<ResourceField>> by_version;
  for (const pqxx::row& row : rows) {
    by_version[{row[0].as<std::string>(), row[1].as<int>()}].push_back(readField(row));
  }
  for (Resource& r : *resources) r.fields = std::move(by_version[{r.code, r.version}]);
}

// The resource (code, version), or the published version when version is nullopt.
std::optional<Resource> loadResource(pqxx::transaction_base& tx, const std::string& code,
                                     std::optional<int> version) {
  const pqxx::result rows =
      version ? tx.exec_params("SELECT " + resourceColumns() +
                                   " FROM catalog.resources r WHERE r.code = $1 AND r.version = $2",
                               code, *version)
              : tx.exec_params("SELECT " + resourceColumns() +
                                   " FROM catalog.resources r"
                                   " WHERE r.code = $1 AND r.status = 'published'",
                               code);
  if (rows.empty()) return std::nullopt;
  std::vector<Resource> one{readResource(rows[0])};
  loadFields(tx, &one);
  return std::move(one[0]);
}

const std::string& requestColumns() {
  static const std::string kColumns =
      "q.id, q.app_id, q.resource_code, q.resource_version, q.fields, q.purpose, q.legal_basis, "
      "q.matter_codes, " +
      us("q.valid_from") + ", " + us("q.valid_to") +
      ", q.rate_per_minute, q.state, q.decided_by, " + us("q.decided_at") +
      ", q.reason, q.created_by, " + us("q.created_at") +
      ", (SELECT g.id FROM catalog.grants g WHERE g.request_id = q.id)";
  return kColumns;
}
constexpr int kRequestColumnCount = 18;

AccessRequest readRequest(const pqxx::row& row) {
  AccessRequest q;
  q.id = row[0].as<int64_t>();
  q.app_id = row[1].as<std::string>();
  q.resource_code = row[2].as<std::string>();
  q.resource_version = row[3].as<int>();
  q.fields = readArray(row[4]);
  q.purpose = row[5].as<std::string>();
  q.legal_basis = row[6].as<std::string>();
  q.matter_codes = readArray(row[7]);
  q.valid_from = fromMicros(row[8].as<int64_t>());
  q.valid_to = fromMicros(row[9].as<int64_t>());
  q.rate_per_minute = row[10].as<int>();
  q.state = parseRequestState(row[11].as<std::string>()).value_or(RequestState::kRejected);
  q.decided_by = optText(row[12]);
  if (!row[13].is_null()) q.decided_at = fromMicros(row[13].as<int64_t>());
  q.reason = row[14].as<std::string>();
  q.created_by = row[15].as<std::string>();
  q.created_at = fromMicros(row[16].as<int64_t>());
  if (!row[17].is_null()) q.grant_id = row[17].as<int64_t>();
  return q;
}

const std::string& grantColumns() {
  static const std::string kColumns =
      "g.id, g.request_id, g.app_id, g.resource_code, g.fields, g.unmasked_fields, "
      "g.matter_codes, " +
      us("g.valid_from") + ", " + us("g.valid_to") +
      ", g.rate_per_minute, g.state, g.created_by, " + us("g.created_at") + ", g.updated_by, " +
      us("g.updated_at") + ", g.resource_version";
  return kColumns;
}
constexpr int kGrantColumnCount = 16;

Grant readGrant(const pqxx::row& row) {
  Grant g;
  g.id = row[0].as<int64_t>();
  g.request_id = row[1].as<int64_t>();
  g.app_id = row[2].as<std::string>();
  g.resource_code = row[3].as<std::string>();
  g.fields = readArray(row[4]);
  g.unmasked_fields = readArray(row[5]);
  g.matter_codes = readArray(row[6]);
  g.valid_from = fromMicros(row[7].as<int64_t>());
  g.valid_to = fromMicros(row[8].as<int64_t>());
  g.rate_per_minute = row[9].as<int>();
  g.state = parseGrantState(row[10].as<std::string>()).value_or(GrantState::kRevoked);
  g.created_by = row[11].as<std::string>();
  g.created_at = fromMicros(row[12].as<int64_t>());
  g.updated_by = row[13].as<std::string>();
  g.updated_at = fromMicros(row[14].as<int64_t>());
  g.resource_version = row[15].as<int>();
  return g;
}

void addEvent(pqxx::transaction_base& tx, ObjectType type, const std::string& object_id,
              const std::optional<std::string>& from, const std::string& to,
              const std::string& actor, const std::string& reason) {
  tx.exec_params(
      "INSERT INTO catalog.events (object_type, object_id, from_state, to_state, actor, reason)"
      " VALUES ($1, $2, $3, $4, $5, $6)",
      std::string(toString(type)), object_id, from, to, actor, reason);
}

Grant loadGrant(pqxx::transaction_base& tx, int64_t id) {
  return readGrant(
      tx.exec_params1("SELECT " + grantColumns() + " FROM catalog.grants g WHERE g.id = $1", id));
}

AccessRequest loadRequest(pqxx::transaction_base& tx, int64_t id) {
  return readRequest(tx.exec_params1(
      "SELECT " + requestColumns() + " FROM catalog.access_requests q WHERE q.id = $1", id));
}

// --- Permissions --------------------------------------------------------------------------------

bool isAdmin(const Actor& a) { return a.role == Role::kAdmin; }
bool isProviderOf(const Actor& a, const std::string& department) {
  return a.role == Role::kProvider && !a.department_code.empty() && a.department_code == department;
}
bool canManage(const Actor& a, const std::string& department) {
  return isAdmin(a) || isProviderOf(a, department);
}
std::string needsManager(const std::string& what, const std::string& department) {
  return what + " needs an admin or a provider application of department " + department;
}
// The department owning `source` (catalog.source_owners), or nullopt when nobody does.
std::optional<std::string> sourceOwner(pqxx::transaction_base& tx, const std::string& source) {
  const pqxx::result rows =
      tx.exec_params("SELECT department_code FROM catalog.source_owners WHERE source = $1", source);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

// Only the owner's provider applications and administrators make and publish resources over a
// source; a source without an owner admits nobody. kPermissionDenied naming "source".
// `department` when it defines certificate type `type` (the code's first 18 characters) or is
// authorised to issue it: the owner of source certs:<type> for that department's resources.
std::optional<std::string> certificateTypeOfferer(pqxx::transaction_base& tx,
                                                  const std::string& type,
                                                  const std::string& department) {
  if (tx.exec_params("SELECT 1 FROM certs.certificate_types t WHERE t.code = $1 AND "
                     "(left(t.code, 18) = $2 OR EXISTS (SELECT 1 FROM certs.type_issuers i "
                     "WHERE i.type_code = t.code AND i.department_code = $2))",
                     type, department)
          .empty()) {
    return std::nullopt;
  }
  return department;
}

Status checkSourceOwner(const Actor& a, const std::string& source,
                        const std::optional<std::string>& owner, const std::string& verb) {
  if (!owner) {
    return Status(ErrorCode::kPermissionDenied,
                  "source " + source +
                      " has no owning department; a hub administrator sets one first "
                      "(tongban-admin catalog sources set-owner)",
                  "source");
  }
  if (isAdmin(a) || isProviderOf(a, *owner)) return Status::ok();
  return Status(ErrorCode::kPermissionDenied,
                "source " + source + " belongs to department " + *owner +
                    "; only its provider applications or a hub administrator " + verb +
                    " resources over it",
                "source");
}

Status checkActor(const Actor& a) {
  if (a.id.empty()) return Status(ErrorCode::kUnauthenticated, "no actor");
  return Status::ok();
}

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

// --- Validation ---------------------------------------------------------------------------------

Status validateText(const std::string& field, const std::string& value, size_t max_chars,
                    bool required) {
  if (required && blank(value)) return Status::invalid(field, field + " is required");
  if (utf8Chars(value) > max_chars) {
    return Status::invalid(field,
                           field + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return Status::ok();
}

Status validateDraft(const ResourceDraft& d) {
  if (!isValidResourceCode(d.code)) {
    return Status::invalid("code", "resource code '" + d.code +
                                       "' must match ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$ and be at "
                                       "most 64 characters");
  }
  if (Status s = validateText("name", d.name, 128, true); !s) return s;
  if (Status s = validateText("description", d.description, 2000, false); !s) return s;
  if (d.provider_department.size() != 18) {
    return Status::invalid("provider_department",
                           "provider_department must be an 18-character department code");
  }
  const Source* source = findSource(d.source);
  const std::optional<std::string> certificate_type = certificateSourceType(d.source);
  if (certificate_type) {
    source = &certificateSource();
    if (d.code != certificateResourceCode(*certificate_type)) {
      return Status::invalid("code", "the resource over " + d.source + " is coded " +
                                         certificateResourceCode(*certificate_type));
    }
  }
  if (source == nullptr) {
    std::string known;
    for (const Source& s : registrySources())
      known += (known.empty() ? "" : ", ") + std::string(s.name);
    return Status::invalid("source", "unknown source '" + d.source + "' (known: " + known + ")");
  }
  if (d.fields.empty()) return Status::invalid("fields", "a resource needs at least one field");
  if (d.fields.size() > kMaxFields) {
    return Status::invalid("fields", "at most " + std::to_string(kMaxFields) + " fields");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < d.fields.size(); ++i) {
    const ResourceField& f = d.fields[i];
    const std::string where = "fields[" + std::to_string(i) + "]";
    const SourceColumn* column = source->column(f.name);
    if (column == nullptr) {
      return Status::invalid(where + ".name",
                             "field '" + f.name + "' is not a column of " + source->name);
    }
    if (!names.insert(f.name).second) {
      return Status::invalid(where + ".name", "field '" + f.name + "' is listed twice");
    }
    if (!fieldTypeFits(f.type, *column)) {
      return Status::invalid(where + ".type", "field '" + f.name + "' cannot be " +
                                                  toString(f.type) + ": the column is " +
                                                  column->sql_type);
    }
    if (Status s = validateText(where + ".description", f.description, 500, false); !s) return s;
    if (certificate_type && f.masking != MaskingRule::kNone) {
      return Status::invalid(where + ".masking",
                             "a certificate is signed and disclosed whole: its fields take "
                             "masking none");
    }
  }
  if (d.key_fields.empty()) return Status::invalid("key_fields", "at least one key field");
  for (const std::string& key : d.key_fields) {
    if (names.count(key) == 0) {
      return Status::invalid("key_fields",
                             "key field '" + key + "' is not a field of the resource");
    }
    const SourceColumn* column = source->column(key);
    if (!column->key && !column->lookup) {
      return Status::invalid("key_fields",
                             "key field '" + key + "' is not a lookup column of " + source->name);
    }
  }
  if (std::set<std::string>(d.key_fields.begin(), d.key_fields.end()).size() !=
      d.key_fields.size()) {
    return Status::invalid("key_fields", "a key field is listed twice");
  }
  if (d.open_data && d.sharing_type != SharingType::kUnconditional) {
    return Status::invalid("open_data",
                           "open data must be shared unconditionally (sharing_type "
                           "unconditional)");
  }
  return Status::ok();
}

Status validateList(size_t limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return Status::invalid("limit", "limit must be 1.." + std::to_string(kMaxListLimit));
  }
  return Status::ok();
}

Status validateRate(const std::string& field, int rate) {
  if (rate < 1 || rate > kMaxRatePerMinute) {
    return Status::invalid(field, field + " must be 1.." + std::to_string(kMaxRatePerMinute) +
                                      ", not " + std::to_string(rate));
  }
  return Status::ok();
}

}  // namespace

// --- Resources ----------------------------------------------------------------------------------

Result<Resource> CatalogStore::createResource(const ResourceDraft& draft, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (!canManage(actor, draft.provider_department)) {
    return Status(ErrorCode::kPermissionDenied,
                  needsManager("creating a resource of a department", draft.provider_department),
                  "provider_department");
  }
  if (Status s = validateDraft(draft); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::work tx(conn);
    if (tx.exec_params("SELECT 1 FROM exchange.departments WHERE code = $1",
                       draft.provider_department)
            .empty()) {
      return Status::invalid("provider_department",
                             "unknown department '" + draft.provider_department + "'");
    }
    // The source's owner decides what is published over it and how openly. A certificate type
    // (certs:<type>) is offered by the department that defines it or one authorised to issue it.
    const std::optional<std::string> certificate_type = certificateSourceType(draft.source);
    std::optional<std::string> owner;
    if (certificate_type) {
      owner = certificateTypeOfferer(tx, *certificate_type, draft.provider_department);
      if (!owner) {
        return Status::invalid(
            "source", "certificate type " + *certificate_type + " is unknown, or department " +
                          draft.provider_department + " neither defines nor issues it");
      }
    } else {
      owner = sourceOwner(tx, draft.source);
    }
    if (Status s = checkSourceOwner(actor, draft.source, owner, "create"); !s) return s;
    if (draft.provider_department != *owner) {
      return Status::invalid(
          "provider_department",
          "resources over " + draft.source + " are provided by its owner, department " + *owner);
    }
    // (A certificate resource's fields are unmasked by definition: validateDraft.)
    if (!certificate_type && !isProviderOf(actor, *owner)) {
      const Source* source = findSource(draft.source);
      for (size_t i = 0; i < draft.fields.size(); ++i) {
        const ResourceField& f = draft.fields[i];
        const SourceColumn* column = source->column(f.name);
        if (!atLeastAsStrong(f.masking, column->masking)) {
          return Status(ErrorCode::kPermissionDenied,
                        "masking '" + std::string(toString(f.masking)) + "' of field '" + f.name +
                            "' is weaker than the source's default '" + toString(column->masking) +
                            "'; only a provider application of the owning department " + *owner +
                            " may weaken it",
                        "fields[" + std::to_string(i) + "].masking");
        }
      }
    }
    const pqxx::result versions = tx.exec_params(
        "SELECT version, status, provider_department FROM catalog.resources WHERE code = $1"
        " ORDER BY version FOR UPDATE",
        draft.code);
    int next = 1;
    for (const pqxx::row& row : versions) {
      const int v = row[0].as<int>();
      if (row[1].as<std::string>() == "draft") {
        return conflict("resource " + draft.code + " already has a draft, version " +
                        std::to_string(v) + ": publish or retire it first");
      }
      if (row[2].as<std::string>() != draft.provider_department) {
        return Status::invalid("provider_department",
                               "resource " + draft.code + " belongs to department " +
                                   row[2].as<std::string>() +
                                   "; a new version cannot change the provider");
      }
      next = v + 1;
    }
    tx.exec_params(
        "INSERT INTO catalog.resources (code, version, name, description, provider_department,"
        " source, key_fields, sharing_type, open_data, update_cycle, status, created_by,"
        " updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10, 'draft', $11, $11)",
        draft.code, next, draft.name, draft.description, draft.provider_department, draft.source,
        arrayLiteral(draft.key_fields), std::string(toString(draft.sharing_type)), draft.open_data,
        std::string(toString(draft.update_cycle)), actor.id);
    for (size_t i = 0; i < draft.fields.size(); ++i) {
      const ResourceField& f = draft.fields[i];
      tx.exec_params(
          "INSERT INTO catalog.resource_fields (resource_code, resource_version, position, name,"
          " type, description, sensitivity, masking) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          draft.code, next, static_cast<int>(i + 1), f.name, std::string(toString(f.type)),
          f.description, std::string(toString(f.sensitivity)), std::string(toString(f.masking)));
    }
    addEvent(tx, ObjectType::kResource, resourceObjectId(draft.code, next), std::nullopt, "draft",
             actor.id, next == 1 ? "created" : "new version");
    std::optional<Resource> created = loadResource(tx, draft.code, next);
    tx.commit();
    return std::move(*created);
  });
}

Result<Resource> CatalogStore::publishResource(const std::string& code, int version,
                                               const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::work tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT version, status, provider_department, source FROM catalog.resources"
        " WHERE code = $1 ORDER BY version FOR UPDATE",
        code);
    if (rows.empty()) return Status::notFound("no resource " + code);
    std::optional<std::string> target_status;
    std::string source;
    std::optional<int> published;
    const std::string department = rows[0][2].as<std::string>();
    for (const pqxx::row& row : rows) {
      if (row[0].as<int>() == version) {
        target_status = row[1].as<std::string>();
        source = row[3].as<std::string>();
      }
      if (row[1].as<std::string>() == "published") published = row[0].as<int>();
    }
    if (!target_status) {
      return Status::notFound("resource " + code + " has no version " + std::to_string(version));
    }
    if (!canManage(actor, department)) {
      return denied(needsManager("publishing resource " + code, department));
    }
    // Lock the owner row: an owner change waits for this publication, or this one sees it.
    std::optional<std::string> owner;
    if (const auto certificate_type = certificateSourceType(source)) {
      owner = certificateTypeOfferer(tx, *certificate_type, department);
    } else {
      const pqxx::result owner_rows = tx.exec_params(
          "SELECT department_code FROM catalog.source_owners WHERE source = $1 FOR SHARE", source);
      if (!owner_rows.empty()) owner = owner_rows[0][0].as<std::string>();
    }
    if (Status s = checkSourceOwner(actor, source, owner, "publish"); !s) return s;
    if (department != *owner) {
      return Status(ErrorCode::kPermissionDenied,
                    "source " + source + " belongs to department " + *owner +
                        ", not to this resource's provider " + department +
                        "; the owner publishes resources over it",
                    "source");
    }
    if (*target_status != "draft") {
      return conflict("resource " + code + " version " + std::to_string(version) + " is " +
                      *target_status + "; only a draft can be published");
    }
    if (published && *published > version) {
      return conflict("resource " + code + " version " + std::to_string(version) +
                      " is older than the published version " + std::to_string(*published));
    }
    if (published) {
      tx.exec_params(
          "UPDATE catalog.resources SET status = 'retired', updated_by = $3, updated_at = now()"
          " WHERE code = $1 AND version = $2",
          code, *published, actor.id);
      addEvent(tx, ObjectType::kResource, resourceObjectId(code, *published), "published",
               "retired", actor.id, "superseded by version " + std::to_string(version));
    }
    tx.exec_params(
        "UPDATE catalog.resources SET status = 'published', updated_by = $3, updated_at = now()"
        " WHERE code = $1 AND version = $2",
        code, version, actor.id);
    addEvent(tx, ObjectType::kResource, resourceObjectId(code, version), "draft", "published",
             actor.id, "");
    std::optional<Resource> result = loadResource(tx, code, version);
    tx.commit();
    return std::move(*result);
  });
}

Result<Resource> CatalogStore::retireResource(const std::string& code, const Actor& actor,
                                              std::optional<int> version) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::work tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT version, status, provider_department FROM catalog.resources WHERE code = $1"
        " ORDER BY version FOR UPDATE",
        code);
    if (rows.empty()) return Status::notFound("no resource " + code);
    const std::string department = rows[0][2].as<std::string>();
    std::optional<int> target;
    std::string status;
    for (const pqxx::row& row : rows) {
      const int v = row[0].as<int>();
      const std::string s = row[1].as<std::string>();
      if (version ? v == *version : s == "published") {
        target = v;
        status = s;
      }
    }
    if (!target) {
      if (version) {
        return Status::notFound("resource " + code + " has no version " + std::to_string(*version));
      }
      return conflict("resource " + code + " has no published version to retire");
    }
    if (!canManage(actor, department)) {
      return denied(needsManager("retiring resource " + code, department));
    }
    if (status == "retired") {
      return conflict("resource " + code + " version " + std::to_string(*target) +
                      " is already retired");
    }
    tx.exec_params(
        "UPDATE catalog.resources SET status = 'retired', updated_by = $3, updated_at = now()"
        " WHERE code = $1 AND version = $2",
        code, *target, actor.id);
    addEvent(tx, ObjectType::kResource, resourceObjectId(code, *target), status, "retired",
             actor.id, "");
    std::optional<Resource> result = loadResource(tx, code, *target);
    tx.commit();
    return std::move(*result);
  });
}

Result<Resource> CatalogStore::getResource(const std::string& code, const Actor& actor,
                                           std::optional<int> version) {
  if (Status s = checkActor(actor); !s) return s;
  if (!isValidResourceCode(code)) {
    return Status::invalid("code", "'" + code + "' is not a resource code");
  }
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::nontransaction tx(conn);
    std::optional<Resource> r = loadResource(tx, code, version);
    const std::string which = version ? "resource " + code + " version " + std::to_string(*version)
                                      : "published resource " + code;
    if (!r) return Status::notFound("no " + which);
    if (r->status != ResourceStatus::kPublished && !canManage(actor, r->provider_department)) {
      return Status::notFound("no " + which);
    }
    return std::move(*r);
  });
}

Result<std::vector<Resource>> CatalogStore::listResources(const ResourceFilter& filter,
                                                          const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateList(filter.limit); !s) return s;
  const bool published_only = filter.status == ResourceStatus::kPublished;
  std::string visible_department;  // non-empty: non-published rows only of this department
  if (!published_only && !isAdmin(actor)) {
    if (actor.role != Role::kProvider) {
      return denied("listing draft or retired resources needs an admin or a provider application");
    }
    visible_department = actor.department_code;
  }
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Resource>> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT " + resourceColumns() +
            " FROM catalog.resources r"
            " WHERE ($1::text = '' OR strpos(lower(r.name), lower($1::text)) > 0"
            "        OR strpos(lower(r.description), lower($1::text)) > 0)"
            "   AND ($2::text = '' OR r.provider_department::text = $2::text)"
            "   AND ($3::text = '' OR EXISTS (SELECT 1 FROM catalog.resource_fields f"
            "        WHERE f.resource_code = r.code AND f.resource_version = r.version"
            "          AND f.name = $3::text))"
            "   AND ($4::text = '' OR r.status = $4::text)"
            "   AND ($5::text = '' OR r.status = 'published'"
            "        OR r.provider_department::text = $5::text)"
            " ORDER BY r.code, r.version LIMIT $6 OFFSET $7",
        filter.text, filter.provider_department, filter.field,
        std::string(filter.status ? toString(*filter.status) : ""), visible_department,
        static_cast<int64_t>(filter.limit), static_cast<int64_t>(filter.offset));
    std::vector<Resource> out;
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) out.push_back(readResource(row));
    loadFields(tx, &out);
    return out;
  });
}

// --- Applications for access
// ----------------------------------------------------------------------

Result<AccessRequest> CatalogStore::applyForAccess(const AccessApplication& app,
                                                   const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (!actor.isApplication() || (actor.role != Role::kConsumer && actor.role != Role::kProvider)) {
    return denied("only consumer or provider applications apply for access; " + actor.id + " is " +
                  toString(actor.role) + (actor.isApplication() ? "" : ", not an application"));
  }
  if (!isValidResourceCode(app.resource_code)) {
    return Status::invalid("resource_code", "'" + app.resource_code + "' is not a resource code");
  }
  const TimePoint now = clock_();
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::work tx(conn);
    const pqxx::result app_rows =
        tx.exec_params("SELECT status FROM exchange.applications WHERE app_id = $1", actor.id);
    if (app_rows.empty()) return denied("unknown application " + actor.id);
    if (app_rows[0][0].as<std::string>() != "active") {
      return denied("application " + actor.id + " is disabled");
    }
    std::optional<Resource> resource = loadResource(tx, app.resource_code, std::nullopt);
    if (!resource) return Status::notFound("no published resource " + app.resource_code);
    if (resource->sharing_type == SharingType::kNotShared) {
      return Status(ErrorCode::kPermissionDenied,
                    "resource " + app.resource_code + " is not shared (不予共享)", "resource_code");
    }
    // Fields.
    if (app.fields.empty()) return Status::invalid("fields", "ask for at least one field");
    std::set<std::string> seen;
    for (const std::string& f : app.fields) {
      if (resource->field(f) == nullptr) {
        return Status::invalid("fields", "unknown field '" + f + "' in resource " + resource->code +
                                             " version " + std::to_string(resource->version));
      }
      if (!seen.insert(f).second) {
        return Status::invalid("fields", "field '" + f + "' is listed twice");
      }
    }
    // Matters.
    if (app.matter_codes.empty()) {
      return Status::invalid("matter_codes", "name at least one service-matter code (事项编码)");
    }
    if (app.matter_codes.size() > kMaxMatterCodes) {
      return Status::invalid("matter_codes",
                             "at most " + std::to_string(kMaxMatterCodes) + " matter codes");
    }
    std::set<std::string> matters;
    for (const std::string& m : app.matter_codes) {
      if (!isValidMatterCode(m)) {
        return Status::invalid("matter_codes", "'" + m +
                                                   "' is not a matter code (1..64 of 0-9 A-Z a-z "
                                                   ". _ -)");
      }
      if (!matters.insert(m).second) {
        return Status::invalid("matter_codes", "matter code '" + m + "' is listed twice");
      }
    }
    // Purpose and legal basis.
    const bool conditional = resource->sharing_type == SharingType::kConditional;
    if (Status s = validateText("purpose", app.purpose, kMaxTextChars, conditional); !s) return s;
    if (Status s = validateText("legal_basis", app.legal_basis, kMaxTextChars, conditional); !s) {
      return s;
    }
    // Window and rate.
    const TimePoint from = app.valid_from.value_or(now);
    if (app.valid_to <= from) {
      return Status::invalid("valid_to", "valid_to must be after valid_from");
    }
    if (app.valid_to <= now) return Status::invalid("valid_to", "valid_to is in the past");
    if (app.valid_to - from > kMaxGrantWindow) {
      return Status::invalid("valid_to", "the validity window is longer than " +
                                             std::to_string(kMaxGrantWindow.count() / 24) +
                                             " days");
    }
    if (Status s = validateRate("rate_per_minute", app.rate_per_minute); !s) return s;

    const bool at_once = resource->sharing_type == SharingType::kUnconditional;
    const std::string reason = at_once ? "unconditional sharing (无条件共享)" : "";
    const pqxx::row inserted = tx.exec_params1(
        "INSERT INTO catalog.access_requests (app_id, resource_code, resource_version, fields,"
        " purpose, legal_basis, matter_codes, valid_from, valid_to, rate_per_minute, state,"
        " decided_by, decided_at, reason, created_by) VALUES ($1, $2, $3, $4::text[], $5, $6,"
        " $7::text[], " +
            ts(8) + ", " + ts(9) +
            ", $10, $11, $12, CASE WHEN $13 THEN now() END, $14, $1) RETURNING id",
        actor.id, resource->code, resource->version, arrayLiteral(app.fields), app.purpose,
        app.legal_basis, arrayLiteral(app.matter_codes), toMicros(from), toMicros(app.valid_to),
        app.rate_per_minute, std::string(at_once ? "approved" : "pending"),
        at_once ? std::optional<std::string>(kSystemActor) : std::nullopt, at_once, reason);
    const int64_t id = inserted[0].as<int64_t>();
    addEvent(tx, ObjectType::kRequest, std::to_string(id), std::nullopt, "pending", actor.id,
             app.purpose);
    if (at_once) {
      addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "approved", kSystemActor,
               reason);
      const pqxx::row grant = tx.exec_params1(
          "INSERT INTO catalog.grants (request_id, app_id, resource_code, resource_version, fields,"
          " matter_codes, valid_from, valid_to, rate_per_minute, created_by, updated_by)"
          " SELECT id, app_id, resource_code, resource_version, fields, matter_codes, valid_from,"
          " valid_to, rate_per_minute, $2, $2 FROM catalog.access_requests WHERE id = $1"
          " RETURNING id",
          id, std::string(kSystemActor));
      addEvent(tx, ObjectType::kGrant, std::to_string(grant[0].as<int64_t>()), std::nullopt,
               "active", kSystemActor, reason);
    }
    AccessRequest result = loadRequest(tx, id);
    tx.commit();
    return result;
  });
}

namespace {

// The request row locked for a decision, with its resource's provider and sharing type.
struct LockedRequest {
  AccessRequest request;
  std::string provider_department;
  SharingType sharing_type = SharingType::kConditional;
};

std::optional<LockedRequest> lockRequest(pqxx::transaction_base& tx, int64_t id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT " + requestColumns() +
          ", r.provider_department, r.sharing_type FROM catalog.access_requests q"
          " JOIN catalog.resources r ON r.code = q.resource_code AND r.version = q.resource_version"
          " WHERE q.id = $1 FOR UPDATE OF q",
      id);
  if (rows.empty()) return std::nullopt;
  LockedRequest locked;
  locked.request = readRequest(rows[0]);
  locked.provider_department = rows[0][kRequestColumnCount].as<std::string>();
  locked.sharing_type = parseSharingType(rows[0][kRequestColumnCount + 1].as<std::string>())
                            .value_or(SharingType::kNotShared);
  return locked;
}

Status checkDecision(const LockedRequest& locked, const Actor& actor, const std::string& verb) {
  if (!canManage(actor, locked.provider_department)) {
    return denied(
        needsManager(verb + " access requests for resource " + locked.request.resource_code,
                     locked.provider_department));
  }
  if (locked.request.state != RequestState::kPending) {
    return conflict("access request " + std::to_string(locked.request.id) + " is " +
                    toString(locked.request.state) + ", not pending");
  }
  return Status::ok();
}

}  // namespace

Result<Approval> CatalogStore::approveRequest(int64_t id, const Actor& actor,
                                              const ApprovalOptions& options) {
  if (Status s = checkActor(actor); !s) return s;
  if (options.rate_per_minute) {
    if (Status s = validateRate("rate_per_minute", *options.rate_per_minute); !s) return s;
  }
  if (Status s = validateText("reason", options.reason, kMaxTextChars, false); !s) return s;
  const TimePoint now = clock_();
  return run(pool_, [&](pqxx::connection& conn) -> Result<Approval> {
    pqxx::work tx(conn);
    std::optional<LockedRequest> locked = lockRequest(tx, id);
    if (!locked) return Status::notFound("no access request " + std::to_string(id));
    if (Status s = checkDecision(*locked, actor, "approving"); !s) return s;
    const AccessRequest& q = locked->request;
    if (!options.unmasked_fields.empty()) {
      if (locked->sharing_type != SharingType::kConditional) {
        return Status::invalid("unmasked_fields",
                               "masking can be lifted only on conditional resources");
      }
      std::optional<Resource> resource = loadResource(tx, q.resource_code, q.resource_version);
      std::set<std::string> seen;
      for (const std::string& f : options.unmasked_fields) {
        if (std::find(q.fields.begin(), q.fields.end(), f) == q.fields.end()) {
          return Status::invalid("unmasked_fields", "'" + f + "' is not a requested field");
        }
        const ResourceField* field = resource ? resource->field(f) : nullptr;
        if (field == nullptr || field->masking == MaskingRule::kNone) {
          return Status::invalid("unmasked_fields", "field '" + f + "' has no masking to lift");
        }
        if (!seen.insert(f).second) {
          return Status::invalid("unmasked_fields", "field '" + f + "' is listed twice");
        }
      }
    }
    if (q.valid_to <= now) {
      return conflict("access request " + std::to_string(id) +
                      " asked for a period that ended at " + formatTimestamp(q.valid_to) +
                      "; reject it and apply again");
    }
    tx.exec_params(
        "UPDATE catalog.access_requests SET state = 'approved', decided_by = $2,"
        " decided_at = now(), reason = $3 WHERE id = $1",
        id, actor.id, options.reason);
    addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "approved", actor.id,
             options.reason);
    const pqxx::row grant = tx.exec_params1(
        "INSERT INTO catalog.grants (request_id, app_id, resource_code, resource_version, fields,"
        " unmasked_fields, matter_codes, valid_from, valid_to, rate_per_minute, created_by,"
        " updated_by)"
        " SELECT id, app_id, resource_code, resource_version, fields, $2::text[], matter_codes,"
        " valid_from, valid_to, COALESCE($3, rate_per_minute), $4, $4 FROM catalog.access_requests"
        " WHERE id = $1 RETURNING id",
        id, arrayLiteral(options.unmasked_fields), options.rate_per_minute, actor.id);
    const int64_t grant_id = grant[0].as<int64_t>();
    addEvent(tx, ObjectType::kGrant, std::to_string(grant_id), std::nullopt, "active", actor.id,
             options.reason);
    Approval result{loadRequest(tx, id), loadGrant(tx, grant_id)};
    tx.commit();
    return result;
  });
}

Result<AccessRequest> CatalogStore::rejectRequest(int64_t id, const Actor& actor,
                                                  const std::string& reason) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateText("reason", reason, kMaxTextChars, true); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::work tx(conn);
    std::optional<LockedRequest> locked = lockRequest(tx, id);
    if (!locked) return Status::notFound("no access request " + std::to_string(id));
    if (Status s = checkDecision(*locked, actor, "rejecting"); !s) return s;
    tx.exec_params(
        "UPDATE catalog.access_requests SET state = 'rejected', decided_by = $2,"
        " decided_at = now(), reason = $3 WHERE id = $1",
        id, actor.id, reason);
    addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "rejected", actor.id, reason);
    AccessRequest result = loadRequest(tx, id);
    tx.commit();
    return result;
  });
}

Result<AccessRequest> CatalogStore::withdrawRequest(int64_t id, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::work tx(conn);
    std::optional<LockedRequest> locked = lockRequest(tx, id);
    if (!locked) return Status::notFound("no access request " + std::to_string(id));
    if (locked->request.app_id != actor.id) {
      return denied("only the applicant, " + locked->request.app_id +
                    ", can withdraw access request " + std::to_string(id));
    }
    if (locked->request.state != RequestState::kPending) {
      return conflict("access request " + std::to_string(id) + " is " +
                      toString(locked->request.state) + ", not pending");
    }
    tx.exec_params(
        "UPDATE catalog.access_requests SET state = 'withdrawn', decided_by = $2,"
        " decided_at = now(), reason = 'withdrawn by the applicant' WHERE id = $1",
        id, actor.id);
    addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "withdrawn", actor.id, "");
    AccessRequest result = loadRequest(tx, id);
    tx.commit();
    return result;
  });
}

Result<AccessRequest> CatalogStore::getRequest(int64_t id, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows =
        tx.exec_params("SELECT " + requestColumns() +
                           ", r.provider_department FROM catalog.access_requests q"
                           " JOIN catalog.resources r ON r.code = q.resource_code"
                           "  AND r.version = q.resource_version WHERE q.id = $1",
                       id);
    if (rows.empty()) return Status::notFound("no access request " + std::to_string(id));
    AccessRequest q = readRequest(rows[0]);
    if (!canManage(actor, rows[0][kRequestColumnCount].as<std::string>()) && q.app_id != actor.id) {
      return Status::notFound("no access request " + std::to_string(id));
    }
    return q;
  });
}

namespace {

// Visibility of requests and grants for a non-admin actor: the actor's own, and for a provider
// also those on its department's resources. Fills the two visibility parameters.
Status visibility(const Actor& actor, const std::string& filter_app_id, std::string* own_app,
                  std::string* own_department) {
  if (isAdmin(actor)) return Status::ok();
  if (!actor.isApplication()) return denied(actor.id + " is not an application");
  if (actor.role == Role::kConsumer && !filter_app_id.empty() && filter_app_id != actor.id) {
    return denied("a consumer application sees only its own requests and grants, not " +
                  filter_app_id + "'s");
  }
  *own_app = actor.id;
  *own_department = actor.role == Role::kProvider ? actor.department_code : std::string("-");
  return Status::ok();
}

}  // namespace

Result<std::vector<AccessRequest>> CatalogStore::listRequests(const RequestFilter& filter,
                                                              const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateList(filter.limit); !s) return s;
  std::string own_app;
  std::string own_department;
  if (Status s = visibility(actor, filter.app_id, &own_app, &own_department); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<AccessRequest>> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows =
        tx.exec_params("SELECT " + requestColumns() +
                           " FROM catalog.access_requests q"
                           " JOIN catalog.resources r ON r.code = q.resource_code"
                           "  AND r.version = q.resource_version"
                           " WHERE ($1::text = '' OR q.state = $1::text)"
                           "   AND ($2::text = '' OR q.app_id = $2::text)"
                           "   AND ($3::text = '' OR q.resource_code = $3::text)"
                           "   AND ($4::text = '' OR r.provider_department::text = $4::text)"
                           "   AND ($5::text = '' OR q.app_id = $5::text"
                           "        OR r.provider_department::text = $6::text)"
                           " ORDER BY q.id DESC LIMIT $7 OFFSET $8",
                       std::string(filter.state ? toString(*filter.state) : ""), filter.app_id,
                       filter.resource_code, filter.provider_department, own_app, own_department,
                       static_cast<int64_t>(filter.limit), static_cast<int64_t>(filter.offset));
    std::vector<AccessRequest> out;
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) out.push_back(readRequest(row));
    return out;
  });
}

// --- Grants
// ---------------------------------------------------------------------------------------

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

// --- Sources
// --------------------------------------------------------------------------------------

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
    if (tx.exec_params("SELECT 1 FROM exchange.departments WHERE code = $1", department).empty()) {
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

// --- History
// --------------------------------------------------------------------------------------

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
