// Compiling and enforcing certificate-type surface schemas.
#include "tongban/certs/certificate_type.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tongban/certs/jcs.h"
#include "tongban/common/identifiers.h"

namespace tongban::certs {
namespace {

enum class FieldType {
  kString,
  kEnum,
  kInteger,
  kNumber,
  kBoolean,
  kDate,
  kCitizenId,
  kCreditCode,
  kRegionCode,
  kArray
};

struct FieldTypeName {
  FieldType type;
  const char* name;
};
// Limits that keep std::regex (recursive, see validate) safe on untrusted surfaces.
constexpr size_t kMaxPatternBytes = 512;
constexpr size_t kMaxPatternInput = 256;  // code points

constexpr FieldTypeName kFieldTypes[] = {
    {FieldType::kString, "string"},          {FieldType::kEnum, "enum"},
    {FieldType::kInteger, "integer"},        {FieldType::kNumber, "number"},
    {FieldType::kBoolean, "boolean"},        {FieldType::kDate, "date"},
    {FieldType::kCitizenId, "citizen_id"},   {FieldType::kCreditCode, "credit_code"},
    {FieldType::kRegionCode, "region_code"}, {FieldType::kArray, "array"},
};

// Constraints of one value (a field, or the items of an array field).
struct ValueRule {
  FieldType type = FieldType::kString;
  std::optional<size_t> min_length, max_length;
  std::string pattern_text;
  std::optional<std::wregex> pattern;  // over code points, so classes of Chinese characters work
  std::vector<std::string> values;     // enum
  std::optional<double> minimum, maximum;
  std::string min_date, max_date;
  // arrays
  std::optional<size_t> min_items, max_items;
  std::unique_ptr<ValueRule> items;
};

struct Field {
  std::string name;
  std::string label;
  bool required = false;
  ValueRule rule;
};

struct Rule {
  std::string kind;
  std::string a, b, c;  // meaning depends on kind
  std::string male, female;
  std::vector<std::string> fields;
};

std::wstring toWide(std::string_view utf8) {
  std::wstring out;
  size_t i = 0;
  while (i < utf8.size()) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    size_t extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
    uint32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k <= extra && i + k < utf8.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    }
    out.push_back(static_cast<wchar_t>(cp));
    i += extra + 1;
  }
  return out;
}

size_t codePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool isRealDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int y = std::atoi(std::string(s.substr(0, 4)).c_str());
  const int m = std::atoi(std::string(s.substr(5, 2)).c_str());
  const int d = std::atoi(std::string(s.substr(8, 2)).c_str());
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[m - 1];
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) days = 29;
  return d <= days;
}

std::string numberText(double d) { return formatJsonNumber(d); }

