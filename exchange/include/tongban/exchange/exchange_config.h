// The exchange's settings, read from a Config (INI file + TONGBAN_* environment overrides) and
// checked once at start-up. docs/configuration.md lists every key; keep the two in step.
#pragma once

#include <cstdint>
#include <string>

#include <vector>

#include "tongban/adapters/adapter_config.h"
#include "tongban/common/config.h"
#include "tongban/common/result.h"

namespace tongban::exchange {

struct ExchangeConfig {
  // [server]
  std::string host = "127.0.0.1";
  uint16_t port = 8080;              // 0: any free port (tests)
  int max_threads = 64;              // connections served at once (one thread per connection)
  int max_queued = 256;              // accepted connections waiting for a thread
  int64_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  int keep_alive_timeout_s = 15;
  // A request head or body that stalls this long closes the connection.
  int read_timeout_s = 10;
  // Peers (IP addresses, comma-separated) whose X-Tongban-Client-Cert header is believed: the
  // front door. Empty: nobody's, so applications bound to a client certificate are refused.
  std::string trusted_proxies;
  // 0: no cap (behind the front door every connection comes from it).
  int max_connections_per_address = 0;
  int shutdown_grace_s = 10;  // SIGTERM: time in-flight requests get to finish
  std::string port_file;      // if set, the bound port is written there once listening
  // [database]
  std::string database_url;        // libpq conninfo or URI; required. serve's: the runtime role
  std::string database_owner_url;  // migrate's (the owner role); empty: database_url
  int pool_size = 16;
  int pool_acquire_timeout_ms = 2000;
  bool migrate_on_start = true;
  // [security]
  std::string master_key;      // base64 of 32 bytes; seals applications' secrets; serve needs it
  int max_clock_skew_s = 300;  // signed requests' timestamps may be this far off
  int key_cache_ms = 5000;     // a disabled key or application is refused within this
  int unknown_key_cache_ms = 1000;  // an unknown key id is answered from memory this long
  int grant_cache_ms = 2000;        // grants cached this long; changes drop them at once (LISTEN)
  // [audit]
  std::string audit_node_id = "node-1";  // one hash chain per exchange node
  int audit_max_batch = 512;
  int audit_commit_delay_us = 0;
  int64_t audit_checkpoint_entries = 10000;
  int64_t audit_checkpoint_s = 60;
  std::string audit_checkpoint_key_file;  // encrypted PKCS#8 PEM; empty: no checkpoints
  std::string audit_checkpoint_key_passphrase;
  // [pki]
  std::string pki_dir;         // the hub's PKI (tongban-admin pki init); empty: no certificate hub
  std::string pki_passphrase;  // encrypts its keys; required with pki_dir
  // [holders]
  std::string holder_idp_public_key_file;  // PEM; empty: holder endpoints answer 503
  std::string holder_audience = "tongban";
  // [verification] (docs/verification-serving.md)
  bool verification_enabled = true;        // false: no index is loaded, /v1/verify* answer 503
  int verification_stale_after_ms = 5000;  // answers are marked stale past this database silence
  int verification_thrift_port = -1;       // -1 (unset): no Thrift server; 0: any free port (tests)
  int verification_max_batch = 10000;      // checks per batch call (HTTP and Thrift)
  int64_t verification_max_body_bytes = 4 << 20;          // POST /v1/verify/batch body limit
  int64_t verification_thrift_max_frame_bytes = 4 << 20;  // larger Thrift frames close the
                                                          // connection
  int verification_thrift_max_connections = 256;          // more wait for one to close
  int verification_thrift_idle_timeout_s = 30;            // a connection silent this long is closed
  bool verification_audit = true;  // false: benchmarks only, checks are not audited
  // false: answers carry no receipt (benchmarks); receipts need pki.dir (docs/receipts.md)
  bool verification_receipts = true;
  // [console] (docs/console.md)
  int console_idle_timeout_s = 900;        // a session unused this long ends
  int console_absolute_timeout_s = 28800;  // a session ends this long after login, used or not
  int console_max_failed_logins = 5;       // wrong passwords in a row before the account locks
  int console_lockout_s = 900;             // how long it stays locked
  // [log]
  std::string log_level = "info";
  std::string log_path;  // empty: stdout
  bool access_log = true;
  // [adapters] and [adapter.NAME]: ministry systems reached live (docs/adapters.md)
  std::vector<adapters::AdapterInstance> adapters;
};

// kInvalidArgument naming the key when a value is missing or out of range.
Result<ExchangeConfig> loadExchangeConfig(const Config& config);

// What `serve` needs beyond what `migrate` does: the master key.
Status checkServeConfig(const ExchangeConfig& config);

}  // namespace tongban::exchange
