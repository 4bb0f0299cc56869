// The electronic-certificate hub's endpoints (issue 4): issuance by a department's application,
// lifecycle, objections, self-contained bundles, the transparency log (public), and holders'
// lists of their own certificates.
//
// Reading a certificate (its bundle, its history, its objections) discloses the signed payload's
// personal data, so it is authorised like a registry query (docs/certificates.md, "Who reads a
// certificate"): the issuing department's applications read what it issued; any other
// application needs a grant on the type's catalog resource CERT-<type code> for the purpose it
// states (?matter_code=&case_id=), within the grant's quota; holders read their own with their
// token under /v1/holders/. Every read names the holder (and every person or entity the surface
// identifies) as a subject of its audit entry, so it shows in their access log.
#include <set>

#include "grant_check.h"
#include "handler_util.h"
#include "json_util.h"
#include "service_context.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/json_writer.h"

namespace tongban::exchange {

namespace {

Result<CertsServices*> hub(ServiceContext& ctx) {
  if (!ctx.certs) {
    return Status::unavailable("the certificate hub is not configured here (pki.dir)");
  }
  return ctx.certs.get();
}

Result<std::string> certificateId(HttpRequest& req, AuditFacts& audit) {
  auto id = ids::normalizeCertificateId(req.params[0], "certificate_id");
  if (!id) return id.status();
  audit.subject_keys = {*id};
  return id;
}

std::string actorName(const HttpRequest& req) { return req.caller->app_id; }

// The holder and every citizen id or credit code in the surface (a marriage certificate names
// both spouses) are subjects of a read: the read appears in each one's access log.
void addSubjects(AuditFacts& audit, const certs::Certificate& c) {
  std::set<std::string> seen(audit.subject_keys.begin(), audit.subject_keys.end());
  auto add = [&](const std::string& key) {
    if (seen.insert(key).second) audit.subject_keys.push_back(key);
  };
  add(c.holder_code);
  rapidjson::Document surface;
  surface.Parse(c.surface_json.c_str());
  if (!surface.IsObject()) return;
  auto consider = [&](const rapidjson::Value& v) {
    if (!v.IsString()) return;
    const std::string_view text(v.GetString(), v.GetStringLength());
    if (text.size() != 18) return;
    if (auto id = ids::normalizeCitizenId(text)) {
      add(*id);
    } else if (auto code = ids::normalizeCreditCode(text)) {
      add(*code);
    }
  };
  for (const auto& m : surface.GetObject()) {
    if (m.value.IsArray()) {
      for (const auto& item : m.value.GetArray()) consider(item);
    } else {
      consider(m.value);
    }
  }
}

// Authorises the calling application to read certificate `id` (see the top of this file) and
// loads it. kPermissionDenied (403, audited) without the issuer's department or a grant covering
// the purpose; kInvalidArgument for a missing or malformed purpose when a grant is needed;
// kResourceExhausted past the grant's quota; kNotFound for an unknown certificate (only once the
// caller is authorised for its type, so nobody else learns which ids exist).
Result<certs::Certificate> readableCertificate(ServiceContext& ctx, CertsServices& h,
                                               HttpRequest& req, const std::string& id,
                                               AuditFacts& audit) {
  auto parts = certs::parseCertificateId(id);
  if (!parts) return parts.status();
  const std::string resource_code = catalog::certificateResourceCode(parts->type_code);
  audit.resource_code = resource_code;
  audit.fields = {"certificate"};
  if (req.caller->department_code != parts->issuer_code) {
    auto purpose = purposeFromQuery(req);
    if (purpose) {
      audit.matter_code = purpose->matter_code;
      audit.case_id = purpose->case_id;
    }
    auto resource = publishedResource(ctx, resource_code);
    if (!resource) {
      if (resource.status().code() != ErrorCode::kNotFound) return resource.status();
      return Status(ErrorCode::kPermissionDenied,
                    "certificates of type " + parts->type_code +
                        " are read with a grant on catalog resource " + resource_code +
                        ", which is not published",
                    "resource_code");
    }
    if ((*resource)->source != std::string(catalog::kCertificateSourcePrefix) + parts->type_code) {
      return Status(
          ErrorCode::kPermissionDenied,
          "catalog resource " + resource_code + " is not over certificate type " + parts->type_code,
          "resource_code");
    }
    // Without a grant on the type the answer is 403 whether or not a purpose was stated; with
    // one, a missing or malformed purpose is the 400 it is for queries.
    auto grant = authorise(ctx, *req.caller, **resource, {"certificate"},
                           purpose ? purpose->matter_code : std::string(), "fields");
    if (!purpose && (grant || grant.status().field() == "purpose.matter_code")) {
      return purpose.status();
    }
    if (!grant) return grant.status();
    if (Status s = takeQuota(ctx, **grant, req); !s) return s;
  } else {
    // The issuer reads what it issued; a purpose, when given, is checked and recorded.
    auto params = queryParams(req);
    if (!params) return params.status();
    if (params->count("matter_code") || params->count("case_id")) {
      auto purpose = purposeFromQuery(req);
      if (!purpose) return purpose.status();
      audit.matter_code = purpose->matter_code;
      audit.case_id = purpose->case_id;
    }
  }
  auto c = h.certificates->get(id);
  if (!c) return c.status();
  addSubjects(audit, *c);
  return c;
}

// POST /v1/certificates (Idempotency-Key required)
Result<HttpResponse> issue(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  std::string key = req.raw.get("Idempotency-Key", "");
  if (key.empty()) {
    return Status::invalid("Idempotency-Key",
                           "an Idempotency-Key header is required, so that a retry never makes a "
                           "second certificate");
  }
  auto request =
      certs::parseIssueRequest(req.body, req.caller->department_code, key, actorName(req));
  if (!request) return request.status();
  audit.resource_code = request->type_code;
  audit.subject_keys = {request->holder_code};
  auto issued = (*h)->certificates->issue(*request);
  if (!issued) return issued.status();
  audit.subject_keys.push_back(issued->certificate.certificate_id);
  HttpResponse out =
      HttpResponse::json(certs::certificateJson(issued->certificate), issued->replayed ? 200 : 201);
  if (issued->replayed) out.headers.emplace_back("Idempotent-Replayed", "true");
  out.headers.emplace_back("Location", "/v1/certificates/" + issued->certificate.certificate_id);
  return out;
}

// GET /v1/certificates/{id}: the offline bundle, to the issuer or under a grant.
Result<HttpResponse> bundle(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto id = certificateId(req, audit);
  if (!id) return id.status();
  auto c = readableCertificate(ctx, **h, req, *id, audit);
  if (!c) return c.status();
  auto b = (*h)->certificates->bundle(*id);
  if (!b) return b.status();
  return HttpResponse::json(std::move(*b));
}

Result<HttpResponse> history(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto id = certificateId(req, audit);
  if (!id) return id.status();
  if (auto c = readableCertificate(ctx, **h, req, *id, audit); !c) return c.status();
  auto events = (*h)->certificates->history(*id);
  if (!events) return events.status();
  return HttpResponse::json(json::object([&](json::Writer& w) {
    json::str(w, "certificate_id", *id);
    w.Key("events");
    w.StartArray();
    for (const auto& e : *events) {
      w.StartObject();
      json::str(w, "at", e.at);
      json::str(w, "action", e.action);
      json::str(w, "from_status", e.from_status);
      json::str(w, "to_status", e.to_status);
      json::str(w, "reason_code", e.reason_code);
      json::str(w, "note", e.note);
      json::str(w, "actor", e.actor);
      w.EndObject();
    }
    w.EndArray();
  }));
}

enum class Change { kSuspend, kResume, kRevoke };

Result<HttpResponse> change(ServiceContext& ctx, HttpRequest& req, Change change,
                            AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto id = certificateId(req, audit);
  if (!id) return id.status();
  auto doc = json::parseObject(req.body.empty() ? "{}" : req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"note", "reason_code"}, ""); !s) return s;
  auto note = json::optString(**doc, "note", "", false);
  if (!note) return note.status();
  auto reason = json::optString(**doc, "reason_code", "", change == Change::kRevoke);
  if (!reason) return reason.status();
  if (change != Change::kRevoke && *reason) {
    return Status::invalid("reason_code", "only a revocation takes a reason code");
  }
  const std::string& issuer = req.caller->department_code;
  auto c =
      change == Change::kSuspend
          ? (*h)->certificates->suspend(*id, issuer, note->value_or(""), actorName(req))
      : change == Change::kResume
          ? (*h)->certificates->resume(*id, issuer, actorName(req))
          : (*h)->certificates->revoke(*id, issuer, **reason, note->value_or(""), actorName(req));
  if (!c) return c.status();
  return HttpResponse::json(certs::certificateJson(*c));
}

