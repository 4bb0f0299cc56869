// Authentication of signed requests (docs/request-signing.md) and the replay guard.
//
// A request is accepted when: the Authorization header parses; its timestamp is within
// `max_skew` of the server clock; the key is known, active, inside any overlap window, and its
// application is active; the HMAC matches (constant-time); and the (key, nonce) pair has not been
// seen within the skew window. The nonce is recorded only after the signature verifies, so a
// forger cannot burn a legitimate client's nonces. Every refusal is kUnauthenticated with a
// message that says which check failed. Thread-safe.
//
// The replay guard has two levels: an in-process NonceCache (a replay to the same node is refused
// without a round trip) and, when given, a NonceStore shared by every node (PostgreSQL), so that a
// replay to another node, or after a restart, is refused too. When the shared store cannot be
// reached the request is refused with kUnavailable (fail closed).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "tongban/common/result.h"
#include "tongban/directory/app_registry.h"
#include "tongban/exchange/nonce_store.h"
#include "tongban/exchange/request_signing.h"

namespace tongban::exchange {

struct Caller {
  std::string app_id;
  std::string department_code;
  std::string role;  // consumer | provider | admin
  std::string key_id;
  std::string client_cert_sha256;  // the client certificate the application is bound to, or ""
  // Set when authenticate() left the shared replay guard's claim to the caller (see there).
  std::string nonce;
  int64_t nonce_expires_at = 0;  // unix seconds
};

// Remembers (key id, nonce) pairs until they expire. Thread-safe.
class NonceCache {
 public:
  // True if the pair was not present (and is now, until expires_at); false for a replay.
  bool insertIfNew(const std::string& key, int64_t expires_at, int64_t now);
  size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mutex;  // guards seen, inserts
    std::unordered_map<std::string, int64_t> seen;
    uint64_t inserts = 0;
  };
  std::array<Shard, 16> shards_;
};

class RequestAuthenticator {
 public:
  // `shared_nonces` (not owned, may be null: this process's memory only) must outlive this.
  RequestAuthenticator(directory::AppRegistry& registry, std::chrono::seconds max_skew,
                       NonceStore* shared_nonces = nullptr);

  // `request.path` and `.query` as sent on the request line, `.host` and `.idempotency_key` the
  // headers as sent. On failure the Status is kUnauthenticated (or kUnavailable when the key or
  // nonce store cannot be read); `key_id_out` gets the claimed key id when the header named one,
  // for the audit log.
  //
  // With `defer_shared_claim`, the pair is checked against this process's memory only and the
  // returned Caller carries the nonce and its expiry: the caller must then claim it in the shared
  // guard before any of the answer leaves (the server does so in the request's audit entry,
  // audit::AuditEntry::nonce_claim, for methods that change nothing).
  Result<Caller> authenticate(const SignedRequest& request, std::string_view authorization,
                              int64_t now_unix, std::string* key_id_out,
                              bool defer_shared_claim = false);

  // The checks that need no body: the header parses, the timestamp is inside the window, the key
  // is known, active and inside any overlap window, and its application is active. The server
  // runs this before it reads a body, so a caller without a usable key never makes it read one
  // (authenticate() then checks the signature over the body). `unknown_key` is set when the
  // refusal is for a key id the registry does not know.
  Status precheck(std::string_view authorization, int64_t now_unix, std::string* key_id_out,
                  bool* unknown_key);

 private:
  Result<std::pair<ParsedAuthorization, directory::KeyInfo>> checkHead(
      std::string_view authorization, int64_t now, std::string* key_id_out, bool* unknown_key);

  directory::AppRegistry& registry_;
  const int64_t max_skew_;
  NonceCache nonces_;
  NonceStore* const shared_nonces_;
};

}  // namespace tongban::exchange
