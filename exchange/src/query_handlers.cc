// Consumers' endpoints: authorised queries of catalog resources, federated subject views, the
// registry lookups (now behind grants), catalog browsing, access requests and grants, and the
// holders' access log.
#include <Poco/Net/NameValueCollection.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "grant_check.h"
#include "handler_util.h"
#include "json_util.h"
#include "service_context.h"
#include "tongban/audit/access_log.h"
#include "tongban/catalog/change_listener.h"
#include "tongban/catalog/grant_view.h"
#include "tongban/catalog/json.h"
#include "tongban/catalog/masking.h"
#include "tongban/catalog/record_source_registry.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/time_format.h"
#include "tongban/exchange/holder_token.h"

namespace tongban::exchange {

namespace {

using catalog::Grant;
using catalog::Resource;

// The catalog resources behind the subject views and the registry lookups.
constexpr const char* kPersonResource = "POP-PERSON-BASIC";
constexpr const char* kEntityResource = "LE-ENTITY-BASIC";
constexpr int kMaxRepresented = 100;

// Validates and normalises a key value by what the column holds.
Result<std::string> normalizeKey(const std::string& column, const std::string& value,
                                 const std::string& field) {
  if (column == "citizen_id" || column == "legal_rep_citizen_id") {
    return ids::normalizeCitizenId(value, field);
  }
  if (column == "credit_code") return ids::normalizeCreditCode(value, field);
  if (value.empty() || value.size() > 256) {
    return Status::invalid(field, "must be 1 to 256 characters");
  }
  return value;
}

std::chrono::system_clock::time_point now() { return std::chrono::system_clock::now(); }

// Version `version` of a resource, whatever its status (versions never change their fields).
Result<std::shared_ptr<const Resource>> resourceVersion(ServiceContext& ctx,
                                                        const std::string& code, int version) {
  return ctx.resources.get(code + "/" + std::to_string(version), [&] {
    return ctx.catalog->getResource(code, catalog::Actor{"exchange", "", catalog::Role::kAdmin},
                                    version);
  });
}

}  // namespace

// --- grant_check.h -----------------------------------------------------------------------------

Result<std::shared_ptr<const Resource>> publishedResource(ServiceContext& ctx,
                                                          const std::string& code) {
  if (!catalog::isValidResourceCode(code)) {
    return Status::invalid("resource_code", "'" + code + "' is not a resource code");
  }
  auto r = ctx.resources.get(code, [&] {
    return ctx.catalog->getResource(code, catalog::Actor{"exchange", "", catalog::Role::kAdmin});
  });
  if (!r) {
    if (r.status().code() == ErrorCode::kNotFound) {
      return Status::notFound("no published resource " + code);
    }
    return r.status();
  }
  if ((*r)->status != catalog::ResourceStatus::kPublished) {
    return Status::notFound("resource " + code + " is not published");
  }
  return r;
}

Status checkPurpose(const Purpose& p, const std::string& prefix) {
  if (!catalog::isValidMatterCode(p.matter_code)) {
    return Status::invalid(
        prefix + "matter_code",
        "a service-matter code (事项编码) is required: 1 to 64 of 0-9 A-Z a-z . _ -");
  }
  if (p.case_id.empty() || p.case_id.size() > 128) {
    return Status::invalid(prefix + "case_id",
                           "the case id (办件编号) is required, up to 128 bytes");
  }
  return Status::ok();
}

// Purpose from the query string of a GET (?matter_code=...&case_id=...).
Result<Purpose> purposeFromQuery(const HttpRequest& req) {
  Purpose p;
  try {
    Poco::URI uri("/?" + req.query);
    for (const auto& [k, v] : uri.getQueryParameters()) {
      if (k == "matter_code") p.matter_code = v;
      if (k == "case_id") p.case_id = v;
    }
  } catch (const Poco::Exception& e) {
    return Status::invalid("query", "malformed query string: " + e.message());
  }
  if (Status s = checkPurpose(p, ""); !s) return s;
  return p;
}

// What grant `g` returns from `resource` (the published version) now.
static Result<std::vector<catalog::FieldView>> viewOf(ServiceContext& ctx, const Grant& g,
                                                      const Resource& resource) {
  if (g.resource_version == resource.version) return catalog::grantView(g, resource, resource);
  auto granted = resourceVersion(ctx, g.resource_code, g.resource_version);
  if (!granted) {
    // The version a grant names always exists (foreign key); not finding it serves nothing.
    if (granted.status().code() == ErrorCode::kNotFound) {
      return std::vector<catalog::FieldView>();
    }
    return granted.status();
  }
  return catalog::grantView(g, **granted, resource);
}

// The grant that allows `fields` of `resource` for the matter; kPermissionDenied naming what is
// missing otherwise. With `fields` empty, the first grant covering the matter.
Result<GrantRef> authorise(ServiceContext& ctx, const Caller& caller, const Resource& resource,
                           const std::vector<std::string>& fields, const std::string& matter_code,
                           const std::string& fields_path) {
  const auto t = now();
  auto grants = ctx.grants.get({caller.app_id, resource.code}, [&] {
    return ctx.catalog->activeGrants(caller.app_id, resource.code, t);
  });
  if (!grants) return grants.status();
  std::optional<GrantRef> best;
  bool any = false;
  for (const auto& g : **grants) {
    if (!g.usableAt(t)) continue;
    any = true;
    if (!g.coversMatter(matter_code)) continue;
    auto view = viewOf(ctx, g, resource);
    if (!view) return view.status();
    bool all = true;
    for (const auto& f : fields) all = all && catalog::findField(*view, f) != nullptr;
    if (all) return GrantRef{*grants, &g, std::move(*view)};
    if (!best) best = GrantRef{*grants, &g, std::move(*view)};
  }
  if (!any) {
    return Status(ErrorCode::kPermissionDenied,
                  "application " + caller.app_id + " holds no active grant for " + resource.code,
                  "resource_code");
  }
  if (!best) {
    return Status(
        ErrorCode::kPermissionDenied,
        "matter code " + matter_code + " is not among the purposes granted for " + resource.code,
        "purpose.matter_code");
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!catalog::findField(best->view, fields[i])) {
      return Status(
          ErrorCode::kPermissionDenied,
          "field '" + fields[i] + "' of " + resource.code + " is not granted to this application",
          fields_path + "[" + std::to_string(i) + "]");
    }
  }
  return Status::internal("authorise: no grant chosen");  // unreachable: a field was missing
}