Result<HttpResponse> correct(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto id = certificateId(req, audit);
  if (!id) return id.status();
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s =
          json::onlyMembers(**doc, {"surface", "holder_name", "seal_id", "valid_to", "reason"}, "");
      !s) {
    return s;
  }
  certs::CorrectionRequest c;
  c.certificate_id = *id;
  c.issuer_code = req.caller->department_code;
  c.actor = actorName(req);
  auto surface = json::optObject(**doc, "surface", "", true);
  if (!surface) return surface.status();
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> sw(sb);
  (*surface)->Accept(sw);
  c.surface_json = json::done(sb);
  for (auto [name, out] :
       {std::pair{"holder_name", &c.holder_name}, std::pair{"seal_id", &c.seal_id},
        std::pair{"valid_to", &c.valid_to}, std::pair{"reason", &c.reason}}) {
    auto v = json::optString(**doc, name, "", std::string(name) == "reason");
    if (!v) return v.status();
    *out = v->value_or("");
  }
  auto corrected = (*h)->certificates->correct(c);
  if (!corrected) return corrected.status();
  audit.subject_keys.push_back(corrected->certificate_id);
  return HttpResponse::json(certs::certificateJson(*corrected), 201);
}

std::string objectionJson(int64_t id, const certs::Objection& o) {
  return json::object([&](json::Writer& w) {
    if (id > 0) {
      w.Key("id");
      w.Int64(id);
    }
    json::str(w, "certificate_id", o.certificate_id);
    json::str(w, "filed_by_kind", o.filed_by_kind);
    json::str(w, "filed_by", o.filed_by);
    json::str(w, "reason", o.reason);
    json::str(w, "status", o.status);
    json::str(w, "filed_at", o.filed_at);
    json::str(w, "resolved_at", o.resolved_at);
    json::str(w, "resolved_by", o.resolved_by);
    json::str(w, "resolution", o.resolution);
  });
}

