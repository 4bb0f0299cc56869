// Router (http.h): "METHOD /path/{param}" patterns matched against a request's method and path.
#include <string>
#include <utility>
#include <vector>

#include "tongban/exchange/http.h"

namespace tongban::exchange {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

Router::Route& Router::add(std::string method, std::string pattern, Handler handler) {
  Route r;
  r.method = std::move(method);
  r.segments = splitPath(pattern);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  r.reads_only = r.method == "GET";
  routes_.push_back(std::move(r));
  return routes_.back();
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  // A trailing slash is a different resource; "/v1/x/" does not match "/v1/x".
  if (path.size() > 1 && path.back() == '/') return m;
  std::vector<std::string> segs = splitPath(path);
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (isParam(r.segments[i])) {
        params.push_back(segs[i]);
      } else {
        ok = r.segments[i] == segs[i];
      }
    }
    if (!ok) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.route = &r;
      m.params = std::move(params);
      m.allow.clear();
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
  }
  return m;
}

}  // namespace tongban::exchange
