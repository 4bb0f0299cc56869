#include "tongban/adapters/flowback_schema.h"

#include <rapidjson/document.h>

#include <cstring>

#include "tongban/common/identifiers.h"
#include "tongban/common/json.h"
#include "tongban/common/pg_copy.h"

namespace tongban::flowback {
namespace {

using K = ColumnKind;

// deploy/sql/0001_population.sql. ethnicity has no CHECK there; 32 characters hold the longest
// of the 56 recognised names with room to spare.
const Registry kPopulation{
    "population",
    "population.persons",
    {
        {"citizen_id", "char(18)", K::kCitizenId, true, false, 0, 0, false, {}, nullptr},
        {"name", "text", K::kText, true, false, 1, 64, false, {}, nullptr},
        {"sex", "char(1)", K::kSex, false, false, 0, 0, false, {}, nullptr},
        {"birth_date", "date", K::kDate, false, false, 0, 0, false, {}, "1850-01-01"},
        {"ethnicity", "text", K::kText, false, false, 1, 32, false, {}, nullptr},
        {"region_code", "char(6)", K::kRegion, true, false, 0, 0, false, {}, nullptr},
        {"address", "text", K::kText, true, false, 1, 256, true, {}, nullptr},
        {"status",
         "text",
         K::kChoice,
         false,
         false,
         0,
         0,
         false,
         {"living", "deceased", "emigrated"},
         nullptr},
    }};

// deploy/sql/0002_legal_entity.sql.
const Registry kLegalEntity{
    "legal_entity",
    "legal_entity.entities",
    {
        {"credit_code", "char(18)", K::kCreditCode, true, false, 0, 0, false, {}, nullptr},
        {"name", "text", K::kText, true, false, 2, 128, false, {}, nullptr},
        {"entity_type",
         "text",
         K::kChoice,
         true,
         false,
         0,
         0,
         false,
         {"llc", "joint_stock", "sole_proprietorship", "partnership", "individual_business",
          "farmer_cooperative", "branch"},
         nullptr},
        {"legal_rep_citizen_id", "char(18)", K::kCitizenId, true, false, 0, 0, false, {}, nullptr},
        {"registered_capital", "numeric(18,2)", K::kAmount, false, true, 0, 0, false, {}, nullptr},
        {"established_on", "date", K::kDate, true, false, 0, 0, false, {}, "1949-10-01"},
        {"region_code", "char(6)", K::kRegion, true, false, 0, 0, false, {}, nullptr},
        {"address", "text", K::kText, true, false, 1, 256, true, {}, nullptr},
        {"status",
         "text",
         K::kChoice,
         false,
         false,
         0,
         0,
         false,
         {"in_business", "abnormal", "revoked", "deregistered"},
         nullptr},
        {"business_scope", "text", K::kText, true, false, 0, 2000, true, {}, nullptr},
    }};

bool isPopulation(const ColumnSet& set) { return set.registry == &kPopulation; }
constexpr int kSexColumn = 2;
constexpr int kBirthDateColumn = 3;

int columnIndex(const Registry& r, std::string_view name) {
  for (size_t i = 0; i < r.columns.size(); ++i) {
    if (name == r.columns[i].name) return static_cast<int>(i);
  }
  return -1;
}

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// "YYYY-MM-DD", a real date.
bool isDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const int max = kDays[m - 1] + (m == 2 && isLeapYear(y) ? 1 : 0);
  return d <= max;
}

// numeric(18,2), not negative: up to 16 digits, optionally '.' and one or two digits.
bool isAmount(std::string_view s) {
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 16) return false;
  for (char c : whole) {
    if (c < '0' || c > '9') return false;
  }
  if (dot == std::string_view::npos) return true;
  const std::string_view frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 2) return false;
  for (char c : frac) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Control characters: C0 and DEL; tab, CR and LF only where the column allows line breaks.
const char* controlCharacter(std::string_view s, bool line_breaks) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return "a NUL character";
    if ((c < 0x20 || c == 0x7F) && !(line_breaks && (c == '\t' || c == '\n' || c == '\r'))) {
      return "a control character";
    }
  }
  return nullptr;
}

Status validateText(const Column& c, std::string_view v) {
  const std::optional<size_t> n = utf8Length(v);
  if (!n) return Status::invalid(c.name, "is not valid UTF-8");
  if (const char* what = controlCharacter(v, c.line_breaks)) {
    return Status::invalid(c.name, std::string("contains ") + what);
  }
  if (c.kind != K::kText) return Status::ok();
  if (*n < static_cast<size_t>(c.min_chars) || *n > static_cast<size_t>(c.max_chars)) {
    if (*n == 0) return Status::invalid(c.name, "is empty");
    return Status::invalid(c.name, "must be " + std::to_string(c.min_chars) + " to " +
                                       std::to_string(c.max_chars) + " characters, got " +
                                       std::to_string(*n));
  }
  return Status::ok();
}