// POST /v1/certificates/{id}/objections — a verifier (any application) files one.
Result<HttpResponse> fileObjection(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto id = certificateId(req, audit);
  if (!id) return id.status();
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"reason"}, ""); !s) return s;
  auto reason = json::reqString(**doc, "reason", "");
  if (!reason) return reason.status();
  auto o = (*h)->certificates->fileObjection(*id, "verifier", actorName(req), *reason);
  if (!o) return o.status();
  return HttpResponse::json(objectionJson(o->objection_id, *o), 201);
}

Result<HttpResponse> listObjections(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto id = certificateId(req, audit);
  if (!id) return id.status();
  if (auto c = readableCertificate(ctx, **h, req, *id, audit); !c) return c.status();
  auto list = (*h)->certificates->objections(*id);
  if (!list) return list.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::rawArray(w, "objections", *list,
                            [](const auto& o) { return objectionJson(o.objection_id, o); });
  }));
}

// POST /v1/objections/{n}/resolve — the issuer decides.
Result<HttpResponse> resolveObjection(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto n = idParam(req.params[0], "objection_id");
  if (!n) return n.status();
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"upheld", "resolution"}, ""); !s) return s;
  auto upheld = json::optBool(**doc, "upheld", "");
  if (!upheld) return upheld.status();
  if (!*upheld) return Status::invalid("upheld", "is required (true or false)");
  auto resolution = json::reqString(**doc, "resolution", "");
  if (!resolution) return resolution.status();
  auto o = (*h)->certificates->resolveObjection(*n, req.caller->department_code, **upheld,
                                                *resolution, actorName(req));
  if (!o) return o.status();
  audit.subject_keys = {o->certificate_id};
  return HttpResponse::json(objectionJson(o->objection_id, *o));
}

// --- transparency log (public, like any CT log) ---------------------------------------------

void hashes(tongban::json::Writer& w, const char* key, const std::vector<certs::MerkleHash>& list) {
  std::vector<std::string> hex;
  hex.reserve(list.size());
  for (const certs::MerkleHash& h : list) hex.push_back(certs::toHex(h));
  tongban::json::strArray(w, key, hex);
}

Result<HttpResponse> sth(ServiceContext& ctx, HttpRequest&) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto head = (*h)->log->currentTreeHead();
  if (!head) return head.status();
  return HttpResponse::json(certs::treeHeadJson(*head));
}

