// Reading one adapter instance's settings (RecordSourceConfig::settings) with errors that name
// the configuration key ("adapter.household.request_timeout_ms").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "tongban/common/result.h"

namespace tongban::adapters {

class Settings {
 public:
  Settings(std::string upstream, const std::map<std::string, std::string>& values)
      : upstream_(std::move(upstream)), values_(values) {}

  const std::string& upstream() const { return upstream_; }
  std::string key(const std::string& name) const { return "adapter." + upstream_ + "." + name; }

  Result<std::string> str(const std::string& name, bool required,
                          const std::string& fallback = "") const;
  Result<int64_t> integer(const std::string& name, int64_t fallback, int64_t min,
                          int64_t max) const;
  Result<std::chrono::milliseconds> ms(const std::string& name, int64_t fallback, int64_t min,
                                       int64_t max) const;
  Result<bool> boolean(const std::string& name, bool fallback) const;
  // kInvalidArgument naming the first setting that is not in `known`.
  Status onlyKnown(const std::set<std::string>& known) const;

 private:
  std::string upstream_;
  const std::map<std::string, std::string>& values_;
};

// The settings every kind shares.
struct ConnectionSettings {
  std::string endpoint;  // rest/soap: http(s)://host:port/path; thrift: host:port
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds request_timeout{3000};
  int pool_size = 8;  // idle kept-alive connections kept for reuse
  size_t max_response_bytes = 1 << 20;
  std::string username, password, token;
  bool tls_verify = true;
  // Whether a request the upstream may have received can be sent again (a kept-alive connection
  // that turned out closed after the request went): the instance's `idempotent` setting.
  bool idempotent = true;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
};

Result<ConnectionSettings> readConnectionSettings(const Settings& s);

}  // namespace tongban::adapters
