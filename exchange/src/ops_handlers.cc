// The operational endpoints, public and not audited: /healthz (the process is up), /readyz (the
// database answers, migrations are current, not draining) and /metrics (Prometheus text), and the
// gauges /metrics shows beside the per-route figures.
#include <cstdint>
#include <string>
#include <vector>

#include "adapter_wiring.h"
#include "server_state.h"
#include "tongban/common/migrations.h"

namespace tongban::exchange {
namespace {

// The verification index's state in /readyz: answers keep flowing from memory while PostgreSQL is
// away (degraded mode), so a stale index is reported but leaves the exchange ready.
void appendVerificationHealth(std::string& body, const ServiceContext& services) {
  if (!services.verification) return;
  const verification::IndexHealth h = services.verification->health();
  body += ",\"verification\":{\"loaded\":" + std::string(h.loaded ? "true" : "false") +
          ",\"connected\":" + (h.connected ? "true" : "false") +
          ",\"stale\":" + (h.stale ? "true" : "false") +
          ",\"lag_ms\":" + std::to_string(h.lag_micros / 1000) +
          ",\"certificates\":" + std::to_string(h.certificates) +
          ",\"persons\":" + std::to_string(h.persons) +
          ",\"entities\":" + std::to_string(h.entities) +
          ",\"certs_seq\":" + std::to_string(h.as_of.certs_seq) + "}";
}

Result<HttpResponse> ready(ServerState& state) {
  if (state.draining) return Status::unavailable("shutting down");
  auto lease = state.pool->acquire();
  if (!lease) return lease.status();
  Status s = db::checkMigrationsCurrent(**lease);
  if (!s) {
    if (!(*lease)->is_open()) lease->discard();
    return Status::unavailable("not ready: " + s.message());
  }
  std::string body = "{\"status\":\"ready\"";
  appendAdapterHealth(body, state.services);
  appendVerificationHealth(body, state.services);
  return HttpResponse::json(body + "}");
}

}  // namespace

void addOperationalRoutes(Router& r, ServerState& state) {
  r.add("GET", "/healthz", [](HttpRequest&) -> Result<HttpResponse> {
     return HttpResponse::json("{\"status\":\"ok\"}");
   }).access = Access::kPublic;
  r.add("GET", "/readyz", [&state](HttpRequest&) { return ready(state); }).access = Access::kPublic;
  r.add("GET", "/metrics", [&state](HttpRequest&) -> Result<HttpResponse> {
     HttpResponse out;
     out.content_type = "text/plain; version=0.0.4; charset=utf-8";
     out.body = state.metrics.render();
     return out;
   }).access = Access::kPublic;
}

void registerServerMetrics(ServerState& state) {
  for (auto& route : state.router.routes())
    route.metrics_index = state.metrics.addRoute(route.pattern);
  state.unmatched_route = state.metrics.addRoute("unmatched");
  ServiceContext* services = &state.services;
  if (services->verification) {
    const verification::Index* index = services->verification.get();
    auto health = [index](auto field) {
      return [index, field] { return static_cast<double>(field(index->health())); };
    };
    state.metrics.addGauge(
        "tongban_verification_index", "gauge",
        "The verification index: entries held, bytes, lag behind PostgreSQL, staleness.",
        {{"tongban_verification_index{what=\"certificates\"}", "",
          health([](const verification::IndexHealth& h) { return h.certificates; })},
         {"tongban_verification_index{what=\"persons\"}", "",
          health([](const verification::IndexHealth& h) { return h.persons; })},
         {"tongban_verification_index{what=\"entities\"}", "",
          health([](const verification::IndexHealth& h) { return h.entities; })},
         {"tongban_verification_index{what=\"bytes\"}", "",
          health([](const verification::IndexHealth& h) { return h.bytes; })},
         {"tongban_verification_index{what=\"lag_seconds\"}", "",
          health([](const verification::IndexHealth& h) { return h.lag_micros / 1e6; })},
         {"tongban_verification_index{what=\"stale\"}", "",
          health([](const verification::IndexHealth& h) { return h.stale ? 1 : 0; })},
         {"tongban_verification_index{what=\"connected\"}", "",
          health([](const verification::IndexHealth& h) { return h.connected ? 1 : 0; })}});
  }
  state.metrics.addGauge(
      "tongban_verification_checks_total", "counter",
      "Verification checks answered (POST /v1/verify*, Thrift verifyBatch), by transport.",
      {{"tongban_verification_checks_total{transport=\"http\"}", "",
        [services] { return double(services->verified_http.load()); }},
       {"tongban_verification_checks_total{transport=\"thrift\"}", "",
        [services] { return double(services->verified_thrift.load()); }}});
  addAdapterMetrics(state.metrics, state.services);

  db::ConnectionPool* pool = state.pool.get();
  auto stat = [pool](size_t db::PoolStats::*field) {
    return [pool, field] { return static_cast<double>(pool->stats().*field); };
  };
  auto counter = [pool](uint64_t db::PoolStats::*field) {
    return [pool, field] { return static_cast<double>(pool->stats().*field); };
  };
  state.metrics.addGauge(
      "tongban_db_pool_connections", "gauge", "Database connections by state.",
      {{"tongban_db_pool_connections{state=\"max\"}", "", stat(&db::PoolStats::size)},
       {"tongban_db_pool_connections{state=\"open\"}", "", stat(&db::PoolStats::open)},
       {"tongban_db_pool_connections{state=\"in_use\"}", "", stat(&db::PoolStats::in_use)}});
  state.metrics.addGauge(
      "tongban_db_pool_acquire_timeouts_total", "counter",
      "Requests that gave up waiting for a database connection.",
      {{"tongban_db_pool_acquire_timeouts_total", "", counter(&db::PoolStats::timeouts)}});
  state.metrics.addGauge(
      "tongban_db_pool_connect_failures_total", "counter",
      "Failed attempts to open a database connection.",
      {{"tongban_db_pool_connect_failures_total", "", counter(&db::PoolStats::connect_failures)}});
  state.metrics.addGauge("tongban_http_inflight_requests", "gauge", "Requests being served now.",
                         {{"tongban_http_inflight_requests", "",
                           [&state] { return static_cast<double>(state.inflight.load()); }}});
  std::vector<Metrics::Gauge> refusals;
  for (size_t i = 1; i < kRefusalKinds; ++i) {
    refusals.push_back(
        {std::string("tongban_auth_refusals_total{reason=\"") + kRefusalLabels[i] + "\"}", "",
         [&state, i] { return double(state.refusal_counts[i].load()); }});
  }
  state.metrics.addGauge("tongban_auth_refusals_total", "counter",
                         "Unauthenticated requests refused with 401, by reason (audited one "
                         "row per key id and minute, not one each).",
                         std::move(refusals));
  directory::AppRegistry* registry = state.registry.get();
  state.metrics.addGauge(
      "tongban_auth_unknown_key_cache_hits_total", "counter",
      "Unknown key ids answered from the negative cache, without a database query.",
      {{"tongban_auth_unknown_key_cache_hits_total", "",
        [registry] { return double(registry->unknownKeyCacheHits()); }}});
  audit::AuditWriter* audit = state.audit.get();
  state.metrics.addGauge(
      "tongban_audit_entries_total", "counter", "Audit entries committed by this node.",
      {{"tongban_audit_entries_total", "", [audit] { return double(audit->stats().appended); }}});
  state.metrics.addGauge(
      "tongban_audit_batches_total", "counter",
      "Audit transactions committed (one WAL flush each: group commit).",
      {{"tongban_audit_batches_total", "", [audit] { return double(audit->stats().batches); }}});
  state.metrics.addGauge("tongban_audit_failed_entries_total", "counter",
                         "Audit appends that failed (their requests were answered 503).",
                         {{"tongban_audit_failed_entries_total", "",
                           [audit] { return double(audit->stats().failed_entries); }}});
}

}  // namespace tongban::exchange