Status schemaError(const std::string& message) {
  return Status::invalid("surface_schema", message);
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

Status compileValueRule(const rapidjson::Value& spec, const std::string& where, ValueRule& rule,
                        bool allow_array) {
  const rapidjson::Value* type = member(spec, "type");
  if (type == nullptr || !type->IsString()) return schemaError(where + ": \"type\" is required");
  bool known = false;
  for (const auto& entry : kFieldTypes) {
    if (type->GetString() == std::string(entry.name)) {
      rule.type = entry.type;
      known = true;
    }
  }
  if (!known) return schemaError(where + ": unknown type \"" + type->GetString() + "\"");
  if (rule.type == FieldType::kArray && !allow_array) {
    return schemaError(where + ": arrays of arrays are not supported");
  }
  auto size_opt = [&](const char* name, std::optional<size_t>& out) -> Status {
    if (const rapidjson::Value* v = member(spec, name)) {
      if (!v->IsUint()) return schemaError(where + ": \"" + name + "\" must be a whole number");
      out = v->GetUint();
    }
    return Status();
  };
  if (Status s = size_opt("min_length", rule.min_length); !s) return s;
  if (Status s = size_opt("max_length", rule.max_length); !s) return s;
  if (Status s = size_opt("min_items", rule.min_items); !s) return s;
  if (Status s = size_opt("max_items", rule.max_items); !s) return s;
  if (const rapidjson::Value* v = member(spec, "pattern")) {
    if (!v->IsString()) return schemaError(where + ": \"pattern\" must be a string");
    rule.pattern_text = v->GetString();
    // libstdc++'s regex compiler overflows on huge repetition counts (found by
    // fuzz/surface_schema_fuzz with {7000000000000000000}); no certificate field needs one.
    if (rule.pattern_text.size() > kMaxPatternBytes) {
      return schemaError(where + ": pattern is longer than " + std::to_string(kMaxPatternBytes) +
                         " bytes");
    }
    for (size_t i = 0, digits = 0; i < rule.pattern_text.size(); ++i) {
      const char c = rule.pattern_text[i];
      digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
      if (digits > 4) return schemaError(where + ": pattern has a number above 9999");
    }
    try {
      rule.pattern.emplace(toWide(rule.pattern_text), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return schemaError(where + ": bad pattern: " + e.what());
    }
  }
  if (const rapidjson::Value* v = member(spec, "values")) {
    if (!v->IsArray() || v->Empty()) return schemaError(where + ": \"values\" must be a list");
    for (const auto& item : v->GetArray()) {
      if (!item.IsString()) return schemaError(where + ": \"values\" must be strings");
      rule.values.emplace_back(item.GetString());
    }
  }
  if (rule.type == FieldType::kEnum && rule.values.empty()) {
    return schemaError(where + ": an enum needs \"values\"");
  }
  for (const char* name : {"minimum", "maximum"}) {
    const rapidjson::Value* v = member(spec, name);
    if (v == nullptr) continue;
    const bool is_min = std::string(name) == "minimum";
    if (rule.type == FieldType::kDate) {
      if (!v->IsString() || !isRealDate(v->GetString())) {
        return schemaError(where + ": \"" + name + "\" must be a date YYYY-MM-DD");
      }
      (is_min ? rule.min_date : rule.max_date) = v->GetString();
    } else {
      if (!v->IsNumber()) return schemaError(where + ": \"" + name + "\" must be a number");
      (is_min ? rule.minimum : rule.maximum) = v->GetDouble();
    }
  }
  if (rule.type == FieldType::kArray) {
    const rapidjson::Value* items = member(spec, "items");
    if (items == nullptr || !items->IsObject()) {
      return schemaError(where + ": an array needs \"items\"");
    }
    rule.items = std::make_unique<ValueRule>();
    if (Status s = compileValueRule(*items, where + ".items", *rule.items, false); !s) return s;
  }
  return Status();
}

}  // namespace

struct SurfaceSchema::Impl {
  std::vector<Field> fields;
  std::vector<Rule> rules;
  std::string holder_name_field, holder_code_field, number_field;

  const Field* find(const std::string& name) const {
    for (const Field& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  // Checks one value against a rule; normalises identifiers in place.
  Status checkValue(rapidjson::Value& value, const ValueRule& rule, const std::string& path,
                    const std::string& label, rapidjson::MemoryPoolAllocator<>* allocator) const {
    auto bad = [&](const std::string& message) {
      return Status::invalid(path, label + " " + message);
    };
    switch (rule.type) {
      case FieldType::kString:
      case FieldType::kEnum:
      case FieldType::kDate:
      case FieldType::kCitizenId:
      case FieldType::kCreditCode:
      case FieldType::kRegionCode:
        if (!value.IsString()) return bad("must be a string");
        break;
      case FieldType::kInteger:
        if (!value.IsNumber() || !(value.IsInt64() || value.IsUint64())) {
          return bad("must be a whole number");
        }
        break;
      case FieldType::kNumber:
        if (!value.IsNumber()) return bad("must be a number");
        break;
      case FieldType::kBoolean:
        if (!value.IsBool()) return bad("must be true or false");
        break;
      case FieldType::kArray:
        if (!value.IsArray()) return bad("must be a list");
        break;
    }
    const std::string text = value.IsString() ? value.GetString() : std::string();
    switch (rule.type) {
      case FieldType::kString: {
        const size_t n = codePoints(text);
        if (rule.min_length && n < *rule.min_length) {
          return bad(n == 0 ? "must not be empty"
                            : "must have at least " + std::to_string(*rule.min_length) +
                                  " characters, has " + std::to_string(n));
        }
        if (rule.max_length && n > *rule.max_length) {
          return bad("must have at most " + std::to_string(*rule.max_length) + " characters, has " +
                     std::to_string(n));
        }
        // libstdc++ matches by recursion, about one frame per character: a 30,000-character
        // value overflowed an 8 MiB stack. Patterned values are codes and numbers; refuse long
        // ones before matching.
        if (rule.pattern && n > kMaxPatternInput) {
          return bad("must have at most " + std::to_string(kMaxPatternInput) +
                     " characters to be checked against its pattern, has " + std::to_string(n));
        }
        if (rule.pattern && !std::regex_match(toWide(text), *rule.pattern)) {
          return bad("'" + text + "' does not match the pattern " + rule.pattern_text);
        }
        break;
      }
      case FieldType::kEnum: {
        bool found = false;
        std::string allowed;
        for (const std::string& v : rule.values) {
          found = found || v == text;
          allowed += (allowed.empty() ? "" : ", ") + v;
        }
        if (!found) return bad("'" + text + "' is not one of: " + allowed);
        break;
      }
      case FieldType::kDate:
        if (!isRealDate(text)) return bad("'" + text + "' is not a date YYYY-MM-DD");
        if (!rule.min_date.empty() && text < rule.min_date) {
          return bad(text + " is before " + rule.min_date);
        }
        if (!rule.max_date.empty() && text > rule.max_date) {
          return bad(text + " is after " + rule.max_date);
        }
        break;
      case FieldType::kCitizenId:
      case FieldType::kCreditCode:
      case FieldType::kRegionCode: {
        Result<std::string> normalized =
            rule.type == FieldType::kCitizenId    ? ids::normalizeCitizenId(text, path)
            : rule.type == FieldType::kCreditCode ? ids::normalizeCreditCode(text, path)
                                                  : ids::normalizeRegionCode(text, path);
        if (!normalized) {
          return Status::invalid(path, label + ": " + normalized.status().message());
        }
        if (*normalized != text) value.SetString(normalized->c_str(), *allocator);
        break;
      }
      case FieldType::kInteger:
      case FieldType::kNumber: {
        const double d = value.GetDouble();
        if (!std::isfinite(d)) return bad("must be finite");
        if (rule.minimum && d < *rule.minimum) {
          return bad(numberText(d) + " is less than " + numberText(*rule.minimum));
        }
        if (rule.maximum && d > *rule.maximum) {
          return bad(numberText(d) + " is greater than " + numberText(*rule.maximum));
        }
        break;
      }
      case FieldType::kBoolean:
        break;
      case FieldType::kArray: {
        const size_t n = value.Size();
        if (rule.min_items && n < *rule.min_items) {
          return bad("must have at least " + std::to_string(*rule.min_items) + " items, has " +
                     std::to_string(n));
        }
        if (rule.max_items && n > *rule.max_items) {
          return bad("must have at most " + std::to_string(*rule.max_items) + " items, has " +
                     std::to_string(n));
        }
        for (rapidjson::SizeType i = 0; i < n; ++i) {
          if (Status s = checkValue(value[i], *rule.items, path + "[" + std::to_string(i) + "]",
                                    label + " item " + std::to_string(i + 1), allocator);
              !s) {
            return s;
          }
        }
        break;
      }
    }
    return Status();
  }
};

SurfaceSchema::SurfaceSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SurfaceSchema::~SurfaceSchema() = default;

Result<std::shared_ptr<const SurfaceSchema>> SurfaceSchema::compile(std::string_view schema_json) {
  rapidjson::Document doc;
  if (Status s = parseJsonStrict(schema_json, doc, "surface_schema"); !s) return s;
  if (!doc.IsObject()) return schemaError("must be a JSON object");
  auto impl = std::make_unique<Impl>();
  const rapidjson::Value* fields = member(doc, "fields");
  if (fields == nullptr || !fields->IsArray() || fields->Empty()) {
    return schemaError("\"fields\" must be a non-empty list");
  }
  for (const auto& spec : fields->GetArray()) {
    if (!spec.IsObject()) return schemaError("every field must be an object");
    Field field;
    const rapidjson::Value* name = member(spec, "name");
    if (name == nullptr || !name->IsString() ||
        !std::regex_match(name->GetString(), std::regex("^[a-z][a-z0-9_]{0,63}$"))) {
      return schemaError("every field needs a \"name\" of [a-z][a-z0-9_]*");
    }
    field.name = name->GetString();
    if (impl->find(field.name) != nullptr) return schemaError("field " + field.name + " twice");
    const rapidjson::Value* label = member(spec, "label");
    field.label = label != nullptr && label->IsString() ? label->GetString() : field.name;
    const rapidjson::Value* required = member(spec, "required");
    field.required = required != nullptr && required->IsBool() && required->GetBool();
    if (Status s = compileValueRule(spec, "field " + field.name, field.rule, true); !s) return s;
    impl->fields.push_back(std::move(field));
  }
  auto field_name = [&](const char* key, std::string& out, bool optional) -> Status {
    const rapidjson::Value* v = member(doc, key);
    if (v == nullptr) {
      return optional ? Status() : schemaError(std::string("\"") + key + "\" is required");
    }
    if (!v->IsString() || impl->find(v->GetString()) == nullptr) {
      return schemaError(std::string("\"") + key + "\" must name a field");
    }
    out = v->GetString();
    return Status();
  };
  if (Status s = field_name("holder_name_field", impl->holder_name_field, true); !s) return s;
  if (Status s = field_name("holder_code_field", impl->holder_code_field, true); !s) return s;
  if (Status s = field_name("number_field", impl->number_field, true); !s) return s;

  if (const rapidjson::Value* rules = member(doc, "rules")) {
    if (!rules->IsArray()) return schemaError("\"rules\" must be a list");
    for (const auto& spec : rules->GetArray()) {
      const rapidjson::Value* kind = spec.IsObject() ? member(spec, "kind") : nullptr;
      if (kind == nullptr || !kind->IsString()) return schemaError("every rule needs a \"kind\"");
      Rule rule;
      rule.kind = kind->GetString();
      auto str = [&](const char* key, std::string& out, bool is_field) -> Status {
        const rapidjson::Value* v = member(spec, key);
        if (v == nullptr || !v->IsString()) {
          return schemaError("rule " + rule.kind + " needs \"" + key + "\"");
        }
        out = v->GetString();
        if (is_field && impl->find(out) == nullptr) {
          return schemaError("rule " + rule.kind + ": no field " + out);
        }
        return Status();
      };
      Status s;
      if (rule.kind == "date_order") {
        if (s = str("earlier", rule.a, true); s) s = str("later", rule.b, true);
      } else if (rule.kind == "citizen_id_birth_date") {
        if (s = str("id_field", rule.a, true); s) s = str("date_field", rule.b, true);
      } else if (rule.kind == "citizen_id_sex") {
        if (s = str("id_field", rule.a, true); s) s = str("sex_field", rule.b, true);
        if (s) s = str("male", rule.male, false);
        if (s) s = str("female", rule.female, false);
      } else if (rule.kind == "citizen_id_sex_is") {
        if (s = str("id_field", rule.a, true); s) s = str("sex", rule.c, false);
        if (s && rule.c != "M" && rule.c != "F") s = schemaError("citizen_id_sex_is: sex M or F");
      } else if (rule.kind == "holder_code_in" || rule.kind == "holder_name_in") {
        const rapidjson::Value* list = member(spec, "fields");
        if (list == nullptr || !list->IsArray() || list->Empty()) {
          s = schemaError("rule " + rule.kind + " needs \"fields\"");
        } else {
          for (const auto& f : list->GetArray()) {
            if (!f.IsString() || impl->find(f.GetString()) == nullptr) {
              s = schemaError("rule " + rule.kind + ": \"fields\" must name fields");
              break;
            }
            rule.fields.emplace_back(f.GetString());
          }
        }
      } else {
        s = schemaError("unknown rule kind \"" + rule.kind + "\"");
      }
      if (!s) return s;
      impl->rules.push_back(std::move(rule));
    }
  }
  return std::shared_ptr<const SurfaceSchema>(new SurfaceSchema(std::move(impl)));
}

Status SurfaceSchema::validate(rapidjson::Document& surface, const std::string& holder_code,
                               const std::string& holder_name) const {
  if (!surface.IsObject()) return Status::invalid("surface", "must be a JSON object");
  const Impl& impl = *impl_;
  std::set<std::string> seen;
  for (const auto& m : surface.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    if (impl.find(name) == nullptr) {
      return Status::invalid("surface." + name, "is not a field of this certificate type");
    }
    if (!seen.insert(name).second) return Status::invalid("surface." + name, "appears twice");
  }
  for (const Field& field : impl.fields) {
    const std::string path = "surface." + field.name;
    auto it = surface.FindMember(field.name.c_str());
    if (it == surface.MemberEnd() || it->value.IsNull()) {
      if (field.required) return Status::invalid(path, field.label + " is required");
      if (it != surface.MemberEnd()) surface.RemoveMember(it);  // null == absent; keep it absent
      continue;
    }
    if (Status s =
            impl.checkValue(it->value, field.rule, path, field.label, &surface.GetAllocator());
        !s) {
      return s;
    }
  }
  auto text = [&](const std::string& name) -> std::string {
    auto it = surface.FindMember(name.c_str());
    return it != surface.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  auto label = [&](const std::string& name) { return impl.find(name)->label; };
  if (!impl.holder_code_field.empty() && text(impl.holder_code_field) != holder_code) {
    return Status::invalid("surface." + impl.holder_code_field,
                           label(impl.holder_code_field) + " '" + text(impl.holder_code_field) +
                               "' is not the holder's code " + holder_code);
  }
  if (!impl.holder_name_field.empty() && text(impl.holder_name_field) != holder_name) {
    return Status::invalid("surface." + impl.holder_name_field,
                           label(impl.holder_name_field) + " '" + text(impl.holder_name_field) +
                               "' is not the holder's name " + holder_name);
  }
  for (const Rule& rule : impl.rules) {
    if (rule.kind == "date_order") {
      const std::string a = text(rule.a), b = text(rule.b);
      if (!a.empty() && !b.empty() && b < a) {
        return Status::invalid("surface." + rule.b,
                               label(rule.b) + " " + b + " is before " + label(rule.a) + " " + a);
      }
    } else if (rule.kind == "citizen_id_birth_date") {
      const std::string id = text(rule.a), date = text(rule.b);
      if (id.size() == 18 && !date.empty()) {
        const std::string from_id =
            id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2);
        if (from_id != date) {
          return Status::invalid("surface." + rule.b, label(rule.b) + " " + date +
                                                          " differs from the birth date " +
                                                          from_id + " in " + label(rule.a));
        }
      }
    } else if (rule.kind == "citizen_id_sex" || rule.kind == "citizen_id_sex_is") {
      const std::string id = text(rule.a);
      if (id.size() != 18) continue;
      const char sex = ids::citizenIdSex(id);
      if (rule.kind == "citizen_id_sex") {
        const std::string expected = sex == 'M' ? rule.male : rule.female;
        if (text(rule.b) != expected) {
          return Status::invalid("surface." + rule.b, label(rule.b) + " '" + text(rule.b) +
                                                          "' disagrees with " + label(rule.a) +
                                                          " (" + expected + ")");
        }
      } else if (std::string(1, sex) != rule.c) {
        return Status::invalid("surface." + rule.a, label(rule.a) + " " + id + " is not a " +
                                                        (rule.c == "M" ? "man's" : "woman's") +
                                                        " citizen id");
      }
    } else if (rule.kind == "holder_code_in" || rule.kind == "holder_name_in") {
      const bool code = rule.kind == "holder_code_in";
      bool found = false;
      std::string labels;
      for (const std::string& f : rule.fields) {
        found = found || text(f) == (code ? holder_code : holder_name);
        labels += (labels.empty() ? "" : " or ") + label(f);
      }
      if (!found) {
        return Status::invalid(code ? "holder.code" : "holder.name",
                               std::string("the holder's ") + (code ? "code " : "name ") +
                                   (code ? holder_code : holder_name) + " is not the " + labels);
      }
    }
  }
  return Status();
}

std::string SurfaceSchema::number(const rapidjson::Value& surface) const {
  if (impl_->number_field.empty() || !surface.IsObject()) return {};
  auto it = surface.FindMember(impl_->number_field.c_str());
  if (it == surface.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

const char* holderCodeType(HolderKind kind) { return kind == HolderKind::kPerson ? "111" : "001"; }

}  // namespace tongban::certs
