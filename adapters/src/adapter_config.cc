#include "tongban/adapters/adapter_config.h"

#include <set>

namespace tongban::adapters {

const std::vector<std::string>& adapterSettingKeys() {
  static const std::vector<std::string> kKeys = {"endpoint",
                                                 "connect_timeout_ms",
                                                 "request_timeout_ms",
                                                 "pool_size",
                                                 "max_response_bytes",
                                                 "username",
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
                                                 "cache_max_entries",
                                                 "path",
                                                 "record_path",
                                                 "operation",
                                                 "namespace",
                                                 "soap_action",
                                                 "key_element",
                                                 "record_element",
                                                 "service"};
  return kKeys;
}

Result<std::vector<AdapterInstance>> readAdapterInstances(const Config& config) {
  std::vector<AdapterInstance> out;
  const std::string list = config.getString("adapters.instances");
  std::set<std::string> seen;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    std::string name = list.substr(pos, comma - pos);
    pos = comma + 1;
    const auto b = name.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    name = name.substr(b, name.find_last_not_of(" \t") - b + 1);
    bool ok = name.size() <= 63;
    for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) {
      return Status::invalid("adapters.instances",
                             "adapters.instances: '" + name + "' is not a name of [a-z0-9_]+");
    }
    if (!seen.insert(name).second) {
      return Status::invalid("adapters.instances",
                             "adapters.instances: '" + name + "' is listed twice");
    }
    AdapterInstance a;
    a.instance = name;
    const std::string prefix = "adapter." + name + ".";
    a.kind = config.getString(prefix + "kind");
    a.source = config.getString(prefix + "source");
    a.owner = config.getString(prefix + "owner");
    if (a.kind.empty()) return Status::invalid(prefix + "kind", prefix + "kind is required");
    if (a.source.empty()) return Status::invalid(prefix + "source", prefix + "source is required");
    for (const std::string& key : adapterSettingKeys()) {
      std::string v = config.getString(prefix + key);
      if (!v.empty()) a.settings[key] = std::move(v);
    }
    for (const char* secret : {"password", "token"}) {
      auto value = config.getSecret(prefix + secret);
      if (!value) return value.status();
      if (!value->empty()) a.settings[secret] = *value;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace tongban::adapters
