// The resilience parts every adapter instance has (docs/adapters.md): a circuit breaker, jittered
// exponential backoff between retries, a bulkhead (a cap on calls in flight) and a response cache
// with a time to live. Each takes its clock (and the backoff its randomness) from the caller, so
// that the unit tests drive them with an injected clock instead of sleeping.
//
// All four are thread-safe: one adapter instance serves every request thread at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tongban::adapters {

using SteadyClock = std::chrono::steady_clock;
// The time now (SteadyClock::now in production; a test's hand-moved clock in tests).
using NowFn = std::function<SteadyClock::time_point()>;

// Closed: calls go through, consecutive failures are counted; `failure_threshold` of them in a
// row open it. Open: calls are refused at once (no upstream traffic) for `open_for`. Half-open:
// after that, one trial call at a time is let through; its success closes the breaker, its
// failure opens it for another `open_for`.
class CircuitBreaker {
 public:
  enum class State { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
  struct Options {
    int failure_threshold = 5;
    std::chrono::milliseconds open_for{5000};
  };

  explicit CircuitBreaker(Options options, NowFn now = SteadyClock::now);

  // Whether a call may go now. True in closed; in open, false until `open_for` has passed, then
  // (half-open) true for exactly one caller until that caller reports onSuccess/onFailure.
  bool allow();
  // The outcome of a call that allow() let through.
  void onSuccess();
  void onFailure();
  // The state as a caller would meet it now (open whose time is up reads as half-open).
  State state() const;
  // How many times the breaker has opened.
  uint64_t timesOpened() const { return times_opened_.load(); }

 private:
  const Options options_;
  const NowFn now_;
  mutable std::mutex mutex_;  // guards the four below
  State state_ = State::kClosed;
  int failures_ = 0;
  SteadyClock::time_point open_until_{};
  bool trial_in_flight_ = false;
  std::atomic<uint64_t> times_opened_{0};
};

const char* toString(CircuitBreaker::State state);

// "Full jitter" exponential backoff: the wait before retry n (1, 2, ...) is uniform in
// [0, min(max, base * 2^(n-1))]. `uniform01` returns a number in [0, 1).
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max,
          std::function<double()> uniform01);
  std::chrono::milliseconds delay(int retry) const;
  // The upper bound delay(retry) is drawn under.
  std::chrono::milliseconds ceiling(int retry) const;

 private:
  std::chrono::milliseconds base_, max_;
  std::function<double()> uniform01_;
};

// At most `limit` calls in flight; the next is refused at once rather than queued, so a slow
// upstream holds at most `limit` of the exchange's threads.
class Bulkhead {
 public:
  explicit Bulkhead(int limit) : limit_(limit) {}
  // True and one permit taken, or false (full: counted in rejected()).
  bool tryEnter();
  void leave() { in_flight_.fetch_sub(1); }
  int inFlight() const { return in_flight_.load(); }
  uint64_t rejected() const { return rejected_.load(); }
  int limit() const { return limit_; }

 private:
  const int limit_;
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> rejected_{0};
};

// Values by key for `ttl`, at most `max_entries` (when full, expired entries are dropped first,
// then everything: a crude bound, not an LRU). A ttl of zero caches nothing.
template <typename Value>
class TtlCache {
 public:
  TtlCache(std::chrono::milliseconds ttl, size_t max_entries, NowFn now = SteadyClock::now)
      : ttl_(ttl), max_entries_(max_entries), now_(std::move(now)) {}

  bool enabled() const { return ttl_.count() > 0; }

  std::optional<Value> get(const std::string& key) const {
    if (!enabled()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.first <= now_()) return std::nullopt;
    return it->second.second;
  }

  void put(const std::string& key, Value value) {
    if (!enabled()) return;
    const auto now = now_();
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= max_entries_ && entries_.count(key) == 0) {
      for (auto it = entries_.begin(); it != entries_.end();) {
        it = it->second.first <= now ? entries_.erase(it) : std::next(it);
      }
      if (entries_.size() >= max_entries_) entries_.clear();
    }
    entries_[key] = {now + ttl_, std::move(value)};
  }

 private:
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  const NowFn now_;
  mutable std::mutex mutex_;  // guards entries_
  std::map<std::string, std::pair<SteadyClock::time_point, Value>> entries_;
};

}  // namespace tongban::adapters
