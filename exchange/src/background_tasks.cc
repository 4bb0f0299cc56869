// The server's periodic work (background_tasks.h).
#include "background_tasks.h"

#include <cstdint>
#include <utility>

#include "server_state.h"
#include "tongban/common/log.h"

namespace tongban::exchange {

void PeriodicTasks::every(std::chrono::seconds period, bool run_at_start,
                          std::function<void()> task) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (stopped_) return;
  threads_.emplace_back([this, period, run_at_start, task = std::move(task)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!run_at_start && wake_.wait_for(lock, period, [this] { return stopped_; })) return;
    do {
      lock.unlock();
      task();
      lock.lock();
    } while (!wake_.wait_for(lock, period, [this] { return stopped_; }));
  });
}

void PeriodicTasks::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopped_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& t : threads) t.join();
}

void startServerTasks(ServerState& state, PeriodicTasks& tasks) {
  // Nonces past the clock-skew window are deleted once a minute.
  tasks.every(std::chrono::seconds(60), false, [&state] {
    auto n = state.nonces->purgeExpired(unixNow());
    if (!n) {
      logJson(*state.log, Poco::Message::PRIO_WARNING, "nonce purge failed",
              {{"error", n.status().message()}});
    }
  });
  // Summaries of unauthenticated refusals are written when their minute is over.
  tasks.every(std::chrono::seconds(5), false,
              [&state] { auditRefusalSummaries(state, state.refusals.drain(unixNow(), false)); });
  if (state.services.certs) {
    // Certificates past their validity end are marked expired, with their log leaves, once a
    // minute (and once at start).
    tasks.every(std::chrono::seconds(60), true, [&state] {
      auto n = state.services.certs->certificates->expireDue("system:expiry");
      if (!n) {
        logJson(*state.log, Poco::Message::PRIO_WARNING, "certificate expiry failed",
                {{"error", n.status().message()}});
      } else if (*n > 0) {
        logJson(*state.log, Poco::Message::PRIO_NOTICE, "certificates expired",
                {{"count", static_cast<int64_t>(*n)}});
      }
    });
  }
}

}  // namespace tongban::exchange
