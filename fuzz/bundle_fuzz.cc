// Fuzzes offline bundle verification (certs/bundle.h), which tongban-verify runs on files from
// anyone. It must never crash or throw, and with no trusted root nothing verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "tongban/certs/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<tongban::certs::X509Ptr> roots;
  auto v = tongban::certs::verifyBundle(in, roots, 1767225600);
  if (v.ok() || v.reason.empty()) std::abort();
  return 0;
}
