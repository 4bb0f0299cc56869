#include "tongban/exchange/metrics.h"

#include <cstdio>

namespace tongban::exchange {

size_t Metrics::addRoute(const std::string& label) {
  auto r = std::make_unique<Route>();
  r->label = label;
  routes_.push_back(std::move(r));
  return routes_.size() - 1;
}

void Metrics::record(size_t route, int status, double seconds) {
  if (route >= routes_.size()) return;
  Route& r = *routes_[route];
  if (status >= 100 && status < 600) r.by_status[status].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r.buckets[b].fetch_add(1, std::memory_order_relaxed);
  r.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::addGauge(std::string family, std::string type, std::string help,
                       std::vector<Gauge> samples) {
  gauges_.push_back({std::move(family), std::move(type), std::move(help), std::move(samples)});
}

std::string Metrics::render() const {
  std::string out;
  char buf[64];
  out += "# HELP tongban_http_requests_total HTTP requests served, by route and status.\n";
  out += "# TYPE tongban_http_requests_total counter\n";
  for (const auto& r : routes_) {
    for (int s = 100; s < 600; ++s) {
      uint64_t n = r->by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "tongban_http_requests_total{route=\"" + r->label + "\",status=\"" +
             std::to_string(s) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP tongban_http_request_duration_seconds Time from request start to response sent.\n";
  out += "# TYPE tongban_http_request_duration_seconds histogram\n";
  for (const auto& r : routes_) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += r->buckets[b].load(std::memory_order_relaxed);
      if (b < kBuckets.size()) {
        std::snprintf(buf, sizeof buf, "%g", kBuckets[b]);
      } else {
        std::snprintf(buf, sizeof buf, "+Inf");
      }
      out += "tongban_http_request_duration_seconds_bucket{route=\"" + r->label + "\",le=\"" + buf +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    std::snprintf(buf, sizeof buf, "%.6f", r->sum_micros.load(std::memory_order_relaxed) / 1e6);
    out += "tongban_http_request_duration_seconds_sum{route=\"" + r->label + "\"} " + buf + "\n";
    out += "tongban_http_request_duration_seconds_count{route=\"" + r->label + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  for (const auto& g : gauges_) {
    out += "# HELP " + g.family + " " + g.help + "\n";
    out += "# TYPE " + g.family + " " + g.type + "\n";
    for (const auto& s : g.samples) {
      std::snprintf(buf, sizeof buf, "%.17g", s.read());
      out += s.name + " " + buf + "\n";
    }
  }
  return out;
}

}  // namespace tongban::exchange
