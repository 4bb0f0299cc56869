#include "tongban/directory/app_registry.h"

#include <cctype>

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/time_format.h"

namespace tongban::directory {

namespace {

std::string newId(const char* prefix) { return prefix + hexEncode(randomBytes(8)); }

// 32 random bytes, base64url: what applications put in their configuration.
std::string newSecret() { return "tbs_" + base64UrlEncode(randomBytes(32)); }

void recordEvent(pqxx::work& tx, const std::string& actor, const std::string& type,
                 const std::string& id, const std::string& action) {
  tx.exec_params(
      "INSERT INTO directory.admin_events (actor, object_type, object_id, action) "
      "VALUES ($1, $2, $3, $4)",
      actor, type, id, action);
}

Status checkName(const std::string& name, const char* field) {
  size_t chars = 0;
  for (unsigned char c : name) chars += (c & 0xC0) != 0x80;
  if (chars < 2 || chars > 128) {
    return Status::invalid(field, "must be 2 to 128 characters, got " + std::to_string(chars));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return Status::invalid(field, "must not contain control characters");
  }
  return Status::ok();
}

Application appFromRow(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>()};
}

std::string appColumns() {
  return "app_id, department_code, name, role, status, " + rfc3339SecondsSql("created_at");
}

}  // namespace

namespace {
Status noMasterKey() {
  return Status::invalid("security.master_key",
                         "no master key configured: set security.master_key or "
                         "TONGBAN_SECURITY_MASTER_KEY");
}
}  // namespace

AppRegistry::AppRegistry(db::ConnectionPool& pool, std::optional<SecretBox> box,
                         std::chrono::milliseconds cache_ttl,
                         std::chrono::milliseconds unknown_key_ttl)
    : pool_(pool), box_(std::move(box)), cache_ttl_(cache_ttl), unknown_ttl_(unknown_key_ttl) {}

Result<Department> AppRegistry::createDepartment(const std::string& code, const std::string& name,
                                                 const std::string& region_code,
                                                 const std::string& actor) {
  auto c = ids::normalizeCreditCode(code, "code");
  if (!c) return c.status();
  if (Status s = checkName(name, "name"); !s) return s;
  auto region = ids::normalizeRegionCode(region_code, "region_code");
  if (!region) return region.status();
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Department> {
    pqxx::work tx(conn);
    auto exists = tx.exec_params(
        "SELECT code FROM directory.departments WHERE code = $1 OR name = $2", *c, name);
    if (!exists.empty()) {
      return Status(ErrorCode::kConflict, "a department with this code or name exists", "code");
    }
    auto row = tx.exec_params1(
        "INSERT INTO directory.departments (code, name, region_code, created_by) "
        "VALUES ($1, $2, $3, $4) RETURNING " +
            rfc3339SecondsSql("created_at"),
        *c, name, *region, actor);
    recordEvent(tx, actor, "department", *c, "create");
    tx.commit();
    return Department{*c, name, *region, row[0].as<std::string>()};
  });
}

Result<std::vector<Department>> AppRegistry::listDepartments() {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Department>> {
    pqxx::read_transaction tx(conn);
    std::vector<Department> out;
    for (const auto& r :
         tx.exec("SELECT code, name, region_code, " + rfc3339SecondsSql("created_at") +
                 " FROM directory.departments ORDER BY code")) {
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                     r[3].as<std::string>()});
    }
    return out;
  });
}

Result<IssuedKey> AppRegistry::insertKey(pqxx::work& tx, const std::string& app_id,
                                         const std::string& actor) {
  if (!box_) return noMasterKey();
  IssuedKey k{app_id, newId("key_"), newSecret()};
  std::string sealed = box_->seal(k.secret, k.key_id);
  tx.exec_params(
      "INSERT INTO directory.app_keys (key_id, app_id, secret_enc, created_by) VALUES ($1, $2, $3, "
      "$4)",
      k.key_id, app_id, pqxx::binarystring(sealed.data(), sealed.size()), actor);
  recordEvent(tx, actor, "key", k.key_id, "create");
  return k;
}

