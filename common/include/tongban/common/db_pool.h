// A thread-safe pool of libpqxx connections to one PostgreSQL database.
//
// Connections are opened lazily, up to `size`, and handed out as RAII leases; a lease returns its
// connection when destroyed. A connection found broken is dropped and replaced on a later acquire,
// so the pool recovers by itself after the database restarts. `on_connect` runs once per new
// connection (prepare statements there). All methods are thread-safe.
//
// Invariants (guarded by mutex_):
//   1. idle_.size() + in_use_ == open connections <= size.
//   2. A connection is either in idle_ or owned by exactly one Lease.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/common/result.h"

namespace tongban::db {

// conninfo with connect_timeout added when it has none (key=value form only), so that a database
// that does not answer fails a request in seconds rather than hanging.
std::string withConnectTimeout(const std::string& conninfo, int seconds);

struct PoolOptions {
  std::string conninfo;  // libpq connection string or URI
  size_t size = 8;
  std::chrono::milliseconds acquire_timeout{2000};
  std::function<void(pqxx::connection&)> on_connect;  // may throw pqxx exceptions
};

struct PoolStats {
  size_t size = 0;    // maximum connections
  size_t open = 0;    // connections currently open
  size_t in_use = 0;  // leased out
  uint64_t acquired = 0;
  uint64_t timeouts = 0;  // acquires that gave up waiting
  uint64_t connect_failures = 0;
};

class ConnectionPool;

// Exclusive use of one pooled connection. Movable, not copyable.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  pqxx::connection& operator*() { return *conn_; }
  pqxx::connection* operator->() { return conn_.get(); }
  // Marks the connection unusable: it is closed instead of returned.
  void discard() { discard_ = true; }

 private:
  friend class ConnectionPool;
  Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  ConnectionPool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  bool discard_ = false;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(PoolOptions options);
  ~ConnectionPool();  // Precondition: no lease outstanding.
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection, waiting up to acquire_timeout for one to be free. kUnavailable when the
  // database cannot be reached or the wait times out (the message says which).
  Result<Lease> acquire();

  PoolStats stats() const;
  const std::string& conninfo() const { return options_.conninfo; }

 private:
  friend class Lease;
  void release(std::unique_ptr<pqxx::connection> conn, bool discard);

  const PoolOptions options_;
  mutable std::mutex mutex_;  // guards idle_, in_use_, opening_, stats_
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t in_use_ = 0;
  size_t opening_ = 0;  // slots reserved by threads that are connecting
  PoolStats stats_;
};

// Runs fn(connection) on a pooled connection and turns libpqxx exceptions into a Status:
// broken connections → kUnavailable (and the connection is discarded), other SQL errors →
// kInternal. fn returns Result<T>.
template <typename Fn>
auto withConnection(ConnectionPool& pool, Fn&& fn)
    -> decltype(fn(std::declval<pqxx::connection&>())) {
  auto lease = pool.acquire();
  if (!lease) return lease.status();
  try {
    return fn(**lease);
  } catch (const pqxx::broken_connection& e) {
    lease->discard();
    return Status::unavailable(std::string("database connection lost: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    if (!(*lease)->is_open()) lease->discard();
    return Status::internal(std::string("database error: ") + e.what());
  } catch (const pqxx::failure& e) {
    lease->discard();
    return Status::unavailable(std::string("database failure: ") + e.what());
  }
}

}  // namespace tongban::db