Result<uint64_t> u64(const std::map<std::string, std::string>& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end()) return Status::invalid(name, "is required");
  if (it->second.empty() || it->second.size() > 18 ||
      it->second.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid(name, "must be a non-negative integer");
  }
  return static_cast<uint64_t>(std::stoull(it->second));
}

// GET /v1/transparency/proof/inclusion?size=N&index=I  (or &leaf_hash=HEX instead of index)
Result<HttpResponse> inclusion(ServiceContext& ctx, HttpRequest& req) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto params = queryParams(req);
  if (!params) return params.status();
  auto size = u64(*params, "size");
  if (!size) return size.status();
  uint64_t index;
  if (params->count("leaf_hash")) {
    auto raw = hexDecode((*params)["leaf_hash"]);
    if (!raw || raw->size() != 32) return Status::invalid("leaf_hash", "must be 64 hex digits");
    certs::MerkleHash leaf{};
    std::copy(raw->begin(), raw->end(), leaf.begin());
    auto found = (*h)->log->indexOfLeafHash(leaf);
    if (!found) return found.status();
    index = *found;
  } else {
    auto i = u64(*params, "index");
    if (!i) return i.status();
    index = *i;
  }
  auto proof = (*h)->log->inclusionProof(index, *size);
  if (!proof) return proof.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::unsignedNum(w, "leaf_index", index);
    tongban::json::unsignedNum(w, "tree_size", *size);
    hashes(w, "audit_path", *proof);
  }));
}

// GET /v1/transparency/proof/consistency?first=M&second=N
Result<HttpResponse> consistency(ServiceContext& ctx, HttpRequest& req) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto params = queryParams(req);
  if (!params) return params.status();
  auto first = u64(*params, "first");
  if (!first) return first.status();
  auto second = u64(*params, "second");
  if (!second) return second.status();
  auto proof = (*h)->log->consistencyProof(*first, *second);
  if (!proof) return proof.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::unsignedNum(w, "first", *first);
    tongban::json::unsignedNum(w, "second", *second);
    hashes(w, "consistency", *proof);
  }));
}

// The log entry at path parameter {index}.
Result<certs::LogEntry> entryAtIndex(ServiceContext& ctx, HttpRequest& req) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto i = idParam(req.params[0], "index");
  if (!i) return i.status();
  return (*h)->log->entry(static_cast<uint64_t>(*i));
}

// GET /v1/transparency/entries/{index}: the leaf hash; the leaf only for seal events (a
// certificate event names a certificate id: see docs/transparency-log.md, "What is public").
Result<HttpResponse> entry(ServiceContext& ctx, HttpRequest& req) {
  auto e = entryAtIndex(ctx, req);
  if (!e) return e.status();
  return HttpResponse::json(certs::publicEntryJson(*e));
}

// GET /v1/transparency/entries/{index}/leaf (signed): the full leaf, to the issuing department
// of a certificate event (or anyone signed, for a seal event).
Result<HttpResponse> entryLeaf(ServiceContext& ctx, HttpRequest& req) {
  auto e = entryAtIndex(ctx, req);
  if (!e) return e.status();
  if (!certs::isPublicEntry(*e) && certs::entryIssuer(*e) != req.caller->department_code) {
    return Status(ErrorCode::kPermissionDenied,
                  "log entry " + req.params[0] + " is about another department's certificate",
                  "index");
  }
  return HttpResponse::json(certs::fullEntryJson(*e));
}

// --- holders -----------------------------------------------------------------------------------

// The holder code of the path (a citizen id or a credit code), once the request's holder token
// is shown to be that holder's; it is the request's audit subject either way.
Result<std::string> authenticatedHolder(ServiceContext& ctx, HttpRequest& req, bool person,
                                        AuditFacts& audit) {
  const char* field = person ? "citizen_id" : "credit_code";
  auto code = person ? ids::normalizeCitizenId(req.params[0], field)
                     : ids::normalizeCreditCode(req.params[0], field);
  if (!code) return code.status();
  audit.subject_keys = {*code};
  if (Status s = authenticateHolder(ctx, req, *code, field, audit); !s) return s;
  return code;
}

