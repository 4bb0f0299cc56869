// A cache of values loaded from the catalog (grants, resources) that a change can invalidate at
// once, on this node or — through ChangeListener (change_listener.h) — on every node.
//
// Entries live at most `ttl`. invalidate() and clear() drop entries and advance an epoch; a load
// that began before the epoch moved (a lookup racing with a revocation) returns its value to its
// own caller but never stores it, so a revoked grant cannot be cached again after the
// invalidation that announced the revocation. While untrusted (setTrusted(false): the node cannot
// hear change notifications) nothing is stored and every get() loads. Values are shared,
// immutable snapshots: a hit costs a lock and a reference count, not a copy. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "tongban/common/result.h"

namespace tongban::catalog {

template <typename Key, typename Value>
class InvalidatingCache {
 public:
  using Ptr = std::shared_ptr<const Value>;
  using SteadyClock = std::chrono::steady_clock;

  explicit InvalidatingCache(std::chrono::milliseconds ttl, size_t max_entries = 50000)
      : ttl_ms_(ttl.count()), max_entries_(max_entries) {}

  // The cached value, or load()'s (a Result<Value>), which is stored if it succeeded, the cache
  // is trusted and no invalidation happened since this call began. A failed load is returned
  // and not stored.
  template <typename Load>
  Result<Ptr> get(const Key& key, Load&& load) {
    const auto ttl = std::chrono::milliseconds(ttl_ms_.load());
    uint64_t epoch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      epoch = epoch_;
      auto it = entries_.find(key);
      if (it != entries_.end() && SteadyClock::now() - it->second.second < ttl) {
        return it->second.first;
      }
    }
    const auto started = SteadyClock::now();
    auto loaded = load();
    if (!loaded) return loaded.status();
    Ptr value = std::make_shared<const Value>(std::move(*loaded));
    std::lock_guard<std::mutex> lock(mutex_);
    if (epoch != epoch_ || !trusted_ || ttl.count() <= 0) return value;
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_[key] = {value, started};  // aged from before the load: never outlives the ttl
    return value;
  }

  // Drops `key` and advances the epoch.
  void invalidate(const Key& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.erase(key);
    ++epoch_;
  }

  // Drops everything and advances the epoch.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    ++epoch_;
  }

  // Untrusting also clears. Trust a cache only once changes are heard (clear it then: changes
  // made while deaf are lost).
  void setTrusted(bool trusted) {
    std::lock_guard<std::mutex> lock(mutex_);
    trusted_ = trusted;
    entries_.clear();
    ++epoch_;
  }

  void setTtl(std::chrono::milliseconds ttl) {
    ttl_ms_ = ttl.count();
    clear();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }

 private:
  std::atomic<int64_t> ttl_ms_;
  const size_t max_entries_;
  mutable std::mutex mutex_;  // guards entries_, epoch_, trusted_
  std::map<Key, std::pair<Ptr, SteadyClock::time_point>> entries_;
  uint64_t epoch_ = 0;
  bool trusted_ = true;
};

}  // namespace tongban::catalog
