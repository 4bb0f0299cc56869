// Request metrics in the Prometheus text exposition format (version 0.0.4).
//
// Routes are registered once at start-up; recording is lock-free (relaxed atomics), so it costs a
// few nanoseconds on the request path. Per route: a request counter for each status code and a
// latency histogram. Gauges (in-flight requests, pool usage) are read at scrape time through
// callbacks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tongban::exchange {

class Metrics {
 public:
  // Latency histogram upper bounds, seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  // Registers a route label and returns its index. Not thread-safe: call before serving.
  size_t addRoute(const std::string& label);

  // Thread-safe.
  void record(size_t route, int status, double seconds);

  struct Gauge {
    std::string
        name;  // full metric name, with labels if any: tongban_db_pool_connections{state="idle"}
    std::string help;
    std::function<double()> read;
  };
  // A family of values read at scrape time; type is "gauge" or "counter". Not thread-safe: call
  // before serving.
  void addGauge(std::string family, std::string type, std::string help, std::vector<Gauge> samples);

  // The whole exposition. Thread-safe.
  std::string render() const;

 private:
  struct Route {
    std::string label;
    std::array<std::atomic<uint64_t>, 600> by_status{};                // index = HTTP status code
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last = +Inf
    std::atomic<uint64_t> sum_micros{0};
  };
  struct GaugeFamily {
    std::string family, type, help;
    std::vector<Gauge> samples;
  };
  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<GaugeFamily> gauges_;
};

}  // namespace tongban::exchange
