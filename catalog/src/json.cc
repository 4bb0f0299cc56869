// JSON forms of catalog values (json.h), with RapidJSON.
#include "tongban/catalog/json.h"

#include <initializer_list>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include "tongban/common/json.h"
#include "tongban/common/time_format.h"

namespace tongban::catalog {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(Writer& w, const char* k) { w.Key(k); }
void strList(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const std::string& s : items) str(w, s);
  w.EndArray();
}
void time(Writer& w, TimePoint t) { str(w, formatRfc3339Seconds(t)); }

void writeResource(Writer& w, const Resource& r) {
  w.StartObject();
  key(w, "code");
  str(w, r.code);
  key(w, "version");
  w.Int(r.version);
  key(w, "name");
  str(w, r.name);
  key(w, "description");
  str(w, r.description);
  key(w, "provider_department");
  str(w, r.provider_department);
  key(w, "source");
  str(w, r.source);
  key(w, "key_fields");
  strList(w, r.key_fields);
  key(w, "sharing_type");
  w.String(toString(r.sharing_type));
  key(w, "open_data");
  w.Bool(r.open_data);
  key(w, "update_cycle");
  w.String(toString(r.update_cycle));
  key(w, "status");
  w.String(toString(r.status));
  key(w, "fields");
  w.StartArray();
  for (const ResourceField& f : r.fields) {
    w.StartObject();
    key(w, "name");
    str(w, f.name);
    key(w, "type");
    w.String(toString(f.type));
    key(w, "description");
    str(w, f.description);
    key(w, "sensitivity");
    w.String(toString(f.sensitivity));
    key(w, "masking");
    w.String(toString(f.masking));
    w.EndObject();
  }
  w.EndArray();
  key(w, "created_by");
  str(w, r.created_by);
  key(w, "created_at");
  time(w, r.created_at);
  key(w, "updated_by");
  str(w, r.updated_by);
  key(w, "updated_at");
  time(w, r.updated_at);
  w.EndObject();
}

std::string finish(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

// Reads the members of one JSON object, strictly. Field names in errors are prefix + member.
class ObjectReader {
 public:
  ObjectReader(const rapidjson::Value& obj, std::string prefix)
      : obj_(obj), prefix_(std::move(prefix)) {}

  // kInvalidArgument naming the first member not in `known`.
  Status onlyKnown(std::initializer_list<const char*> known) const {
    for (auto m = obj_.MemberBegin(); m != obj_.MemberEnd(); ++m) {
      const std::string name(m->name.GetString(), m->name.GetStringLength());
      bool ok = false;
      for (const char* k : known) ok = ok || name == k;
      if (!ok) return Status::invalid(where(name.c_str()), "unknown member '" + name + "'");
    }
    return Status::ok();
  }

  Status string(const char* name, bool required, std::string* out) const {
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return required ? missing(name) : Status::ok();
    if (!v->IsString()) return wrong(name, "a string");
    out->assign(v->GetString(), v->GetStringLength());
    return Status::ok();
  }

  Status stringList(const char* name, bool required, std::vector<std::string>* out) const {
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return required ? missing(name) : Status::ok();
    if (!v->IsArray()) return wrong(name, "an array of strings");
    out->clear();
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      const rapidjson::Value& item = (*v)[i];
      if (!item.IsString()) {
        return Status::invalid(where(name) + "[" + std::to_string(i) + "]",
                               where(name) + "[" + std::to_string(i) + "] must be a string");
      }
      out->emplace_back(item.GetString(), item.GetStringLength());
    }
    return Status::ok();
  }

  Status boolean(const char* name, bool* out) const {
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return Status::ok();
    if (!v->IsBool()) return wrong(name, "true or false");
    *out = v->GetBool();
    return Status::ok();
  }

  Status integer(const char* name, std::optional<int>* out) const {
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return Status::ok();
    if (!v->IsInt()) return wrong(name, "an integer");
    *out = v->GetInt();
    return Status::ok();
  }

  Status timestamp(const char* name, bool required, std::optional<TimePoint>* out) const {
    std::string text;
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return required ? missing(name) : Status::ok();
    if (!v->IsString()) return wrong(name, "an RFC 3339 timestamp string");
    text.assign(v->GetString(), v->GetStringLength());
    *out = parseRfc3339(text);
    if (!*out) {
      return Status::invalid(where(name), where(name) + " '" + text +
                                              "' is not an RFC 3339 timestamp such as "
                                              "2026-03-01T00:00:00+08:00");
    }
    return Status::ok();
  }

  template <typename E>
  Status enumeration(const char* name, bool required, std::optional<E> (*parse)(std::string_view),
                     const char* allowed, E* out) const {
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return required ? missing(name) : Status::ok();
    if (!v->IsString()) return wrong(name, std::string("one of ") + allowed);
    const std::string text(v->GetString(), v->GetStringLength());
    std::optional<E> e = parse(text);
    if (!e) {
      return Status::invalid(where(name), where(name) + " '" + text + "' is not one of " + allowed);
    }
    *out = *e;
    return Status::ok();
  }

  const rapidjson::Value* find(const char* name) const {
    auto m = obj_.FindMember(name);
    return m == obj_.MemberEnd() ? nullptr : &m->value;
  }
  std::string where(const char* name) const { return prefix_ + name; }

 private:
  Status missing(const char* name) const {
    return Status::invalid(where(name), where(name) + " is required");
  }
  Status wrong(const char* name, const std::string& expected) const {
    return Status::invalid(where(name), where(name) + " must be " + expected);
  }

  const rapidjson::Value& obj_;
  std::string prefix_;
};

