#include "verify_service.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "tongban/catalog/sources.h"
#include "tongban/verification/civil_date.h"

namespace tongban::exchange {

using verification::Check;
using verification::CheckKind;

Result<int32_t> parseCheckDate(const std::string& text, const std::string& field) {
  const auto bad = [&] { return Status::invalid(field, "must be a date YYYY-MM-DD"); };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  const int y = std::stoi(text.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
  const int32_t days = verification::daysFromCivil(y, m, d);
  int yy;
  unsigned mm, dd;
  verification::civilFromDays(days, &yy, &mm, &dd);
  if (m < 1 || m > 12 || yy != y || mm != m || dd != d) {
    return Status::invalid(field, "'" + text + "' is not a real date");
  }
  if (days < 1) return Status::invalid(field, "must be a date from 1970-01-02 on");
  return days;
}

std::string formatCheckDate(int32_t days) {
  int y;
  unsigned m, d;
  verification::civilFromDays(days, &y, &m, &d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

int32_t todayInChina() {
  const int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  return static_cast<int32_t>((secs + 8 * 3600) / 86400);
}

std::string describeCheck(const Check& c) {
  std::string s = verification::kindName(c.kind);
  if (!c.type_code.empty()) s += " type_code=" + c.type_code;
  if (!c.region.empty()) s += " region=" + c.region;
  if (c.valid_until != 0) s += " valid_until=" + formatCheckDate(c.valid_until);
  if (c.kind == CheckKind::kPersonAgeAtLeast) s += " min_age=" + std::to_string(c.min_age);
  if (c.on_date != 0) s += " on_date=" + formatCheckDate(c.on_date);
  if (!c.entity.empty()) s += " entity=" + c.entity;
  return s;
}

namespace {

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

}  // namespace

Result<Check> checkFromInput(const CheckInput& in, const std::string& path) {
  const std::string prefix = path + ".";
  auto kind = verification::parseKind(in.kind, prefix + "kind");
  if (!kind) return kind.status();
  Check c;
  c.kind = *kind;
  c.subject = upper(in.subject);
  if (in.type_code) {
    c.type_code = *in.type_code;
    if (c.type_code.empty()) return Status::invalid(prefix + "type_code", "must not be empty");
  }
  if (in.region) {
    c.region = *in.region;
    if (c.region.empty()) return Status::invalid(prefix + "region", "must not be empty");
  }
  if (in.entity) {
    c.entity = upper(*in.entity);
    if (c.entity.empty()) return Status::invalid(prefix + "entity", "must not be empty");
  }
  if (in.valid_until) {
    auto d = parseCheckDate(*in.valid_until, prefix + "valid_until");
    if (!d) return d.status();
    c.valid_until = *d;
  }
  if (in.on_date) {
    auto d = parseCheckDate(*in.on_date, prefix + "on_date");
    if (!d) return d.status();
    c.on_date = *d;
  }
  if (in.min_age) {
    if (*in.min_age < 0 || *in.min_age > 150) {
      return Status::invalid(prefix + "min_age", "must be 0 to 150");
    }
    c.min_age = static_cast<int32_t>(*in.min_age);
    if (c.kind != CheckKind::kPersonAgeAtLeast) {
      return Status::invalid(prefix + "min_age",
                             std::string("not used by ") + in.kind + ": leave it out");
    }
  } else if (c.kind == CheckKind::kPersonAgeAtLeast) {
    return Status::invalid(prefix + "min_age", "person_age_at_least needs min_age");
  }
  if (Status s = verification::validateCheck(c, prefix); !s) return s;
  return c;
}

namespace {

// What a check needs from a grant (see the table in verify_service.h).
struct Need {
  std::string resource;
  const char* field;
  const char* check_member;  // the member of the check that chose the resource
};

Need needOf(const Check& c) {
  switch (c.kind) {
    case CheckKind::kCertificateValid:
      // A validated id: "1.2.156.3005.2." then the 21-character type code.
      return {catalog::certificateResourceCode(c.subject.substr(15, 21)), "certificate_id",
              "subject"};
    case CheckKind::kHoldsCertificate:
      return {catalog::certificateResourceCode(c.type_code), "holder_code", "type_code"};
    case CheckKind::kPersonAlive:
      return {kVerifyPersonResource, "status", "kind"};
    case CheckKind::kPersonRegisteredIn:
      return {kVerifyPersonResource, "region_code", "kind"};
    case CheckKind::kPersonAgeAtLeast:
      return {kVerifyPersonResource, "birth_date", "kind"};
    case CheckKind::kEntityInBusiness:
      return {kVerifyEntityResource, "status", "kind"};
    case CheckKind::kLegalRepresentative:
      return {kVerifyEntityResource, "legal_rep_citizen_id", "kind"};
  }
  return {kVerifyPersonResource, "status", "kind"};
}

std::string checkPath(const std::string& prefix, size_t i, bool batch, const char* member) {
  return batch ? prefix + "[" + std::to_string(i) + "]." + member : prefix + "." + member;
}

// Seals the answers of `out`: a batch (or a Thrift call) as one tree, a single check as one leaf
// of the shared window (waiting at most the window's delay plus its sealing).
Status seal(ServiceContext& ctx, const Caller& caller, const Purpose& purpose,
            const std::vector<Check>& checks, bool batch, VerifyOutcome& out) {
  if (batch || !ctx.receipt_window) {
    auto sealed =
        verification::sealAnswers(*ctx.receipt_signer, checks.data(), out.answers.data(),
                                  checks.size(), out.as_of, caller.app_id, purpose.matter_code);
    if (!sealed) return Status::internal("sealing the receipts: " + sealed.status().message());
    out.receipts = std::move(*sealed);
    out.first_leaf = 0;
    return Status::ok();
  }
  const auto salts = verification::randomSalts(1);
  auto receipt =
      ctx.receipt_window
          ->submit(verification::receiptLeaf(checks[0], out.answers[0], out.as_of, caller.app_id,
                                             purpose.matter_code, salts[0]),
                   out.as_of)
          .get();
  if (!receipt) return Status::internal("sealing the receipt: " + receipt.status().message());
  out.receipts = std::move(receipt->batch);
  out.first_leaf = receipt->index;
  return Status::ok();
}

}  // namespace

Result<VerifyOutcome> runChecks(ServiceContext& ctx, const Caller& caller, const Purpose& purpose,
                                const std::vector<Check>& checks, const std::string& field_prefix,
                                AuditFacts* audit, int64_t* retry_after_s) {
  const bool batch = field_prefix == "checks";
  audit->matter_code = purpose.matter_code;
  audit->case_id = purpose.case_id;
  audit->subject_keys.clear();
  audit->fields.clear();
  audit->subject_keys.reserve(checks.size());
  audit->fields.reserve(checks.size());
  // Distinct (resource, field) pairs in order of first use, with the first check needing each.
  std::vector<std::pair<Need, size_t>> needs;
  std::map<std::pair<std::string, std::string>, size_t> seen;
  std::set<std::string> resources;
  for (size_t i = 0; i < checks.size(); ++i) {
    audit->subject_keys.push_back(checks[i].subject);
    audit->fields.push_back(describeCheck(checks[i]));
    Need need = needOf(checks[i]);
    if (seen.emplace(std::make_pair(need.resource, need.field), i).second) {
      if (resources.insert(need.resource).second) {
        if (!audit->resource_code.empty()) audit->resource_code += ",";
        audit->resource_code += need.resource;
      }
      needs.emplace_back(std::move(need), i);
    }
  }
  if (!ctx.verification) {
    return Status::unavailable(
        "the verification index is not configured on this node (verification.seed_file)");
  }
  // Authorise every distinct need before anything is evaluated: an application learns nothing
  // about a subject (not even whether it exists) for a kind or type it holds no grant for.
  std::vector<GrantRef> grants;
  for (const auto& [need, first] : needs) {
    const std::string where = checkPath(field_prefix, first, batch, need.check_member);
    auto resource = publishedResource(ctx, need.resource);
    if (!resource) {
      if (resource.status().code() != ErrorCode::kNotFound) return resource.status();
      return Status(ErrorCode::kPermissionDenied,
                    std::string(verification::kindName(checks[first].kind)) +
                        " checks are authorised by catalog resource " + need.resource +
                        ", which is not published",
                    where);
    }
    auto grant = authorise(ctx, caller, **resource, {need.field}, purpose.matter_code, "fields");
    if (!grant) {
      const Status& s = grant.status();
      if (s.code() != ErrorCode::kPermissionDenied) return s;
      if (s.field() == "purpose.matter_code") return s;
      return Status(ErrorCode::kPermissionDenied,
                    "application " + caller.app_id + " may not ask " +
                        verification::kindName(checks[first].kind) + " about " + need.resource +
                        ": its grant must name field " + need.field + " (" + s.message() + ")",
                    where);
    }
    grants.push_back(std::move(*grant));
  }
  // One unit of each distinct grant's per-minute quota per call (a batch is one call).
  std::set<int64_t> charged;
  const double t =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  for (const auto& g : grants) {
    if (!charged.insert(g->id).second) continue;
    const int64_t wait = ctx.limiter.acquire(g->id, g->rate_per_minute, t);
    if (wait != 0) {
      *retry_after_s = wait;
      return Status(ErrorCode::kResourceExhausted,
                    "grant " + std::to_string(g->id) + " on " + g->resource_code + " allows " +
                        std::to_string(g->rate_per_minute) + " calls per minute; retry in " +
                        std::to_string(wait) + " s");
    }
  }
  VerifyOutcome out;
  out.answers.resize(checks.size());
  ctx.verification->evaluate(checks.data(), checks.size(), out.answers.data(), &out.as_of,
                             todayInChina());
  // Sealed before the answers enter the audit record: a call whose receipts cannot be made answers
  // nothing (500), and its record says so without the answers.
  if (ctx.receipt_signer) {
    if (Status s = seal(ctx, caller, purpose, checks, batch, out); !s) return s;
    const verification::SignedRoot& root = out.receipts->root();
    audit->reason = "receipt root=" + certs::toHex(root.root) +
                    " tree_size=" + std::to_string(root.tree_size) +
                    " leaf=" + std::to_string(out.first_leaf);
  }
  for (size_t i = 0; i < checks.size(); ++i) {
    std::string& f = audit->fields[i];
    f += " -> ";
    f += verification::verdictName(out.answers[i].verdict);
    f += " ";
    f += verification::reasonName(out.answers[i].reason);
  }
  return out;
}

void enableReceipts(ServiceContext& ctx, std::shared_ptr<const certs::Signer> signer) {
  auto sealer = std::make_shared<const verification::ReceiptSigner>(std::move(signer));
  ctx.receipt_window = std::make_unique<verification::ReceiptWindow>(
      sealer, verification::ReceiptWindow::Options{kReceiptWindowDelay, kReceiptWindowLeaves});
  ctx.receipt_signer = std::move(sealer);
}

}  // namespace tongban::exchange