Status takeQuota(ServiceContext& ctx, const Grant& g, HttpRequest& req) {
  double t =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t wait = ctx.limiter.acquire(g.id, g.rate_per_minute, t);
  if (wait == 0) return Status::ok();
  req.retry_after = std::to_string(wait);
  return Status(ErrorCode::kResourceExhausted,
                "grant " + std::to_string(g.id) + " allows " + std::to_string(g.rate_per_minute) +
                    " requests per minute; retry in " + std::to_string(wait) + " s");
}

namespace {

// Writes `fields` of `row` as the grant's view says (a field outside the view is never written),
// masked by the view's rule.
void writeRecord(json::Writer& w, const GrantRef& grant, const catalog::Record& row,
                 const std::vector<std::string>& fields, std::vector<std::string>* masked) {
  w.StartObject();
  for (const auto& f : fields) {
    const catalog::FieldView* def = catalog::findField(grant.view, f);
    if (def == nullptr) continue;
    const std::optional<std::string>* value = row.find(f);
    w.Key(f.c_str());
    if (value == nullptr || !*value) {
      w.Null();
      continue;
    }
    if (def->masking != catalog::MaskingRule::kNone) {
      std::string v = catalog::maskValue(def->masking, **value);
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
      if (masked) masked->push_back(f);
    } else {
      w.String((*value)->c_str(), static_cast<rapidjson::SizeType>((*value)->size()));
    }
  }
  w.EndObject();
}

// The record source a resource reads from (certificate sources are not among them).
Result<const catalog::RecordSource*> sourceOf(ServiceContext& ctx, const Resource& r) {
  const catalog::RecordSource* s =
      ctx.record_sources ? ctx.record_sources->find(r.source) : nullptr;
  if (s == nullptr) return Status::internal("resource " + r.code + " has no queryable source");
  return s;
}

// `fields`, and `also` unless it is among them: what a handler reads beyond what it shows.
std::vector<std::string> plus(std::vector<std::string> fields, const char* also) {
  if (std::find(fields.begin(), fields.end(), also) == fields.end()) fields.push_back(also);
  return fields;
}

// ---------------------------------------------------------------------------------------------
// POST /v1/query/{resource_code}

Result<HttpResponse> query(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  const std::string code = req.params[0];
  audit.resource_code = code;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  const json::Value& root = **doc;
  if (Status s = json::onlyMembers(root, {"keys", "fields", "purpose"}, ""); !s) return s;
  auto fields = json::optStringArray(root, "fields", "", true, true);
  if (!fields) return fields.status();
  if ((*fields)->empty()) return Status::invalid("fields", "name at least one field");
  audit.fields = **fields;
  auto purpose_obj = json::optObject(root, "purpose", "", true);
  if (!purpose_obj) return purpose_obj.status();
  if (Status s = json::onlyMembers(**purpose_obj, {"matter_code", "case_id"}, "purpose"); !s)
    return s;
  Purpose purpose;
  for (auto [name, out] :
       {std::pair{"matter_code", &purpose.matter_code}, std::pair{"case_id", &purpose.case_id}}) {
    auto v = json::optString(**purpose_obj, name, "purpose", true);
    if (!v) return v.status();
    *out = **v;
  }
  audit.matter_code = purpose.matter_code;
  audit.case_id = purpose.case_id;
  if (Status s = checkPurpose(purpose, "purpose."); !s) return s;
  auto keys_obj = json::optObject(root, "keys", "", true);
  if (!keys_obj) return keys_obj.status();

  auto published = publishedResource(ctx, code);
  if (!published) return published.status();
  const Resource* resource = published->get();
  if (catalog::certificateSourceType(resource->source)) {
    return Status::invalid("resource_code", code +
                                                " is a certificate type: read its certificates "
                                                "with GET /v1/certificates/{certificate_id}");
  }
  auto source = sourceOf(ctx, *resource);
  if (!source) return source.status();
  const std::string& key_field = (*source)->keyField();
  // Keys: exactly the source's key (the lookups a query may make).
  if (Status s = json::onlyMembers(**keys_obj, {key_field.c_str()}, "keys"); !s) return s;
  auto raw_key = json::optString(**keys_obj, key_field.c_str(), "keys", true);
  if (!raw_key) return raw_key.status();
  auto key = normalizeKey(key_field, **raw_key, "keys." + key_field);
  if (!key) return key.status();
  audit.subject_keys = {*key};
  for (size_t i = 0; i < (*fields)->size(); ++i) {
    if (!resource->field((**fields)[i])) {
      return Status::invalid("fields[" + std::to_string(i) + "]",
                             "'" + (**fields)[i] + "' is not a field of " + code);
    }
  }
  auto grant = authorise(ctx, *req.caller, *resource, **fields, purpose.matter_code, "fields");
  if (!grant) return grant.status();
  if (Status s = takeQuota(ctx, **grant, req); !s) return s;
  auto row = (*source)->lookup(*key, **fields);
  if (!row) return row.status();
  if (!*row) return Status::notFound("no record in " + code + " for " + key_field + " " + *key);

  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  std::vector<std::string> masked;
  w.StartObject();
  json::str(w, "resource_code", code);
  w.Key("version");
  w.Int(resource->version);
  w.Key("grant_id");
  w.Int64((*grant)->id);
  w.Key("record");
  writeRecord(w, *grant, **row, **fields, &masked);
  json::strArray(w, "masked_fields", masked);
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  return HttpResponse::json(json::done(buf));
}

// ---------------------------------------------------------------------------------------------
// Subject views and registry lookups

struct Part {
  std::shared_ptr<const Resource> resource;
  std::optional<GrantRef> grant;
  std::string omitted;  // why this part is not shown
};

// The caller's view of a resource for a matter: the grant and its fields, or why not.
Result<Part> partFor(ServiceContext& ctx, HttpRequest& req, const char* code, const Purpose& p) {
  Part part;
  auto resource = publishedResource(ctx, code);
  if (!resource) {
    if (resource.status().code() != ErrorCode::kNotFound) return resource.status();
    part.omitted = resource.status().message();
    return part;
  }
  auto grant = authorise(ctx, *req.caller, **resource, {}, p.matter_code, "fields");
  if (!grant) {
    if (grant.status().code() != ErrorCode::kPermissionDenied) return grant.status();
    part.omitted = grant.status().message();
    return part;
  }
  if (Status s = takeQuota(ctx, **grant, req); !s) return s;
  part.resource = std::move(*resource);
  part.grant = std::move(*grant);
  return part;
}

void recordAccess(AuditFacts& audit, const Part& part) {
  if (!audit.resource_code.empty()) audit.resource_code += ",";
  audit.resource_code += part.resource->code;
  for (const auto& f : part.grant->view) {
    audit.fields.push_back(part.resource->code + "." + f.name);
  }
}

Result<HttpResponse> personView(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto id = ids::normalizeCitizenId(req.params[0], "citizen_id");
  if (!id) return id.status();
  audit.subject_keys = {*id};
  auto purpose = purposeFromQuery(req);
  if (!purpose) return purpose.status();
  audit.matter_code = purpose->matter_code;
  audit.case_id = purpose->case_id;
  auto person = partFor(ctx, req, kPersonResource, *purpose);
  if (!person) return person.status();
  auto entities = partFor(ctx, req, kEntityResource, *purpose);
  if (!entities) return entities.status();
  if (!person->grant && !entities->grant) {
    return Status(ErrorCode::kPermissionDenied,
                  "no grant covers this view: " + person->omitted + "; " + entities->omitted);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::str(w, "citizen_id", *id);
  std::vector<std::pair<std::string, std::string>> omitted;
  bool found = false;
  if (person->grant) {
    recordAccess(audit, *person);
    auto source = sourceOf(ctx, *person->resource);
    if (!source) return source.status();
    const std::vector<std::string> person_fields = person->grant->fieldNames();
    auto row = (*source)->lookup(*id, person_fields);
    if (!row) return row.status();
    w.Key("person");
    if (*row) {
      found = true;
      writeRecord(w, *person->grant, **row, person_fields, nullptr);
    } else {
      w.Null();
    }
  } else {
    omitted.emplace_back(kPersonResource, person->omitted);
  }
  if (entities->grant) {
    recordAccess(audit, *entities);
    auto source = sourceOf(ctx, *entities->resource);
    if (!source) return source.status();
    const std::vector<std::string> entity_fields = entities->grant->fieldNames();
    auto rows = (*source)->lookupBy("legal_rep_citizen_id", *id, plus(entity_fields, "credit_code"),
                                    kMaxRepresented);
    if (!rows) return rows.status();
    w.Key("represents");
    w.StartArray();
    for (const auto& r : *rows) {
      found = true;
      writeRecord(w, *entities->grant, r, entity_fields, nullptr);
      if (auto credit_code = r.value("credit_code")) {
        audit.subject_keys.push_back(std::move(*credit_code));
      }
    }
    w.EndArray();
  } else {
    omitted.emplace_back(kEntityResource, entities->omitted);
  }
  w.Key("omitted");
  w.StartArray();
  for (const auto& [code, why] : omitted) {
    w.StartObject();
    json::str(w, "resource_code", code);
    json::str(w, "reason", why);
    w.EndObject();
  }
  w.EndArray();
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  if (!found)
    return Status::notFound("no record for citizen id " + *id + " in the granted resources");
  return HttpResponse::json(json::done(buf));
}

Result<HttpResponse> entityView(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto code = ids::normalizeCreditCode(req.params[0], "credit_code");
  if (!code) return code.status();
  audit.subject_keys = {*code};
  auto purpose = purposeFromQuery(req);
  if (!purpose) return purpose.status();
  audit.matter_code = purpose->matter_code;
  audit.case_id = purpose->case_id;
  auto entity = partFor(ctx, req, kEntityResource, *purpose);
  if (!entity) return entity.status();
  if (!entity->grant) return Status(ErrorCode::kPermissionDenied, entity->omitted, "resource_code");
  recordAccess(audit, *entity);
  auto source = sourceOf(ctx, *entity->resource);
  if (!source) return source.status();
  auto row = (*source)->lookup(*code, plus(entity->grant->fieldNames(), "legal_rep_citizen_id"));
  if (!row) return row.status();
  if (!*row) return Status::notFound("no legal entity with credit code " + *code);
  auto person = partFor(ctx, req, kPersonResource, *purpose);
  if (!person) return person.status();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::str(w, "credit_code", *code);
  w.Key("entity");
  writeRecord(w, *entity->grant, **row, entity->grant->fieldNames(), nullptr);
  w.Key("omitted");
  w.StartArray();
  std::optional<catalog::Record> rep;
  auto rep_id = (*row)->value("legal_rep_citizen_id");
  if (person->grant && rep_id) {
    recordAccess(audit, *person);
    audit.subject_keys.push_back(*rep_id);
    auto person_source = sourceOf(ctx, *person->resource);
    if (!person_source) return person_source.status();
    auto r = (*person_source)->lookup(*rep_id, person->grant->fieldNames());
    if (!r) return r.status();
    rep = std::move(*r);
  } else if (!person->grant) {
    w.StartObject();
    json::str(w, "resource_code", kPersonResource);
    json::str(w, "reason", person->omitted);
    w.EndObject();
  }
  w.EndArray();
  w.Key("legal_representative");
  if (rep) {
    writeRecord(w, *person->grant, *rep, person->grant->fieldNames(), nullptr);
  } else {
    w.Null();
  }
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  return HttpResponse::json(json::done(buf));
}

// GET /v1/registry/{persons|entities}/{id}: one record with every field the caller's grant
// allows for the matter, masked as the grant says.
Result<HttpResponse> registryLookup(ServiceContext& ctx, HttpRequest& req, const char* code,
                                    bool person, AuditFacts& audit) {
  auto key = person ? ids::normalizeCitizenId(req.params[0], "citizen_id")
                    : ids::normalizeCreditCode(req.params[0], "credit_code");
  if (!key) return key.status();
  audit.subject_keys = {*key};
  audit.resource_code = code;
  auto purpose = purposeFromQuery(req);
  if (!purpose) return purpose.status();
  audit.matter_code = purpose->matter_code;
  audit.case_id = purpose->case_id;
  auto published = publishedResource(ctx, code);
  if (!published) return published.status();
  const Resource* resource = published->get();
  auto grant = authorise(ctx, *req.caller, *resource, {}, purpose->matter_code, "fields");
  if (!grant) return grant.status();
  const std::vector<std::string> fields = grant->fieldNames();
  audit.fields = fields;
  if (Status s = takeQuota(ctx, **grant, req); !s) return s;
  auto source = sourceOf(ctx, *resource);
  if (!source) return source.status();
  auto row = (*source)->lookup(*key, fields);
  if (!row) return row.status();
  if (!*row) {
    return Status::notFound(person ? "no person with citizen id " + *key
                                   : "no legal entity with credit code " + *key);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  writeRecord(w, *grant, **row, fields, nullptr);
  return HttpResponse::json(json::done(buf));
}

// ---------------------------------------------------------------------------------------------
// Catalog browsing, access requests, grants

Result<HttpResponse> listResources(ServiceContext& ctx, HttpRequest& req) {
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::ResourceFilter f;
  f.text = q["q"];
  f.provider_department = q["provider"];
  f.field = q["field"];
  auto limit = sizeParam(q, "limit", 100, catalog::kMaxListLimit);
  if (!limit) return limit.status();
  auto offset = sizeParam(q, "offset", 0, 1000000);
  if (!offset) return offset.status();
  f.limit = *limit == 0 ? 1 : *limit;
  f.offset = *offset;
  auto list = ctx.catalog->listResources(f, actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("resources", *list);
}

Result<HttpResponse> getResource(ServiceContext& ctx, HttpRequest& req) {
  auto r = ctx.catalog->getResource(req.params[0], actorOf(*req.caller));
  if (!r) return r.status();
  return HttpResponse::json(catalog::toJson(*r));
}

Result<HttpResponse> applyForAccess(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto application = catalog::parseAccessApplication(req.body);
  if (!application) return application.status();
  audit.resource_code = application->resource_code;
  audit.fields = application->fields;
  auto r = ctx.catalog->applyForAccess(*application, actorOf(*req.caller));
  if (!r) return r.status();
  ctx.grants.clear();
  return HttpResponse::json(catalog::toJson(*r), 201);
}

Result<HttpResponse> listMyRequests(ServiceContext& ctx, HttpRequest& req) {
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::RequestFilter f;
  f.app_id = req.caller->app_id;
  if (q.count("state")) {
    f.state = catalog::parseRequestState(q["state"]);
    if (!f.state) return Status::invalid("state", "pending, approved, rejected or withdrawn");
  }
  auto list = ctx.catalog->listRequests(f, actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("access_requests", *list);
}

Result<HttpResponse> withdraw(ServiceContext& ctx, HttpRequest& req) {
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto r = ctx.catalog->withdrawRequest(*id, actorOf(*req.caller));
  if (!r) return r.status();
  return HttpResponse::json(catalog::toJson(*r));
}

Result<HttpResponse> listMyGrants(ServiceContext& ctx, HttpRequest& req) {
  catalog::GrantFilter f;
  f.app_id = req.caller->app_id;
  auto list = ctx.catalog->listGrants(f, actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("grants", *list);
}

// ---------------------------------------------------------------------------------------------
// GET /v1/holders/persons/{citizen_id}/access-log (Authorization: Bearer <holder token>)

Result<HttpResponse> holderAccessLog(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto id = ids::normalizeCitizenId(req.params[0], "citizen_id");
  if (!id) return id.status();
  audit.subject_keys = {*id};
  if (Status s = authenticateHolder(ctx, req, *id, "citizen_id", audit); !s) return s;
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  auto limit = sizeParam(q, "limit", 50, 1000);
  if (!limit) return limit.status();
  std::optional<std::string> before;
  if (q.count("before")) before = q["before"];
  auto records = db::withConnection(*ctx.pool, [&](pqxx::connection& c) {
    return audit::accessLogForSubject(c, *id, static_cast<int>(*limit == 0 ? 1 : *limit), before);
  });
  if (!records) return records.status();
  return HttpResponse::json(json::object([&](json::Writer& w) {
    json::str(w, "citizen_id", *id);
    w.Key("accesses");
    w.StartArray();
    for (const auto& r : *records) {
      w.StartObject();
      json::str(w, "at", formatRfc3339Micros(r.at_micros));
      json::str(w, "department_code", r.department_code);
      json::str(w, "department_name", r.department_name);
      json::str(w, "application", r.app_name);
      json::str(w, "resource_code", r.resource_code);
      json::strArray(w, "fields", r.fields);
      json::str(w, "matter_code", r.matter_code);
      json::str(w, "cursor", r.cursor);
      w.EndObject();
    }
    w.EndArray();
  }));
}

}  // namespace

void listenForCatalogChanges(ServiceContext& ctx, const std::string& conninfo) {
  ctx.grants.setTtl(std::chrono::milliseconds(ctx.config.grant_cache_ms));
  ctx.grants.setTrusted(false);
  ctx.resources.setTrusted(false);
  catalog::ChangeListener::Callbacks callbacks;
  callbacks.on_change = [&ctx](const std::string& payload) {
    // "grant <app_id> <resource_code>": that pair's grants; anything else (a resource published
    // or retired, a source's owner changed) may change any view: drop everything.
    const std::string prefix = "grant ";
    const size_t space = payload.find(' ', prefix.size());
    if (payload.compare(0, prefix.size(), prefix) == 0 && space != std::string::npos) {
      ctx.grants.invalidate(
          {payload.substr(prefix.size(), space - prefix.size()), payload.substr(space + 1)});
      return;
    }
    ctx.resources.clear();
    ctx.grants.clear();
  };
  callbacks.on_listening = [&ctx](bool listening) {
    ctx.grants.setTrusted(listening);
    ctx.resources.setTrusted(listening);
  };
  ctx.catalog_listener = catalog::ChangeListener::start(conninfo, std::move(callbacks));
}

void prepareQueryStatements(pqxx::connection& conn) { catalog::preparePgRecordSources(conn); }

void addConsumerRoutes(Router& r, ServiceContext& ctx) {
  auto signed_route = [&](const char* method, const char* pattern, auto fn) {
    r.add(method, pattern, handlerOf(ctx, fn)).access = Access::kSigned;
  };
  signed_route("POST", "/v1/query/{resource_code}", query);
  r.routes().back().reads_only = true;  // the criteria travel in the body; nothing is written
  signed_route("GET", "/v1/subjects/persons/{citizen_id}", personView);
  signed_route("GET", "/v1/subjects/entities/{credit_code}", entityView);
  signed_route("GET", "/v1/registry/persons/{citizen_id}",
               [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
                 return registryLookup(c, req, kPersonResource, true, audit);
               });
  signed_route("GET", "/v1/registry/entities/{credit_code}",
               [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
                 return registryLookup(c, req, kEntityResource, false, audit);
               });
  signed_route("GET", "/v1/catalog/resources", listResources);
  signed_route("GET", "/v1/catalog/resources/{code}", getResource);
  signed_route("POST", "/v1/access-requests", applyForAccess);
  signed_route("GET", "/v1/access-requests", listMyRequests);
  signed_route("POST", "/v1/access-requests/{id}/withdraw", withdraw);
  signed_route("GET", "/v1/grants", listMyGrants);
  r.add("GET", "/v1/holders/persons/{citizen_id}/access-log", handlerOf(ctx, holderAccessLog))
      .access = Access::kHolder;
}

}  // namespace tongban::exchange
