// Work the server does off the request path, on a timer: deleting expired request nonces,
// writing the audit summaries of sampled refusals, marking certificates past their validity end
// expired. PeriodicTasks runs each on a thread of its own and wakes them all at once on stop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tongban::exchange {

struct ServerState;

class PeriodicTasks {
 public:
  PeriodicTasks() = default;
  PeriodicTasks(const PeriodicTasks&) = delete;
  PeriodicTasks& operator=(const PeriodicTasks&) = delete;
  ~PeriodicTasks() { stop(); }

  // Runs `task` every `period` on a thread of its own until stop(); the first run is at once when
  // `run_at_start`, else after one period. Not after stop().
  void every(std::chrono::seconds period, bool run_at_start, std::function<void()> task);

  // Wakes every task's thread and joins it; a run in progress finishes first. Idempotent.
  void stop();

 private:
  std::mutex mutex_;  // guards stopped_; with wake_, ends the waits between runs
  std::condition_variable wake_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

// Starts the server's periodic work on `tasks`: the nonce purge (every 60 s), the refusal
// summaries (every 5 s) and, when the certificate hub is configured, certificate expiry (at once,
// then every 60 s). Failures are logged, not fatal.
void startServerTasks(ServerState& state, PeriodicTasks& tasks);

}  // namespace tongban::exchange
