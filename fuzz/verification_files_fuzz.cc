// Fuzzes what an offline verifier reads from anyone: status-filter files and deltas
// (verification/status_filter.h) and receipt documents (verification/receipt.h). The first byte
// picks the parser. Neither may crash, throw or allocate beyond the input; a parsed filter must
// answer queries; with no trusted root no receipt verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "tongban/verification/receipt.h"
#include "tongban/verification/status_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto file = tongban::verification::parseStatusFilter(in);
    if (!file) return 0;
    tongban::verification::OfflineStatusFilter filter;
    if (file->kind == tongban::verification::kStatusFilterFull) {
      if (!filter.apply(std::move(*file))) std::abort();
      (void)filter.isValid(
          "1.2.156.3005.2.11100000MB0143028R001.11110000MB01832653.2026000001.001.X");
      (void)filter.isValid("");
    }
    return 0;
  }
  std::vector<tongban::certs::X509Ptr> roots;
  auto v = tongban::verification::verifyReceipt(in, roots);
  if (v.ok() || v.reason.empty()) std::abort();
  return 0;
}
