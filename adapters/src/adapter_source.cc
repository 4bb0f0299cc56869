#include "tongban/adapters/adapter_source.h"

#include <random>
#include <set>
#include <thread>

#include "settings.h"
#include "transports.h"

namespace tongban::adapters {

namespace {

// A thread's own generator for backoff jitter.
double uniform01() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

bool retryable(const Status& s) {
  // A timeout is not retried: an upstream that did not answer in time is unlikely to on the next
  // try, and retrying would multiply the consumer's wait. Refused and dropped connections and
  // error answers are.
  return s.code() == ErrorCode::kBadGateway;
}

}  // namespace

AdapterSource::AdapterSource(std::string upstream, std::string kind, std::string source,
                             std::string key_field, std::vector<FieldMapping> mapping,
                             std::unique_ptr<Transport> transport, ResilienceOptions options,
                             NowFn now)
    : upstream_(std::move(upstream)),
      kind_(std::move(kind)),
      source_(std::move(source)),
      key_field_(std::move(key_field)),
      mapping_(std::move(mapping)),
      transport_(std::move(transport)),
      options_(options),
      now_(now),
      breaker_({options.breaker_failures, options.breaker_open}, now),
      bulkhead_(options.max_concurrent),
      backoff_(options.backoff_base, options.backoff_max, uniform01),
      cache_(options.cache_ttl, options.cache_max_entries, now),
      sleep_([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }) {}

AdapterSource::~AdapterSource() = default;

Result<std::optional<UpstreamRecord>> AdapterSource::fetchResilient(const std::string& key) const {
  calls_.fetch_add(1);
  if (auto hit = cache_.get(key)) {
    cache_hits_.fetch_add(1);
    return *hit;
  }
  const std::string who = "upstream " + upstream_ + " (" + kind_ + ")";
  if (!bulkhead_.tryEnter()) {
    errors_.fetch_add(1);
    return Status::unavailable(who + " has " + std::to_string(bulkhead_.limit()) +
                               " calls in flight already; try again shortly");
  }
  struct Leave {
    Bulkhead& b;
    ~Leave() { b.leave(); }
  } leave{bulkhead_};
  const int attempts = options_.idempotent ? 1 + options_.retries : 1;
  Status last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (!breaker_.allow()) {
      errors_.fetch_add(1);
      std::string msg = who + " is failing: its circuit breaker is open";
      if (!last.isOk()) msg += " (last error: " + last.message() + ")";
      return Status::unavailable(msg);
    }
    upstream_calls_.fetch_add(1);
    const auto start = SteadyClock::now();
    auto got = transport_->fetch(key);
    latency_us_.fetch_add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count()));
    latency_count_.fetch_add(1);
    if (got) {
      breaker_.onSuccess();
      cache_.put(key, *got);
      return got;
    }
    breaker_.onFailure();
    last = got.status();
    if (!retryable(last) || attempt == attempts) break;
    sleep_(backoff_.delay(attempt));
  }
  errors_.fetch_add(1);
  if (last.code() == ErrorCode::kGatewayTimeout) timeouts_.fetch_add(1);
  return Status(last.code(), who + ": " + last.message());
}

Result<std::optional<catalog::Record>> AdapterSource::lookup(
    const std::string& key, const std::vector<std::string>& fields) const {
  // The key goes into a URL path, an XML element or a Thrift string: nothing that could steer the
  // upstream ("..", control characters) or run long leaves the hub.
  bool control = false;
  for (unsigned char c : key) control = control || c < 0x20 || c == 0x7f;
  if (key.empty() || key.size() > 256 || control || key == "." || key == "..") {
    return Status::invalid("keys." + key_field_,
                           "must be 1 to 256 characters, without control characters, and not "
                           "'.' or '..'");
  }
  std::vector<const FieldMapping*> wanted;
  wanted.reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldMapping* m = nullptr;
    for (const FieldMapping& candidate : mapping_) {
      if (candidate.field == fields[i]) m = &candidate;
    }
    if (m == nullptr) {
      return Status::invalid("fields[" + std::to_string(i) + "]",
                             "'" + fields[i] + "' is not a field of " + source_);
    }
    wanted.push_back(m);
  }
  auto got = fetchResilient(key);
  if (!got) return got.status();
  if (!*got) return std::optional<catalog::Record>();
  // An upstream that answers with another subject's record must not have it shown under this key.
  for (const FieldMapping& m : mapping_) {
    if (m.field != key_field_) continue;
    auto it = (*got)->find(m.upstream);
    if (it != (*got)->end() && it->second && *it->second != key) {
      errors_.fetch_add(1);
      return Status(ErrorCode::kBadGateway, "upstream " + upstream_ + " (" + kind_ +
                                                "): answered a record for another key");
    }
  }
  catalog::Record record;
  record.reserve(wanted.size());
  for (const FieldMapping* m : wanted) {
    auto it = (*got)->find(m->upstream);
    record.add(m->field, it == (*got)->end() ? std::nullopt : it->second);
  }
  return std::optional<catalog::Record>(std::move(record));
}

