#include "tongban/common/json.h"

#include <algorithm>
#include <cmath>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace tongban {
namespace {

// Forwards SAX events to the document being built, refusing the event that would open a level
// beyond `max_depth` (the reader then stops with kParseErrorTermination).
class DepthLimitedHandler {
 public:
  DepthLimitedHandler(rapidjson::Document& target, unsigned max_depth, std::string_view text,
                      const rapidjson::MemoryStream& stream)
      : target_(target), max_depth_(max_depth), text_(text), stream_(stream) {}

  bool Null() { return target_.Null(); }
  bool Bool(bool b) { return target_.Bool(b); }
  bool Int(int i) { return target_.Int(i); }
  bool Uint(unsigned u) { return target_.Uint(u); }
  bool Int64(int64_t i) { return target_.Int64(i); }
  bool Uint64(uint64_t u) { return target_.Uint64(u); }
  bool Double(double d) {
    // RapidJSON hands an integer literal that does not fit 64 bits over as a rounded double;
    // such a number means something else to every reader, so refuse it. The literal ends where
    // the stream stands now.
    if (std::fabs(d) >= 9.2e18 && isIntegerLiteralBeforeCursor()) {
      big_integer_ = true;
      return false;
    }
    return target_.Double(d);
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return target_.RawNumber(s, n, copy);
  }
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

  bool tooDeep() const { return too_deep_; }
  bool loneSurrogate() const { return lone_surrogate_; }
  bool bigInteger() const { return big_integer_; }

 private:
  bool open() {
    if (depth_ >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    ++depth_;
    return true;
  }

  // RapidJSON (1.1) validates raw UTF-8 and pairs an escaped high surrogate, but decodes a lone
  // escaped low surrogate ("\udc00") into bytes ED B0 80, which are not UTF-8 and which
  // PostgreSQL refuses to store. An encoded surrogate is ED followed by A0..BF.
  bool validText(const char* s, rapidjson::SizeType n) {
    for (rapidjson::SizeType i = 0; i + 1 < n; ++i) {
      if (static_cast<unsigned char>(s[i]) == 0xED &&
          static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
        lone_surrogate_ = true;
        return false;
      }
    }
    return true;
  }

  bool isIntegerLiteralBeforeCursor() const {
    size_t i = std::min(stream_.Tell(), text_.size());
    while (i > 0) {
      const char c = text_[i - 1];
      if (c == '.' || c == 'e' || c == 'E') return false;
      if ((c < '0' || c > '9') && c != '-' && c != '+') break;
      --i;
    }
    return true;
  }

  rapidjson::Document& target_;
  const unsigned max_depth_;
  const std::string_view text_;
  const rapidjson::MemoryStream& stream_;
  unsigned depth_ = 0;
  bool too_deep_ = false;
  bool big_integer_ = false;
  bool lone_surrogate_ = false;
};

}  // namespace

Status parseJson(std::string_view text, rapidjson::Document& document, const std::string& field,
                 unsigned max_depth) {
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  bool too_deep = false;
  bool big_integer = false;
  bool lone_surrogate = false;
  // Populate() moves the single root off the document's stack only when the generator succeeds,
  // and clears the stack (no recursive destruction: the pool allocator frees in bulk) otherwise.
  auto generator = [&](rapidjson::Document& target) {
    rapidjson::MemoryStream stream(text.data(), text.size());
    DepthLimitedHandler handler(target, max_depth, text, stream);
    result = reader.Parse<kFlags>(stream, handler);
    too_deep = handler.tooDeep();
    big_integer = handler.bigInteger();
    lone_surrogate = handler.loneSurrogate();
    return !result.IsError();
  };
  document.SetNull();
  document.Populate(generator);
  if (too_deep) {
    return Status::invalid(field, "JSON nested deeper than the limit of " +
                                      std::to_string(max_depth) +
                                      " levels of arrays and objects (at byte " +
                                      std::to_string(result.Offset()) + ")");
  }
  if (lone_surrogate) {
    return Status::invalid(field, "has a \\u escape of a lone UTF-16 surrogate (near byte " +
                                      std::to_string(result.Offset()) + "), which is no character");
  }
  if (big_integer) {
    return Status::invalid(field, "has an integer that does not fit in 64 bits (near byte " +
                                      std::to_string(result.Offset()) +
                                      "); send such values as strings");
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
