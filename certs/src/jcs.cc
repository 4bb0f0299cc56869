// RFC 8785 canonicalisation over RapidJSON values.
#include "tongban/certs/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "tongban/common/json.h"
#include "tongban/common/log.h"

namespace tongban::certs {
namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;  // ECMAScript Number.MAX_SAFE_INTEGER
constexpr const char* kUnsafeNumber =
    "is a number of magnitude above 9007199254740991 (2^53 - 1), which canonical JSON cannot "
    "carry exactly; send it as a string";

// Decodes UTF-8 into UTF-16 code units (for member-name ordering). False on invalid UTF-8
// (overlong forms, surrogates, values above U+10FFFF, truncated sequences).
bool utf8ToUtf16(std::string_view in, std::u16string& out) {
  out.clear();
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    uint32_t cp = 0;
    size_t extra = 0;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      extra = 2;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      extra = 3;
    } else {
      return false;
    }
    if (extra > 0 && i + extra >= in.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += extra + 1;
  }
  return true;
}

// RFC 8785 §3.2.2.2: only valid UTF-8; escaped as common's appendJsonString does.
bool appendString(std::string_view s, std::string& out) {
  std::u16string ignored;
  if (!utf8ToUtf16(s, ignored)) return false;
  appendJsonString(out, s);
  return true;
}

Status serialize(const rapidjson::Value& value, const std::string& path, std::string& out) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      out += "null";
      return Status();
    case rapidjson::kFalseType:
      out += "false";
      return Status();
    case rapidjson::kTrueType:
      out += "true";
      return Status();
    case rapidjson::kNumberType: {
      // RFC 8785 numbers are IEEE 754 doubles: beyond 2^53 - 1 distinct integers share one
      // double, so 9007199254740993 would be signed as ...992. Refuse rather than round; such
      // values travel as strings. (Integer literals beyond 64 bits are refused by parseJson.)
      if (value.IsInt64() || value.IsUint64()) {
        const bool safe = value.IsInt64() ? (value.GetInt64() <= kMaxSafeInteger &&
                                             value.GetInt64() >= -kMaxSafeInteger)
                                          : value.GetUint64() <= uint64_t{kMaxSafeInteger};
        if (!safe) return Status::invalid(path, kUnsafeNumber);
      }
      const double d = value.GetDouble();
      if (!std::isfinite(d)) return Status::invalid(path, "is not a finite number");
      // Doubles too: from 2^53 up every double is an integer with neighbours missing, and the
      // stored surface comes back from jsonb as a plain integer literal ("1e+30" is kept as
      // 1000000000000000000000000000000), which no reader takes back as the sealed number
      // (found by fuzz/jcs_fuzz with 2e20). Signed payloads carry no number beyond 2^53 - 1.
      if (std::fabs(d) > static_cast<double>(kMaxSafeInteger)) {
        return Status::invalid(path, kUnsafeNumber);
      }
      out += formatJsonNumber(d);
      return Status();
    }
    case rapidjson::kStringType:
      if (!appendString(std::string_view(value.GetString(), value.GetStringLength()), out)) {
        return Status::invalid(path, "is not valid UTF-8");
      }
      return Status();
    case rapidjson::kArrayType: {
      out.push_back('[');
      rapidjson::SizeType i = 0;
      for (const auto& item : value.GetArray()) {
        if (i > 0) out.push_back(',');
        if (Status s = serialize(item, path + "[" + std::to_string(i) + "]", out); !s) return s;
        ++i;
      }
      out.push_back(']');
      return Status();
    }
    case rapidjson::kObjectType: {
      struct Member {
        std::u16string key16;
        std::string_view key;
        const rapidjson::Value* value;
      };
      std::vector<Member> members;
      members.reserve(value.MemberCount());
      for (const auto& m : value.GetObject()) {
        Member member{{}, std::string_view(m.name.GetString(), m.name.GetStringLength()), &m.value};
        if (!utf8ToUtf16(member.key, member.key16)) {
          return Status::invalid(path, "has a member name that is not valid UTF-8");
        }
        members.push_back(std::move(member));
      }
      std::sort(members.begin(), members.end(),
                [](const Member& a, const Member& b) { return a.key16 < b.key16; });
      out.push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) {
          if (members[i].key16 == members[i - 1].key16) {
            return Status::invalid(path,
                                   "has the member \"" + std::string(members[i].key) + "\" twice");
          }
          out.push_back(',');
        }
        appendString(members[i].key, out);
        out.push_back(':');
        std::string child = path + "." + std::string(members[i].key);
        if (Status s = serialize(*members[i].value, child, out); !s) return s;
      }
      out.push_back('}');
      return Status();
    }
  }
  return Status::internal("unknown JSON value type");
}

}  // namespace

std::string formatJsonNumber(double value) {
  if (value == 0) return "0";  // also -0
  char buffer[64];
  // Shortest round-trip digits in scientific form: d[.ddd]e±x.
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  (void)ec;  // 64 bytes always suffice for a double
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  std::string out;
  if (text.front() == '-') {
    out.push_back('-');
    text.remove_prefix(1);
  }
  const size_t e_pos = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(std::string(text.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Status parseJsonStrict(std::string_view text, rapidjson::Document& document,
                       const std::string& field) {
  return parseJson(text, document, field);
}

Result<std::string> canonicalJson(const rapidjson::Value& value, const std::string& field) {
  std::string out;
  if (Status s = serialize(value, field, out); !s) return s;
  return out;
}

Result<std::string> canonicalizeJson(std::string_view text, const std::string& field) {
  rapidjson::Document document;
  if (Status s = parseJsonStrict(text, document, field); !s) return s;
  return canonicalJson(document, field);
}

}  // namespace tongban::certs
