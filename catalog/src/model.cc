// String conversions and small predicates of the catalog's values.
#include "tongban/catalog/model.h"

#include <algorithm>

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