Result<HttpResponse> holderCertificates(ServiceContext& ctx, HttpRequest& req, bool person,
                                        AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto code = authenticatedHolder(ctx, req, person, audit);
  if (!code) return code.status();
  auto params = queryParams(req);
  if (!params) return params.status();
  bool history = (*params)["include_history"] == "true";
  auto list = (*h)->certificates->listForHolder(person ? "111" : "001", *code, history);
  if (!list) return list.status();
  return HttpResponse::json(tongban::json::object([&](tongban::json::Writer& w) {
    tongban::json::rawArray(w, "certificates", *list,
                            [](const auto& c) { return certs::certificateJson(c); });
  }));
}

// GET /v1/holders/{persons|entities}/{code}/certificates/{certificate_id}: a holder's own
// certificate bundle, with the holder's token.
Result<HttpResponse> holderBundle(ServiceContext& ctx, HttpRequest& req, bool person,
                                  AuditFacts& audit) {
  auto h = hub(ctx);
  if (!h) return h.status();
  auto code = authenticatedHolder(ctx, req, person, audit);
  if (!code) return code.status();
  auto id = ids::normalizeCertificateId(req.params[1], "certificate_id");
  if (!id) return id.status();
  auto parts = certs::parseCertificateId(*id);
  if (!parts) return parts.status();
  audit.resource_code = catalog::certificateResourceCode(parts->type_code);
  audit.fields = {"certificate"};
  auto c = (*h)->certificates->get(*id);
  if (!c && c.status().code() != ErrorCode::kNotFound) return c.status();
  // An unknown id and another holder's certificate get the same answer.
  if (!c || c->holder_code != *code || c->holder_code_type != (person ? "111" : "001")) {
    return Status(ErrorCode::kPermissionDenied,
                  "certificate " + *id + " is not a certificate of this holder", "certificate_id");
  }
  addSubjects(audit, *c);
  audit.subject_keys.push_back(*id);
  auto b = (*h)->certificates->bundle(*id);
  if (!b) return b.status();
  return HttpResponse::json(std::move(*b));
}

}  // namespace

void addCertificateRoutes(Router& r, ServiceContext& ctx) {
  auto route = [&](const char* method, const char* pattern, Access access, auto fn) {
    r.add(method, pattern, handlerOf(ctx, fn)).access = access;
  };
  route("POST", "/v1/certificates", Access::kSigned, issue);
  route("GET", "/v1/certificates/{certificate_id}", Access::kSigned, bundle);
  route("GET", "/v1/certificates/{certificate_id}/history", Access::kSigned, history);
  route("POST", "/v1/certificates/{certificate_id}/suspend", Access::kSigned,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return change(c, req, Change::kSuspend, audit);
        });
  route("POST", "/v1/certificates/{certificate_id}/resume", Access::kSigned,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return change(c, req, Change::kResume, audit);
        });
  route("POST", "/v1/certificates/{certificate_id}/revoke", Access::kSigned,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return change(c, req, Change::kRevoke, audit);
        });
  route("POST", "/v1/certificates/{certificate_id}/correct", Access::kSigned, correct);
  route("POST", "/v1/certificates/{certificate_id}/objections", Access::kSigned, fileObjection);
  route("GET", "/v1/certificates/{certificate_id}/objections", Access::kSigned, listObjections);
  route("POST", "/v1/objections/{objection_id}/resolve", Access::kSigned, resolveObjection);
  route("GET", "/v1/transparency/sth", Access::kPublic, sth);
  route("GET", "/v1/transparency/proof/inclusion", Access::kPublic, inclusion);
  route("GET", "/v1/transparency/proof/consistency", Access::kPublic, consistency);
  route("GET", "/v1/transparency/entries/{index}", Access::kPublic, entry);
  route("GET", "/v1/transparency/entries/{index}/leaf", Access::kSigned, entryLeaf);
  route("GET", "/v1/holders/persons/{citizen_id}/certificates", Access::kHolder,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return holderCertificates(c, req, true, audit);
        });
  route("GET", "/v1/holders/entities/{credit_code}/certificates", Access::kHolder,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return holderCertificates(c, req, false, audit);
        });
  route("GET", "/v1/holders/persons/{citizen_id}/certificates/{certificate_id}", Access::kHolder,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return holderBundle(c, req, true, audit);
        });
  route("GET", "/v1/holders/entities/{credit_code}/certificates/{certificate_id}", Access::kHolder,
        [](ServiceContext& c, HttpRequest& req, AuditFacts& audit) {
          return holderBundle(c, req, false, audit);
        });
}

}  // namespace tongban::exchange
