#include "settings.h"

#include <cerrno>
#include <cstdlib>

namespace tongban::adapters {

Result<std::string> Settings::str(const std::string& name, bool required,
                                  const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) {
    if (required) return Status::invalid(key(name), key(name) + " is required");
    return fallback;
  }
  return it->second;
}

Result<int64_t> Settings::integer(const std::string& name, int64_t fallback, int64_t min,
                                  int64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return fallback;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (errno != 0 || end == it->second.c_str() || *end != '\0' || v < min || v > max) {
    return Status::invalid(key(name), key(name) + " must be an integer in [" + std::to_string(min) +
                                          ", " + std::to_string(max) + "], not '" + it->second +
                                          "'");
  }
  return static_cast<int64_t>(v);
}

Result<std::chrono::milliseconds> Settings::ms(const std::string& name, int64_t fallback,
                                               int64_t min, int64_t max) const {
  auto v = integer(name, fallback, min, max);
  if (!v) return v.status();
  return std::chrono::milliseconds(*v);
}

Result<bool> Settings::boolean(const std::string& name, bool fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return fallback;
  const std::string& v = it->second;
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return Status::invalid(key(name), key(name) + " must be true or false, not '" + v + "'");
}

Status Settings::onlyKnown(const std::set<std::string>& known) const {
  for (const auto& [name, value] : values_) {
    if (known.count(name) == 0) {
      return Status::invalid(key(name), key(name) + " is not a setting of this adapter kind");
    }
  }
  return Status::ok();
}

Result<ConnectionSettings> readConnectionSettings(const Settings& s) {
  ConnectionSettings c;
  auto endpoint = s.str("endpoint", true);
  if (!endpoint) return endpoint.status();
  c.endpoint = *endpoint;
  auto connect = s.ms("connect_timeout_ms", 1000, 1, 60000);
  if (!connect) return connect.status();
  c.connect_timeout = *connect;
  auto request = s.ms("request_timeout_ms", 3000, 1, 300000);
  if (!request) return request.status();
  c.request_timeout = *request;
  auto pool = s.integer("pool_size", 8, 0, 1024);
  if (!pool) return pool.status();
  c.pool_size = static_cast<int>(*pool);
  auto max_bytes = s.integer("max_response_bytes", 1 << 20, 1024, 64 << 20);
  if (!max_bytes) return max_bytes.status();
  c.max_response_bytes = static_cast<size_t>(*max_bytes);
  for (auto [name, out] :
       {std::pair{"username", &c.username}, std::pair{"password", &c.password},
        std::pair{"token", &c.token}, std::pair{"tls_ca_file", &c.tls_ca_file},
        std::pair{"tls_cert_file", &c.tls_cert_file}, std::pair{"tls_key_file", &c.tls_key_file}}) {
    auto v = s.str(name, false);
    if (!v) return v.status();
    *out = *v;
  }
  auto verify = s.boolean("tls_verify", true);
  if (!verify) return verify.status();
  c.tls_verify = *verify;
  auto idempotent = s.boolean("idempotent", true);
  if (!idempotent) return idempotent.status();
  c.idempotent = *idempotent;
  return c;
}

}  // namespace tongban::adapters
