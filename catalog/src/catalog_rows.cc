// How the catalog's rows read into the model (store_support.h): the column lists, the row
// readers and loaders of resources, access requests and grants, and the catalog.events writer.
#include <map>
#include <utility>

#include "store_support.h"

namespace tongban::catalog::store {

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

}  // namespace tongban::catalog::store
