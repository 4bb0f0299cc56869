// The verification core over HTTP/JSON (docs/verification-serving.md, docs/api.md):
//   POST /v1/verify        {"purpose":{...},"check":{...}}    → one answer
//   POST /v1/verify/batch  {"purpose":{...},"checks":[...]}   → up to verification.max_batch
// Both are signed routes that change nothing but quotas (their nonce is claimed with the audit
// entry), audited one record per call by the dispatcher: the caller, the purpose, one subject key
// and one field ("<kind> <parameters> -> <verdict> <reason>") per check.
#include <optional>
#include <string>
#include <vector>

#include "grant_check.h"
#include "handler_util.h"
#include "json_util.h"
#include "service_context.h"
#include "tongban/common/time_format.h"
#include "verify_service.h"

namespace tongban::exchange {

namespace {

using verification::Check;

Result<CheckInput> checkInput(const json::Value& v, const std::string& path) {
  if (!v.IsObject()) return Status::invalid(path, "must be a check object");
  if (Status s = json::onlyMembers(
          v,
          {"kind", "subject", "type_code", "region", "valid_until", "min_age", "on_date", "entity"},
          path);
      !s) {
    return s;
  }
  CheckInput in;
  auto kind = json::reqString(v, "kind", path);
  if (!kind) return kind.status();
  in.kind = std::move(*kind);
  auto subject = json::reqString(v, "subject", path);
  if (!subject) return subject.status();
  in.subject = std::move(*subject);
  for (auto [name, out] : {std::pair{"type_code", &in.type_code}, std::pair{"region", &in.region},
                           std::pair{"valid_until", &in.valid_until},
                           std::pair{"on_date", &in.on_date}, std::pair{"entity", &in.entity}}) {
    auto value = json::optString(v, name, path, false);
    if (!value) return value.status();
    *out = std::move(*value);
  }
  auto min_age = json::optInt(v, "min_age", path, 0, 150);
  if (!min_age) return min_age.status();
  in.min_age = *min_age;
  return in;
}

Result<Purpose> purposeOf(const json::Value& root) {
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

void writeAnswer(json::Writer& w, const verification::Answer& a) {
  w.Key("verdict");
  w.String(verification::verdictName(a.verdict));
  w.Key("reason");
  w.String(verification::reasonName(a.reason));
}

// Answer i's receipt ({"leaf_index","leaf","path"}) as member "receipt", when sealed.
void writeReceipt(json::Writer& w, const VerifyOutcome& out, size_t i, std::string& scratch) {
  if (!out.receipts) return;
  scratch.clear();
  out.receipts->appendProofJson(out.first_leaf + i, scratch);
  w.Key("receipt");
  w.RawValue(scratch.data(), scratch.size(), rapidjson::kObjectType);
}

// The signed root of the tree that covers the answers, once per response.
void writeSignedRoot(json::Writer& w, const VerifyOutcome& out) {
  if (!out.receipts) return;
  const std::string root = out.receipts->signedRootJson();
  w.Key("signed_root");
  w.RawValue(root.data(), root.size(), rapidjson::kObjectType);
}

Result<VerifyOutcome> run(ServiceContext& ctx, HttpRequest& req, const Purpose& purpose,
                          const std::vector<Check>& checks, const std::string& prefix,
                          AuditFacts& audit) {
  int64_t retry_after = 0;
  auto out = runChecks(ctx, *req.caller, purpose, checks, prefix, &audit, &retry_after);
  if (!out && retry_after > 0) req.retry_after = std::to_string(retry_after);
  if (out) ctx.verified_http.fetch_add(checks.size(), std::memory_order_relaxed);
  return out;
}

// The purpose first (audited even when the checks are malformed), then its syntax.
Result<Purpose> parsePurpose(const json::Value& root, AuditFacts& audit) {
  auto purpose = purposeOf(root);
  if (!purpose) return purpose.status();
  audit.matter_code = purpose->matter_code;
  audit.case_id = purpose->case_id;
  if (Status s = checkPurpose(*purpose, "purpose."); !s) return s;
  return purpose;
}

// POST /v1/verify
Result<HttpResponse> verifyOne(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  const json::Value& root = **doc;
  if (Status s = json::onlyMembers(root, {"purpose", "check"}, ""); !s) return s;
  auto purpose = parsePurpose(root, audit);
  if (!purpose) return purpose.status();
  auto obj = json::optObject(root, "check", "", true);
  if (!obj) return obj.status();
  auto input = checkInput(**obj, "check");
  if (!input) return input.status();
  auto check = checkFromInput(*input, "check");
  if (!check) return check.status();
  const std::vector<Check> checks{std::move(*check)};
  auto out = run(ctx, req, *purpose, checks, "check", audit);
  if (!out) return out.status();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  writeAnswer(w, out->answers[0]);
  writeAsOf(w, out->as_of);
  std::string scratch;
  writeReceipt(w, *out, 0, scratch);
  writeSignedRoot(w, *out);
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  return HttpResponse::json(json::done(buf));
}

// POST /v1/verify/batch
Result<HttpResponse> verifyBatch(ServiceContext& ctx, HttpRequest& req, AuditFacts& audit) {
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  const json::Value& root = **doc;
  if (Status s = json::onlyMembers(root, {"purpose", "checks"}, ""); !s) return s;
  auto purpose = parsePurpose(root, audit);
  if (!purpose) return purpose.status();
  auto it = root.FindMember("checks");
  if (it == root.MemberEnd() || !it->value.IsArray()) {
    return Status::invalid("checks", "an array of 1 to " +
                                         std::to_string(ctx.config.verification_max_batch) +
                                         " check objects is required");
  }
  const auto& array = it->value;
  if (array.Empty()) return Status::invalid("checks", "name at least one check");
  if (array.Size() > static_cast<rapidjson::SizeType>(ctx.config.verification_max_batch)) {
    return Status(ErrorCode::kPayloadTooLarge,
                  std::to_string(array.Size()) + " checks: a batch holds at most " +
                      std::to_string(ctx.config.verification_max_batch),
                  "checks");
  }
  std::vector<Check> checks;
  checks.reserve(array.Size());
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    const std::string path = "checks[" + std::to_string(i) + "]";
    auto input = checkInput(array[i], path);
    if (!input) return input.status();
    auto check = checkFromInput(*input, path);
    if (!check) return check.status();
    checks.push_back(std::move(*check));
  }
  auto out = run(ctx, req, *purpose, checks, "checks", audit);
  if (!out) return out.status();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("answers");
  w.StartArray();
  std::string scratch;
  for (size_t i = 0; i < out->answers.size(); ++i) {
    w.StartObject();
    writeAnswer(w, out->answers[i]);
    writeReceipt(w, *out, i, scratch);
    w.EndObject();
  }
  w.EndArray();
  writeAsOf(w, out->as_of);
  writeSignedRoot(w, *out);
  json::str(w, "request_id", req.request_id);
  w.EndObject();
  return HttpResponse::json(json::done(buf));
}

}  // namespace

void addVerificationRoutes(Router& r, ServiceContext& ctx) {
  for (auto [pattern, fn] :
       {std::pair{"/v1/verify", &verifyOne}, std::pair{"/v1/verify/batch", &verifyBatch}}) {
    auto& route = r.add("POST", pattern, handlerOf(ctx, fn));
    route.access = Access::kSigned;
    route.audited = ctx.config.verification_audit;
    // Answers change nothing: the nonce is claimed with the audit entry. Without one (audit off,
    // benchmarks only) it is claimed before the handler runs.
    route.reads_only = route.audited;
    // A single check keeps server.max_body_bytes; a batch of 10,000 needs more.
    if (fn == &verifyBatch) route.max_body_bytes = ctx.config.verification_max_body_bytes;
  }
}

}  // namespace tongban::exchange
