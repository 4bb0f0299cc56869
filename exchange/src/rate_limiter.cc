#include "tongban/exchange/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tongban::exchange {

int64_t RateLimiter::acquire(int64_t grant_id, int64_t per_minute, double now) {
  if (per_minute <= 0) return 60;
  const double capacity = static_cast<double>(per_minute);
  const double rate = capacity / 60.0;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(grant_id, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(capacity, b.tokens + (now - b.updated) * rate);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate)));
}

}  // namespace tongban::exchange
