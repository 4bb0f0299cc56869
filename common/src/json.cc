#include "tongban/common/json.h"

#include <locale.h>
#include <stdlib.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace tongban {
namespace {

enum class Problem { kNone, kTooDeep, kLoneSurrogate, kBigInteger, kNumberTooBig };

// The C locale, so that "1.5" never depends on the process's LC_NUMERIC.
locale_t cLocale() {
  static const locale_t locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return locale;
}

// Forwards SAX events to the document being built. Refuses the event that would open a level
// beyond `max_depth` and the content described at Problem; the reader then stops with
// kParseErrorTermination and problem() says why.
class LimitingHandler {
 public:
  LimitingHandler(rapidjson::Document& target, unsigned max_depth)
      : target_(target), max_depth_(max_depth) {}

  bool Null() { return target_.Null(); }
  bool Bool(bool b) { return target_.Bool(b); }
  // Numbers arrive as their literal text (kParseNumbersAsStringsFlag, NUL-terminated when not
  // parsing in place) and are converted here: RapidJSON 1.1's full-precision conversion trips an
  // assertion on literals such as 18446744770790420e308 (found by fuzz/json_fuzz), which aborts
  // a build with assertions on. Integers must fit 64 bits (a rounded double would mean another
  // number to every reader); other numbers are converted by strtod, correctly rounded, and must
  // be finite.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    const std::string_view literal(s, n);
    if (literal.find_first_of(".eE") == std::string_view::npos) {
      if (literal[0] == '-') {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(s, s + n, v);
        if (ec == std::errc() && end == s + n) return target_.Int64(v);
      } else {
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(s, s + n, v);
        if (ec == std::errc() && end == s + n) return target_.Uint64(v);
      }
      return fail(Problem::kBigInteger);
    }
    const std::string text(literal);  // strtod needs the terminator; `s` has one only if copied
    char* end = nullptr;
    const double d = strtod_l(text.c_str(), &end, cLocale());
    if (end != text.c_str() + text.size() || !std::isfinite(d)) return fail(Problem::kNumberTooBig);
    return target_.Double(d);
  }
  bool Int(int i) { return target_.Int(i); }
  bool Uint(unsigned u) { return target_.Uint(u); }
  bool Int64(int64_t i) { return target_.Int64(i); }
  bool Uint64(uint64_t u) { return target_.Uint64(u); }
  bool Double(double d) { return target_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return validText(s, n) && target_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    return validText(s, n) && target_.Key(s, n, copy);
  }
  bool StartObject() { return open() && target_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return target_.EndObject(n);
  }
  bool StartArray() { return open() && target_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return target_.EndArray(n);
  }

  Problem problem() const { return problem_; }

 private:
  bool fail(Problem p) {
    problem_ = p;
    return false;
  }

  bool open() {
    if (depth_ >= max_depth_) return fail(Problem::kTooDeep);
    ++depth_;
    return true;
  }

  // RapidJSON (1.1) validates raw UTF-8 and pairs an escaped high surrogate, but decodes a lone
  // escaped low surrogate ("\udc00") into bytes ED B0 80, which are not UTF-8 and which
  // PostgreSQL refuses to store (found by fuzz/json_fuzz). An encoded surrogate is ED A0..BF.
  bool validText(const char* s, rapidjson::SizeType n) {
    for (rapidjson::SizeType i = 0; i + 1 < n; ++i) {
      if (static_cast<unsigned char>(s[i]) == 0xED &&
          static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
        return fail(Problem::kLoneSurrogate);
      }
    }
    return true;
  }

  rapidjson::Document& target_;
  const unsigned max_depth_;
  unsigned depth_ = 0;
  Problem problem_ = Problem::kNone;
};

}  // namespace

Status parseJson(std::string_view text, rapidjson::Document& document, const std::string& field,
                 unsigned max_depth) {
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  Problem problem = Problem::kNone;
  // Populate() moves the single root off the document's stack only when the generator succeeds,
  // and clears the stack (no recursive destruction: the pool allocator frees in bulk) otherwise.
  auto generator = [&](rapidjson::Document& target) {
    rapidjson::MemoryStream stream(text.data(), text.size());
    LimitingHandler handler(target, max_depth);
    result = reader.Parse<kFlags>(stream, handler);
    problem = handler.problem();
    return !result.IsError();
  };
  document.SetNull();
  document.Populate(generator);
  const std::string at = " (near byte " + std::to_string(result.Offset()) + ")";
  switch (problem) {
    case Problem::kTooDeep:
      return Status::invalid(field, "JSON nested deeper than the limit of " +
                                        std::to_string(max_depth) +
                                        " levels of arrays and objects" + at);
    case Problem::kLoneSurrogate:
      return Status::invalid(
          field, "has a \\u escape of a lone UTF-16 surrogate, which is no character" + at);
    case Problem::kBigInteger:
      return Status::invalid(field, "has an integer that does not fit in 64 bits" + at +
                                        "; send such values as strings");
    case Problem::kNumberTooBig:
      return Status::invalid(field, "has a number too large for a double" + at);
    case Problem::kNone:
      break;
  }
  if (result.IsError()) {
    document.SetNull();
    return Status::invalid(field, std::string("malformed JSON at byte ") +
                                      std::to_string(result.Offset()) + ": " +
                                      rapidjson::GetParseError_En(result.Code()));
  }
  return Status::ok();
}

Status parseJsonObject(std::string_view text, rapidjson::Document& document,
                       const std::string& field, unsigned max_depth) {
  if (Status s = parseJson(text, document, field, max_depth); !s) return s;
  if (!document.IsObject()) {
    document.SetNull();
    return Status::invalid(field, "must be a JSON object");
  }
  return Status::ok();
}

}  // namespace tongban
