// Fuzzes the catalog's JSON documents (catalog/json.h): resource drafts, access applications and
// approval options as administrators and applications send them. Nothing may crash; every
// refusal says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tongban/catalog/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto draft = tongban::catalog::parseResourceDraft(in);
  if (!draft && draft.status().message().empty()) std::abort();
  auto application = tongban::catalog::parseAccessApplication(in);
  if (!application && application.status().message().empty()) std::abort();
  auto approval = tongban::catalog::parseApprovalOptions(in);
  if (!approval && approval.status().message().empty()) std::abort();
  return 0;
}
