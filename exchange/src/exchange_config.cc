#include "tongban/exchange/exchange_config.h"

namespace tongban::exchange {

namespace {

template <typename T>
Status readInt(const Config& c, const std::string& key, T* out, int64_t min, int64_t max) {
  auto v = c.getInt(key, static_cast<int64_t>(*out), min, max);
  if (!v) return v.status();
  *out = static_cast<T>(*v);
  return Status::ok();
}

Status readBool(const Config& c, const std::string& key, bool* out) {
  auto v = c.getBool(key, *out);
  if (!v) return v.status();
  *out = *v;
  return Status::ok();
}

}  // namespace

Result<ExchangeConfig> loadExchangeConfig(const Config& c) {
  ExchangeConfig e;
  e.host = c.getString("server.host", e.host);
  e.port_file = c.getString("server.port_file", "");
  e.database_url = c.getString("database.url", "");
  e.database_owner_url = c.getString("database.owner_url", "");
  e.log_level = c.getString("log.level", e.log_level);
  e.log_path = c.getString("log.path", "");
  e.audit_node_id = c.getString("audit.node_id", e.audit_node_id);
  e.audit_checkpoint_key_file = c.getString("audit.checkpoint_key_file", "");
  e.pki_dir = c.getString("pki.dir", "");
  e.holder_idp_public_key_file = c.getString("holders.idp_public_key_file", "");
  e.holder_audience = c.getString("holders.audience", e.holder_audience);
  e.trusted_proxies = c.getString("server.trusted_proxies", "");
  for (auto [key, out] :
       {std::pair{"security.master_key", &e.master_key},
        std::pair{"pki.passphrase", &e.pki_passphrase},
        std::pair{"audit.checkpoint_key_passphrase", &e.audit_checkpoint_key_passphrase}}) {
    auto secret = c.getSecret(key);
    if (!secret) return secret.status();
    *out = std::move(*secret);
  }
  for (Status s : {
           readInt(c, "server.port", &e.port, 0, 65535),
           readInt(c, "server.max_threads", &e.max_threads, 1, 4096),
           readInt(c, "server.max_queued", &e.max_queued, 1, 65536),
           readInt(c, "server.max_body_bytes", &e.max_body_bytes, 1, int64_t{1} << 30),
           readInt(c, "server.keep_alive_timeout_s", &e.keep_alive_timeout_s, 1, 3600),
           readInt(c, "server.shutdown_grace_s", &e.shutdown_grace_s, 0, 3600),
           readInt(c, "server.read_timeout_s", &e.read_timeout_s, 1, 600),
           readInt(c, "server.max_connections_per_address", &e.max_connections_per_address, 0,
                   65536),
           readInt(c, "database.pool_size", &e.pool_size, 1, 1000),
           readInt(c, "database.acquire_timeout_ms", &e.pool_acquire_timeout_ms, 1, 600000),
           readBool(c, "database.migrate_on_start", &e.migrate_on_start),
           readBool(c, "log.access", &e.access_log),
           readInt(c, "security.max_clock_skew_s", &e.max_clock_skew_s, 1, 3600),
           readInt(c, "security.key_cache_ms", &e.key_cache_ms, 0, 600000),
           readInt(c, "security.unknown_key_cache_ms", &e.unknown_key_cache_ms, 0, 60000),
           readInt(c, "security.grant_cache_ms", &e.grant_cache_ms, 0, 600000),
           readInt(c, "audit.max_batch", &e.audit_max_batch, 1, 100000),
           readInt(c, "audit.commit_delay_us", &e.audit_commit_delay_us, 0, 100000),
           readInt(c, "audit.checkpoint_every_entries", &e.audit_checkpoint_entries, 1,
                   int64_t{1} << 40),
           readInt(c, "audit.checkpoint_every_s", &e.audit_checkpoint_s, 1, 86400),
           readInt(c, "verification.thrift_port", &e.verification_thrift_port, -1, 65535),
           readInt(c, "verification.max_batch", &e.verification_max_batch, 1, 100000),
           readInt(c, "verification.max_body_bytes", &e.verification_max_body_bytes, 1024,
                   int64_t{1} << 30),
           readInt(c, "verification.thrift_max_frame_bytes", &e.verification_thrift_max_frame_bytes,
                   1024, int64_t{1} << 30),
           readInt(c, "verification.thrift_max_connections", &e.verification_thrift_max_connections,
                   1, 65536),
           readInt(c, "verification.thrift_idle_timeout_s", &e.verification_thrift_idle_timeout_s,
                   1, 3600),
           readBool(c, "verification.audit", &e.verification_audit),
           readBool(c, "verification.receipts", &e.verification_receipts),
           readBool(c, "verification.enabled", &e.verification_enabled),
           readInt(c, "verification.stale_after_ms", &e.verification_stale_after_ms, 100, 3600000),
           readInt(c, "console.idle_timeout_s", &e.console_idle_timeout_s, 60, 86400),
           readInt(c, "console.absolute_timeout_s", &e.console_absolute_timeout_s, 300, 7 * 86400),
           readInt(c, "console.max_failed_logins", &e.console_max_failed_logins, 1, 100),
           readInt(c, "console.lockout_s", &e.console_lockout_s, 1, 86400),
       }) {
    if (!s) return s;
  }
  if (e.host.empty()) return Status::invalid("server.host", "must not be empty");
  if (e.database_url.empty()) {
    return Status::invalid("database.url",
                           "no database configured: set database.url in the configuration file "
                           "or TONGBAN_DATABASE_URL");
  }
  if (e.audit_node_id.empty() || e.audit_node_id.size() > 64) {
    return Status::invalid("audit.node_id", "must be 1 to 64 characters");
  }
  if (!e.pki_dir.empty() && e.pki_passphrase.empty()) {
    return Status::invalid("pki.passphrase",
                           "required with pki.dir (the hub's keys are encrypted): set "
                           "pki.passphrase_file (or pki.passphrase)");
  }
  if (!e.audit_checkpoint_key_file.empty() && e.audit_checkpoint_key_passphrase.empty()) {
    return Status::invalid("audit.checkpoint_key_passphrase",
                           "required with audit.checkpoint_key_file (the key file is encrypted): "
                           "set audit.checkpoint_key_passphrase_file (or "
                           "audit.checkpoint_key_passphrase)");
  }
  auto adapter_instances = adapters::readAdapterInstances(c);
  if (!adapter_instances) return adapter_instances.status();
  e.adapters = std::move(*adapter_instances);
  return e;
}

Status checkServeConfig(const ExchangeConfig& e) {
  if (e.master_key.empty()) {
    return Status::invalid(
        "security.master_key",
        "no master key configured: set security.master_key_file to a file (mode 0600) holding "
        "the output of `openssl rand -base64 32` (or security.master_key, or "
        "TONGBAN_SECURITY_MASTER_KEY)");
  }
  return Status::ok();
}

}  // namespace tongban::exchange
