// Fuzzes RFC 8785 canonicalisation (certs/jcs.h), the bytes every signature covers: it must never
// crash, and canonical output is a fixed point (canonicalising it again gives the same bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tongban/certs/jcs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto canonical = tongban::certs::canonicalizeJson(in, "payload");
  if (!canonical) {
    if (canonical.status().message().empty()) std::abort();
    return 0;
  }
  auto again = tongban::certs::canonicalizeJson(*canonical, "payload");
  if (!again || *again != *canonical) std::abort();
  return 0;
}
