// Fuzzes the identifier validators with arbitrary bytes: they must never crash, and whatever they
// accept must be a fixed point (normalising the normalised value gives it back unchanged).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tongban/common/identifiers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace tongban::ids;
  for (auto fn : {+[](std::string_view s) { return normalizeCitizenId(s); },
                  +[](std::string_view s) { return normalizeCreditCode(s); },
                  +[](std::string_view s) { return normalizeRegionCode(s); },
                  +[](std::string_view s) { return normalizeCertificateId(s); }}) {
    auto r = fn(in);
    if (r) {
      auto again = fn(*r);
      if (!again || *again != *r) std::abort();
    } else if (r.status().message().empty()) {
      std::abort();  // every refusal says why
    }
  }
  return 0;
}
