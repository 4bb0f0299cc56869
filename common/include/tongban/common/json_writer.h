// Compact JSON output through RapidJSON's Writer, member by member: the one way the code base
// writes a JSON object (no hand-built "{\"" + ... strings, which forget an escape sooner or later).
//
//   std::string line = json::object([&](json::Writer& w) {
//     json::str(w, "seal_id", seal.seal_id);
//     json::num(w, "log_index", seal.last_event_index);
//   });
//
// Strings are written as given (RapidJSON escapes quotes, backslashes and control characters; the
// caller passes valid UTF-8). Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tongban::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* key, std::string_view v);
void strOrNull(Writer& w, const char* key, const std::optional<std::string>& v);
void strArray(Writer& w, const char* key, const std::vector<std::string>& v);
void num(Writer& w, const char* key, int64_t v);
void unsignedNum(Writer& w, const char* key, uint64_t v);
void boolean(Writer& w, const char* key, bool v);
// `json_text` must already be one valid JSON value; it is copied as it is.
void raw(Writer& w, const char* key, std::string_view json_text);

// An array member of values each already JSON text: `to_json(item)` for every item of `items`.
template <typename Items, typename ToJson>
void rawArray(Writer& w, const char* key, const Items& items, ToJson&& to_json) {
  w.Key(key);
  w.StartArray();
  for (const auto& item : items) {
    const std::string text = to_json(item);
    w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
  }
  w.EndArray();
}

// The text written so far.
inline std::string done(const rapidjson::StringBuffer& b) {
  return std::string(b.GetString(), b.GetSize());
}

// One object whose members `members(w)` writes.
template <typename Members>
std::string object(Members&& members) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  members(w);
  w.EndObject();
  return done(buffer);
}

}  // namespace tongban::json
