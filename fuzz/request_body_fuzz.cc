// Fuzzes the exchange's request-body reader (exchange/src/json_util.h) the way the query and
// certificate handlers use it: parse, refuse unknown members, read typed members. Nothing may
// crash; every refusal names a field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "json_util.h"

namespace json = tongban::exchange::json;

namespace {

void mustName(const tongban::Status& s) {
  if (!s && s.field().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto doc = json::parseObject(body);
  if (!doc) {
    mustName(doc.status());
    return 0;
  }
  const json::Value& root = **doc;
  mustName(json::onlyMembers(root, {"keys", "fields", "purpose", "limit", "reason"}, ""));
  auto fields = json::optStringArray(root, "fields", "", false, true);
  if (!fields) mustName(fields.status());
  auto limit = json::optInt(root, "limit", "", 1, 1000);
  if (!limit) mustName(limit.status());
  auto reason = json::optString(root, "reason", "", false);
  if (!reason) mustName(reason.status());
  auto purpose = json::optObject(root, "purpose", "", false);
  if (!purpose) {
    mustName(purpose.status());
  } else if (*purpose) {
    auto matter = json::reqString(**purpose, "matter_code", "purpose");
    if (!matter) mustName(matter.status());
    auto flag = json::optBool(**purpose, "urgent", "purpose");
    if (!flag) mustName(flag.status());
  }
  return 0;
}
