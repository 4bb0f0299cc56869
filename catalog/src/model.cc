// String conversions and small predicates of the catalog's values.
#include "tongban/catalog/model.h"

#include <algorithm>
#include <cstdio>

namespace tongban::catalog {
namespace {

template <typename E, size_t N>
const char* nameOf(E v, const char* const (&names)[N]) {
  const auto i = static_cast<size_t>(v);
  return i < N ? names[i] : "?";
}

template <typename E, size_t N>
std::optional<E> parseName(std::string_view s, const char* const (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

// Each list is in the order of its enum's enumerators.
const char* const kSharingTypes[] = {"unconditional", "conditional", "not_shared"};
const char* const kUpdateCycles[] = {"realtime",  "daily",  "weekly",   "monthly",
                                     "quarterly", "yearly", "irregular"};
const char* const kResourceStatuses[] = {"draft", "published", "retired"};
const char* const kFieldTypes[] = {"string", "date", "integer", "decimal", "timestamp", "enum"};
const char* const kSensitivities[] = {"public", "internal", "sensitive", "secret"};
const char* const kMaskingRules[] = {"none",  "citizen_id", "credit_code", "name",
                                     "phone", "address",    "date",        "full"};
const char* const kRequestStates[] = {"pending", "approved", "rejected", "withdrawn"};
const char* const kGrantStates[] = {"active", "suspended", "revoked"};
const char* const kRoles[] = {"consumer", "provider", "admin"};
const char* const kObjectTypes[] = {"resource", "request", "grant", "source"};

bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at s[*pos].
bool digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (!isDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

const char* toString(SharingType v) { return nameOf(v, kSharingTypes); }
const char* toString(UpdateCycle v) { return nameOf(v, kUpdateCycles); }
const char* toString(ResourceStatus v) { return nameOf(v, kResourceStatuses); }
const char* toString(FieldType v) { return nameOf(v, kFieldTypes); }
const char* toString(Sensitivity v) { return nameOf(v, kSensitivities); }
const char* toString(MaskingRule v) { return nameOf(v, kMaskingRules); }
const char* toString(RequestState v) { return nameOf(v, kRequestStates); }
const char* toString(GrantState v) { return nameOf(v, kGrantStates); }
const char* toString(Role v) { return nameOf(v, kRoles); }
const char* toString(ObjectType v) { return nameOf(v, kObjectTypes); }

std::optional<SharingType> parseSharingType(std::string_view s) {
  return parseName<SharingType>(s, kSharingTypes);
}
std::optional<UpdateCycle> parseUpdateCycle(std::string_view s) {
  return parseName<UpdateCycle>(s, kUpdateCycles);
}
std::optional<ResourceStatus> parseResourceStatus(std::string_view s) {
  return parseName<ResourceStatus>(s, kResourceStatuses);
}
std::optional<FieldType> parseFieldType(std::string_view s) {
  return parseName<FieldType>(s, kFieldTypes);
}
std::optional<Sensitivity> parseSensitivity(std::string_view s) {
  return parseName<Sensitivity>(s, kSensitivities);
}
std::optional<MaskingRule> parseMaskingRule(std::string_view s) {
  return parseName<MaskingRule>(s, kMaskingRules);
}
std::optional<RequestState> parseRequestState(std::string_view s) {
  return parseName<RequestState>(s, kRequestStates);
}
std::optional<GrantState> parseGrantState(std::string_view s) {
  return parseName<GrantState>(s, kGrantStates);
}
std::optional<Role> parseRole(std::string_view s) { return parseName<Role>(s, kRoles); }

std::string formatTimestamp(TimePoint t) {
  const int64_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civilFromDays(days, &y, &m, &d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                d, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

std::optional<TimePoint> parseTimestamp(std::string_view s) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, &pos, 4, &year) || !expect(s, &pos, '-') || !digits(s, &pos, 2, &month) ||
      !expect(s, &pos, '-') || !digits(s, &pos, 2, &day)) {
    return std::nullopt;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!digits(s, &pos, 2, &hour) || !expect(s, &pos, ':') || !digits(s, &pos, 2, &minute) ||
      !expect(s, &pos, ':') || !digits(s, &pos, 2, &second)) {
    return std::nullopt;
  }
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && isDigit(s[pos])) {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (size_t i = n; i < 6; ++i) micros *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(s, &pos, 2, &oh) || !expect(s, &pos, ':') || !digits(s, &pos, 2, &om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > daysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  const int64_t days =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(secs) +
                                                               std::chrono::microseconds(micros)));
}

bool isValidResourceCode(std::string_view code) {
  if (code.empty() || code.size() > 64 || !isUpper(code[0])) return false;
  bool after_dash = false;
  for (char c : code) {
    if (c == '-') {
      if (after_dash) return false;
      after_dash = true;
    } else if (isUpper(c) || isDigit(c)) {
      after_dash = false;
    } else {
      return false;
    }
  }
  return !after_dash;
}

bool isValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !isLower(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isLower(c) || isDigit(c) || c == '_'; });
}

bool isValidMatterCode(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  if (!(isUpper(code[0]) || isLower(code[0]) || isDigit(code[0]))) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return isUpper(c) || isLower(c) || isDigit(c) || c == '.' || c == '_' || c == '-';
  });
}

const ResourceField* Resource::field(std::string_view field_name) const {
  for (const ResourceField& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

namespace {
bool containsName(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}
}  // namespace

bool Grant::grantsField(std::string_view field) const { return containsName(fields, field); }
bool Grant::liftsMasking(std::string_view field) const {
  return containsName(unmasked_fields, field);
}
bool Grant::coversMatter(std::string_view matter_code) const {
  return containsName(matter_codes, matter_code);
}
bool Grant::usableAt(TimePoint now) const {
  return state == GrantState::kActive && valid_from <= now && now < valid_to;
}

}  // namespace tongban::catalog
