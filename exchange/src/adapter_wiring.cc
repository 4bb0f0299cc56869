// The exchange's side of the adapters (docs/adapters.md): at start-up each configured instance
// becomes a record source in the registry the query handlers read from, the catalog learns its
// columns, and its configured owner is recorded when the source has none yet; /metrics and
// /readyz show each instance's calls, errors, latency and breaker state.
#include "adapter_wiring.h"

#include <string>

#include "tongban/adapters/adapter_source.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/log.h"

namespace tongban::exchange {

Status installAdapters(ServiceContext& ctx) {
  if (ctx.config.adapters.empty()) return Status::ok();
  if (Status s = adapters::registerAdapterFactories(*ctx.record_sources); !s) return s;
  const catalog::Actor system{"config:adapters", "", catalog::Role::kAdmin};
  for (const adapters::AdapterInstance& a : ctx.config.adapters) {
    const std::string prefix = "adapter." + a.instance + ".";
    if (ctx.record_sources->factory(a.kind) == nullptr) {
      return Status::invalid(prefix + "kind",
                             prefix + "kind '" + a.kind + "' is not one of rest, soap, thrift");
    }
    catalog::RecordSourceConfig config;
    config.name = a.source;
    config.settings = a.settings;
    config.settings["upstream"] = a.instance;
    if (Status s = ctx.record_sources->add(a.kind, config); !s) {
      if (s.field().empty()) return Status::invalid(prefix + "source", s.message());
      return s;
    }
    const auto* source = adapters::asAdapter(ctx.record_sources->find(a.source));
    if (Status s = catalog::registerRemoteSource(source->spec()); !s) {
      return Status::invalid(prefix + "source", s.message());
    }
    if (!a.owner.empty()) {
      auto owner = ctx.catalog->ownerOf(a.source, system);
      if (!owner) return owner.status();
      if (owner->department_code.empty()) {
        auto set = ctx.catalog->setSourceOwner(
            a.source, a.owner, system, "owner named by the configuration of adapter " + a.instance);
        if (!set) return Status::invalid(prefix + "owner", set.status().message());
      }
    }
  }
  return Status::ok();
}

namespace {

template <typename F>
void forEachAdapter(const ServiceContext& ctx, F f) {
  for (const adapters::AdapterInstance& a : ctx.config.adapters) {
    if (const auto* s = adapters::asAdapter(ctx.record_sources->find(a.source))) f(*s);
  }
}

std::string label(const adapters::AdapterSource& s) {
  return "upstream=\"" + s.upstream() + "\",kind=\"" + s.kind() + "\"";
}

}  // namespace

void addAdapterMetrics(Metrics& metrics, const ServiceContext& ctx) {
  if (ctx.config.adapters.empty()) return;
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    double (*read)(const adapters::AdapterStats&);
  };
  static const Family kFamilies[] = {
      {"tongban_adapter_calls_total", "counter", "Lookups asked of each adapter instance.",
       [](const adapters::AdapterStats& s) { return double(s.calls); }},
      {"tongban_adapter_upstream_calls_total", "counter",
       "Calls sent to each upstream system (retries included).",
       [](const adapters::AdapterStats& s) { return double(s.upstream_calls); }},
      {"tongban_adapter_errors_total", "counter",
       "Lookups that failed (502, 503 or 504 to the consumer).",
       [](const adapters::AdapterStats& s) { return double(s.errors); }},
      {"tongban_adapter_timeouts_total", "counter", "Lookups that failed by timeout (504).",
       [](const adapters::AdapterStats& s) { return double(s.timeouts); }},
      {"tongban_adapter_rejected_total", "counter",
       "Lookups refused because the bulkhead was full.",
       [](const adapters::AdapterStats& s) { return double(s.rejected); }},
      {"tongban_adapter_cache_hits_total", "counter", "Lookups answered from the response cache.",
       [](const adapters::AdapterStats& s) { return double(s.cache_hits); }},
      {"tongban_adapter_breaker_opened_total", "counter", "Times each circuit breaker opened.",
       [](const adapters::AdapterStats& s) { return double(s.breaker_opened); }},
      {"tongban_adapter_in_flight", "gauge", "Upstream calls in flight.",
       [](const adapters::AdapterStats& s) { return double(s.in_flight); }},
      {"tongban_adapter_breaker_state", "gauge",
       "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
       [](const adapters::AdapterStats& s) { return double(static_cast<int>(s.breaker)); }},
      {"tongban_adapter_latency_seconds_sum", "counter",
       "Total time spent in upstream calls (with _count: the mean latency).",
       [](const adapters::AdapterStats& s) { return s.latency_seconds_sum; }},
      {"tongban_adapter_latency_seconds_count", "counter", "Upstream calls timed.",
       [](const adapters::AdapterStats& s) { return double(s.latency_count); }},
  };
  for (const Family& f : kFamilies) {
    std::vector<Metrics::Gauge> samples;
    forEachAdapter(ctx, [&](const adapters::AdapterSource& s) {
      samples.push_back({std::string(f.name) + "{" + label(s) + "}", "",
                         [&s, read = f.read] { return read(s.stats()); }});
    });
    metrics.addGauge(f.name, f.type, f.help, std::move(samples));
  }
}

void appendAdapterHealth(std::string& json, const ServiceContext& ctx) {
  if (ctx.config.adapters.empty()) return;
  json += ",\"adapters\":{";
  bool first = true;
  forEachAdapter(ctx, [&](const adapters::AdapterSource& s) {
    const auto stats = s.stats();
    if (!first) json += ",";
    first = false;
    appendJsonString(json, s.upstream());
    json += ":{\"kind\":";
    appendJsonString(json, s.kind());
    json += ",\"source\":";
    appendJsonString(json, s.name());
    json += ",\"breaker\":\"";
    json += adapters::toString(stats.breaker);
    json += "\",\"healthy\":";
    json += stats.breaker == adapters::CircuitBreaker::State::kOpen ? "false" : "true";
    json += ",\"in_flight\":" + std::to_string(stats.in_flight) + "}";
  });
  json += "}";
}

}  // namespace tongban::exchange
