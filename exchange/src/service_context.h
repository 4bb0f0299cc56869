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
#include "tongban/certs/certificate_registry.h"
#include "tongban/certs/hub_identity.h"
#include "tongban/certs/key_store.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/db_pool.h"
#include "tongban/exchange/app_registry.h"
#include "tongban/exchange/audit_log.h"
#include "tongban/exchange/exchange_config.h"
#include "tongban/exchange/http.h"
#include "tongban/exchange/rate_limiter.h"

namespace tongban::exchange {

// A time-limited cache of values loaded from the catalog. Entries expire after `ttl`; changes
// made through this process clear it at once. Values are shared, immutable snapshots, so a hit
// costs a lock and a reference count, not a copy. Thread-safe.
template <typename Key, typename Value>
class TtlCache {
 public:
  using Ptr = std::shared_ptr<const Value>;
  explicit TtlCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // The cached value, or load()'s (a Result<Value>), which is then cached if it succeeded.
  template <typename Load>
  Result<Ptr> get(const Key& key, Load&& load) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end() && now - it->second.second < ttl_) return it->second.first;
    }
    auto loaded = load();
    if (!loaded) return loaded.status();
    Ptr value = std::make_shared<const Value>(std::move(*loaded));
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() > 50000) entries_.clear();
    entries_[key] = {value, now};
    return value;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
  }

 private:
  const std::chrono::milliseconds ttl_;
  std::mutex mutex_;  // guards entries_
  std::map<Key, std::pair<Ptr, std::chrono::steady_clock::time_point>> entries_;
};

// The electronic-certificate hub, present when `pki.dir` is configured.
struct CertsServices {
  certs::HubIdentity hub;
  std::unique_ptr<certs::KeyStore> keys;
  std::unique_ptr<certs::TransparencyLog> log;
  std::unique_ptr<certs::CertificateTypeRegistry> types;
  std::unique_ptr<certs::SealRegistry> seals;
  std::unique_ptr<certs::CertificateRegistry> certificates;
};

struct ServiceContext {
  ExchangeConfig config;
  db::ConnectionPool* pool = nullptr;
  AppRegistry* registry = nullptr;
  catalog::CatalogStore* catalog = nullptr;
  AuditLog* audit = nullptr;
  RateLimiter limiter;
  certs::EvpPkeyPtr holder_idp_key;      // null: holder endpoints answer 503
  std::unique_ptr<CertsServices> certs;  // null: certificate endpoints answer 503
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
// Routes of certs_handlers.cc: certificates, objections, transparency log, holders' certificates.
void addCertificateRoutes(Router& router, ServiceContext& ctx);
// Routes of admin_handlers.cc: /v1/admin/...
void addAdminRoutes(Router& router, ServiceContext& ctx);

// The statements query_handlers.cc prepares on every pooled connection.
void prepareQueryStatements(pqxx::connection& conn);

}  // namespace tongban::exchange
