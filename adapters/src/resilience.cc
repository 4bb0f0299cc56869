#include "tongban/adapters/resilience.h"

#include <algorithm>

namespace tongban::adapters {

CircuitBreaker::CircuitBreaker(Options options, NowFn now)
    : options_(options), now_(std::move(now)) {}

bool CircuitBreaker::allow() {
  std::lock_guard<std::mutex> lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now_() < open_until_) return false;
      state_ = State::kHalfOpen;
      trial_in_flight_ = true;
      return true;
    case State::kHalfOpen:
      if (trial_in_flight_) return false;
      trial_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::onSuccess() {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_ = 0;
  trial_in_flight_ = false;
  state_ = State::kClosed;
}

void CircuitBreaker::onFailure() {
  std::lock_guard<std::mutex> lock(mutex_);
  trial_in_flight_ = false;
  if (state_ == State::kOpen) return;  // a call let through before it opened
  if (state_ == State::kHalfOpen || ++failures_ >= options_.failure_threshold) {
    state_ = State::kOpen;
    open_until_ = now_() + options_.open_for;
    failures_ = 0;
    times_opened_.fetch_add(1);
  }
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kOpen && now_() >= open_until_) return State::kHalfOpen;
  return state_;
}

const char* toString(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max,
                 std::function<double()> uniform01)
    : base_(base), max_(max), uniform01_(std::move(uniform01)) {}

std::chrono::milliseconds Backoff::ceiling(int retry) const {
  if (retry < 1) return std::chrono::milliseconds(0);
  const int shift = std::min(retry - 1, 30);
  const int64_t grown = base_.count() << shift;
  return std::chrono::milliseconds(std::min<int64_t>(grown, max_.count()));
}

std::chrono::milliseconds Backoff::delay(int retry) const {
  const double u = std::clamp(uniform01_(), 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<int64_t>(u * static_cast<double>(ceiling(retry).count())));
}

bool Bulkhead::tryEnter() {
  int now = in_flight_.load();
  while (now < limit_) {
    if (in_flight_.compare_exchange_weak(now, now + 1)) return true;
  }
  rejected_.fetch_add(1);
  return false;
}

}  // namespace tongban::adapters
