// Departments (部门), their applications, and the applications' signing keys — in the directory
// schema (deploy/sql/0013_directory.sql) — with the key cache the authenticator reads on every
// request. The types are in model.h; catalog and certs check references inside their own
// transactions with references.h.
//
// Secrets are random, shown once by createApplication/rotateKey, and stored sealed by SecretBox.
// lookupKey() serves from a cache refreshed every `cache_ttl`; changes made through this object
// invalidate it at once, changes made by another process (the CLI) are seen within the TTL.
// Unknown key ids are remembered for a short while too (a negative cache, bounded).
// Every change is recorded in directory.admin_events with the actor. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"
#include "tongban/directory/model.h"
#include "tongban/directory/secret_box.h"

namespace tongban::directory {

class AppRegistry {
 public:
  // Without a SecretBox (no master key) the registry can list and disable, but creating secrets
  // and looking up keys fail with kInvalidArgument naming security.master_key.
  // Unknown key ids are remembered for `unknown_key_ttl` (0: not at all), at most
  // kMaxUnknownKeys of them.
  AppRegistry(db::ConnectionPool& pool, std::optional<SecretBox> box,
              std::chrono::milliseconds cache_ttl = std::chrono::milliseconds(5000),
              std::chrono::milliseconds unknown_key_ttl = std::chrono::milliseconds(1000));
  static constexpr size_t kMaxUnknownKeys = 10000;

  // kInvalidArgument naming the field; kConflict when the code or name exists.
  Result<Department> createDepartment(const std::string& code, const std::string& name,
                                      const std::string& region_code, const std::string& actor);
  Result<std::vector<Department>> listDepartments();

  // kNotFound for an unknown department; kInvalidArgument for a bad name or role.
  Result<IssuedKey> createApplication(const std::string& department_code, const std::string& name,
                                      const std::string& role, const std::string& actor);
  Result<std::vector<Application>> listApplications(const std::string& department_code = "");
  Result<Application> getApplication(const std::string& app_id);
  Result<Application> setApplicationStatus(const std::string& app_id, const std::string& status,
                                           const std::string& actor);

  // A new key; the app's other active keys stay valid for `overlap` more, then are refused.
  Result<IssuedKey> rotateKey(const std::string& app_id, std::chrono::seconds overlap,
                              const std::string& actor);
  Status disableKey(const std::string& key_id, const std::string& actor);

  // Binds the application to a client certificate (lower-case hex SHA-256 of its DER), or unbinds
  // it (""). kNotFound for an unknown application; kInvalidArgument (field "sha256") for a value
  // that is not 64 hex digits (colons and upper case are accepted).
  Status setClientCertificate(const std::string& app_id, const std::string& sha256,
                              const std::string& actor);

  // kNotFound for an unknown key (from the negative cache when it was unknown a moment ago);
  // kUnavailable when the database is down and the key is not cached; kPermissionDenied when the
  // secret does not open under the master key.
  Result<KeyInfo> lookupKey(const std::string& key_id);

  // Forgets cached keys and unknown key ids.
  void invalidateCache();
  // Lookups answered "unknown" from the negative cache, without a query (metrics, tests).
  uint64_t unknownKeyCacheHits();

 private:
  Result<IssuedKey> insertKey(pqxx::work& tx, const std::string& app_id, const std::string& actor);

  db::ConnectionPool& pool_;
  const std::optional<SecretBox> box_;
  const std::chrono::milliseconds cache_ttl_;
  struct Cached {
    KeyInfo info;
    std::chrono::steady_clock::time_point loaded;
  };
  const std::chrono::milliseconds unknown_ttl_;
  std::mutex cache_mutex_;  // guards cache_, unknown_, unknown_hits_
  std::unordered_map<std::string, Cached> cache_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> unknown_;
  uint64_t unknown_hits_ = 0;
};

}  // namespace tongban::directory