// Parses text that must be one JSON object.
Status parseObject(std::string_view json, rapidjson::Document* doc) {
  return parseJsonObject(json, *doc, "");
}

#define TB_RETURN_IF_ERROR(expr)  \
  do {                            \
    Status _status = (expr);      \
    if (!_status) return _status; \
  } while (false)

}  // namespace

std::string toJson(const Resource& resource) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeResource(w, resource);
  return finish(buf);
}

std::string toJson(const AccessRequest& q) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "id");
  w.Int64(q.id);
  key(w, "app_id");
  str(w, q.app_id);
  key(w, "resource_code");
  str(w, q.resource_code);
  key(w, "resource_version");
  w.Int(q.resource_version);
  key(w, "fields");
  strList(w, q.fields);
  key(w, "purpose");
  str(w, q.purpose);
  key(w, "legal_basis");
  str(w, q.legal_basis);
  key(w, "matter_codes");
  strList(w, q.matter_codes);
  key(w, "valid_from");
  time(w, q.valid_from);
  key(w, "valid_to");
  time(w, q.valid_to);
  key(w, "rate_per_minute");
  w.Int(q.rate_per_minute);
  key(w, "state");
  w.String(toString(q.state));
  key(w, "decided_by");
  if (q.decided_by) {
    str(w, *q.decided_by);
  } else {
    w.Null();
  }
  key(w, "decided_at");
  if (q.decided_at) {
    time(w, *q.decided_at);
  } else {
    w.Null();
  }
  key(w, "reason");
  str(w, q.reason);
  key(w, "created_by");
  str(w, q.created_by);
  key(w, "created_at");
  time(w, q.created_at);
  key(w, "grant_id");
  if (q.grant_id) {
    w.Int64(*q.grant_id);
  } else {
    w.Null();
  }
  w.EndObject();
  return finish(buf);
}

std::string toJson(const Grant& g) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "id");
  w.Int64(g.id);
  key(w, "request_id");
  w.Int64(g.request_id);
  key(w, "app_id");
  str(w, g.app_id);
  key(w, "resource_code");
  str(w, g.resource_code);
  key(w, "resource_version");
  w.Int(g.resource_version);
  key(w, "fields");
  strList(w, g.fields);
  key(w, "unmasked_fields");
  strList(w, g.unmasked_fields);
  key(w, "matter_codes");
  strList(w, g.matter_codes);
  key(w, "valid_from");
  time(w, g.valid_from);
  key(w, "valid_to");
  time(w, g.valid_to);
  key(w, "rate_per_minute");
  w.Int(g.rate_per_minute);
  key(w, "state");
  w.String(toString(g.state));
  key(w, "created_by");
  str(w, g.created_by);
  key(w, "created_at");
  time(w, g.created_at);
  key(w, "updated_by");
  str(w, g.updated_by);
  key(w, "updated_at");
  time(w, g.updated_at);
  w.EndObject();
  return finish(buf);
}

std::string toJson(const SourceOwner& o) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "source");
  str(w, o.source);
  const bool owned = !o.department_code.empty();
  key(w, "department_code");
  if (owned) {
    str(w, o.department_code);
  } else {
    w.Null();
  }
  key(w, "updated_by");
  if (owned) {
    str(w, o.updated_by);
  } else {
    w.Null();
  }
  key(w, "updated_at");
  if (owned && o.updated_at) {
    time(w, *o.updated_at);
  } else {
    w.Null();
  }
  w.EndObject();
  return finish(buf);
}

std::string toJson(const CatalogEvent& e) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "id");
  w.Int64(e.id);
  key(w, "object_type");
  w.String(toString(e.object_type));
  key(w, "object_id");
  str(w, e.object_id);
  key(w, "from_state");
  if (e.from_state) {
    str(w, *e.from_state);
  } else {
    w.Null();
  }
  key(w, "to_state");
  str(w, e.to_state);
  key(w, "actor");
  str(w, e.actor);
  key(w, "reason");
  str(w, e.reason);
  key(w, "at");
  time(w, e.at);
  w.EndObject();
  return finish(buf);
}

