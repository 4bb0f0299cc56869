#include "tongban/exchange/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace tongban::exchange {
namespace {

bool hasLine(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(Metrics, CountsByRouteAndStatus) {
  Metrics m;
  size_t a = m.addRoute("/v1/a");
  size_t b = m.addRoute("/v1/b");
  m.record(a, 200, 0.001);
  m.record(a, 200, 0.001);
  m.record(a, 403, 0.001);
  m.record(b, 404, 0.001);
  std::string text = m.render();
  EXPECT_TRUE(hasLine(text, "tongban_http_requests_total{route=\"/v1/a\",status=\"200\"} 2"));
  EXPECT_TRUE(hasLine(text, "tongban_http_requests_total{route=\"/v1/a\",status=\"403\"} 1"));
  EXPECT_TRUE(hasLine(text, "tongban_http_requests_total{route=\"/v1/b\",status=\"404\"} 1"));
  // Statuses never seen are not exposed.
  EXPECT_EQ(text.find("route=\"/v1/b\",status=\"200\""), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  size_t r = m.addRoute("/r");
  m.record(r, 200, 0.0004);  // first bucket (<= 0.0005)
  m.record(r, 200, 0.003);   // <= 0.005
  m.record(r, 200, 30.0);    // only +Inf
  std::string text = m.render();
  EXPECT_TRUE(
      hasLine(text, "tongban_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.0005\"} 1"));
  EXPECT_TRUE(
      hasLine(text, "tongban_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.0025\"} 1"));
  EXPECT_TRUE(
      hasLine(text, "tongban_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.005\"} 2"));
  EXPECT_TRUE(
      hasLine(text, "tongban_http_request_duration_seconds_bucket{route=\"/r\",le=\"5\"} 2"));
  EXPECT_TRUE(
      hasLine(text, "tongban_http_request_duration_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(hasLine(text, "tongban_http_request_duration_seconds_count{route=\"/r\"} 3"));
  EXPECT_TRUE(hasLine(text, "tongban_http_request_duration_seconds_sum{route=\"/r\"} 30.003400"));
}

TEST(Metrics, OutOfRangeInputsAreIgnoredNotFatal) {
  Metrics m;
  size_t r = m.addRoute("/r");
  m.record(r + 5, 200, 0.1);  // unknown route
  m.record(r, 42, 0.1);       // impossible status: histogram only
  m.record(r, 600, 0.1);
  std::string text = m.render();
  EXPECT_EQ(text.find("status=\"42\""), std::string::npos);
  EXPECT_TRUE(hasLine(text, "tongban_http_request_duration_seconds_count{route=\"/r\"} 2"));
}

TEST(Metrics, GaugesAreReadAtScrapeTime) {
  Metrics m;
  double value = 1;
  m.addGauge("tongban_things", "gauge", "Things.",
             {{"tongban_things{state=\"x\"}", "", [&] { return value; }}});
  EXPECT_TRUE(hasLine(m.render(), "tongban_things{state=\"x\"} 1"));
  value = 7.5;
  std::string text = m.render();
  EXPECT_TRUE(hasLine(text, "# TYPE tongban_things gauge"));
  EXPECT_TRUE(hasLine(text, "tongban_things{state=\"x\"} 7.5"));
}

TEST(Metrics, ConcurrentRecordsAreAllCounted) {
  Metrics m;
  size_t r = m.addRoute("/r");
  constexpr int kThreads = 4, kEach = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) m.record(r, 200, 0.001);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(hasLine(m.render(), "tongban_http_requests_total{route=\"/r\",status=\"200\"} " +
                                      std::to_string(kThreads * kEach)));
}

}  // namespace
}  // namespace tongban::exchange
