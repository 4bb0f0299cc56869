// Per-grant rate quotas: a token bucket per grant id holding up to `per_minute` tokens, refilled
// at per_minute/60 per second, so a quota allows a minute's worth in a burst and that rate on
// average. Thread-safe; memory grows with the number of distinct grants in use.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace tongban::exchange {

class RateLimiter {
 public:
  // 0 when the request may proceed (a token is taken); otherwise the whole seconds until one
  // is available (for Retry-After). `now_seconds` is a monotonic clock in seconds.
  int64_t acquire(int64_t grant_id, int64_t per_minute, double now_seconds);

 private:
  struct Bucket {
    double tokens;
    double updated;
  };
  std::mutex mutex_;  // guards buckets_
  std::unordered_map<int64_t, Bucket> buckets_;
};

}  // namespace tongban::exchange
