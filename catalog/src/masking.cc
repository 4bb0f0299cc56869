// Masking rules (masking.h). Values are cut into UTF-8 characters first, so that every rule counts
// and keeps whole characters.
#include "tongban/catalog/masking.h"

#include <vector>

namespace tongban::catalog {
namespace {

const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD, for kept bytes that are not UTF-8

struct Char {
  std::string_view bytes;
  bool valid;
};

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), or 0 if there is none.
size_t sequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const size_t left = s.size() - i;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (left < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

std::vector<Char> splitChars(std::string_view s) {
  std::vector<Char> chars;
  chars.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = sequenceLength(s, i);
    if (n == 0) {
      chars.push_back({s.substr(i, 1), false});
      ++i;
    } else {
      chars.push_back({s.substr(i, n), true});
      i += n;
    }
  }
  return chars;
}

void append(std::string* out, const Char& c) {
  if (c.valid) {
    out->append(c.bytes.data(), c.bytes.size());
  } else {
    out->append(kReplacement);
  }
}

// chars[begin, end) kept as they are.
void appendRange(std::string* out, const std::vector<Char>& chars, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < chars.size(); ++i) append(out, chars[i]);
}

std::string stars(size_t n) { return std::string(n, '*'); }

// First `head` and last `tail` characters kept, one '*' per character between; everything
// masked when nothing would be hidden otherwise.
std::string keepEnds(const std::vector<Char>& chars, size_t head, size_t tail) {
  const size_t n = chars.size();
  if (n <= head + tail) return stars(n);
  std::string out;
  appendRange(&out, chars, 0, head);
  out += stars(n - head - tail);
  appendRange(&out, chars, n - tail, n);
  return out;
}

// Two-character surnames (复姓) common enough to matter for masking.
const char* const kCompoundSurnames[] = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
    "呼延", "闻人", "申屠", "澹台", "公冶", "太史", "司空", "万俟", "鲜于", "赫连",
    "濮阳", "钟离", "宗政", "东郭", "拓跋", "完颜", "淳于", "公羊", "仲孙", "第五",
};

bool startsWithCompoundSurname(const std::vector<Char>& chars) {
  if (chars.size() < 2 || !chars[0].valid || !chars[1].valid) return false;
  std::string first_two(chars[0].bytes);
  first_two.append(chars[1].bytes.data(), chars[1].bytes.size());
  for (const char* surname : kCompoundSurnames) {
    if (first_two == surname) return true;
  }
  return false;
}

std::string maskName(const std::vector<Char>& chars) {
  const size_t n = chars.size();
  if (n <= 1) return stars(n);
  std::string out;
  if (n >= 3 && startsWithCompoundSurname(chars)) {
    appendRange(&out, chars, 0, 2);
    out += stars(n - 2);
    return out;
  }
  append(&out, chars[0]);
  if (n == 2) return out + "*";
  out += stars(n - 2);
  append(&out, chars[n - 1]);
  return out;
}

std::string maskAddress(const std::vector<Char>& chars) {
  const size_t n = chars.size();
  if (n == 0) return {};
  // Province, city and district take about six characters (北京市海淀区); a shorter address
  // keeps only its first half so that something stays hidden.
  const size_t keep = n > 6 ? 6 : n / 2;
  std::string out;
  appendRange(&out, chars, 0, keep);
  return out + "****";
}

std::string maskDate(std::string_view value) {
  if (value.empty()) return {};
  if (value.size() >= 4) {
    bool year = true;
    for (size_t i = 0; i < 4; ++i) year = year && value[i] >= '0' && value[i] <= '9';
    if (year && (value.size() == 4 || value[4] == '-')) {
      return std::string(value.substr(0, 4)) + "-**-**";
    }
  }
  return "******";
}

}  // namespace

std::string maskValue(MaskingRule rule, std::string_view value) {
  switch (rule) {
    case MaskingRule::kNone:
      return std::string(value);
    case MaskingRule::kFull:
      return "******";
    case MaskingRule::kDate:
      return maskDate(value);
    case MaskingRule::kCitizenId:
      return keepEnds(splitChars(value), 6, 4);
    case MaskingRule::kCreditCode:
      return keepEnds(splitChars(value), 8, 2);
    case MaskingRule::kPhone:
      return keepEnds(splitChars(value), 3, 4);
    case MaskingRule::kName:
      return maskName(splitChars(value));
    case MaskingRule::kAddress:
      return maskAddress(splitChars(value));
  }
  return "******";  // an out-of-range rule hides everything
}

bool atLeastAsStrong(MaskingRule rule, MaskingRule baseline) {
  return rule == baseline || rule == MaskingRule::kFull || baseline == MaskingRule::kNone;
}

MaskingRule strongerOf(MaskingRule a, MaskingRule b) {
  if (atLeastAsStrong(a, b)) return a;
  if (atLeastAsStrong(b, a)) return b;
  return MaskingRule::kFull;
}

}  // namespace tongban::catalog