// A value quoted for a message, cut short and made printable.
std::string shown(std::string_view v) {
  std::string out = "'";
  for (size_t i = 0; i < v.size() && i < 40; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    out += (c < 0x20 || c == 0x7F || c >= 0x80) ? '?' : static_cast<char>(c);
  }
  if (v.size() > 40) out += "...";
  return out + "'";
}

}  // namespace

std::optional<size_t> utf8Length(std::string_view s) {
  size_t count = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (end - p < 2 || (p[1] & 0xC0) != 0x80) return std::nullopt;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return std::nullopt;
      if (c == 0xE0 && p[1] < 0xA0) return std::nullopt;   // overlong
      if (c == 0xED && p[1] >= 0xA0) return std::nullopt;  // surrogate
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) {
        return std::nullopt;
      }
      if (c == 0xF0 && p[1] < 0x90) return std::nullopt;   // overlong
      if (c == 0xF4 && p[1] >= 0x90) return std::nullopt;  // beyond U+10FFFF
      p += 4;
    } else {
      return std::nullopt;
    }
    ++count;
  }
  return count;
}

const Registry* findRegistry(std::string_view name) {
  if (name == kPopulation.name) return &kPopulation;
  if (name == kLegalEntity.name) return &kLegalEntity;
  return nullptr;
}

Result<ColumnSet> mapColumns(const Registry& registry, const std::vector<std::string>& names) {
  ColumnSet set;
  set.registry = &registry;
  set.source.assign(registry.columns.size(), -1);
  for (size_t i = 0; i < names.size(); ++i) {
    const int col = columnIndex(registry, names[i]);
    if (col < 0) {
      std::string known;
      for (const Column& c : registry.columns)
        known += std::string(known.empty() ? "" : ", ") + c.name;
      return Status::invalid(names[i].empty() ? "header" : names[i],
                             "column " + shown(names[i]) + " is not a column of " + registry.table +
                                 " (" + known + ")");
    }
    if (set.source[static_cast<size_t>(col)] >= 0) {
      return Status::invalid(names[i], "column " + names[i] + " appears twice");
    }
    set.source[static_cast<size_t>(col)] = static_cast<int>(i);
  }
  for (size_t c = 0; c < registry.columns.size(); ++c) {
    const bool derived = &registry == &kPopulation && (static_cast<int>(c) == kSexColumn ||
                                                       static_cast<int>(c) == kBirthDateColumn);
    if (registry.columns[c].required && set.source[c] < 0) {
      return Status::invalid(registry.columns[c].name,
                             std::string("column ") + registry.columns[c].name + " is missing");
    }
    if (set.source[c] >= 0 || derived) set.written.push_back(static_cast<int>(c));
  }
  return set;
}

Status valuesFromCsv(const ColumnSet& set, const std::vector<std::string>& fields, Values* out) {
  size_t expected = 0;
  for (int s : set.source) expected += s >= 0 ? 1 : 0;
  if (fields.size() != expected) {
    return Status::invalid("record", "expected " + std::to_string(expected) + " fields, found " +
                                         std::to_string(fields.size()));
  }
  const auto& cols = set.registry->columns;
  out->assign(cols.size(), std::nullopt);
  for (size_t c = 0; c < cols.size(); ++c) {
    const int s = set.source[c];
    if (s < 0) continue;
    const std::string& f = fields[static_cast<size_t>(s)];
    if (f.empty() && cols[c].nullable) continue;
    (*out)[c] = f;
  }
  return Status::ok();
}

Result<std::vector<std::string>> jsonKeys(std::string_view json) {
  rapidjson::Document doc;
  if (Status s = parseJsonObject(json, doc, "record"); !s) return s;
  std::vector<std::string> keys;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    keys.emplace_back(it->name.GetString(), it->name.GetStringLength());
  }
  return keys;
}