Result<ResourceDraft> parseResourceDraft(std::string_view json) {
  rapidjson::Document doc;
  TB_RETURN_IF_ERROR(parseObject(json, &doc));
  const ObjectReader r(doc, "");
  TB_RETURN_IF_ERROR(
      r.onlyKnown({"code", "name", "description", "provider_department", "source", "key_fields",
                   "sharing_type", "open_data", "update_cycle", "fields"}));
  ResourceDraft d;
  TB_RETURN_IF_ERROR(r.string("code", true, &d.code));
  TB_RETURN_IF_ERROR(r.string("name", true, &d.name));
  TB_RETURN_IF_ERROR(r.string("description", false, &d.description));
  TB_RETURN_IF_ERROR(r.string("provider_department", true, &d.provider_department));
  TB_RETURN_IF_ERROR(r.string("source", true, &d.source));
  TB_RETURN_IF_ERROR(r.stringList("key_fields", true, &d.key_fields));
  TB_RETURN_IF_ERROR(r.enumeration("sharing_type", true, parseSharingType,
                                   "unconditional, conditional, not_shared", &d.sharing_type));
  TB_RETURN_IF_ERROR(r.boolean("open_data", &d.open_data));
  TB_RETURN_IF_ERROR(r.enumeration("update_cycle", true, parseUpdateCycle,
                                   "realtime, daily, weekly, monthly, quarterly, yearly, irregular",
                                   &d.update_cycle));
  const rapidjson::Value* fields = r.find("fields");
  if (fields == nullptr) return Status::invalid("fields", "fields is required");
  if (!fields->IsArray()) return Status::invalid("fields", "fields must be an array of objects");
  for (rapidjson::SizeType i = 0; i < fields->Size(); ++i) {
    const std::string prefix = "fields[" + std::to_string(i) + "]";
    const rapidjson::Value& item = (*fields)[i];
    if (!item.IsObject()) return Status::invalid(prefix, prefix + " must be an object");
    const ObjectReader f(item, prefix + ".");
    TB_RETURN_IF_ERROR(f.onlyKnown({"name", "type", "description", "sensitivity", "masking"}));
    ResourceField field;
    TB_RETURN_IF_ERROR(f.string("name", true, &field.name));
    TB_RETURN_IF_ERROR(f.enumeration("type", true, parseFieldType,
                                     "string, date, integer, decimal, timestamp, enum",
                                     &field.type));
    TB_RETURN_IF_ERROR(f.string("description", false, &field.description));
    TB_RETURN_IF_ERROR(f.enumeration("sensitivity", false, parseSensitivity,
                                     "public, internal, sensitive, secret", &field.sensitivity));
    TB_RETURN_IF_ERROR(f.enumeration(
        "masking", false, parseMaskingRule,
        "none, citizen_id, credit_code, name, phone, address, date, full", &field.masking));
    field.position = static_cast<int>(i) + 1;
    d.fields.push_back(std::move(field));
  }
  return d;
}

Result<AccessApplication> parseAccessApplication(std::string_view json) {
  rapidjson::Document doc;
  TB_RETURN_IF_ERROR(parseObject(json, &doc));
  const ObjectReader r(doc, "");
  TB_RETURN_IF_ERROR(r.onlyKnown({"resource_code", "fields", "purpose", "legal_basis",
                                  "matter_codes", "valid_from", "valid_to", "rate_per_minute"}));
  AccessApplication a;
  TB_RETURN_IF_ERROR(r.string("resource_code", true, &a.resource_code));
  TB_RETURN_IF_ERROR(r.stringList("fields", true, &a.fields));
  TB_RETURN_IF_ERROR(r.string("purpose", false, &a.purpose));
  TB_RETURN_IF_ERROR(r.string("legal_basis", false, &a.legal_basis));
  TB_RETURN_IF_ERROR(r.stringList("matter_codes", true, &a.matter_codes));
  TB_RETURN_IF_ERROR(r.timestamp("valid_from", false, &a.valid_from));
  std::optional<TimePoint> valid_to;
  TB_RETURN_IF_ERROR(r.timestamp("valid_to", true, &valid_to));
  a.valid_to = *valid_to;
  std::optional<int> rate;
  TB_RETURN_IF_ERROR(r.integer("rate_per_minute", &rate));
  if (rate) a.rate_per_minute = *rate;
  return a;
}

Result<ApprovalOptions> parseApprovalOptions(std::string_view json) {
  ApprovalOptions o;
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return o;
  rapidjson::Document doc;
  TB_RETURN_IF_ERROR(parseObject(json, &doc));
  const ObjectReader r(doc, "");
  TB_RETURN_IF_ERROR(r.onlyKnown({"unmasked_fields", "rate_per_minute", "reason"}));
  TB_RETURN_IF_ERROR(r.stringList("unmasked_fields", false, &o.unmasked_fields));
  TB_RETURN_IF_ERROR(r.integer("rate_per_minute", &o.rate_per_minute));
  TB_RETURN_IF_ERROR(r.string("reason", false, &o.reason));
  return o;
}

}  // namespace tongban::catalog
