// Service matters over HTTP/JSON (docs/matters.md, docs/api.md): 免证办, 一件事 and 免申即享.
//   GET  /v1/matters/{code}/certificate-free  the matter's materials and how the hub stands in
//   GET  /v1/things/{code}                     a one-thing and its matters
//   POST /v1/matters/{code}/precheck           every linked check for one applicant, per material
//   POST /v1/things/{code}/precheck            the union of the matters' checks, once, per matter
//   POST /v1/matters/{code}/eligible           the persons who qualify (a scan of the index)
// Prechecks go through runChecks (verify_service.h): the same grants, quotas and audit record as
// POST /v1/verify/batch. An eligibility page is audited with every disclosed citizen id as a
// subject key, so each person finds the disclosure in their access log.
#include <optional>
#include <string>
#include <vector>

#include "grant_check.h"
#include "handler_util.h"
#include "json_util.h"
#include "service_context.h"
#include "tongban/catalog/model.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/time_format.h"
#include "tongban/verification/matters.h"
#include "verify_service.h"

namespace tongban::exchange {

namespace {

using verification::Check;
using verification::CheckKind;
using verification::Matter;
using verification::MatterStore;
using verification::Thing;

constexpr int64_t kMaxEligiblePage = 1000;
constexpr int64_t kDefaultEligiblePage = 100;

Status checkCode(const std::string& code) {
  if (!catalog::isValidMatterCode(code)) {
    return Status::invalid("code",
                           "must be 1-64 of [0-9A-Za-z._-] starting with a letter or digit");
  }
  return Status::ok();
}

Status notFound(const Status& s, const char* what, const std::string& code) {
  if (s.code() != ErrorCode::kNotFound) return s;
  return Status(ErrorCode::kNotFound, std::string("no ") + what + " " + code, "code");
}

Result<Matter> loadMatter(ServiceContext& ctx, const std::string& code) {
  if (Status s = checkCode(code); !s) return s;
  auto m = MatterStore(*ctx.pool).matter(code);
  if (!m) return notFound(m.status(), "matter", code);
  return m;
}

Result<Thing> loadThing(ServiceContext& ctx, const std::string& code) {
  if (Status s = checkCode(code); !s) return s;
  auto t = MatterStore(*ctx.pool).thing(code);
  if (!t) return notFound(t.status(), "one-thing", code);
  return t;
}

// The purpose, audited before it is checked; its matter code must be the path's code: an
// application asks under the matter (or one-thing) it handles, and its grant must cover that.
Result<Purpose> parsePurpose(const json::Value& root, const std::string& code, AuditFacts& audit) {
  auto obj = json::optObject(root, "purpose", "", true);
  if (!obj) return obj.status();
  if (Status s = json::onlyMembers(**obj, {"matter_code", "case_id"}, "purpose"); !s) return s;
  Purpose p;
  for (auto [name, out] :
       {std::pair{"matter_code", &p.matter_code}, std::pair{"case_id", &p.case_id}}) {
    auto v = json::optString(**obj, name, "purpose", true);
    if (!v) return v.status();
    *out = std::move(**v);
  }
  audit.matter_code = p.matter_code;
  audit.case_id = p.case_id;
  if (Status s = checkPurpose(p, "purpose."); !s) return s;
  if (p.matter_code != code) {
    return Status::invalid("purpose.matter_code", "must be " + code + ", the code in the path");
  }
  return p;
}

void writeAsOf(json::Writer& w, const verification::AsOf& a) {
  w.Key("as_of");
  w.StartObject();
  w.Key("certs_seq");
  w.Uint64(a.certs_seq);
  w.Key("population_seq");
  w.Uint64(a.population_seq);
  w.Key("legal_entity_seq");
  w.Uint64(a.legal_entity_seq);
  json::str(w, "at", formatRfc3339Micros(a.at_micros));
  w.Key("stale");
  w.Bool(a.stale);
  w.EndObject();
}

// GET /v1/matters/{code}/certificate-free
Result<HttpResponse> certificateFree(ServiceContext& ctx, HttpRequest& req) {
  auto m = loadMatter(ctx, req.params[0]);
  if (!m) return m.status();
  std::string body;
  verification::writeMatter(*m, body);
  return HttpResponse::json(std::move(body));
}

// GET /v1/things/{code}
Result<HttpResponse> thingOf(ServiceContext& ctx, HttpRequest& req) {
  auto t = loadThing(ctx, req.params[0]);
  if (!t) return t.status();
  std::string body;
  verification::writeThing(*t, body);
  return HttpResponse::json(std::move(body));
}

// A refusal runChecks names by the plan's check ("checks[3].kind") renamed after the first
// material that needs the check ("materials[1].type_code", "matters[0].materials[1].kind").
Status renameField(const Status& s, const verification::PrecheckPlan& plan, bool thing) {
  const std::string& f = s.field();
  if (f.rfind("checks[", 0) != 0) return s;
  const size_t close = f.find(']');
  if (close == std::string::npos) return s;
  const int index = std::stoi(f.substr(7, close - 7));
  const std::string member = f.substr(close + 1);  // ".kind"
  for (const auto& item : plan.items) {
    if (item.check != index) continue;
    std::string path = "materials[" + std::to_string(item.material) + "]" + member;
    if (thing) path = "matters[" + std::to_string(item.matter) + "]." + path;
    return Status(s.code(), s.message(), path);
  }
  return s;
}

// POST /v1/matters/{code}/precheck and /v1/things/{code}/precheck
Result<HttpResponse> precheck(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit,
                              bool thing) {
  const std::string& code = req.params[0];
  if (Status s = checkCode(code); !s) return s;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  const json::Value& root = **doc;
  if (Status s = json::onlyMembers(root, {"purpose", "applicant"}, ""); !s) return s;
  auto purpose = parsePurpose(root, code, audit);
  if (!purpose) return purpose.status();
  auto obj = json::optObject(root, "applicant", "", true);
  if (!obj) return obj.status();
  if (Status s = json::onlyMembers(**obj, {"citizen_id", "credit_code"}, "applicant"); !s) {
    return s;
  }
  verification::Applicant applicant;
  for (auto [name, out] : {std::pair{"citizen_id", &applicant.citizen_id},
                           std::pair{"credit_code", &applicant.credit_code}}) {
    auto v = json::optString(**obj, name, "applicant", false);
    if (!v) return v.status();
    if (*v) *out = std::move(**v);
  }
  std::vector<Matter> loaded;
  if (thing) {
    auto t = loadThing(ctx, code);
    if (!t) return t.status();
    MatterStore store(*ctx.pool);
    for (const auto& mc : t->matter_codes) {
      auto m = store.matter(mc);
      if (!m) return m.status();
      loaded.push_back(std::move(*m));
    }
  } else {
    auto m = loadMatter(ctx, code);
    if (!m) return m.status();
    loaded.push_back(std::move(*m));
  }
  std::vector<const Matter*> matters;
  for (const auto& m : loaded) matters.push_back(&m);
  auto plan = verification::planPrecheck(matters, applicant);
  if (!plan) return plan.status();
  int64_t retry_after = 0;
  auto out = runChecks(ctx, *req.caller, *purpose, plan->checks, "checks", &audit, &retry_after);
  if (!out) {
    if (retry_after > 0) req.retry_after = std::to_string(retry_after);
    return renameField(out.status(), *plan, thing);
  }
  ctx.verified_http.fetch_add(plan->checks.size(), std::memory_order_relaxed);

  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::str(w, "code", code);
  w.Key("matters");
  w.StartArray();
  size_t open = SIZE_MAX;
  for (const auto& item : plan->items) {
    if (item.matter != open) {
      if (open != SIZE_MAX) {
        w.EndArray();
        w.EndObject();
      }
      open = item.matter;
      const Matter& m = *matters[item.matter];
      w.StartObject();
      json::str(w, "code", m.code);
      json::str(w, "name", m.name);
      json::str(w, "department_name", m.department_name);
      w.Key("materials");
      w.StartArray();
    }
    const auto& material = matters[item.matter]->materials[item.material];
    w.StartObject();
    w.Key("position");
    w.Int(material.position);
    json::str(w, "name", material.name);
    json::str(w, "substitute", verification::substituteName(material.substitute));
    if (item.check < 0) {
      json::str(w, "outcome",
                verification::materialOutcomeName(verification::MaterialOutcome::kMustSubmit));
    } else {
      const auto& answer = out->answers[static_cast<size_t>(item.check)];
      json::str(w, "outcome",
                verification::materialOutcomeName(verification::materialOutcome(answer)));
      json::str(w, "reason", verification::reasonName(answer.reason));
    }
    w.EndObject();
  }
  if (open != SIZE_MAX) {
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks");
  w.Uint64(plan->checks.size());
  writeAsOf(w, out->as_of);
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  return HttpResponse::json(json::done(buf));
}

Result<HttpResponse> matterPrecheck(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  return precheck(ctx, req, audit, false);
}

Result<HttpResponse> thingPrecheck(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  return precheck(ctx, req, audit, true);
}

// The VERIFY-PERSON field a person check reads (verify_service.h's table).
const char* personField(CheckKind kind) {
  switch (kind) {
    case CheckKind::kPersonAlive:
      return "status";
    case CheckKind::kPersonRegisteredIn:
      return "region_code";
    case CheckKind::kPersonAgeAtLeast:
      return "birth_date";
    default:
      return "status";
  }
}

// POST /v1/matters/{code}/eligible
Result<HttpResponse> eligible(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  const std::string& code = req.params[0];
  audit.resource_code = kVerifyPersonResource;
  if (Status s = checkCode(code); !s) return s;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  const json::Value& root = **doc;
  if (Status s = json::onlyMembers(root, {"purpose", "after", "limit"}, ""); !s) return s;
  auto purpose = parsePurpose(root, code, audit);
  if (!purpose) return purpose.status();
  auto after = json::optString(root, "after", "", false);
  if (!after) return after.status();
  std::string cursor;
  if (*after) {
    auto id = ids::normalizeCitizenId(**after, "after");
    if (!id) return Status::invalid("after", "must be the `next` of the previous page");
    cursor = std::move(*id);
  }
  auto limit = json::optInt(root, "limit", "", 1, kMaxEligiblePage);
  if (!limit) return limit.status();
  const int64_t page = limit->value_or(kDefaultEligiblePage);
  auto m = loadMatter(ctx, code);
  if (!m) return m.status();
  if (m->eligibility.empty()) {
    return Status(ErrorCode::kConflict, "matter " + code + " has no eligibility rule", "code");
  }
  if (!ctx.verification) {
    return Status::unavailable(
        "the verification index is not configured on this node (verification.seed_file)");
  }
  // The grant on VERIFY-PERSON must name every field the rule reads and cover the matter.
  std::vector<std::string> fields;
  for (const auto& c : m->eligibility) {
    const std::string f = personField(c.kind);
    bool have = false;
    for (const auto& g : fields) have = have || g == f;
    if (!have) fields.push_back(f);
  }
  auto resource = publishedResource(ctx, kVerifyPersonResource);
  if (!resource) {
    if (resource.status().code() != ErrorCode::kNotFound) return resource.status();
    return Status(ErrorCode::kPermissionDenied,
                  std::string("eligibility scans are authorised by catalog resource ") +
                      kVerifyPersonResource + ", which is not published",
                  "code");
  }
  auto grant = authorise(ctx, *req.caller, **resource, fields, purpose->matter_code, "fields");
  if (!grant) {
    const Status& s = grant.status();
    if (s.code() != ErrorCode::kPermissionDenied || s.field() == "purpose.matter_code") return s;
    return Status(ErrorCode::kPermissionDenied,
                  "application " + req.caller->app_id + " may not scan for " + code + ": its " +
                      kVerifyPersonResource + " grant must name the fields the rule reads (" +
                      s.message() + ")",
                  "code");
  }
  if (Status s = takeQuota(ctx, **grant, req); !s) return s;

  std::vector<std::string> found;
  const verification::AsOf as_of = ctx.verification->scanPersons(
      m->eligibility.data(), m->eligibility.size(), todayInChina(), cursor,
      [&](const std::string& id) {
        found.push_back(id);
        return static_cast<int64_t>(found.size()) <= page;  // one more: is there a next page?
      });
  const bool more = static_cast<int64_t>(found.size()) > page;
  if (more) found.resize(static_cast<size_t>(page));
  std::string rule;
  for (const auto& c : m->eligibility) {
    if (!rule.empty()) rule += "; ";
    rule += describeCheck(c);
  }
  audit.subject_keys = found;
  audit.fields.assign(found.size(), "eligible " + code + ": " + rule);

  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::str(w, "code", code);
  json::strArray(w, "citizen_ids", found);
  json::strOrNull(w, "next", more ? std::optional<std::string>(found.back()) : std::nullopt);
  writeAsOf(w, as_of);
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  return HttpResponse::json(json::done(buf));
}

}  // namespace

void addMatterRoutes(Router& r, ServiceContext& ctx) {
  r.add("GET", "/v1/matters/{code}/certificate-free", handlerOf(ctx, certificateFree));
  r.add("GET", "/v1/things/{code}", handlerOf(ctx, thingOf));
  for (auto [pattern, fn] : {std::pair{"/v1/matters/{code}/precheck", &matterPrecheck},
                             std::pair{"/v1/things/{code}/precheck", &thingPrecheck},
                             std::pair{"/v1/matters/{code}/eligible", &eligible}}) {
    auto& route = r.add("POST", pattern, handlerOf(ctx, fn));
    route.access = Access::kSigned;
    // They change nothing but quotas: the nonce is claimed with the audit entry.
    route.reads_only = true;
  }
}

}  // namespace tongban::exchange
