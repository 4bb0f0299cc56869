// The replay guard's memory shared by every exchange node: a signed request's (key id, nonce) is
// claimed once, in PostgreSQL (exchange.request_nonces, an UNLOGGED table, migration 0011), so that
// a request replayed to another node, or to this one after a restart, is refused within the clock
// skew window (docs/request-signing.md). RequestAuthenticator keeps an in-process NonceCache in
// front of it, which catches replays to the same node without a round trip.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::exchange {

class NonceStore {
 public:
  virtual ~NonceStore() = default;

  // Records (key_id, nonce) until `expires_at` (unix seconds). True when the pair was new (or its
  // earlier record had expired by `now`); false when it is a replay. kUnavailable when the store
  // cannot be reached: the caller must then refuse the request (fail closed). Thread-safe.
  virtual Result<bool> claim(const std::string& key_id, const std::string& nonce,
                             int64_t expires_at, int64_t now) = 0;
};

// NonceStore in exchange.request_nonces. Expired rows are deleted by whichever call first finds
// `purge_every` elapsed since the last purge. Thread-safe; borrows connections from `pool`.
class PgNonceStore : public NonceStore {
 public:
  explicit PgNonceStore(db::ConnectionPool& pool,
                        std::chrono::seconds purge_every = std::chrono::seconds(60));

  // NonceStore
  Result<bool> claim(const std::string& key_id, const std::string& nonce, int64_t expires_at,
                     int64_t now) override;

 private:
  db::ConnectionPool& pool_;
  const int64_t purge_every_s_;
  std::atomic<int64_t> next_purge_{0};  // unix seconds; a CAS elects the purging call
};

}  // namespace tongban::exchange
