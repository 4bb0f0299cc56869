#include "tongban/common/db_pool.h"

namespace tongban::db {

std::string withConnectTimeout(const std::string& conninfo, int seconds) {
  if (conninfo.find("://") != std::string::npos) return conninfo;  // URI: leave it alone
  if (conninfo.find("connect_timeout") != std::string::npos) return conninfo;
  return conninfo + " connect_timeout=" + std::to_string(seconds);
}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), discard_(other.discard_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ && conn_) pool_->release(std::move(conn_), discard_);
}

ConnectionPool::ConnectionPool(PoolOptions options) : options_(std::move(options)) {
  stats_.size = options_.size;
}

ConnectionPool::~ConnectionPool() = default;

Result<Lease> ConnectionPool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      ++stats_.acquired;
      return Lease(this, std::move(conn));
    }
    if (idle_.size() + in_use_ + opening_ < options_.size) break;  // room to open one
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        idle_.size() + in_use_ + opening_ >= options_.size) {
      ++stats_.timeouts;
      return Status::unavailable("all " + std::to_string(options_.size) +
                                 " database connections are busy (waited " +
                                 std::to_string(options_.acquire_timeout.count()) + " ms)");
    }
  }
  // Connect outside the lock: it takes a network round trip or several.
  ++opening_;
  lock.unlock();
  std::unique_ptr<pqxx::connection> conn;
  std::string error;
  try {
    conn = std::make_unique<pqxx::connection>(options_.conninfo);
    if (options_.on_connect) options_.on_connect(*conn);
  } catch (const std::exception& e) {
    conn.reset();
    error = e.what();
  }
  lock.lock();
  --opening_;
  if (!conn) {
    ++stats_.connect_failures;
    freed_.notify_one();  // the reserved slot is free again
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    return Status::unavailable("cannot connect to the database: " + error);
  }
  ++in_use_;
  ++stats_.acquired;
  return Lease(this, std::move(conn));
}

void ConnectionPool::release(std::unique_ptr<pqxx::connection> conn, bool discard) {
  bool keep = !discard && conn->is_open();
  std::unique_ptr<pqxx::connection> closing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_use_;
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      closing = std::move(conn);
    }
  }
  freed_.notify_one();
  // `closing` is destroyed here, outside the lock.
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats s = stats_;
  s.open = idle_.size() + in_use_;
  s.in_use = in_use_;
  return s;
}

}  // namespace tongban::db
