// REST/JSON adapter transport (transports.h).
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>

#include "http_client.h"
#include "tongban/common/json.h"
#include "transports.h"

namespace tongban::adapters {

namespace {

// A JSON value as the text a catalog field holds; nullopt for null, objects and arrays.
std::optional<std::string> scalarText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return std::string(v.GetBool() ? "true" : "false");
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsDouble()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v.GetDouble());
    return std::string(buf);
  }
  return std::nullopt;
}

// Members of `object`, nested objects flattened with dots ("address.city").
void flatten(const rapidjson::Value& object, const std::string& prefix, UpstreamRecord& out,
             int depth) {
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    std::string name = prefix + std::string(m->name.GetString(), m->name.GetStringLength());
    if (m->value.IsObject() && depth < 4) {
      flatten(m->value, name + ".", out, depth + 1);
    } else {
      out[name] = scalarText(m->value);
    }
  }
}

class RestTransport : public Transport {
 public:
  RestTransport(std::unique_ptr<HttpClient> http, std::string path, std::string record_path)
      : http_(std::move(http)), path_(std::move(path)), record_path_(std::move(record_path)) {}

  Result<std::optional<UpstreamRecord>> fetch(const std::string& key) override {
    std::string encoded;
    Poco::URI::encode(key, "/?#&=+%; ", encoded);
    std::string target = http_->basePath() + path_;
    const size_t at = target.find("{key}");
    target.replace(at, 5, encoded);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    auto reply = http_->send(request, "");
    if (!reply) return reply.status();
    if (reply->status == 404) return std::optional<UpstreamRecord>();
    if (reply->status != 200) {
      return Status(ErrorCode::kBadGateway, "answered HTTP " + std::to_string(reply->status));
    }
    rapidjson::Document doc;
    if (Status s = parseJsonObject(reply->body, doc, "body", 16); !s) {
      return Status(ErrorCode::kBadGateway,
                    "answered something that is not a JSON object: " + s.message());
    }
    const rapidjson::Value* at_record = &doc;
    size_t pos = 0;
    while (!record_path_.empty() && pos <= record_path_.size()) {
      size_t dot = record_path_.find('.', pos);
      if (dot == std::string::npos) dot = record_path_.size();
      const std::string part = record_path_.substr(pos, dot - pos);
      pos = dot + 1;
      auto m = at_record->FindMember(part.c_str());
      if (m == at_record->MemberEnd() || m->value.IsNull()) return std::optional<UpstreamRecord>();
      if (!m->value.IsObject()) {
        return Status(ErrorCode::kBadGateway,
                      "answered JSON whose '" + part + "' is not an object");
      }
      at_record = &m->value;
    }
    UpstreamRecord record;
    flatten(*at_record, "", record, 0);
    return std::optional<UpstreamRecord>(std::move(record));
  }

 private:
  std::unique_ptr<HttpClient> http_;
  const std::string path_, record_path_;
};

}  // namespace

Result<std::unique_ptr<Transport>> makeRestTransport(const Settings& s,
                                                     const ConnectionSettings& c) {
  auto path = s.str("path", false, "/{key}");
  if (!path) return path.status();
  if (path->empty() || (*path)[0] != '/' || path->find("{key}") == std::string::npos) {
    return Status::invalid(s.key("path"), s.key("path") + " must start with / and hold {key}");
  }
  auto record_path = s.str("record_path", false);
  if (!record_path) return record_path.status();
  auto http = HttpClient::create(s, c);
  if (!http) return http.status();
  return std::unique_ptr<Transport>(
      std::make_unique<RestTransport>(std::move(*http), *path, *record_path));
}

}  // namespace tongban::adapters