Result<IssuedKey> AppRegistry::createApplication(const std::string& department_code,
                                                 const std::string& name, const std::string& role,
                                                 const std::string& actor) {
  if (Status s = checkName(name, "name"); !s) return s;
  if (role != "consumer" && role != "provider" && role != "admin") {
    return Status::invalid("role", "must be consumer, provider or admin, got '" + role + "'");
  }
  auto dept = ids::normalizeCreditCode(department_code, "department_code");
  if (!dept) return dept.status();
  auto result = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<IssuedKey> {
    pqxx::work tx(conn);
    if (tx.exec_params("SELECT 1 FROM directory.departments WHERE code = $1", *dept).empty()) {
      return Status::notFound("no department " + *dept);
    }
    if (!tx.exec_params(
               "SELECT 1 FROM directory.applications WHERE department_code = $1 AND name = $2",
               *dept, name)
             .empty()) {
      return Status(ErrorCode::kConflict,
                    "the department already has an application named '" + name + "'", "name");
    }
    std::string app_id = newId("app_");
    tx.exec_params(
        "INSERT INTO directory.applications (app_id, department_code, name, role, created_by) "
        "VALUES ($1, $2, $3, $4, $5)",
        app_id, *dept, name, role, actor);
    recordEvent(tx, actor, "application", app_id, "create");
    auto key = insertKey(tx, app_id, actor);
    if (!key) return key.status();
    tx.commit();
    return key;
  });
  invalidateCache();  // the new key id may be remembered as unknown
  return result;
}

Result<std::vector<Application>> AppRegistry::listApplications(const std::string& department_code) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Application>> {
    pqxx::read_transaction tx(conn);
    std::vector<Application> out;
    pqxx::result rows =
        department_code.empty()
            ? tx.exec("SELECT " + appColumns() + " FROM directory.applications ORDER BY app_id")
            : tx.exec_params(
                  "SELECT " + appColumns() +
                      " FROM directory.applications WHERE department_code = $1 ORDER BY app_id",
                  department_code);
    for (const auto& r : rows) out.push_back(appFromRow(r));
    return out;
  });
}

Result<Application> AppRegistry::getApplication(const std::string& app_id) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Application> {
    pqxx::read_transaction tx(conn);
    auto r = tx.exec_params(
        "SELECT " + appColumns() + " FROM directory.applications WHERE app_id = $1", app_id);
    if (r.empty()) return Status::notFound("no application " + app_id);
    return appFromRow(r[0]);
  });
}

Result<Application> AppRegistry::setApplicationStatus(const std::string& app_id,
                                                      const std::string& status,
                                                      const std::string& actor) {
  if (status != "active" && status != "disabled") {
    return Status::invalid("status", "must be active or disabled");
  }
  auto result = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Application> {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "UPDATE directory.applications SET status = $2 WHERE app_id = $1 RETURNING " + appColumns(),
        app_id, status);
    if (r.empty()) return Status::notFound("no application " + app_id);
    recordEvent(tx, actor, "application", app_id, status == "active" ? "enable" : "disable");
    tx.commit();
    return appFromRow(r[0]);
  });
  invalidateCache();
  return result;
}

Result<IssuedKey> AppRegistry::rotateKey(const std::string& app_id, std::chrono::seconds overlap,
                                         const std::string& actor) {
  if (overlap.count() < 0 || overlap.count() > 30 * 24 * 3600) {
    return Status::invalid("overlap_seconds", "must be between 0 and 2592000 (30 days)");
  }
  auto result = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<IssuedKey> {
    pqxx::work tx(conn);
    if (tx.exec_params("SELECT 1 FROM directory.applications WHERE app_id = $1 FOR UPDATE", app_id)
            .empty()) {
      return Status::notFound("no application " + app_id);
    }
    tx.exec_params(
        "UPDATE directory.app_keys SET not_after = LEAST(COALESCE(not_after, 'infinity'), "
        "now() + make_interval(secs => $2)) WHERE app_id = $1 AND status = 'active'",
        app_id, static_cast<int64_t>(overlap.count()));
    auto key = insertKey(tx, app_id, actor);
    if (!key) return key.status();
    recordEvent(tx, actor, "application", app_id, "rotate_key");
    tx.commit();
    return key;
  });
  invalidateCache();
  return result;
}

