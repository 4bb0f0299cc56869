// The console's pages (console/web/ and the vendored Apache ECharts), embedded in the binary at
// build time (console/embed_web.cmake): the exchange serves them under /console/ with no Node and
// no files at run time.
#pragma once

#include <string_view>
#include <vector>

namespace tongban::console {

struct StaticFile {
  std::string_view name;          // "login.html", "vendor/echarts.min.js"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
  std::string_view sha256;  // hex of the body, computed at build time: the ETag
};

// Every embedded file, by name. Immutable: thread-safe.
const std::vector<StaticFile>& staticFiles();

}  // namespace tongban::console
