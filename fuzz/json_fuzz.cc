// Fuzzes the shared JSON parser (common/json.h) that every untrusted document goes through: it
// must never crash or recurse without bound, whatever it accepts is nested at most kMaxJsonDepth
// deep, and what it accepts is written back as text that parses to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/common/json.h"

namespace {

// Depth of the deepest array or object, without recursion.
unsigned depthOf(const rapidjson::Value& root) {
  unsigned deepest = 0;
  std::vector<std::pair<const rapidjson::Value*, unsigned>> stack{{&root, 0}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    if (v->IsArray()) {
      deepest = std::max(deepest, d + 1);
      for (const auto& item : v->GetArray()) stack.push_back({&item, d + 1});
    } else if (v->IsObject()) {
      deepest = std::max(deepest, d + 1);
      for (const auto& m : v->GetObject()) stack.push_back({&m.value, d + 1});
    }
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  rapidjson::Document doc;
  tongban::Status s = tongban::parseJson(in, doc, "body");
  if (!s) {
    if (s.field() != "body" || s.message().empty() || !doc.IsNull()) std::abort();
    return 0;
  }
  if (depthOf(doc) > tongban::kMaxJsonDepth) std::abort();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  if (!doc.Accept(writer)) return 0;  // e.g. a NaN cannot be written; the parser never makes one
  const std::string written(buffer.GetString(), buffer.GetSize());
  rapidjson::Document again;
  if (!tongban::parseJson(written, again, "x")) std::abort();
  // Compared as written text: Value::operator== looks members up by name, which is wrong for a
  // document with a duplicate name (the parser keeps both; handlers refuse them).
  rapidjson::StringBuffer buffer2;
  rapidjson::Writer<rapidjson::StringBuffer> writer2(buffer2);
  if (!again.Accept(writer2) || written != std::string(buffer2.GetString(), buffer2.GetSize())) {
    std::abort();
  }
  (void)tongban::parseJsonObject(in, again, "body");
  return 0;
}