Result<std::vector<catalog::Record>> AdapterSource::lookupBy(std::string_view field,
                                                             const std::string& value,
                                                             const std::vector<std::string>& fields,
                                                             size_t limit) const {
  if (field != key_field_) {
    return Status::invalid("field", "'" + std::string(field) + "' is not a lookup field of " +
                                        source_ + " (an adapter source is read by its key)");
  }
  auto one = lookup(value, fields);
  if (!one) return one.status();
  std::vector<catalog::Record> out;
  if (*one && limit > 0) out.push_back(std::move(**one));
  return out;
}

catalog::RemoteSourceSpec AdapterSource::spec() const {
  catalog::RemoteSourceSpec spec;
  spec.name = source_;
  for (const FieldMapping& m : mapping_) {
    spec.columns.push_back({m.field, m.type, m.field == key_field_, m.masking});
  }
  return spec;
}

AdapterStats AdapterSource::stats() const {
  AdapterStats s;
  s.calls = calls_.load();
  s.upstream_calls = upstream_calls_.load();
  s.errors = errors_.load();
  s.timeouts = timeouts_.load();
  s.rejected = bulkhead_.rejected();
  s.cache_hits = cache_hits_.load();
  s.breaker_opened = breaker_.timesOpened();
  s.latency_seconds_sum = static_cast<double>(latency_us_.load()) / 1e6;
  s.latency_count = latency_count_.load();
  s.in_flight = bulkhead_.inFlight();
  s.breaker = breaker_.state();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Factories

namespace {

// "citizen_id=idNumber:string:citizen_id, name=fullName::name": catalog field = upstream field,
// then optionally the catalog type and the default masking.
Result<std::vector<FieldMapping>> parseMapping(const Settings& s, const std::string& key_field) {
  auto text = s.str("fields", true);
  if (!text) return text.status();
  std::vector<FieldMapping> out;
  std::set<std::string> seen;
  size_t pos = 0;
  const std::string& t = *text;
  auto trim = [](std::string v) {
    const auto b = v.find_first_not_of(" \t");
    const auto e = v.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
  };
  auto valid_name = [](const std::string& v) {
    if (v.empty() || v.size() > 63) return false;
    for (char c : v) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
  };
  while (pos <= t.size()) {
    size_t comma = t.find(',', pos);
    if (comma == std::string::npos) comma = t.size();
    const std::string item = trim(t.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    const std::string where = s.key("fields") + " ('" + item + "')";
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Status::invalid(s.key("fields"), where + ": expected field=upstream[:type[:masking]]");
    }
    FieldMapping m;
    m.field = trim(item.substr(0, eq));
    std::string rest = trim(item.substr(eq + 1));
    std::string type, masking;
    if (size_t c1 = rest.find(':'); c1 != std::string::npos) {
      type = rest.substr(c1 + 1);
      rest = rest.substr(0, c1);
      if (size_t c2 = type.find(':'); c2 != std::string::npos) {
        masking = type.substr(c2 + 1);
        type = type.substr(0, c2);
      }
    }
    m.upstream = trim(rest);
    if (!valid_name(m.field)) {
      return Status::invalid(s.key("fields"), where + ": field names are [a-z0-9_]+");
    }
    if (m.upstream.empty() || m.upstream.size() > 200) {
      return Status::invalid(s.key("fields"), where + ": the upstream field name is missing");
    }
    if (!trim(type).empty()) {
      auto ft = catalog::parseFieldType(trim(type));
      if (!ft) return Status::invalid(s.key("fields"), where + ": unknown type '" + type + "'");
      m.type = *ft;
    }
    if (!trim(masking).empty()) {
      auto mr = catalog::parseMaskingRule(trim(masking));
      if (!mr)
        return Status::invalid(s.key("fields"), where + ": unknown masking '" + masking + "'");
      m.masking = *mr;
    }
    if (!seen.insert(m.field).second) {
      return Status::invalid(s.key("fields"), where + ": field '" + m.field + "' listed twice");
    }
    out.push_back(std::move(m));
  }
  if (seen.count(key_field) == 0) {
    return Status::invalid(s.key("key_field"),
                           s.key("key_field") + " '" + key_field + "' is not among the fields");
  }
  return out;
}

Result<ResilienceOptions> readResilience(const Settings& s) {
  ResilienceOptions o;
  auto retries = s.integer("retries", 2, 0, 10);
  if (!retries) return retries.status();
  o.retries = static_cast<int>(*retries);
  auto idempotent = s.boolean("idempotent", true);
  if (!idempotent) return idempotent.status();
  o.idempotent = *idempotent;
  auto base = s.ms("backoff_base_ms", 50, 0, 60000);
  if (!base) return base.status();
  o.backoff_base = *base;
  auto max = s.ms("backoff_max_ms", 1000, 0, 600000);
  if (!max) return max.status();
  o.backoff_max = *max;
  auto failures = s.integer("breaker_failures", 5, 1, 100000);
  if (!failures) return failures.status();
  o.breaker_failures = static_cast<int>(*failures);
  auto open = s.ms("breaker_open_ms", 5000, 1, 3600000);
  if (!open) return open.status();
  o.breaker_open = *open;
  auto concurrent = s.integer("max_concurrent", 32, 1, 100000);
  if (!concurrent) return concurrent.status();
  o.max_concurrent = static_cast<int>(*concurrent);
  auto ttl = s.ms("cache_ttl_ms", 0, 0, 86400000);
  if (!ttl) return ttl.status();
  o.cache_ttl = *ttl;
  auto entries = s.integer("cache_max_entries", 10000, 1, 10000000);
  if (!entries) return entries.status();
  o.cache_max_entries = static_cast<size_t>(*entries);
  return o;
}

using MakeTransport = Result<std::unique_ptr<Transport>> (*)(const Settings&,
                                                             const ConnectionSettings&);

class AdapterFactory : public catalog::RecordSourceFactory {
 public:
  AdapterFactory(std::string kind, MakeTransport make, std::set<std::string> own_keys)
      : kind_(std::move(kind)), make_(make), own_keys_(std::move(own_keys)) {}

  std::string kind() const override { return kind_; }

  Result<std::unique_ptr<catalog::RecordSource>> create(
      const catalog::RecordSourceConfig& config) const override {
    auto upstream_it = config.settings.find("upstream");
    const std::string upstream =
        upstream_it == config.settings.end() ? config.name : upstream_it->second;
    Settings s(upstream, config.settings);
    std::set<std::string> known = {"upstream",
                                   "endpoint",
                                   "connect_timeout_ms",
                                   "request_timeout_ms",
                                   "pool_size",
                                   "max_response_bytes",
                                   "username",
                                   "password",
                                   "token",
                                   "tls_verify",
                                   "tls_ca_file",
                                   "tls_cert_file",
                                   "tls_key_file",
                                   "key_field",
                                   "fields",
                                   "retries",
                                   "idempotent",
                                   "backoff_base_ms",
                                   "backoff_max_ms",
                                   "breaker_failures",
                                   "breaker_open_ms",
                                   "max_concurrent",
                                   "cache_ttl_ms",
                                   "cache_max_entries"};
    known.insert(own_keys_.begin(), own_keys_.end());
    if (Status st = s.onlyKnown(known); !st) return st;
    auto key_field = s.str("key_field", true);
    if (!key_field) return key_field.status();
    auto mapping = parseMapping(s, *key_field);
    if (!mapping) return mapping.status();
    auto resilience = readResilience(s);
    if (!resilience) return resilience.status();
    auto connection = readConnectionSettings(s);
    if (!connection) return connection.status();
    auto transport = make_(s, *connection);
    if (!transport) return transport.status();
    return std::unique_ptr<catalog::RecordSource>(
        std::make_unique<AdapterSource>(upstream, kind_, config.name, *key_field,
                                        std::move(*mapping), std::move(*transport), *resilience));
  }

 private:
  std::string kind_;
  MakeTransport make_;
  std::set<std::string> own_keys_;
};

}  // namespace

Status registerAdapterFactories(catalog::RecordSourceRegistry& registry) {
  if (Status s = registry.registerFactory(std::make_unique<AdapterFactory>(
          "rest", makeRestTransport, std::set<std::string>{"path", "record_path"}));
      !s) {
    return s;
  }
  if (Status s = registry.registerFactory(std::make_unique<AdapterFactory>(
          "soap", makeSoapTransport,
          std::set<std::string>{"operation", "namespace", "soap_action", "key_element",
                                "record_element"}));
      !s) {
    return s;
  }
  return registry.registerFactory(std::make_unique<AdapterFactory>(
      "thrift", makeThriftTransport, std::set<std::string>{"service"}));
}

}  // namespace tongban::adapters
