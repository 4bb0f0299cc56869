#include "tongban/common/json_writer.h"

namespace tongban::json {
namespace {

void string(Writer& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

}  // namespace

void str(Writer& w, const char* key, std::string_view v) {
  w.Key(key);
  string(w, v);
}

void strOrNull(Writer& w, const char* key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v) {
    string(w, *v);
  } else {
    w.Null();
  }
}

void strArray(Writer& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const std::string& s : v) string(w, s);
  w.EndArray();
}

void num(Writer& w, const char* key, int64_t v) {
  w.Key(key);
  w.Int64(v);
}

void unsignedNum(Writer& w, const char* key, uint64_t v) {
  w.Key(key);
  w.Uint64(v);
}

void boolean(Writer& w, const char* key, bool v) {
  w.Key(key);
  w.Bool(v);
}

void raw(Writer& w, const char* key, std::string_view json_text) {
  w.Key(key);
  w.RawValue(json_text.data(), json_text.size(), rapidjson::kObjectType);
}

}  // namespace tongban::json
