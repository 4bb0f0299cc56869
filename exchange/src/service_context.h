// What the exchange's handlers share: the stores, the caches in front of them on the hot path,
// the rate limiter and the audit log. Owned by the server; handlers hold a reference.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tongban/audit/appender.h"
#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/change_listener.h"
#include "tongban/catalog/invalidating_cache.h"
#include "tongban/catalog/record_source_registry.h"
#include "tongban/certs/certificate_registry.h"
#include "tongban/certs/hub_identity.h"
#include "tongban/certs/key_store.h"
#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/db_pool.h"
#include "tongban/directory/app_registry.h"
#include "tongban/exchange/exchange_config.h"
#include "tongban/exchange/http.h"
#include "tongban/exchange/rate_limiter.h"
#include "tongban/verification/index.h"
#include "tongban/verification/receipt.h"

namespace tongban::exchange {

// A time-limited cache of values loaded from the catalog, dropped at once by changes made through
// this process and, through the catalog's change notifications, by changes made on any node
// (tongban/catalog/invalidating_cache.h). Thread-safe.
template <typename Key, typename Value>
using TtlCache = catalog::InvalidatingCache<Key, Value>;

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
  directory::AppRegistry* registry = nullptr;
  catalog::CatalogStore* catalog = nullptr;
  // The sources resources read from, by name (the local registries; adapters add remote ones).
  std::unique_ptr<catalog::RecordSourceRegistry> record_sources;
  // Where requests' audit entries go; the dispatcher appends (server wiring sets it).
  audit::AuditAppender* audit = nullptr;
  RateLimiter limiter;
  certs::EvpPkeyPtr holder_idp_key;      // null: holder endpoints answer 503
  std::unique_ptr<CertsServices> certs;  // null: certificate endpoints answer 503
  // The verification core's index (verification_index.cc); null: /v1/verify* answer 503.
  std::unique_ptr<verification::Index> verification;
  // Receipts for verification answers (enableReceipts, verify_service.cc; docs/receipts.md): set
  // when verification.receipts is on and the PKI has a verification key. Null: no receipts.
  std::shared_ptr<const verification::ReceiptSigner> receipt_signer;
  std::unique_ptr<verification::ReceiptWindow> receipt_window;  // POST /v1/verify's singles
  // Checks answered, by transport (metrics: tongban_verification_checks_total).
  std::atomic<uint64_t> verified_http{0};
  std::atomic<uint64_t> verified_thrift{0};
  TtlCache<std::string, catalog::Resource> resources{std::chrono::milliseconds(5000)};
  TtlCache<std::pair<std::string, std::string>, std::vector<catalog::Grant>> grants{
      std::chrono::milliseconds(2000)};
  // Drops the two caches above when any node changes the catalog; declared after them so that it
  // stops first. Null until listenForCatalogChanges.
  std::unique_ptr<catalog::ChangeListener> catalog_listener;

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
// Routes of status_filter_handlers.cc: GET /v1/status/filter (public; docs/status-filter.md).
void addStatusFilterRoutes(Router& router, ServiceContext& ctx);
// Routes of admin_handlers.cc: /v1/admin/...
void addAdminRoutes(Router& router, ServiceContext& ctx);
// Routes of console_handlers.cc: the administrators' console, /console/ and /console/api/.
void addConsoleRoutes(Router& router, ServiceContext& ctx);

// Routes of verify_handlers.cc: POST /v1/verify and /v1/verify/batch.
void addVerificationRoutes(Router& router, ServiceContext& ctx);
// Routes of matter_handlers.cc: /v1/matters/{code}/certificate-free|precheck|eligible,
// /v1/things/{code}(/precheck) (docs/matters.md).
void addMatterRoutes(Router& router, ServiceContext& ctx);

// The index the verification routes and the Thrift service answer from, as configured
// (verification_index.cc): the one place that chooses the implementation. Null when none is
// configured.
Result<std::unique_ptr<verification::Index>> openVerificationIndex(const ExchangeConfig& config);

// Sets the grant cache's lifetime from config.grant_cache_ms and starts hearing the catalog's
// change notifications on a connection of its own (`conninfo`): a suspension or revocation made
// on any node drops the cached grants here within milliseconds. Until LISTEN is in force, and
// whenever the connection is lost, nothing is cached. (query_handlers.cc)
void listenForCatalogChanges(ServiceContext& ctx, const std::string& conninfo);

// The statements the record sources prepare on every pooled connection
// (catalog::preparePgRecordSources).
void prepareQueryStatements(pqxx::connection& conn);

}  // namespace tongban::exchange
