#include "tongban/verification/matters.h"

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/common/identifiers.h"

namespace tongban::verification {
namespace {

using rapidjson::Value;

bool isCode(std::string_view code) {  // the service.matters / service.things CHECK
  if (code.empty() || code.size() > 64) return false;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

bool isTypeCode(std::string_view code) {
  if (code.size() != 21) return false;
  for (char c : code) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

// A GB/T 2260 prefix: 2, 4 or 6 digits, not starting with 0.
bool isRegionPrefix(std::string_view region) {
  if (region.size() != 2 && region.size() != 4 && region.size() != 6) return false;
  if (region[0] == '0') return false;
  for (char c : region) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Reads the members of an object, refusing any not in `allowed`.
class ObjectReader {
 public:
  ObjectReader(const Value& v, std::string prefix) : v_(v), prefix_(std::move(prefix)) {}

  Status expectObject(std::initializer_list<const char*> allowed) const {
    if (!v_.IsObject()) return Status::invalid(name(""), "must be a JSON object");
    for (auto it = v_.MemberBegin(); it != v_.MemberEnd(); ++it) {
      const std::string_view member(it->name.GetString(), it->name.GetStringLength());
      bool known = false;
      for (const char* a : allowed) known = known || member == a;
      if (!known) return Status::invalid(name(std::string(member)), "is not a known member");
    }
    return Status::ok();
  }

  // Required (or optional when `required` is false: nullopt when absent) string.
  Result<std::optional<std::string>> string(const char* member, bool required,
                                            size_t max_chars) const {
    auto it = v_.FindMember(member);
    if (it == v_.MemberEnd() || it->value.IsNull()) {
      if (required) return Status::invalid(name(member), "is required");
      return std::optional<std::string>();
    }
    if (!it->value.IsString()) return Status::invalid(name(member), "must be a string");
    std::string s(it->value.GetString(), it->value.GetStringLength());
    if (s.size() > max_chars * 4) {
      return Status::invalid(name(member),
                             "is longer than " + std::to_string(max_chars) + " characters");
    }
    return std::optional<std::string>(std::move(s));
  }

  Result<std::optional<int>> integer(const char* member, int lo, int hi) const {
    auto it = v_.FindMember(member);
    if (it == v_.MemberEnd() || it->value.IsNull()) return std::optional<int>();
    if (!it->value.IsInt() || it->value.GetInt() < lo || it->value.GetInt() > hi) {
      return Status::invalid(name(member), "must be an integer from " + std::to_string(lo) +
                                               " to " + std::to_string(hi));
    }
    return std::optional<int>(it->value.GetInt());
  }

  const Value* array(const char* member) const {
    auto it = v_.FindMember(member);
    return it == v_.MemberEnd() ? nullptr : &it->value;
  }

  std::string name(const std::string& member) const {
    if (member.empty()) return prefix_.empty() ? "body" : prefix_;
    return prefix_.empty() ? member : prefix_ + "." + member;
  }

 private:
  const Value& v_;
  std::string prefix_;
};

size_t utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Status needText(const std::optional<std::string>& s, const std::string& field, size_t lo,
                size_t hi) {
  const size_t n = s ? utf8Chars(*s) : 0;
  if (n < lo || n > hi) {
    return Status::invalid(
        field, "must be " + std::to_string(lo) + " to " + std::to_string(hi) + " characters");
  }
  for (unsigned char c : *s) {
    if (c < 0x20 || c == 0x7F) return Status::invalid(field, "must not contain control characters");
  }
  return Status::ok();
}

Result<SubjectRole> parseRole(const std::optional<std::string>& s, const std::string& field) {
  if (s && *s == "person") return SubjectRole::kPerson;
  if (s && *s == "entity") return SubjectRole::kEntity;
  return Status::invalid(field, "must be \"person\" or \"entity\"");
}

bool personKind(CheckKind kind) {
  return kind == CheckKind::kPersonAlive || kind == CheckKind::kPersonRegisteredIn ||
         kind == CheckKind::kPersonAgeAtLeast;
}

// A check template (subject empty): kind plus the parameters its kind takes.
Result<Check> parseTemplate(const Value& json, const std::string& prefix, bool persons_only) {
  ObjectReader r(json, prefix);
  if (Status s = r.expectObject({"kind", "region", "min_age", "type_code"}); !s) return s;
  auto kind_name = r.string("kind", true, 32);
  if (!kind_name) return kind_name.status();
  auto kind = parseKind(**kind_name, r.name("kind"));
  if (!kind) return kind.status();
  Check check;
  check.kind = *kind;
  if (check.kind == CheckKind::kCertificateValid || (persons_only && !personKind(check.kind))) {
    return Status::invalid(r.name("kind"), persons_only
                                               ? "must be a check over persons (person_alive, "
                                                 "person_registered_in, person_age_at_least)"
                                               : "certificate_valid needs a certificate id, which "
                                                 "a material cannot name");
  }
  auto region = r.string("region", false, 6);
  if (!region) return region.status();
  auto min_age = r.integer("min_age", 0, 150);
  if (!min_age) return min_age.status();
  auto type_code = r.string("type_code", false, 21);
  if (!type_code) return type_code.status();

  const bool wants_region =
      check.kind == CheckKind::kPersonRegisteredIn || check.kind == CheckKind::kHoldsCertificate;
  if (region->has_value()) {
    if (!wants_region) return Status::invalid(r.name("region"), "is not used by this kind");
    if (!isRegionPrefix(**region)) {
      return Status::invalid(r.name("region"), "must be a GB/T 2260 prefix of 2, 4 or 6 digits");
    }
    check.region = **region;
  } else if (check.kind == CheckKind::kPersonRegisteredIn) {
    return Status::invalid(r.name("region"), "is required for person_registered_in");
  }
  if (min_age->has_value() != (check.kind == CheckKind::kPersonAgeAtLeast)) {
    return Status::invalid(r.name("min_age"), min_age->has_value()
                                                  ? "is not used by this kind"
                                                  : "is required for person_age_at_least");
  }
  check.min_age = min_age->value_or(0);
  if (type_code->has_value() != (check.kind == CheckKind::kHoldsCertificate)) {
    return Status::invalid(r.name("type_code"), type_code->has_value()
                                                    ? "is not used by this kind"
                                                    : "is required for holds_certificate");
  }
  if (type_code->has_value()) {
    if (!isTypeCode(**type_code)) {
      return Status::invalid(r.name("type_code"), "must be a 21-character certificate type code");
    }
    check.type_code = **type_code;
  }
  return check;
}

Result<Material> parseMaterial(const Value& json, const std::string& prefix, int position) {
  ObjectReader r(json, prefix);
  if (Status s =
          r.expectObject({"position", "name", "substitute", "subject", "type_code", "check"});
      !s) {
    return s;
  }
  Material m;
  m.position = position;
  auto given_position = r.integer("position", 1, 200);
  if (!given_position) return given_position.status();
  if (given_position->has_value() && **given_position != position) {
    return Status::invalid(r.name("position"), "must be " + std::to_string(position) +
                                                   " (materials are numbered in order)");
  }
  auto name = r.string("name", true, 128);
  if (!name) return name.status();
  if (Status s = needText(*name, r.name("name"), 2, 128); !s) return s;
  m.name = **name;
  auto substitute = r.string("substitute", true, 16);
  if (!substitute) return substitute.status();
  auto subject = r.string("subject", false, 16);
  if (!subject) return subject.status();
  auto type_code = r.string("type_code", false, 21);
  if (!type_code) return type_code.status();
  const Value* check = r.array("check");

  if (**substitute == "none") {
    if (subject->has_value() || type_code->has_value() || check != nullptr) {
      return Status::invalid(r.name(subject->has_value()     ? "subject"
                                    : type_code->has_value() ? "type_code"
                                                             : "check"),
                             "is not used by a material that must be submitted");
    }
    m.substitute = Substitute::kNone;
    return m;
  }
  auto role = parseRole(*subject, r.name("subject"));
  if (!role) return role.status();
  m.subject = *role;
  if (**substitute == "certificate") {
    if (check != nullptr) return Status::invalid(r.name("check"), "is not used by a certificate");
    if (!type_code->has_value() || !isTypeCode(**type_code)) {
      return Status::invalid(r.name("type_code"), "must be a 21-character certificate type code");
    }
    m.substitute = Substitute::kCertificate;
    m.check.kind = CheckKind::kHoldsCertificate;
    m.check.type_code = **type_code;
    return m;
  }
  if (**substitute != "fact") {
    return Status::invalid(r.name("substitute"), "must be \"certificate\", \"fact\" or \"none\"");
  }
  if (type_code->has_value()) {
    return Status::invalid(r.name("type_code"), "is not used by a fact (put it in check)");
  }
  if (check == nullptr) return Status::invalid(r.name("check"), "is required for a fact");
  auto tmpl = parseTemplate(*check, r.name("check"), false);
  if (!tmpl) return tmpl.status();
  const bool entity_kind = tmpl->kind == CheckKind::kEntityInBusiness;
  const bool any_kind = tmpl->kind == CheckKind::kHoldsCertificate;
  if (!any_kind && entity_kind != (m.subject == SubjectRole::kEntity)) {
    return Status::invalid(r.name("subject"), std::string(kindName(tmpl->kind)) + " is about " +
                                                  (entity_kind ? "an entity" : "a person"));
  }
  m.substitute = Substitute::kFact;
  m.check = std::move(*tmpl);
  return m;
}

void writeString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void writeTemplate(rapidjson::Writer<rapidjson::StringBuffer>& w, const Check& c) {
  w.StartObject();
  w.Key("kind");
  w.String(kindName(c.kind));
  if (!c.type_code.empty()) {
    w.Key("type_code");
    writeString(w, c.type_code);
  }
  if (!c.region.empty()) {
    w.Key("region");
    writeString(w, c.region);
  }
  if (c.kind == CheckKind::kPersonAgeAtLeast) {
    w.Key("min_age");
    w.Int(c.min_age);
  }
  w.EndObject();
}

void writeMatterTo(rapidjson::Writer<rapidjson::StringBuffer>& w, const Matter& m) {
  w.StartObject();
  w.Key("code");
  writeString(w, m.code);
  w.Key("name");
  writeString(w, m.name);
  w.Key("department_name");
  writeString(w, m.department_name);
  w.Key("applicant_kind");
  w.String(subjectRoleName(m.applicant_kind));
  w.Key("basis");
  writeString(w, m.basis);
  w.Key("materials");
  w.StartArray();
  for (const Material& mat : m.materials) {
    w.StartObject();
    w.Key("position");
    w.Int(mat.position);
    w.Key("name");
    writeString(w, mat.name);
    w.Key("substitute");
    w.String(substituteName(mat.substitute));
    if (mat.substitute != Substitute::kNone) {
      w.Key("subject");
      w.String(subjectRoleName(mat.subject));
    }
    if (mat.substitute == Substitute::kCertificate) {
      w.Key("type_code");
      writeString(w, mat.check.type_code);
    } else if (mat.substitute == Substitute::kFact) {
      w.Key("check");
      writeTemplate(w, mat.check);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("eligibility");
  w.StartArray();
  for (const Check& c : m.eligibility) writeTemplate(w, c);
  w.EndArray();
  w.EndObject();
}

std::optional<std::string> optText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

// Rebuilds a check template from a service.materials / service.eligibility_checks row.
Result<Check> templateFromRow(const std::string& kind, const std::optional<std::string>& type_code,
                              const std::optional<std::string>& region,
                              const std::optional<int>& min_age) {
  auto k = parseKind(kind, "check_kind");
  if (!k) return k.status();
  Check c;
  c.kind = *k;
  c.type_code = type_code.value_or("");
  c.region = region.value_or("");
  c.min_age = min_age.value_or(0);
  return c;
}

Result<std::vector<Matter>> loadMatters(pqxx::connection& conn, const std::string* only) {
  pqxx::read_transaction tx(conn);
  const std::string where = only ? " WHERE code = " + tx.quote(*only) : "";
  const std::string mwhere = only ? " WHERE matter_code = " + tx.quote(*only) : "";
  std::vector<Matter> out;
  std::map<std::string, size_t> by_code;
  for (const auto& row : tx.exec("SELECT code, name, department_name, applicant_kind, basis "
                                 "FROM service.matters" +
                                 where + " ORDER BY code")) {
    Matter m;
    m.code = row[0].as<std::string>();
    m.name = row[1].as<std::string>();
    m.department_name = row[2].as<std::string>();
    m.applicant_kind =
        row[3].as<std::string>() == "entity" ? SubjectRole::kEntity : SubjectRole::kPerson;
    m.basis = row[4].as<std::string>();
    by_code[m.code] = out.size();
    out.push_back(std::move(m));
  }
  for (const auto& row : tx.exec("SELECT matter_code, position, name, substitute, subject, "
                                 "check_kind, type_code, region, min_age FROM service.materials" +
                                 mwhere + " ORDER BY matter_code, position")) {
    auto it = by_code.find(row[0].as<std::string>());
    if (it == by_code.end()) continue;
    Material mat;
    mat.position = row[1].as<int>();
    mat.name = row[2].as<std::string>();
    const std::string substitute = row[3].as<std::string>();
    mat.substitute = substitute == "certificate" ? Substitute::kCertificate
                     : substitute == "fact"      ? Substitute::kFact
                                                 : Substitute::kNone;
    if (mat.substitute != Substitute::kNone) {
      mat.subject =
          row[4].as<std::string>() == "entity" ? SubjectRole::kEntity : SubjectRole::kPerson;
      auto check =
          templateFromRow(row[5].as<std::string>(), optText(row[6]), optText(row[7]),
                          row[8].is_null() ? std::nullopt : std::optional<int>(row[8].as<int>()));
      if (!check) return check.status();
      mat.check = std::move(*check);
    }
    out[it->second].materials.push_back(std::move(mat));
  }
  for (const auto& row : tx.exec("SELECT matter_code, check_kind, region, min_age "
                                 "FROM service.eligibility_checks" +
                                 mwhere + " ORDER BY matter_code, position")) {
    auto it = by_code.find(row[0].as<std::string>());
    if (it == by_code.end()) continue;
    auto check =
        templateFromRow(row[1].as<std::string>(), std::nullopt, optText(row[2]),
                        row[3].is_null() ? std::nullopt : std::optional<int>(row[3].as<int>()));
    if (!check) return check.status();
    out[it->second].eligibility.push_back(std::move(*check));
  }
  return out;
}

Result<std::vector<Thing>> loadThings(pqxx::connection& conn, const std::string* only) {
  pqxx::read_transaction tx(conn);
  const std::string where = only ? " WHERE t.code = " + tx.quote(*only) : "";
  std::vector<Thing> out;
  for (const auto& row :
       tx.exec("SELECT t.code, t.name, t.description, "
               "coalesce(array_agg(m.matter_code ORDER BY m.position) "
               "FILTER (WHERE m.matter_code IS NOT NULL), '{}') "
               "FROM service.things t LEFT JOIN service.thing_matters m ON m.thing_code = t.code" +
               where + " GROUP BY t.code ORDER BY t.code")) {
    Thing t;
    t.code = row[0].as<std::string>();
    t.name = row[1].as<std::string>();
    t.description = row[2].as<std::string>();
    auto parser = row[3].as_array();
    for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::juncture::done;
         std::tie(kind, value) = parser.get_next()) {
      if (kind == pqxx::array_parser::juncture::string_value) t.matter_codes.push_back(value);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<int> optInt(int v, bool present) {
  return present ? std::optional<int>(v) : std::nullopt;
}

}  // namespace

const char* substituteName(Substitute substitute) {
  switch (substitute) {
    case Substitute::kCertificate:
      return "certificate";
    case Substitute::kFact:
      return "fact";
    case Substitute::kNone:
      break;
  }
  return "none";
}

const char* subjectRoleName(SubjectRole role) {
  return role == SubjectRole::kEntity ? "entity" : "person";
}

const char* materialOutcomeName(MaterialOutcome outcome) {
  switch (outcome) {
    case MaterialOutcome::kSatisfied:
      return "satisfied";
    case MaterialOutcome::kNotSatisfied:
      return "not_satisfied";
    case MaterialOutcome::kMustSubmit:
      break;
  }
  return "must_submit";
}

Result<Matter> parseMatter(const Value& json) {
  ObjectReader r(json, "");
  if (Status s = r.expectObject({"code", "name", "department_name", "applicant_kind", "basis",
                                 "materials", "eligibility"});
      !s) {
    return s;
  }
  Matter m;
  auto code = r.string("code", true, 64);
  if (!code) return code.status();
  if (!isCode(**code)) {
    return Status::invalid("code",
                           "must be 1 to 64 of [0-9A-Za-z._-], starting with a letter or "
                           "digit");
  }
  m.code = **code;
  auto name = r.string("name", true, 128);
  if (!name) return name.status();
  if (Status s = needText(*name, "name", 2, 128); !s) return s;
  m.name = **name;
  auto dept = r.string("department_name", true, 128);
  if (!dept) return dept.status();
  if (Status s = needText(*dept, "department_name", 2, 128); !s) return s;
  m.department_name = **dept;
  auto kind = r.string("applicant_kind", true, 16);
  if (!kind) return kind.status();
  auto role = parseRole(*kind, "applicant_kind");
  if (!role) return role.status();
  m.applicant_kind = *role;
  auto basis = r.string("basis", false, 1000);
  if (!basis) return basis.status();
  if (basis->has_value()) {
    if (Status s = needText(*basis, "basis", 0, 1000); !s) return s;
    m.basis = **basis;
  }
  const Value* materials = r.array("materials");
  if (materials == nullptr || !materials->IsArray() || materials->Empty() ||
      materials->Size() > 200) {
    return Status::invalid("materials", "must be an array of 1 to 200 materials");
  }
  for (rapidjson::SizeType i = 0; i < materials->Size(); ++i) {
    auto mat = parseMaterial((*materials)[i], "materials[" + std::to_string(i) + "]",
                             static_cast<int>(i) + 1);
    if (!mat) return mat.status();
    m.materials.push_back(std::move(*mat));
  }
  if (const Value* elig = r.array("eligibility"); elig != nullptr && !elig->IsNull()) {
    if (!elig->IsArray() || elig->Size() > 20) {
      return Status::invalid("eligibility", "must be an array of at most 20 checks");
    }
    if (!elig->Empty() && m.applicant_kind != SubjectRole::kPerson) {
      return Status::invalid("eligibility",
                             "is a rule over persons: applicant_kind must be person");
    }
    for (rapidjson::SizeType i = 0; i < elig->Size(); ++i) {
      auto c = parseTemplate((*elig)[i], "eligibility[" + std::to_string(i) + "]", true);
      if (!c) return c.status();
      m.eligibility.push_back(std::move(*c));
    }
  }
  return m;
}

Result<Thing> parseThing(const Value& json) {
  ObjectReader r(json, "");
  if (Status s = r.expectObject({"code", "name", "description", "matters"}); !s) return s;
  Thing t;
  auto code = r.string("code", true, 64);
  if (!code) return code.status();
  if (!isCode(**code)) {
    return Status::invalid("code",
                           "must be 1 to 64 of [0-9A-Za-z._-], starting with a letter or "
                           "digit");
  }
  t.code = **code;
  auto name = r.string("name", true, 128);
  if (!name) return name.status();
  if (Status s = needText(*name, "name", 2, 128); !s) return s;
  t.name = **name;
  auto description = r.string("description", false, 1000);
  if (!description) return description.status();
  if (description->has_value()) {
    if (Status s = needText(*description, "description", 0, 1000); !s) return s;
    t.description = **description;
  }
  const Value* matters = r.array("matters");
  if (matters == nullptr || !matters->IsArray() || matters->Size() < 2 || matters->Size() > 50) {
    return Status::invalid("matters", "must be an array of 2 to 50 matter codes");
  }
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < matters->Size(); ++i) {
    const std::string field = "matters[" + std::to_string(i) + "]";
    const Value& v = (*matters)[i];
    if (!v.IsString() || !isCode(std::string_view(v.GetString(), v.GetStringLength()))) {
      return Status::invalid(field, "must be a matter code");
    }
    std::string code_i(v.GetString(), v.GetStringLength());
    if (!seen.insert(code_i).second) return Status::invalid(field, "is listed twice");
    t.matter_codes.push_back(std::move(code_i));
  }
  return t;
}

void writeMatter(const Matter& matter, std::string& out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  writeMatterTo(w, matter);
  out.append(buffer.GetString(), buffer.GetSize());
}

void writeThing(const Thing& thing, std::string& out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("code");
  writeString(w, thing.code);
  w.Key("name");
  writeString(w, thing.name);
  w.Key("description");
  writeString(w, thing.description);
  w.Key("matters");
  w.StartArray();
  for (const std::string& code : thing.matter_codes) writeString(w, code);
  w.EndArray();
  w.EndObject();
  out.append(buffer.GetString(), buffer.GetSize());
}

Result<Matter> MatterStore::matter(const std::string& code) const {
  if (!isCode(code)) return Status::invalid("code", "is not a matter code");
  auto all = db::withConnection(pool_, [&](pqxx::connection& c) { return loadMatters(c, &code); });
  if (!all) return all.status();
  if (all->empty()) return Status::notFound("no service matter " + code);
  return std::move(all->front());
}

Result<Thing> MatterStore::thing(const std::string& code) const {
  if (!isCode(code)) return Status::invalid("code", "is not a one-thing code");
  auto all = db::withConnection(pool_, [&](pqxx::connection& c) { return loadThings(c, &code); });
  if (!all) return all.status();
  if (all->empty()) return Status::notFound("no one-thing " + code);
  return std::move(all->front());
}

Result<std::vector<Matter>> MatterStore::matters() const {
  return db::withConnection(pool_, [&](pqxx::connection& c) { return loadMatters(c, nullptr); });
}

Result<std::vector<Thing>> MatterStore::things() const {
  return db::withConnection(pool_, [&](pqxx::connection& c) { return loadThings(c, nullptr); });
}

Status MatterStore::putMatter(const Matter& m) {
  return db::withConnection(pool_, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    for (size_t i = 0; i < m.materials.size(); ++i) {
      const Material& mat = m.materials[i];
      if (mat.substitute != Substitute::kCertificate) continue;
      if (tx.exec_params("SELECT 1 FROM certs.certificate_types WHERE code = $1",
                         mat.check.type_code)
              .empty()) {
        return Status::invalid("materials[" + std::to_string(i) + "].type_code",
                               "names no certificate type the hub knows");
      }
    }
    tx.exec_params(
        "INSERT INTO service.matters (code, name, department_name, applicant_kind, basis) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
        "department_name = EXCLUDED.department_name, applicant_kind = EXCLUDED.applicant_kind, "
        "basis = EXCLUDED.basis, updated_at = now()",
        m.code, m.name, m.department_name, subjectRoleName(m.applicant_kind), m.basis);
    tx.exec_params("DELETE FROM service.materials WHERE matter_code = $1", m.code);
    tx.exec_params("DELETE FROM service.eligibility_checks WHERE matter_code = $1", m.code);
    for (const Material& mat : m.materials) {
      const bool has_check = mat.substitute != Substitute::kNone;
      const Check& c = mat.check;
      tx.exec_params(
          "INSERT INTO service.materials (matter_code, position, name, substitute, subject, "
          "check_kind, type_code, region, min_age) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          m.code, mat.position, mat.name, substituteName(mat.substitute),
          has_check ? std::optional<std::string>(subjectRoleName(mat.subject)) : std::nullopt,
          has_check ? std::optional<std::string>(kindName(c.kind)) : std::nullopt,
          c.type_code.empty() || !has_check ? std::nullopt
                                            : std::optional<std::string>(c.type_code),
          c.region.empty() || !has_check ? std::nullopt : std::optional<std::string>(c.region),
          optInt(c.min_age, has_check && c.kind == CheckKind::kPersonAgeAtLeast));
    }
    for (size_t i = 0; i < m.eligibility.size(); ++i) {
      const Check& c = m.eligibility[i];
      tx.exec_params(
          "INSERT INTO service.eligibility_checks (matter_code, position, check_kind, region, "
          "min_age) VALUES ($1, $2, $3, $4, $5)",
          m.code, static_cast<int>(i) + 1, kindName(c.kind),
          c.region.empty() ? std::nullopt : std::optional<std::string>(c.region),
          optInt(c.min_age, c.kind == CheckKind::kPersonAgeAtLeast));
    }
    tx.commit();
    return Status::ok();
  });
}

Status MatterStore::putThing(const Thing& t) {
  return db::withConnection(pool_, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    for (size_t i = 0; i < t.matter_codes.size(); ++i) {
      if (tx.exec_params("SELECT 1 FROM service.matters WHERE code = $1", t.matter_codes[i])
              .empty()) {
        return Status::invalid("matters[" + std::to_string(i) + "]", "names no service matter");
      }
    }
    tx.exec_params(
        "INSERT INTO service.things (code, name, description) VALUES ($1, $2, $3) "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, description = "
        "EXCLUDED.description",
        t.code, t.name, t.description);
    tx.exec_params("DELETE FROM service.thing_matters WHERE thing_code = $1", t.code);
    for (size_t i = 0; i < t.matter_codes.size(); ++i) {
      tx.exec_params(
          "INSERT INTO service.thing_matters (thing_code, position, matter_code) "
          "VALUES ($1, $2, $3)",
          t.code, static_cast<int>(i) + 1, t.matter_codes[i]);
    }
    tx.commit();
    return Status::ok();
  });
}

Status MatterStore::removeMatter(const std::string& code) {
  return db::withConnection(pool_, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    auto used = tx.exec_params(
        "SELECT string_agg(thing_code, ', ' ORDER BY thing_code) FROM service.thing_matters "
        "WHERE matter_code = $1",
        code);
    if (!used[0][0].is_null()) {
      return Status(ErrorCode::kConflict,
                    "matter " + code + " is part of one-things " + used[0][0].as<std::string>());
    }
    if (tx.exec_params("DELETE FROM service.matters WHERE code = $1", code).affected_rows() == 0) {
      return Status::notFound("no service matter " + code);
    }
    tx.commit();
    return Status::ok();
  });
}

Status MatterStore::removeThing(const std::string& code) {
  return db::withConnection(pool_, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    if (tx.exec_params("DELETE FROM service.things WHERE code = $1", code).affected_rows() == 0) {
      return Status::notFound("no one-thing " + code);
    }
    tx.commit();
    return Status::ok();
  });
}

Result<PrecheckPlan> planPrecheck(const std::vector<const Matter*>& matters,
                                  const Applicant& applicant) {
  std::optional<std::string> citizen_id, credit_code;
  if (!applicant.citizen_id.empty()) {
    auto id = ids::normalizeCitizenId(applicant.citizen_id, "applicant.citizen_id");
    if (!id) return id.status();
    citizen_id = *id;
  }
  if (!applicant.credit_code.empty()) {
    auto code = ids::normalizeCreditCode(applicant.credit_code, "applicant.credit_code");
    if (!code) return code.status();
    credit_code = *code;
  }
  PrecheckPlan plan;
  // Key of a distinct check: every field evaluation reads.
  using Key = std::tuple<int, std::string, std::string, std::string, int, std::string>;
  std::map<Key, int> seen;
  for (size_t mi = 0; mi < matters.size(); ++mi) {
    const Matter& matter = *matters[mi];
    for (size_t i = 0; i < matter.materials.size(); ++i) {
      const Material& mat = matter.materials[i];
      PrecheckPlan::Item item{mi, i, -1};
      if (mat.substitute != Substitute::kNone) {
        Check check = mat.check;
        if (mat.subject == SubjectRole::kEntity) {
          if (!credit_code) {
            return Status::invalid(
                "applicant.credit_code",
                "is required: " + matter.name + " asks about the entity (" + mat.name + ")");
          }
          check.subject = *credit_code;
        } else {
          if (!citizen_id) {
            return Status::invalid(
                "applicant.citizen_id",
                "is required: " + matter.name + " asks about the person (" + mat.name + ")");
          }
          check.subject = *citizen_id;
        }
        if (check.kind == CheckKind::kLegalRepresentative) {
          if (!credit_code) {
            return Status::invalid("applicant.credit_code", "is required: " + matter.name +
                                                                " asks whether the person "
                                                                "represents the entity (" +
                                                                mat.name + ")");
          }
          check.entity = *credit_code;
        }
        Key key{static_cast<int>(check.kind),
                check.subject,
                check.type_code,
                check.region,
                check.min_age,
                check.entity};
        auto [it, inserted] = seen.emplace(key, static_cast<int>(plan.checks.size()));
        if (inserted) plan.checks.push_back(std::move(check));
        item.check = it->second;
      }
      plan.items.push_back(item);
    }
  }
  return plan;
}

MaterialOutcome materialOutcome(const Answer& answer) {
  return answer.verdict == Verdict::kTrue ? MaterialOutcome::kSatisfied
                                          : MaterialOutcome::kNotSatisfied;
}

}  // namespace tongban::verification
