// What the exchange's handlers share: the stores, the caches in front of them on the hot path,
// the rate limiter and the audit log. Owned by the server; handlers hold a reference.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tongban/catalog/catalog_store.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/common/db_pool.h"
#include "tongban/exchange/app_registry.h"
#include "tongban/exchange/audit_log.h"
#include "tongban/exchange/exchange_config.h"
#include "tongban/exchange/http.h"
#include "tongban/exchange/rate_limiter.h"

namespace tongban::exchange {

// A time-limited cache of values loaded from the catalog. Entries expire after `ttl`; changes
// made through this process clear it at once. Thread-safe.
template <typename Key, typename Value>
class TtlCache {
 public:
  explicit TtlCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  template <typename Load>
  Result<Value> get(const Key& key, Load&& load) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end() && now - it->second.second < ttl_) return it->second.first;
    }
    Result<Value> loaded = load();
    if (loaded) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (entries_.size() > 50000) entries_.clear();
      entries_[key] = {*loaded, now};
    }
    return loaded;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
  }

 private:
  const std::chrono::milliseconds ttl_;
  std::mutex mutex_;  // guards entries_
  std::map<Key, std::pair<Value, std::chrono::steady_clock::time_point>> entries_;
};

struct ServiceContext {
  ExchangeConfig config;
  db::ConnectionPool* pool = nullptr;
  AppRegistry* registry = nullptr;
  catalog::CatalogStore* catalog = nullptr;
  AuditLog* audit = nullptr;
  RateLimiter limiter;
  certs::EvpPkeyPtr holder_idp_key;  // null: holder endpoints answer 503
  TtlCache<std::string, catalog::Resource> resources{std::chrono::milliseconds(5000)};
  TtlCache<std::pair<std::string, std::string>, std::vector<catalog::Grant>> grants{
      std::chrono::milliseconds(2000)};

  // After any change to the catalog, grants or applications made through this process.
  void invalidateCaches() {
    resources.clear();
    grants.clear();
    registry->invalidateCache();
  }
};

// Routes of query_handlers.cc: queries, subject views, registry lookups, catalog browsing,
// consumers' access requests and grants, holders' access log.
void addConsumerRoutes(Router& router, ServiceContext& ctx);
// Routes of admin_handlers.cc: /v1/admin/...
void addAdminRoutes(Router& router, ServiceContext& ctx);

// The statements query_handlers.cc prepares on every pooled connection.
void prepareQueryStatements(pqxx::connection& conn);

}  // namespace tongban::exchange