Status AppRegistry::disableKey(const std::string& key_id, const std::string& actor) {
  auto result = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    auto r = tx.exec_params("UPDATE directory.app_keys SET status = 'disabled' WHERE key_id = $1",
                            key_id);
    if (r.affected_rows() == 0) return Status::notFound("no key " + key_id);
    recordEvent(tx, actor, "key", key_id, "disable");
    tx.commit();
    return true;
  });
  invalidateCache();
  return result.status();
}

Status AppRegistry::setClientCertificate(const std::string& app_id, const std::string& sha256,
                                         const std::string& actor) {
  std::string hex;
  for (char ch : sha256) {
    if (ch == ':') continue;
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f'))) {
      return Status::invalid("sha256", "must be the hex SHA-256 of the certificate (DER)");
    }
    hex.push_back(lower);
  }
  if (!hex.empty() && hex.size() != 64) {
    return Status::invalid("sha256", "must be 64 hex digits, got " + std::to_string(hex.size()));
  }
  auto result = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "UPDATE directory.applications SET client_cert_sha256 = NULLIF($2, '') WHERE app_id = $1",
        app_id, hex);
    if (r.affected_rows() == 0) return Status::notFound("no application " + app_id);
    recordEvent(tx, actor, "application", app_id,
                hex.empty() ? "unbind_client_certificate" : "bind_client_certificate");
    tx.commit();
    return true;
  });
  invalidateCache();
  return result.status();
}

Result<KeyInfo> AppRegistry::lookupKey(const std::string& key_id) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key_id);
    if (it != cache_.end() && now - it->second.loaded < cache_ttl_) return it->second.info;
    auto unknown = unknown_.find(key_id);
    if (unknown != unknown_.end()) {
      if (now - unknown->second < unknown_ttl_) {
        ++unknown_hits_;
        return Status::notFound("unknown key " + key_id);
      }
      unknown_.erase(unknown);
    }
  }
  auto loaded = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<KeyInfo> {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(
        "SELECT k.key_id, k.app_id, a.department_code, a.role, k.secret_enc, k.status, a.status, "
        "floor(EXTRACT(EPOCH FROM k.not_after))::bigint, a.client_cert_sha256 "
        "FROM directory.app_keys k JOIN directory.applications a USING (app_id) WHERE k.key_id = "
        "$1",
        key_id);
    if (r.empty()) return Status::notFound("unknown key " + key_id);
    const auto& row = r[0];
    KeyInfo info;
    info.key_id = row[0].as<std::string>();
    info.app_id = row[1].as<std::string>();
    info.department_code = row[2].as<std::string>();
    info.role = row[3].as<std::string>();
    pqxx::binarystring sealed(row[4]);
    if (!box_) return noMasterKey();
    auto secret = box_->open(
        std::string_view(reinterpret_cast<const char*>(sealed.data()), sealed.size()), info.key_id);
    if (!secret) return secret.status();
    info.secret = std::move(*secret);
    info.key_active = row[5].as<std::string>() == "active";
    info.app_active = row[6].as<std::string>() == "active";
    if (!row[7].is_null()) info.not_after_unix = row[7].as<int64_t>();
    if (!row[8].is_null()) info.client_cert_sha256 = row[8].as<std::string>();
    return info;
  });
  if (!loaded) {
    // Unknown keys are remembered briefly (unknown_key_ttl), so that a flood of requests with a
    // made-up key id costs one query per id and TTL, not one per request. A key created through
    // this registry clears them at once; one created by another process (the CLI) works within
    // the TTL.
    if (loaded.status().code() == ErrorCode::kNotFound && unknown_ttl_.count() > 0) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (unknown_.size() >= kMaxUnknownKeys) {
        for (auto it = unknown_.begin(); it != unknown_.end();) {
          it = now - it->second >= unknown_ttl_ ? unknown_.erase(it) : std::next(it);
        }
        if (unknown_.size() >= kMaxUnknownKeys) unknown_.clear();  // bounded whatever comes
      }
      unknown_[key_id] = now;
    }
    return loaded.status();
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() > 100000)
    cache_.clear();  // bounded: an attacker cannot grow it (valid keys only)
  cache_[key_id] = {*loaded, now};
  return loaded;
}

void AppRegistry::invalidateCache() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.clear();
  unknown_.clear();
}

uint64_t AppRegistry::unknownKeyCacheHits() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  return unknown_hits_;
}

}  // namespace tongban::directory
