// Administrators' endpoints (/v1/admin/...): departments, applications and keys (admin role);
// catalog entries, access decisions and grants (admin, or a provider application for its own
// department's resources — the catalog store decides); audit search (admin).
#include <Poco/URI.h>

#include "handler_util.h"
#include "json_util.h"
#include "service_context.h"
#include "tongban/audit/search.h"
#include "tongban/catalog/json.h"
#include "tongban/common/json_writer.h"
#include "tongban/common/time_format.h"

namespace tongban::exchange {

namespace {

Status requireAdmin(const HttpRequest& req) {
  if (req.caller->role != "admin") {
    return Status(ErrorCode::kPermissionDenied,
                  "this endpoint needs an application with the admin role; " + req.caller->app_id +
                      " is a " + req.caller->role);
  }
  return Status::ok();
}

std::string actorName(const HttpRequest& req) { return req.caller->app_id; }

// A body that may be empty, or an object with only `allowed` members.
Result<std::unique_ptr<rapidjson::Document>> optionalBody(
    const HttpRequest& req, std::initializer_list<const char*> allowed) {
  std::string body = req.body.empty() ? "{}" : req.body;
  auto doc = json::parseObject(body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, allowed, ""); !s) return s;
  return doc;
}

// --- departments, applications, keys -----------------------------------------------------------

std::string departmentJson(const directory::Department& d) {
  return json::object([&](json::Writer& w) {
    json::str(w, "code", d.code);
    json::str(w, "name", d.name);
    json::str(w, "region_code", d.region_code);
    json::str(w, "created_at", d.created_at);
  });
}

std::string applicationJson(const directory::Application& a) {
  return json::object([&](json::Writer& w) {
    json::str(w, "app_id", a.app_id);
    json::str(w, "department_code", a.department_code);
    json::str(w, "name", a.name);
    json::str(w, "role", a.role);
    json::str(w, "status", a.status);
    json::str(w, "created_at", a.created_at);
  });
}

std::string issuedKeyJson(const directory::IssuedKey& k) {
  return json::object([&](json::Writer& w) {
    json::str(w, "app_id", k.app_id);
    json::str(w, "key_id", k.key_id);
    json::str(w, "secret", k.secret);
    json::str(w, "note", "the secret is shown once; store it now");
  });
}

Result<HttpResponse> createDepartment(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"code", "name", "region_code"}, ""); !s) return s;
  auto code = json::reqString(**doc, "code", "");
  if (!code) return code.status();
  auto name = json::reqString(**doc, "name", "");
  if (!name) return name.status();
  auto region = json::reqString(**doc, "region_code", "");
  if (!region) return region.status();
  auto d = ctx.registry->createDepartment(*code, *name, *region, actorName(req));
  if (!d) return d.status();
  return HttpResponse::json(departmentJson(*d), 201);
}

Result<HttpResponse> listDepartments(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto list = ctx.registry->listDepartments();
  if (!list) return list.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::rawArray(w, "departments", *list, departmentJson);
  }));
}

Result<HttpResponse> createApplication(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"department_code", "name", "role"}, ""); !s) return s;
  auto dept = json::reqString(**doc, "department_code", "");
  if (!dept) return dept.status();
  auto name = json::reqString(**doc, "name", "");
  if (!name) return name.status();
  auto role = json::optString(**doc, "role", "", false);
  if (!role) return role.status();
  auto k =
      ctx.registry->createApplication(*dept, *name, role->value_or("consumer"), actorName(req));
  if (!k) return k.status();
  return HttpResponse::json(issuedKeyJson(*k), 201);
}

Result<HttpResponse> listApplications(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto params = queryParams(req);
  if (!params) return params.status();
  auto list = ctx.registry->listApplications((*params)["department"]);
  if (!list) return list.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::rawArray(w, "applications", *list, applicationJson);
  }));
}

