// The adapters in the exchange (adapter_wiring.cc): installed at start-up, shown in /metrics and
// /readyz.
#pragma once

#include <string>

#include "service_context.h"
#include "tongban/exchange/metrics.h"

namespace tongban::exchange {

// Registers the adapter kinds in ctx.record_sources and adds each instance of
// ctx.config.adapters: the source, its columns (catalog::registerRemoteSource) and, when the
// source has no owner yet, the configured owner. kInvalidArgument naming the adapter's key.
Status installAdapters(ServiceContext& ctx);

// tongban_adapter_* families: calls, errors, timeouts, latency and breaker state per instance.
void addAdapterMetrics(Metrics& metrics, const ServiceContext& ctx);

// Appends `,"adapters":{NAME:{kind, source, breaker, healthy, in_flight}, ...}` to a JSON object
// being written (nothing when no adapter is configured). An open breaker is unhealthy, but does
// not make the exchange unready: its other routes still serve.
void appendAdapterHealth(std::string& json, const ServiceContext& ctx);

}  // namespace tongban::exchange
