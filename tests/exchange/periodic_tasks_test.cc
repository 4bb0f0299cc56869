// PeriodicTasks (exchange/src/background_tasks.h): a task due at start runs without waiting a
// period, stop() wakes a task sleeping through a long period instead of waiting it out, and no task
// starts after stop(). Waits are on events with a generous bound, never on elapsed time.
#include "background_tasks.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

namespace tongban::exchange {
namespace {

constexpr auto kBound = std::chrono::seconds(30);  // only a hang reaches this
// Longer than kBound, so that a stop() that fails to wake a task fails the test (after one period)
// rather than passing; short enough that such a failure does not hang the suite.
constexpr auto kLongPeriod = std::chrono::seconds(120);

TEST(PeriodicTasks, ATaskDueAtStartRunsAtOnceAndStopWakesItsSleep) {
  PeriodicTasks tasks;
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  tasks.every(kLongPeriod, true, [&] {
    std::lock_guard<std::mutex> lock(mu);
    ++runs;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kBound, [&] { return runs >= 1; }));
  }
  // The task now sleeps for a period; stop() must end that sleep rather than wait it out.
  auto stopped = std::async(std::launch::async, [&] { tasks.stop(); });
  ASSERT_EQ(stopped.wait_for(kBound), std::future_status::ready);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(runs, 1);
}

TEST(PeriodicTasks, ATaskNotDueAtStartDoesNotRunBeforeStopAndNoneStartsAfter) {
  PeriodicTasks tasks;
  std::atomic<int> runs{0};
  tasks.every(kLongPeriod, false, [&] { ++runs; });
  auto stopped = std::async(std::launch::async, [&] { tasks.stop(); });
  ASSERT_EQ(stopped.wait_for(kBound), std::future_status::ready);
  tasks.every(kLongPeriod, true, [&] { ++runs; });  // after stop: ignored
  tasks.stop();                                     // idempotent
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace tongban::exchange