Result<HttpResponse> setAppStatus(ServiceContext& ctx, HttpRequest& req, const char* status) {
  if (Status s = requireAdmin(req); !s) return s;
  auto a = ctx.registry->setApplicationStatus(req.params[0], status, actorName(req));
  if (!a) return a.status();
  ctx.invalidateCaches();
  return HttpResponse::json(applicationJson(*a));
}

Result<HttpResponse> rotateKey(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto doc = optionalBody(req, {"overlap_seconds"});
  if (!doc) return doc.status();
  auto overlap = json::optInt(**doc, "overlap_seconds", "", 0, 30 * 24 * 3600);
  if (!overlap) return overlap.status();
  auto k = ctx.registry->rotateKey(req.params[0], std::chrono::seconds(overlap->value_or(86400)),
                                   actorName(req));
  if (!k) return k.status();
  ctx.invalidateCaches();
  return HttpResponse::json(issuedKeyJson(*k), 201);
}

// {"sha256": hex SHA-256 of the DER client certificate} binds; {"sha256": null} unbinds.
Result<HttpResponse> bindClientCertificate(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"sha256"}, ""); !s) return s;
  if (!(*doc)->HasMember("sha256")) return Status::invalid("sha256", "is required (null unbinds)");
  auto sha = json::optString(**doc, "sha256", "", false);
  if (!sha) return sha.status();
  const std::string value = sha->value_or("");
  if (sha->has_value() && value.empty()) {
    return Status::invalid("sha256", "must be 64 hex digits (null unbinds)");
  }
  if (Status s = ctx.registry->setClientCertificate(req.params[0], value, actorName(req)); !s) {
    return s;
  }
  ctx.invalidateCaches();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::str(w, "app_id", req.params[0]);
    tongban::json::boolean(w, "client_certificate_bound", !value.empty());
  }));
}

Result<HttpResponse> disableKey(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  if (Status s = ctx.registry->disableKey(req.params[0], actorName(req)); !s) return s;
  ctx.invalidateCaches();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::str(w, "key_id", req.params[0]);
    tongban::json::str(w, "status", "disabled");
  }));
}

// --- catalog ---------------------------------------------------------------------------------

Result<HttpResponse> createResource(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto draft = catalog::parseResourceDraft(req.body);
  if (!draft) return draft.status();
  audit.resource_code = draft->code;
  auto r = ctx.catalog->createResource(*draft, actorOf(*req.caller));
  if (!r) return r.status();
  return HttpResponse::json(catalog::toJson(*r), 201);
}

Result<HttpResponse> listAllResources(ServiceContext& ctx, HttpRequest& req) {
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::ResourceFilter f;
  f.text = q["q"];
  f.provider_department = q["provider"];
  f.field = q["field"];
  f.status = std::nullopt;
  if (q.count("status")) {
    f.status = catalog::parseResourceStatus(q["status"]);
    if (!f.status) return Status::invalid("status", "draft, published or retired");
  }
  auto list = ctx.catalog->listResources(f, actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("resources", *list);
}

Result<HttpResponse> publishResource(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  audit.resource_code = req.params[0];
  auto version = idParam(req.params[1], "version");
  if (!version) return version.status();
  if (*version > 1000000) return Status::invalid("version", "no such version");
  auto r =
      ctx.catalog->publishResource(req.params[0], static_cast<int>(*version), actorOf(*req.caller));
  if (!r) return r.status();
  ctx.invalidateCaches();
  return HttpResponse::json(catalog::toJson(*r));
}

Result<HttpResponse> retireResource(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  audit.resource_code = req.params[0];
  auto r = ctx.catalog->retireResource(req.params[0], actorOf(*req.caller));
  if (!r) return r.status();
  ctx.invalidateCaches();
  return HttpResponse::json(catalog::toJson(*r));
}

// Registry sources and their owning departments.
Result<HttpResponse> listSources(ServiceContext& ctx, HttpRequest& req) {
  auto list = ctx.catalog->listSourceOwners(actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("sources", *list);
}

// {"department_code", "reason"?}: admin only (the catalog store decides).
Result<HttpResponse> setSourceOwner(ServiceContext& ctx, HttpRequest& req) {
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"department_code", "reason"}, ""); !s) return s;
  auto department = json::reqString(**doc, "department_code", "");
  if (!department) return department.status();
  auto reason = json::optString(**doc, "reason", "", false);
  if (!reason) return reason.status();
  auto owner = ctx.catalog->setSourceOwner(req.params[0], *department, actorOf(*req.caller),
                                           reason->value_or(""));
  if (!owner) return owner.status();
  ctx.invalidateCaches();
  return HttpResponse::json(catalog::toJson(*owner));
}

