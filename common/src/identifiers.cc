// Validation of citizen ids (GB 11643), unified social credit codes (GB 32100) with their embedded
// organisation codes (GB 11714), region codes (GB/T 2260) and electronic certificate identifiers
// (GB/T 36904). See identifiers.h; the shipped region table lives in regions.cc.
//
// Every message names the first thing that is wrong, counting characters from 1 the way a person
// reading the value would (code points, not bytes, so that a full-width digit pasted from a form
// is reported as one character).
#include "tongban/common/identifiers.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tongban::ids {
namespace {

constexpr std::string_view kWhitespace = " \t\n\r\f\v";

std::string_view trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kWhitespace);
  return s.substr(begin, end - begin + 1);
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
char toUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = toUpper(c);
  return out;
}

bool allDigits(std::string_view s) {
  for (char c : s) {
    if (!isDigit(c)) return false;
  }
  return true;
}

// One character of the input as the user sees it: the bytes of one UTF-8 code point, or a single
// byte that is not valid UTF-8.
struct Char {
  std::string_view bytes;
  uint32_t code_point = 0;
  bool valid = true;  // false: `bytes` is one byte that does not start a valid UTF-8 sequence

  bool isAscii() const { return valid && code_point < 0x80; }
  char ascii() const { return bytes[0]; }
};

std::vector<Char> splitChars(std::string_view s) {
  std::vector<Char> chars;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
      min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
      min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
      min = 0x10000;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) {
        ok = false;
      } else {
        cp = (cp << 6) | (b & 0x3F);
      }
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      chars.push_back(Char{s.substr(i, len), cp, true});
      i += len;
    } else {
      chars.push_back(Char{s.substr(i, 1), b0, false});
      i += 1;
    }
  }
  return chars;
}

std::string hex(uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, static_cast<unsigned>(value));
  return buf;
}

// "'A'", "'１', U+FF11", "U+0009" for a control character, "byte 0xFF" for invalid UTF-8.
std::string describe(const Char& c) {
  if (!c.valid) return "byte 0x" + hex(c.code_point, 2);
  if (c.code_point < 0x20 || c.code_point == 0x7F ||
      (c.code_point >= 0x80 && c.code_point < 0xA0)) {
    return "U+" + hex(c.code_point, 4);
  }
  if (c.code_point < 0x80) return "'" + std::string(c.bytes) + "'";
  return "'" + std::string(c.bytes) + "', U+" + hex(c.code_point, 4);
}

std::string quote(char c) { return std::string("'") + c + "'"; }

std::string charAt(size_t index, const Char& c) {
  return "character " + std::to_string(index + 1) + " (" + describe(c) + ")";
}

Status invalid(std::string_view field, std::string message) {
  return Status::invalid(std::string(field), std::move(message));
}

// ---- dates -------------------------------------------------------------------------------------

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && isLeapYear(y)) return 29;
  return kDays[m - 1];
}

// Today's date in China (UTC+8) as yyyymmdd. Howard Hinnant's civil_from_days.
int todayInChina() {
  using namespace std::chrono;
  const auto secs = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  const int64_t days = (secs + 8 * 3600) / 86400;
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<int>(y * 10000 + m * 100 + d);
}

int parseInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// ---- citizen id --------------------------------------------------------------------------------

constexpr int kCitizenWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCitizenCheck[] = "10X98765432";

// Province-level codes of GB/T 2260 (first two digits of a citizen id).
bool isProvinceCode(int p) {
  return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
         (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
         p == 81 || p == 82;
}

// ---- credit code -------------------------------------------------------------------------------

constexpr std::string_view kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kCreditWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
constexpr int kOrgWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

// Registration authority (登记管理部门, character 1) and the entity categories (机构类别,
// character 2) assigned under it, per GB 32100-2015 Annex A as the national credit-code centre
// publishes it, with the later A (military) and N (rural collectives) authorities. A code is
// refused when its authority or category is not listed here: if a genuine code is refused, this
// table is the place to extend.
struct Authority {
  char code;
  const char* name;
  std::string_view categories;
};
constexpr Authority kAuthorities[] = {
    {'1', "机构编制", "1239"},   {'2', "外交", "19"},
    {'3', "司法行政", "123459"}, {'4', "文化", "19"},
    {'5', "民政", "1239"},       {'6', "旅游", "129"},
    {'7', "宗教", "129"},        {'8', "工会", "19"},
    {'9', "工商", "123"},        {'A', "中央军委改革和编制办公室", "19"},
    {'N', "农业", "1239"},       {'Y', "其他", "1"},
};

const Authority* findAuthority(char c) {
  for (const Authority& a : kAuthorities) {
    if (a.code == c) return &a;
  }
  return nullptr;
}

std::string listChars(std::string_view chars) {
  std::string out;
  for (char c : chars) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

int orgCharValue(char c) { return isDigit(c) ? c - '0' : c - 'A' + 10; }

// ---- certificate identifier --------------------------------------------------------------------

constexpr std::string_view kCertificatePrefix = "1.2.156.3005.2.";

int mod36Value(char c) { return isDigit(c) ? c - '0' : c - 'A' + 10; }

}  // namespace

// ---- citizen id --------------------------------------------------------------------------------

char citizenIdCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kCitizenWeights[i];
  return kCitizenCheck[sum % 11];
}

