// Adapter sources: catalog record sources (tongban/catalog/record_source.h) that read a ministry
// system live, over REST/JSON ("rest"), SOAP 1.1 ("soap") or Thrift ("thrift"), behind the same
// interface as the hub's own registries. A resource whose `source` names an adapter instance is
// queried with the same grants, masking, quota and audit as local data.
//
// An AdapterSource is one configured instance: a protocol client (Transport) wrapped in the
// instance's resilience (resilience.h) — a bulkhead, a circuit breaker, retries with jittered
// backoff for idempotent calls, a response cache — and a mapping from upstream field names to the
// catalog's. Whatever the upstream does, a lookup returns within the instance's time budget with
// a Status naming the upstream:
//   kGatewayTimeout  the upstream did not connect or answer in time (504);
//   kBadGateway      it refused the connection, dropped it, answered an error status, a SOAP
//                    fault or something unparseable (502);
//   kUnavailable     the breaker is open or the bulkhead full: nothing was sent (503).
//
// Thread-safe. docs/adapters.md describes the settings and the failure mapping.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tongban/adapters/resilience.h"
#include "tongban/catalog/model.h"
#include "tongban/catalog/record_source.h"
#include "tongban/catalog/record_source_registry.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/result.h"

namespace tongban::adapters {

// A record as the upstream names its fields: upstream field → value (nullopt: null/absent).
using UpstreamRecord = std::map<std::string, std::optional<std::string>, std::less<>>;

// One protocol client. Thread-safe; keeps its own connections.
class Transport {
 public:
  virtual ~Transport() = default;
  // The upstream's record whose key is `key`, or nullopt when the upstream says there is none.
  // Failures as in the header comment (kGatewayTimeout, kBadGateway), with a message that says
  // what happened but not which upstream (the AdapterSource adds that).
  [[nodiscard]] virtual Result<std::optional<UpstreamRecord>> fetch(const std::string& key) = 0;
};

// catalog field ← upstream field, with the catalog type and default masking it is published with.
struct FieldMapping {
  std::string field;
  std::string upstream;
  catalog::FieldType type = catalog::FieldType::kString;
  catalog::MaskingRule masking = catalog::MaskingRule::kNone;
};

struct ResilienceOptions {
  int retries = 2;  // extra attempts after a failed one (idempotent calls only)
  bool idempotent = true;
  std::chrono::milliseconds backoff_base{50}, backoff_max{1000};
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_open{5000};
  int max_concurrent = 32;
  std::chrono::milliseconds cache_ttl{0};
  size_t cache_max_entries = 10000;
};

// What /metrics and /readyz show of one instance.
struct AdapterStats {
  uint64_t calls = 0;           // lookups asked of the instance
  uint64_t upstream_calls = 0;  // attempts sent upstream (retries included)
  uint64_t errors = 0;          // lookups that failed
  uint64_t timeouts = 0;        // of those, timeouts
  uint64_t rejected = 0;        // refused by the open breaker or the full bulkhead
  uint64_t cache_hits = 0;
  uint64_t breaker_opened = 0;
  double latency_seconds_sum = 0;  // of lookups that reached the upstream
  uint64_t latency_count = 0;
  int in_flight = 0;
  CircuitBreaker::State breaker = CircuitBreaker::State::kClosed;
};

class AdapterSource : public catalog::RecordSource {
 public:
  // `upstream` names the instance in errors and metrics ("household"); `source` is the name
  // resources cite. `mapping` holds exactly one entry whose field is `key_field`.
  AdapterSource(std::string upstream, std::string kind, std::string source, std::string key_field,
                std::vector<FieldMapping> mapping, std::unique_ptr<Transport> transport,
                ResilienceOptions options, NowFn now = SteadyClock::now);
  ~AdapterSource() override;

  // catalog::RecordSource
  const std::string& name() const override { return source_; }
  const std::string& keyField() const override { return key_field_; }
  Result<std::optional<catalog::Record>> lookup(
      const std::string& key, const std::vector<std::string>& fields) const override;
  Result<std::vector<catalog::Record>> lookupBy(std::string_view field, const std::string& value,
                                                const std::vector<std::string>& fields,
                                                size_t limit) const override;

  const std::string& upstream() const { return upstream_; }
  const std::string& kind() const { return kind_; }
  // The columns the catalog checks resources over this source against.
  catalog::RemoteSourceSpec spec() const;
  AdapterStats stats() const;
  const CircuitBreaker& breaker() const { return breaker_; }

  // Replaces how retries wait (tests: no real sleeping). Not thread-safe: before use.
  void setSleep(std::function<void(std::chrono::milliseconds)> sleep) { sleep_ = std::move(sleep); }

 private:
  Result<std::optional<UpstreamRecord>> fetchResilient(const std::string& key) const;

  const std::string upstream_, kind_, source_, key_field_;
  const std::vector<FieldMapping> mapping_;
  std::unique_ptr<Transport> transport_;
  const ResilienceOptions options_;
  const NowFn now_;
  mutable CircuitBreaker breaker_;
  mutable Bulkhead bulkhead_;
  Backoff backoff_;
  mutable TtlCache<std::optional<UpstreamRecord>> cache_;
  std::function<void(std::chrono::milliseconds)> sleep_;
  mutable std::atomic<uint64_t> calls_{0}, upstream_calls_{0}, errors_{0}, timeouts_{0},
      cache_hits_{0}, latency_us_{0}, latency_count_{0};
};

// Registers the factories of the kinds "rest", "soap" and "thrift" (kConflict when one is there
// already). Each makes an AdapterSource from RecordSourceConfig::settings, the keys of an
// `[adapter.NAME]` section (docs/configuration.md); a wrong or missing setting is kInvalidArgument
// naming "adapter.NAME.KEY".
Status registerAdapterFactories(catalog::RecordSourceRegistry& registry);

// The adapter behind `source`, or nullptr when it is not one.
inline const AdapterSource* asAdapter(const catalog::RecordSource* source) {
  return dynamic_cast<const AdapterSource*>(source);
}

}  // namespace tongban::adapters
