// What the server's parts share: the stores and services built at startup (server.cc), the
// router and metrics, the counters the dispatcher (dispatch_handler.cc) keeps, and the flags that
// drain it on stop. Owned by ExchangeServerImpl; everything else holds a reference.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Logger.h>

#include "refusal_sampler.h"
#include "service_context.h"
#include "tongban/audit/writer.h"
#include "tongban/catalog/catalog_store.h"
#include "tongban/common/db_pool.h"
#include "tongban/directory/app_registry.h"
#include "tongban/exchange/exchange_config.h"
#include "tongban/exchange/http.h"
#include "tongban/exchange/metrics.h"
#include "tongban/exchange/nonce_store.h"
#include "tongban/exchange/request_auth.h"

namespace tongban::exchange {

struct ServerState {
  ExchangeConfig config;
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<directory::AppRegistry> registry;
  std::unique_ptr<PgNonceStore> nonces;  // shared replay guard; before auth, which uses it
  std::unique_ptr<RequestAuthenticator> auth;
  std::unique_ptr<catalog::CatalogStore> catalog;
  std::unique_ptr<audit::AuditWriter> audit;
  ServiceContext services;
  Router router;
  Metrics metrics;
  size_t unmatched_route = 0;  // metrics index for requests that matched no route
  std::atomic<bool> draining{false};
  std::atomic<int64_t> inflight{0};
  Poco::Logger* access_log = nullptr;
  Poco::Logger* log = nullptr;
  std::string request_id_prefix;
  std::atomic<uint64_t> request_counter{0};
  std::vector<std::string> trusted_proxies;  // from server.trusted_proxies
  RefusalSampler refusals;
  std::array<std::atomic<uint64_t>, kRefusalKinds> refusal_counts{};
};

// Seconds since the Unix epoch, now.
inline int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Routes of ops_handlers.cc: /healthz, /readyz, /metrics (public, not audited).
void addOperationalRoutes(Router& router, ServerState& state);
// Gives every route its metrics index and registers the pool, authentication and audit gauges
// (ops_handlers.cc). After every route is added.
void registerServerMetrics(ServerState& state);

// Appends one audit row per key id and minute for the unauthenticated refusals the sampler did not
// audit one by one (dispatch_handler.cc). Failures are logged.
void auditRefusalSummaries(ServerState& state,
                           const std::vector<RefusalSampler::Summary>& summaries);

}  // namespace tongban::exchange
