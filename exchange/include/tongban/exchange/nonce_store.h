// The replay guard's memory shared by every exchange node: a signed request's (key id, nonce) is
// claimed once, in PostgreSQL (exchange.request_nonces, an UNLOGGED table, migration 0011), so that
// a request replayed to another node, or to this one after a restart, is refused within the clock
// skew window (docs/request-signing.md). RequestAuthenticator keeps an in-process NonceCache in
// front of it, which catches replays to the same node without a round trip.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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

// NonceStore in exchange.request_nonces. Thread-safe.
//
// Claims are group-committed, like the audit log: a thread of its own, on a connection of its
// own (so that it never queues behind requests for a pooled one), takes every claim queued while
// the previous statement ran and sends them as ONE statement (unnest of three arrays, RETURNING
// the pairs it stored), so concurrent requests share a round trip. Invariants:
//   1. A claim is answered exactly once: true only when its row was inserted (or renewed) by the
//      statement of its batch; a second claim of the same pair in one batch is a replay (false)
//      without reaching the database.
//   2. A failed statement answers every claim of its batch kUnavailable (fail closed).
class PgNonceStore : public NonceStore {
 public:
  // Claims use a connection of their own to `conninfo` (reopened after a failure); purges borrow
  // one from `pool`.
  PgNonceStore(db::ConnectionPool& pool, std::string conninfo);
  ~PgNonceStore() override;  // answers queued claims kUnavailable, joins the thread

  // NonceStore
  Result<bool> claim(const std::string& key_id, const std::string& nonce, int64_t expires_at,
                     int64_t now) override;

  // Deletes the rows expired by `now`; returns how many. The server calls it once a minute from
  // a thread of its own, so that no request waits for it.
  Result<int64_t> purgeExpired(int64_t now);

 private:
  struct Claim;
  void run();
  void claimBatch(std::deque<std::shared_ptr<Claim>>& batch);

  db::ConnectionPool& pool_;
  const std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;  // the store's thread only
  std::mutex mu_;                           // guards queue_ and stopping_
  std::condition_variable cv_;              // wakes the store's thread
  std::deque<std::shared_ptr<Claim>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tongban::exchange