// --- access requests and grants ----------------------------------------------------------------

Result<HttpResponse> listRequests(ServiceContext& ctx, HttpRequest& req) {
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::RequestFilter f;
  f.app_id = q["app_id"];
  f.resource_code = q["resource"];
  if (q.count("state")) {
    f.state = catalog::parseRequestState(q["state"]);
    if (!f.state) return Status::invalid("state", "pending, approved, rejected or withdrawn");
  }
  if (req.caller->role == "provider") f.provider_department = req.caller->department_code;
  auto list = ctx.catalog->listRequests(f, actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("access_requests", *list);
}

Result<HttpResponse> approve(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto options = catalog::parseApprovalOptions(req.body);
  if (!options) return options.status();
  auto a = ctx.catalog->approveRequest(*id, actorOf(*req.caller), *options);
  if (!a) return a.status();
  ctx.invalidateCaches();
  audit.resource_code = a->request.resource_code;
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::raw(w, "request", catalog::toJson(a->request));
    tongban::json::raw(w, "grant", catalog::toJson(a->grant));
  }));
}

Result<std::string> reasonFrom(const HttpRequest& req, bool required) {
  auto doc = optionalBody(req, {"reason"});
  if (!doc) return doc.status();
  auto reason = json::optString(**doc, "reason", "", required);
  if (!reason) return reason.status();
  if (required && (*reason)->empty()) return Status::invalid("reason", "must not be empty");
  return reason->value_or("");
}

Result<HttpResponse> reject(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto reason = reasonFrom(req, true);
  if (!reason) return reason.status();
  auto r = ctx.catalog->rejectRequest(*id, actorOf(*req.caller), *reason);
  if (!r) return r.status();
  audit.resource_code = r->resource_code;
  return HttpResponse::json(catalog::toJson(*r));
}

Result<HttpResponse> listGrants(ServiceContext& ctx, HttpRequest& req) {
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::GrantFilter f;
  f.app_id = q["app_id"];
  f.resource_code = q["resource"];
  if (q.count("state")) {
    f.state = catalog::parseGrantState(q["state"]);
    if (!f.state) return Status::invalid("state", "active, suspended or revoked");
  }
  auto list = ctx.catalog->listGrants(f, actorOf(*req.caller));
  if (!list) return list.status();
  return jsonList("grants", *list);
}

enum class GrantChange { kSuspend, kResume, kRevoke };

Result<HttpResponse> changeGrant(ServiceContext& ctx, HttpRequest& req, GrantChange change,
                                 AuditFacts& audit) {
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto reason = reasonFrom(req, change != GrantChange::kResume);
  if (!reason) return reason.status();
  catalog::Actor actor = actorOf(*req.caller);
  auto g = change == GrantChange::kSuspend  ? ctx.catalog->suspendGrant(*id, actor, *reason)
           : change == GrantChange::kResume ? ctx.catalog->resumeGrant(*id, actor, *reason)
                                            : ctx.catalog->revokeGrant(*id, actor, *reason);
  if (!g) return g.status();
  ctx.invalidateCaches();
  audit.resource_code = g->resource_code;
  return HttpResponse::json(catalog::toJson(*g));
}

// --- audit search ----------------------------------------------------------------------------