Status valuesFromJson(const ColumnSet& set, std::string_view json, Values* out) {
  rapidjson::Document doc;
  if (Status s = parseJsonObject(json, doc, "record"); !s) return s;
  const auto& cols = set.registry->columns;
  out->assign(cols.size(), std::nullopt);
  std::vector<bool> seen(cols.size(), false);
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    const int col = columnIndex(*set.registry, key);
    if (col < 0 || set.source[static_cast<size_t>(col)] < 0) {
      return Status::invalid(std::string(key),
                             "key " + shown(key) + " is not among the first record's keys");
    }
    const auto c = static_cast<size_t>(col);
    if (seen[c]) return Status::invalid(cols[c].name, "key appears twice");
    seen[c] = true;
    const rapidjson::Value& v = it->value;
    if (v.IsString()) {
      (*out)[c] = std::string(v.GetString(), v.GetStringLength());
    } else if (v.IsNull() && cols[c].nullable) {
      // NULL
    } else if (cols[c].kind == K::kAmount && v.IsUint64()) {
      (*out)[c] = std::to_string(v.GetUint64());
    } else {
      return Status::invalid(cols[c].name, cols[c].kind == K::kAmount
                                               ? "must be a string such as \"1234.50\", an "
                                                 "integer or null"
                                               : "must be a string");
    }
  }
  for (size_t c = 0; c < cols.size(); ++c) {
    if (set.source[c] >= 0 && !seen[c]) {
      return Status::invalid(cols[c].name, std::string("key ") + cols[c].name + " is missing");
    }
  }
  return Status::ok();
}

Status validateRecord(const ColumnSet& set, Values* values) {
  const auto& cols = set.registry->columns;
  for (int ci : set.written) {
    const auto c = static_cast<size_t>(ci);
    const Column& col = cols[c];
    std::optional<std::string>& v = (*values)[c];
    if (!v) {
      if (col.nullable || set.source[c] < 0) continue;  // NULL, or derived below
      return Status::invalid(col.name, "is missing");
    }
    if (Status s = validateText(col, *v); !s) return s;
    switch (col.kind) {
      case K::kCitizenId: {
        Result<std::string> id = ids::normalizeCitizenId(*v, col.name);
        if (!id) return id.status();
        *v = std::move(*id);
        break;
      }
      case K::kCreditCode: {
        Result<std::string> code = ids::normalizeCreditCode(*v, col.name);
        if (!code) return code.status();
        *v = std::move(*code);
        break;
      }
      case K::kRegion: {
        Result<std::string> region = ids::normalizeRegionCode(*v, col.name);
        if (!region) return region.status();
        *v = std::move(*region);
        break;
      }
      case K::kText:
        break;
      case K::kChoice: {
        bool ok = false;
        std::string list;
        for (const char* choice : col.choices) {
          ok = ok || *v == choice;
          list += std::string(list.empty() ? "" : ", ") + choice;
        }
        if (!ok) return Status::invalid(col.name, shown(*v) + " is not one of " + list);
        break;
      }
      case K::kDate:
        if (!isDate(*v)) {
          return Status::invalid(col.name, shown(*v) + " is not a real date as YYYY-MM-DD");
        }
        if (col.min_date != nullptr && v->compare(col.min_date) < 0) {
          return Status::invalid(col.name, *v + " is before " + col.min_date);
        }
        break;
      case K::kSex:
        if (*v != "M" && *v != "F") return Status::invalid(col.name, shown(*v) + " is not M or F");
        break;
      case K::kAmount:
        if (!isAmount(*v)) {
          return Status::invalid(col.name, shown(*v) +
                                               " is not an amount in yuan (up to 16 digits, "
                                               "optionally '.' and 2 more; not negative)");
        }
        break;
    }
  }
  if (isPopulation(set)) {
    // The table's CHECKs: sex and birth date agree with the citizen id.
    const std::string& id = *(*values)[0];
    const std::string sex(1, ids::citizenIdSex(id));
    const std::string birth = id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2);
    auto& vs = (*values)[kSexColumn];
    auto& vb = (*values)[kBirthDateColumn];
    if (vs && *vs != sex) {
      return Status::invalid("sex", *vs + " disagrees with the citizen id (" + sex + ")");
    }
    if (vb && *vb != birth) {
      return Status::invalid("birth_date", *vb + " disagrees with the citizen id (" + birth + ")");
    }
    vs = sex;
    vb = birth;
  }
  return Status::ok();
}

void appendCopyLine(const ColumnSet& set, const Values& values, uint64_t line, std::string* out) {
  for (int ci : set.written) {
    const std::optional<std::string>& v = values[static_cast<size_t>(ci)];
    if (v) {
      db::appendCopyText(out, *v);
    } else {
      out->append("\\N");
    }
    out->push_back('\t');
  }
  out->append(std::to_string(line));
  out->push_back('\n');
}

}  // namespace tongban::flowback