char citizenIdSex(std::string_view citizen_id) {
  return ((citizen_id[16] - '0') % 2 == 1) ? 'M' : 'F';
}

Result<std::string> normalizeCitizenId(std::string_view raw, std::string_view field) {
  const std::string_view trimmed = trim(raw);
  if (trimmed.empty()) return invalid(field, "is empty");
  const std::vector<Char> chars = splitChars(trimmed);
  if (chars.size() != 18) {
    return invalid(field, "must be 18 characters, got " + std::to_string(chars.size()));
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!chars[i].isAscii() || !isDigit(chars[i].ascii())) {
      return invalid(field, charAt(i, chars[i]) + " is not a digit");
    }
  }
  if (!chars[17].isAscii() || !(isDigit(chars[17].ascii()) || toUpper(chars[17].ascii()) == 'X')) {
    return invalid(field, charAt(17, chars[17]) + " is not a digit or 'X'");
  }
  const std::string id = toUpper(trimmed);  // all ASCII from here on

  if (id[0] == '0') return invalid(field, "character 1 ('0') must be 1-9");
  const int province = parseInt(id.substr(0, 2));
  if (!isProvinceCode(province)) {
    return invalid(field, "province code " + id.substr(0, 2) +
                              " (characters 1-2) is not a GB/T 2260 province-level code");
  }

  const std::string birth = id.substr(6, 8);
  const int year = parseInt(birth.substr(0, 4));
  const int month = parseInt(birth.substr(4, 2));
  const int day = parseInt(birth.substr(6, 2));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return invalid(field, "birth date " + birth + " is not a real date");
  }
  if (year < 1850) return invalid(field, "birth date " + birth + " is before 1850");
  if (parseInt(birth) > todayInChina()) {
    return invalid(field, "birth date " + birth + " is in the future");
  }

  const char expected = citizenIdCheckChar(std::string_view(id).substr(0, 17));
  if (id[17] != expected) {
    return invalid(field, "check character is " + quote(id[17]) + ", expected " + quote(expected));
  }
  return id;
}

// ---- credit code -------------------------------------------------------------------------------

char creditCodeCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    sum += static_cast<int>(kCreditAlphabet.find(first17[i])) * kCreditWeights[i];
  }
  return kCreditAlphabet[(31 - sum % 31) % 31];
}

char organizationCodeCheckChar(std::string_view first8) {
  int sum = 0;
  for (size_t i = 0; i < 8; ++i) sum += orgCharValue(first8[i]) * kOrgWeights[i];
  const int c9 = 11 - sum % 11;
  if (c9 == 10) return 'X';
  if (c9 == 11) return '0';
  return static_cast<char>('0' + c9);
}

Result<std::string> normalizeCreditCode(std::string_view raw, std::string_view field) {
  const std::string_view trimmed = trim(raw);
  if (trimmed.empty()) return invalid(field, "is empty");
  const std::vector<Char> chars = splitChars(trimmed);
  if (chars.size() != 18) {
    return invalid(field, "must be 18 characters, got " + std::to_string(chars.size()));
  }
  for (size_t i = 0; i < 18; ++i) {
    if (!chars[i].isAscii() ||
        kCreditAlphabet.find(toUpper(chars[i].ascii())) == std::string_view::npos) {
      return invalid(field, charAt(i, chars[i]) +
                                " is not in the GB 32100 alphabet (digits and letters other "
                                "than I, O, S, V, Z)");
    }
  }
  const std::string code = toUpper(trimmed);  // all ASCII from here on

  const Authority* authority = findAuthority(code[0]);
  if (authority == nullptr) {
    return invalid(field, "character 1 (" + quote(code[0]) +
                              ") is not a registration authority code (1-9, A, N or Y)");
  }
  if (authority->categories.find(code[1]) == std::string_view::npos) {
    return invalid(field, "character 2 (" + quote(code[1]) +
                              ") is not an entity category of registration authority " +
                              quote(code[0]) + " (" + authority->name + "): expected one of " +
                              listChars(authority->categories));
  }
  for (size_t i = 2; i < 8; ++i) {
    if (!isDigit(code[i])) {
      return invalid(field, "character " + std::to_string(i + 1) + " (" + quote(code[i]) +
                                ") is not a digit (characters 3-8 are the region code)");
    }
  }
  if (!isDigit(code[16]) && code[16] != 'X') {
    return invalid(field, "character 17 (" + quote(code[16]) +
                              ") is not a digit or 'X' (it is the organisation code's check "
                              "character)");
  }

  const char expected = creditCodeCheckChar(std::string_view(code).substr(0, 17));
  if (code[17] != expected) {
    return invalid(field,
                   "check character is " + quote(code[17]) + ", expected " + quote(expected));
  }
  // The embedded GB 11714 organisation code check IS enforced: the standard's own example
  // 91350100M000100Y43 passes it (M000100Y -> '4'), so a code that fails it is mistyped or made up.
  const char org_expected = organizationCodeCheckChar(std::string_view(code).substr(8, 8));
  if (code[16] != org_expected) {
    return invalid(field, "organisation code " + code.substr(8, 9) +
                              " (characters 9-17) has check character " + quote(code[16]) +
                              ", expected " + quote(org_expected));
  }
  return code;
}

