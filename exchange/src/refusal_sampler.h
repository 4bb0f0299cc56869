// Sampling the audit of unauthenticated refusals, so that a flood of unsigned requests cannot fill
// the permanent audit log, and the reasons such refusals are counted under in the metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tongban::exchange {

// Refusals of unauthenticated requests (401 with no authenticated caller) are not audited one row
// each, or a flood would fill the permanent log: per key id (empty when the request named none)
// and minute, the first is audited in full and the rest are counted, then audited as one summary
// row when the minute is over. At most kMaxKeys distinct key ids per minute are sampled; the
// rest share the bucket "*". Thread-safe.
class RefusalSampler {
 public:
  static constexpr size_t kMaxKeys = 100;
  struct Summary {
    std::string key_id;
    uint64_t count = 0;  // refusals not audited one by one
    int64_t minute = 0;  // unix seconds at the start of the minute
  };

  // True when this refusal is to be audited in full. Summaries of minutes that are over are
  // appended to `done`.
  bool note(const std::string& key_id, int64_t now, std::vector<Summary>* done) {
    std::lock_guard<std::mutex> lock(mutex_);
    rollOver(now, false, done);
    auto it = counts_.find(key_id);
    if (it == counts_.end() && counts_.size() >= kMaxKeys) it = counts_.find("*");
    if (it == counts_.end()) {
      counts_.emplace(counts_.size() >= kMaxKeys ? "*" : key_id, 0);
      return true;
    }
    ++it->second;
    return false;
  }

  // Summaries of the minutes that are over (or of every minute, `all`, when stopping).
  std::vector<Summary> drain(int64_t now, bool all) {
    std::vector<Summary> done;
    std::lock_guard<std::mutex> lock(mutex_);
    rollOver(now, all, &done);
    return done;
  }

 private:
  void rollOver(int64_t now, bool all, std::vector<Summary>* done) {
    const int64_t minute = now - now % 60;
    if (!all && minute == minute_) return;
    for (const auto& [key, n] : counts_) {
      if (n > 0) done->push_back({key, n, minute_});
    }
    counts_.clear();
    minute_ = minute;
  }

  std::mutex mutex_;  // guards counts_, minute_
  std::unordered_map<std::string, uint64_t> counts_;
  int64_t minute_ = 0;
};

// Why an unauthenticated request was refused (metrics label). Refusals naming a key the registry
// knows (a bad signature, a replay, a disabled key, a clock off) are audited in full: they are
// about a real application. The others are sampled (RefusalSampler).
enum class Refusal {
  kNone,
  kNoCredentials,
  kMalformed,
  kUnknownKey,
  kKnownKey,
  kHolderToken,
  kConsoleSession
};
constexpr size_t kRefusalKinds = 7;
constexpr const char* kRefusalLabels[kRefusalKinds] = {
    "",          "no_credentials", "malformed",      "unknown_key",
    "known_key", "holder_token",   "console_session"};

}  // namespace tongban::exchange
