#include "json_util.h"

#include <set>

#include "tongban/common/json.h"

namespace tongban::exchange::json {

Result<std::unique_ptr<rapidjson::Document>> parseObject(const std::string& body) {
  if (body.empty())
    return Status::invalid("body", "request body is empty; a JSON object is expected");
  auto doc = std::make_unique<rapidjson::Document>();
  if (Status s = parseJsonObject(body, *doc, "body"); !s) return s;
  return doc;
}

std::string memberPath(const std::string& path, const char* name) {
  return path.empty() ? std::string(name) : path + "." + name;
}

Status onlyMembers(const Value& obj, std::initializer_list<const char*> allowed,
                   const std::string& path) {
  std::set<std::string> seen;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    if (name.empty()) {  // found by fuzz/request_body_fuzz: the error named no field
      return Status::invalid(path.empty() ? "body" : path, "has a member with an empty name");
    }
    bool ok = false;
    for (const char* a : allowed) ok = ok || name == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Status::invalid(memberPath(path, name.c_str()),
                             "unknown member; allowed here: " + list);
    }
    if (!seen.insert(name).second) {
      return Status::invalid(memberPath(path, name.c_str()), "member given twice");
    }
  }
  return Status::ok();
}

Result<std::optional<std::string>> optString(const Value& obj, const char* name,
                                             const std::string& path, bool required) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required) return Status::invalid(memberPath(path, name), "is required");
    return std::optional<std::string>();
  }
  if (!it->value.IsString()) return Status::invalid(memberPath(path, name), "must be a string");
  if (it->value.GetStringLength() > kMaxString) {
    return Status::invalid(memberPath(path, name),
                           "is longer than " + std::to_string(kMaxString) + " bytes");
  }
  std::string value(it->value.GetString(), it->value.GetStringLength());
  if (value.find('\0') != std::string::npos) {
    return Status::invalid(memberPath(path, name), "must not contain U+0000 (NUL)");
  }
  return std::optional<std::string>(std::move(value));
}

Result<std::string> reqString(const Value& obj, const char* name, const std::string& path) {
  auto v = optString(obj, name, path, true);
  if (!v) return v.status();
  if ((*v)->empty()) return Status::invalid(memberPath(path, name), "must not be empty");
  return **v;
}

Result<std::optional<std::vector<std::string>>> optStringArray(const Value& obj, const char* name,
                                                               const std::string& path,
                                                               bool required, bool unique) {
  auto it = obj.FindMember(name);
  std::string p = memberPath(path, name);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required) return Status::invalid(p, "is required");
    return std::optional<std::vector<std::string>>();
  }
  if (!it->value.IsArray()) return Status::invalid(p, "must be an array of strings");
  if (it->value.Size() > kMaxArray) {
    return Status::invalid(p, "has more than " + std::to_string(kMaxArray) + " elements");
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    const Value& v = it->value[i];
    std::string ep = p + "[" + std::to_string(i) + "]";
    if (!v.IsString()) return Status::invalid(ep, "must be a string");
    if (v.GetStringLength() == 0 || v.GetStringLength() > kMaxString) {
      return Status::invalid(ep, "must be a non-empty string");
    }
    std::string s(v.GetString(), v.GetStringLength());
    if (s.find('\0') != std::string::npos) return Status::invalid(ep, "must not contain U+0000");
    if (unique && !seen.insert(s).second) return Status::invalid(ep, "'" + s + "' is listed twice");
    out.push_back(std::move(s));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<int64_t>> optInt(const Value& obj, const char* name, const std::string& path,
                                      int64_t min, int64_t max) {
  auto it = obj.FindMember(name);
  std::string p = memberPath(path, name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return std::optional<int64_t>();
  if (!it->value.IsInt64()) return Status::invalid(p, "must be an integer");
  int64_t v = it->value.GetInt64();
  if (v < min || v > max) {
    return Status::invalid(
        p, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return std::optional<int64_t>(v);
}

Result<std::optional<bool>> optBool(const Value& obj, const char* name, const std::string& path) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return std::optional<bool>();
  if (!it->value.IsBool()) return Status::invalid(memberPath(path, name), "must be true or false");
  return std::optional<bool>(it->value.GetBool());
}

Result<const Value*> optObject(const Value& obj, const char* name, const std::string& path,
                               bool required) {
  auto it = obj.FindMember(name);
  std::string p = memberPath(path, name);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required) return Status::invalid(p, "is required");
    return static_cast<const Value*>(nullptr);
  }
  if (!it->value.IsObject()) return Status::invalid(p, "must be an object");
  return &it->value;
}

}  // namespace tongban::exchange::json