// ---- region code -------------------------------------------------------------------------------

Result<std::string> normalizeRegionCode(std::string_view raw, std::string_view field) {
  const std::string_view trimmed = trim(raw);
  if (trimmed.empty()) return invalid(field, "is empty");
  const std::vector<Char> chars = splitChars(trimmed);
  if (chars.size() != 6) {
    return invalid(field, "must be 6 digits, got " + std::to_string(chars.size()) + " characters");
  }
  for (size_t i = 0; i < 6; ++i) {
    if (!chars[i].isAscii() || !isDigit(chars[i].ascii())) {
      return invalid(field, charAt(i, chars[i]) + " is not a digit");
    }
  }
  std::string code(trimmed);
  if (regionName(code).empty()) {
    return invalid(field, "region code " + code + " is not in the GB/T 2260 table");
  }
  return code;
}

// ---- certificate identifier --------------------------------------------------------------------

char mod3736CheckChar(std::string_view data) {
  int p = 36;
  for (char c : data) {
    int r = (p + mod36Value(c)) % 36;
    if (r == 0) r = 36;
    p = (2 * r) % 37;
  }
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return kAlphabet[(37 - p) % 36];
}

Result<std::string> normalizeCertificateId(std::string_view raw, std::string_view field) {
  const std::string_view trimmed = trim(raw);
  if (trimmed.empty()) return invalid(field, "is empty");
  const std::vector<Char> chars = splitChars(trimmed);
  for (size_t i = 0; i < chars.size(); ++i) {
    const Char& c = chars[i];
    if (!c.isAscii() || !(isDigit(c.ascii()) || isUpper(toUpper(c.ascii())) || c.ascii() == '.')) {
      return invalid(field, charAt(i, c) + " is not a letter, digit or '.'");
    }
  }
  const std::string id = toUpper(trimmed);  // all ASCII from here on
  if (id.compare(0, kCertificatePrefix.size(), kCertificatePrefix) != 0) {
    return invalid(field, "must start with " + std::string(kCertificatePrefix));
  }

  std::vector<std::string> parts;
  size_t start = kCertificatePrefix.size();
  while (true) {
    const size_t dot = id.find('.', start);
    parts.push_back(id.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 5) {
    return invalid(field, "must have 5 dot-separated parts after " +
                              std::string(kCertificatePrefix) +
                              " (type code, issuer code, serial, version, check), got " +
                              std::to_string(parts.size()));
  }
  const std::string& type = parts[0];
  const std::string& issuer = parts[1];
  const std::string& serial = parts[2];
  const std::string& version = parts[3];
  const std::string& check = parts[4];

  if (type.size() != 21) {
    return invalid(field, "type code must be 21 characters (a credit code and 3 digits), got " +
                              std::to_string(type.size()));
  }
  if (auto s = normalizeCreditCode(type.substr(0, 18), field); !s.isOk()) {
    return invalid(field, "type code: credit code " + s.status().message());
  }
  if (!allDigits(type.substr(18))) {
    return invalid(field, "type code: number " + type.substr(18) + " (last 3 characters) " +
                              "is not 3 digits");
  }
  if (auto s = normalizeCreditCode(issuer, field); !s.isOk()) {
    return invalid(field, "issuer code: " + s.status().message());
  }
  // Every character is already known to be a letter, digit or '.', and parts hold no '.'.
  if (serial.empty()) return invalid(field, "serial is empty");
  if (version.size() != 3 || !allDigits(version)) {
    return invalid(field, "version must be 3 digits, got '" + version + "'");
  }
  if (version == "000") return invalid(field, "version must be 001 or higher, got 000");
  if (check.size() != 1) {
    return invalid(field, "check must be 1 character, got " + std::to_string(check.size()));
  }
  const char expected = mod3736CheckChar(type + issuer + serial + version);
  if (check[0] != expected) {
    return invalid(field,
                   "check character is " + quote(check[0]) + ", expected " + quote(expected));
  }
  return id;
}

}  // namespace tongban::ids