Result<std::optional<int64_t>> timeParam(const std::map<std::string, std::string>& q,
                                         const char* name) {
  auto it = q.find(name);
  if (it == q.end()) return std::optional<int64_t>();
  const std::optional<int64_t> t = parseRfc3339Micros(it->second);
  if (!t) return Status::invalid(name, "must be an RFC 3339 time with an offset");
  return std::optional<int64_t>(*t);
}

Result<HttpResponse> searchAudit(ServiceContext& ctx, HttpRequest& req) {
  if (Status s = requireAdmin(req); !s) return s;
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  audit::AuditSearch search;
  search.app_id = q["app_id"];
  search.subject_key = q["subject"];
  search.resource_code = q["resource"];
  auto from = timeParam(q, "from");
  if (!from) return from.status();
  auto to = timeParam(q, "to");
  if (!to) return to.status();
  search.from_micros = *from;
  search.to_micros = *to;
  if (q.count("limit")) {
    const std::string& l = q["limit"];
    if (l.empty() || l.size() > 5 || l.find_first_not_of("0123456789") != std::string::npos) {
      return Status::invalid("limit", "must be an integer from 1 to 10000");
    }
    search.limit = std::stoi(l);
  }
  auto records = db::withConnection(
      *ctx.pool, [&](pqxx::connection& c) { return audit::searchAuditLog(c, search); });
  if (!records) return records.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::rawArray(w, "entries", *records, audit::auditRecordJson);
  }));
}

}  // namespace

void addAdminRoutes(Router& r, ServiceContext& ctx) {
  auto route = [&](const char* method, const char* pattern, auto fn) {
    r.add(method, pattern, handlerOf(ctx, fn)).access = Access::kSigned;
  };
  route("GET", "/v1/admin/departments", listDepartments);
  route("POST", "/v1/admin/departments", createDepartment);
  route("GET", "/v1/admin/applications", listApplications);
  route("POST", "/v1/admin/applications", createApplication);
  r.add("POST", "/v1/admin/applications/{app_id}/disable", [&ctx](HttpRequest& req) {
     return setAppStatus(ctx, req, "disabled");
   }).access = Access::kSigned;
  r.add("POST", "/v1/admin/applications/{app_id}/enable", [&ctx](HttpRequest& req) {
     return setAppStatus(ctx, req, "active");
   }).access = Access::kSigned;
  route("POST", "/v1/admin/applications/{app_id}/keys", rotateKey);
  route("POST", "/v1/admin/keys/{key_id}/disable", disableKey);
  route("POST", "/v1/admin/applications/{app_id}/client-certificate", bindClientCertificate);
  route("GET", "/v1/admin/catalog/resources", listAllResources);
  route("POST", "/v1/admin/catalog/resources", createResource);
  route("POST", "/v1/admin/catalog/resources/{code}/versions/{version}/publish", publishResource);
  route("POST", "/v1/admin/catalog/resources/{code}/retire", retireResource);
  route("GET", "/v1/admin/catalog/sources", listSources);
  route("POST", "/v1/admin/catalog/sources/{source}/owner", setSourceOwner);
  route("GET", "/v1/admin/access-requests", listRequests);
  route("POST", "/v1/admin/access-requests/{id}/approve", approve);
  route("POST", "/v1/admin/access-requests/{id}/reject", reject);
  route("GET", "/v1/admin/grants", listGrants);
  route("POST", "/v1/admin/grants/{id}/suspend",
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return changeGrant(c, req, GrantChange::kSuspend, audit);
        });
  route("POST", "/v1/admin/grants/{id}/resume",
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return changeGrant(c, req, GrantChange::kResume, audit);
        });
  route("POST", "/v1/admin/grants/{id}/revoke",
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return changeGrant(c, req, GrantChange::kRevoke, audit);
        });
  route("GET", "/v1/admin/audit", searchAudit);
}

}  // namespace tongban::exchange
