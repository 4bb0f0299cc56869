// The administrators' console (docs/console.md): its pages under /console/ (embedded at build
// time, public, not audited) and its JSON API under /console/api/ (Access::kConsole: a person's
// session cookie, checked here; every call audited by the dispatcher naming the person as
// "console:<username>").
//
// Each API call resolves the session, then (for anything that changes state) checks the CSRF
// token, then checks the person's console role, and then calls the same catalog and audit code
// the /v1/admin/ API calls, as a catalog Actor ("console:<username>", admin or a provider of the
// approver's department): the catalog's own permission checks apply on top of the console's.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>

#include "handler_util.h"
#include "json_util.h"
#include "service_context.h"
#include "tongban/audit/search.h"
#include "tongban/audit/verify.h"
#include "tongban/catalog/json.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/log.h"
#include "tongban/common/time_format.h"
#include "tongban/console/console_store.h"
#include "tongban/console/static_files.h"
#include "tongban/directory/secret_box.h"

namespace tongban::exchange {

namespace {

using console::Role;

constexpr const char* kCookie = "tongban_console";
constexpr const char* kCsp =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'";
// 国发〔2016〕51号: a conditional sharing request is answered within 10 working days.
constexpr int kDecisionWorkingDays = 10;

struct ConsoleState {
  std::unique_ptr<console::ConsoleStore> store;
  std::string csrf_key;  // HMAC key: the CSRF token of a session is HMAC(csrf_key, its token)
  std::vector<std::string> trusted_proxies;
  std::mutex verify_mutex;  // guards last_verify
  std::string last_verify;  // JSON of the last chain verification, or ""
};

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string cookieToken(const HttpRequest& req) {
  const std::string header = req.raw.get("Cookie", "");
  const std::string want = std::string(kCookie) + "=";
  size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ';')) ++i;
    size_t j = header.find(';', i);
    if (j == std::string::npos) j = header.size();
    if (header.compare(i, want.size(), want) == 0) {
      return header.substr(i + want.size(), j - i - want.size());
    }
    i = j;
  }
  return "";
}

bool fromTrustedProxy(const ConsoleState& st, const HttpRequest& req) {
  const std::string peer = req.raw.clientAddress().host().toString();
  for (const auto& p : st.trusted_proxies) {
    if (p == peer) return true;
  }
  return false;
}

// The browser reached the front door over TLS (nginx says so in X-Forwarded-Proto; believed only
// from server.trusted_proxies, docs/deployment.md).
bool overTls(const ConsoleState& st, const HttpRequest& req) {
  return fromTrustedProxy(st, req) && req.raw.get("X-Forwarded-Proto", "") == "https";
}

std::string sessionCookie(const ConsoleState& st, const HttpRequest& req, const std::string& value,
                          int64_t max_age) {
  return std::string(kCookie) + "=" + value +
         "; Path=/console; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Strict" +
         (overTls(st, req) ? "; Secure" : "");
}

std::string csrfFor(const ConsoleState& st, const std::string& token) {
  return base64UrlEncode(hmacSha256(st.csrf_key, token));
}

void secureHeaders(HttpResponse& out) {
  out.headers.emplace_back("Content-Security-Policy", kCsp);
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  out.headers.emplace_back("Referrer-Policy", "no-referrer");
  out.headers.emplace_back("X-Frame-Options", "DENY");
}

HttpResponse apiJson(std::string body, int status = 200) {
  HttpResponse out = HttpResponse::json(std::move(body), status);
  out.headers.emplace_back("Cache-Control", "no-store");
  secureHeaders(out);
  return out;
}

std::string personId(const console::User& u) { return "console:" + u.username; }

// The dispatcher audits the request naming this caller.
void setCaller(HttpRequest& req, const console::User& u) {
  Caller c;
  c.app_id = personId(u);
  std::string roles;
  for (const auto& r : u.roles) {
    if (!roles.empty()) roles += ",";
    roles += console::toString(r.role);
    if (!r.scope.empty()) roles += ":" + r.scope;
  }
  c.role = roles;
  auto approver = u.scopes(Role::kDepartmentApprover);
  if (approver.size() == 1) c.department_code = approver[0];
  req.caller = std::move(c);
}

// A request that may change state must come from the console's own pages: the CSRF token of the
// session in X-CSRF-Token (the pages get it from /console/api/me; another site cannot read it),
// and, when the browser sends Origin, the exchange's own origin.
Status checkCsrf(const ConsoleState& st, const HttpRequest& req, const std::string& token) {
  const std::string origin = req.raw.get("Origin", "");
  if (!origin.empty() && origin != "null") {
    const std::string host = req.raw.get("Host", "");
    if (origin != "http://" + host && origin != "https://" + host) {
      return Status(ErrorCode::kPermissionDenied,
                    "cross-origin request refused (Origin " + origin + ")", "Origin");
    }
  } else if (origin == "null") {
    return Status(ErrorCode::kPermissionDenied, "cross-origin request refused", "Origin");
  }
  if (token.empty()) return Status::ok();  // login: no session yet
  const std::string sent = req.raw.get("X-CSRF-Token", "");
  if (sent.empty() || !constantTimeEqual(sent, csrfFor(st, token))) {
    return Status(ErrorCode::kPermissionDenied,
                  "missing or wrong CSRF token: reload the page and try again", "X-CSRF-Token");
  }
  return Status::ok();
}

// The logged-in person, after the CSRF check for methods that change state.
Result<console::Session> authenticate(ConsoleState& st, HttpRequest& req) {
  const std::string token = cookieToken(req);
  auto session = st.store->resume(token);
  if (!session) return session.status();
  setCaller(req, session->user);
  if (req.method != "GET" && req.method != "HEAD") {
    if (Status s = checkCsrf(st, req, token); !s) return s;
  }
  return session;
}

Status denied(const console::User& u, const std::string& what) {
  return Status(ErrorCode::kPermissionDenied,
                what + " needs a console role " + u.username + " does not hold");
}

// The catalog actors a person acts as: an admin for hub administrators (and, reading, for
// auditors), a provider of each department they approve for.
std::vector<catalog::Actor> actorsFor(const console::User& u, bool write) {
  std::vector<catalog::Actor> out;
  if (u.has(Role::kHubAdmin) || (!write && u.has(Role::kAuditor))) {
    out.push_back({personId(u), "", catalog::Role::kAdmin});
    return out;
  }
  for (const auto& d : u.scopes(Role::kDepartmentApprover)) {
    out.push_back({personId(u), d, catalog::Role::kProvider});
  }
  return out;
}

// Runs a state change as each actor of the person in turn until one is allowed.
template <typename T, typename Fn>
Result<T> asEachActor(const console::User& u, const std::string& what, Fn&& fn) {
  auto actors = actorsFor(u, true);
  if (actors.empty()) return denied(u, what);
  Result<T> last = denied(u, what);
  for (const auto& a : actors) {
    last = fn(a);
    if (last || (last.status().code() != ErrorCode::kPermissionDenied &&
                 last.status().code() != ErrorCode::kNotFound)) {
      return last;
    }
  }
  return last;
}

std::string userJson(const console::User& u) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::str(w, "username", u.username);
  json::str(w, "display_name", u.display_name);
  w.Key("totp");
  w.Bool(u.totp_enabled);
  w.Key("roles");
  w.StartArray();
  for (const auto& r : u.roles) {
    w.StartObject();
    json::str(w, "role", console::toString(r.role));
    json::str(w, "scope", r.scope);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json::done(buf);
}

std::string sessionJson(const ConsoleState& st, const console::Session& s,
                        const std::string& token) {
  return "{\"user\":" + userJson(s.user) + ",\"csrf_token\":\"" + csrfFor(st, token) +
         "\",\"expires_at\":" + std::to_string(s.expires_at) +
         ",\"idle_timeout_s\":" + std::to_string(st.store->policy().idle_timeout.count()) + "}";
}

// --- login, logout, me ---------------------------------------------------------------------------

Result<HttpResponse> login(ConsoleState& st, HttpRequest& req) {
  if (Status s = checkCsrf(st, req, ""); !s) return s;
  auto doc = json::parseObject(req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"username", "password", "totp"}, ""); !s) return s;
  auto username = json::reqString(**doc, "username", "");
  if (!username) return username.status();
  auto password = json::reqString(**doc, "password", "");
  if (!password) return password.status();
  auto totp = json::optString(**doc, "totp", "", false);
  if (!totp) return totp.status();
  if (username->empty() || username->size() > 32) {
    return Status::invalid("username", "a username is 2 to 32 characters");
  }
  if (password->size() > 1024) return Status::invalid("password", "longer than 1024 bytes");
  const std::string previous = cookieToken(req);
  int64_t user_id = 0;
  auto made = st.store->login(*username, *password, totp->value_or(""), previous, &user_id);
  if (!made) {
    if (user_id != 0) {
      // A refusal about a real person is audited in full, naming them.
      Caller c;
      c.app_id = "console:" + *username;
      c.role = "login";
      req.caller = std::move(c);
    }
    return made.status();
  }
  setCaller(req, made->session.user);
  HttpResponse out = apiJson(sessionJson(st, made->session, made->token));
  out.headers.emplace_back(
      "Set-Cookie", sessionCookie(st, req, made->token, made->session.expires_at - unixNow()));
  return out;
}

Result<HttpResponse> logout(ConsoleState& st, HttpRequest& req) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  if (Status s = st.store->logout(cookieToken(req)); !s) return s;
  HttpResponse out = apiJson("{\"logged_out\":true}");
  out.headers.emplace_back("Set-Cookie", sessionCookie(st, req, "", 0));
  return out;
}

Result<HttpResponse> me(ConsoleState& st, HttpRequest& req) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  return apiJson(sessionJson(st, *session, cookieToken(req)));
}

// --- access requests ---------------------------------------------------------------------------

// The day (Asia/Shanghai) `t` falls on, as days since 1970-01-01.
int64_t shanghaiDay(catalog::TimePoint t) {
  const int64_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return (secs + 8 * 3600) / 86400 - ((secs + 8 * 3600) % 86400 < 0 ? 1 : 0);
}
bool workingDay(int64_t day) {
  const int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday: 0 = Monday
  return weekday < 5;
}
std::string dayString(int64_t day) {
  std::time_t t = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// The last day to decide (10 working days after the day of the request; weekends skipped,
// public holidays not modelled: docs/console.md) and the working days left from today (negative:
// overdue).
std::pair<int64_t, int64_t> decisionDeadline(catalog::TimePoint created, catalog::TimePoint now) {
  int64_t day = shanghaiDay(created);
  for (int n = 0; n < kDecisionWorkingDays;) {
    ++day;
    if (workingDay(day)) ++n;
  }
  const int64_t today = shanghaiDay(now);
  int64_t left = 0;
  if (today <= day) {
    for (int64_t d = today + 1; d <= day; ++d) left += workingDay(d) ? 1 : 0;
  } else {
    for (int64_t d = day + 1; d <= today; ++d) left -= workingDay(d) ? 1 : 0;
    if (left == 0) left = -1;
  }
  return {day, left};
}

Result<HttpResponse> listRequests(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                  AuditFacts& /*audit*/) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  const console::User& u = session->user;
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::RequestFilter f;
  f.state = catalog::RequestState::kPending;
  if (q.count("state") && q["state"] != "pending") {
    if (q["state"] == "all") {
      f.state.reset();
    } else {
      f.state = catalog::parseRequestState(q["state"]);
      if (!f.state)
        return Status::invalid("state", "pending, approved, rejected, withdrawn or all");
    }
  }
  auto limit = sizeParam(q, "limit", 50, 200);
  if (!limit) return limit.status();
  auto offset = sizeParam(q, "offset", 0, 100000);
  if (!offset) return offset.status();
  if (*limit == 0) return Status::invalid("limit", "must be 1 to 200");
  f.limit = *limit + 1;
  f.offset = *offset;
  const std::string department = q["department"];
  if (!department.empty() && !ids::normalizeCreditCode(department, "department")) {
    return Status::invalid("department", "must be a department's unified social credit code");
  }
  catalog::Actor actor;
  auto readers = actorsFor(u, false);
  if (readers.empty()) return denied(u, "the access-request queue");
  if (readers[0].role == catalog::Role::kAdmin) {
    actor = readers[0];
    f.provider_department = department;
  } else {
    const auto scopes = u.scopes(Role::kDepartmentApprover);
    const std::string want = department.empty() ? scopes[0] : department;
    bool mine = false;
    for (const auto& a : readers) {
      if (a.department_code == want) {
        actor = a;
        mine = true;
      }
    }
    if (!mine) {
      return Status(ErrorCode::kPermissionDenied,
                    u.username + " approves for " + scopes[0] +
                        (scopes.size() > 1 ? " and others" : "") + ", not for department " + want,
                    "department");
    }
    f.provider_department = want;
  }
  auto list = ctx.catalog->listRequests(f, actor);
  if (!list) return list.status();
  const bool more = list->size() > *limit;
  if (more) list->pop_back();
  const auto now = catalog::Clock::now();
  std::string body = "{\"access_requests\":[";
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& r = (*list)[i];
    auto [deadline, left] = decisionDeadline(r.created_at, now);
    std::string item = catalog::toJson(r);
    item.pop_back();  // the closing brace
    item += ",\"deadline\":\"" + dayString(deadline) + "\",\"working_days_left\":" +
            std::to_string(r.state == catalog::RequestState::kPending ? left : 0) + "}";
    body += (i ? "," : "") + item;
  }
  body += "],\"offset\":" + std::to_string(*offset) + ",\"limit\":" + std::to_string(*limit) +
          ",\"more\":" + (more ? "true" : "false") + "}";
  return apiJson(body);
}

Result<HttpResponse> approveRequest(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                    AuditFacts& audit) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto options = catalog::parseApprovalOptions(req.body.empty() ? "{}" : req.body);
  if (!options) return options.status();
  auto a = asEachActor<catalog::Approval>(
      session->user, "approving an access request", [&](const catalog::Actor& actor) {
        return ctx.catalog->approveRequest(*id, actor, *options);
      });
  if (!a) return a.status();
  ctx.invalidateCaches();
  audit.resource_code = a->request.resource_code;
  audit.reason = "approved access request " + std::to_string(*id);
  return apiJson("{\"request\":" + catalog::toJson(a->request) +
                 ",\"grant\":" + catalog::toJson(a->grant) + "}");
}

Result<std::string> reasonFrom(const HttpRequest& req, bool required) {
  auto doc = json::parseObject(req.body.empty() ? "{}" : req.body);
  if (!doc) return doc.status();
  if (Status s = json::onlyMembers(**doc, {"reason"}, ""); !s) return s;
  auto reason = json::optString(**doc, "reason", "", required);
  if (!reason) return reason.status();
  std::string r = reason->value_or("");
  if (required && r.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::invalid("reason", "a reason is required");
  }
  return r;
}

Result<HttpResponse> rejectRequest(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                   AuditFacts& audit) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto reason = reasonFrom(req, true);
  if (!reason) return reason.status();
  auto r = asEachActor<catalog::AccessRequest>(
      session->user, "rejecting an access request",
      [&](const catalog::Actor& actor) { return ctx.catalog->rejectRequest(*id, actor, *reason); });
  if (!r) return r.status();
  audit.resource_code = r->resource_code;
  audit.reason = "rejected access request " + std::to_string(*id) + ": " + *reason;
  return apiJson(catalog::toJson(*r));
}

// --- grants ------------------------------------------------------------------------------------

Result<HttpResponse> listGrants(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                AuditFacts& /*audit*/) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  catalog::GrantFilter f;
  f.app_id = q["app_id"];
  f.resource_code = q["resource"];
  if (q.count("state") && !q["state"].empty()) {
    f.state = catalog::parseGrantState(q["state"]);
    if (!f.state) return Status::invalid("state", "active, suspended or revoked");
  }
  auto limit = sizeParam(q, "limit", 50, 200);
  if (!limit) return limit.status();
  auto offset = sizeParam(q, "offset", 0, 100000);
  if (!offset) return offset.status();
  if (*limit == 0) return Status::invalid("limit", "must be 1 to 200");
  auto readers = actorsFor(session->user, false);
  if (readers.empty()) return denied(session->user, "the grants list");
  // Several departments: each one's grants (pages within each; enough for one or two scopes).
  std::vector<catalog::Grant> all;
  for (const auto& actor : readers) {
    f.limit = *offset + *limit + 1;
    f.offset = 0;
    auto list = ctx.catalog->listGrants(f, actor);
    if (!list) return list.status();
    all.insert(all.end(), list->begin(), list->end());
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  all.erase(std::unique(all.begin(), all.end(),
                        [](const auto& a, const auto& b) { return a.id == b.id; }),
            all.end());
  std::vector<catalog::Grant> page;
  for (size_t i = *offset; i < all.size() && page.size() < *limit; ++i) page.push_back(all[i]);
  const bool more = all.size() > *offset + *limit;
  std::string body = "{\"grants\":[";
  for (size_t i = 0; i < page.size(); ++i) body += (i ? "," : "") + catalog::toJson(page[i]);
  body += "],\"offset\":" + std::to_string(*offset) + ",\"limit\":" + std::to_string(*limit) +
          ",\"more\":" + (more ? "true" : "false") + "}";
  return apiJson(body);
}

enum class GrantChange { kSuspend, kResume, kRevoke };

Result<HttpResponse> changeGrant(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                 AuditFacts& audit, GrantChange change) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  auto id = idParam(req.params[0], "id");
  if (!id) return id.status();
  auto reason = reasonFrom(req, change != GrantChange::kResume);
  if (!reason) return reason.status();
  auto g = asEachActor<catalog::Grant>(
      session->user, "changing a grant", [&](const catalog::Actor& actor) {
        return change == GrantChange::kSuspend  ? ctx.catalog->suspendGrant(*id, actor, *reason)
               : change == GrantChange::kResume ? ctx.catalog->resumeGrant(*id, actor, *reason)
                                                : ctx.catalog->revokeGrant(*id, actor, *reason);
      });
  if (!g) return g.status();
  ctx.invalidateCaches();
  audit.resource_code = g->resource_code;
  audit.reason = std::string(change == GrantChange::kSuspend  ? "suspended"
                             : change == GrantChange::kResume ? "resumed"
                                                              : "revoked") +
                 " grant " + std::to_string(*id) + (reason->empty() ? "" : ": " + *reason);
  return apiJson(catalog::toJson(*g));
}

// --- audit -------------------------------------------------------------------------------------

Status requireAuditReader(const console::User& u) {
  if (u.has(Role::kHubAdmin) || u.has(Role::kAuditor)) return Status::ok();
  return denied(u, "the audit log");
}

// "2026-11-28T20:31:11.123456Z"
std::string microsText(int64_t micros) { return formatRfc3339Micros(micros); }

// The filters of an audit search (app_id, subject, resource, from, to); `to` defaults to now.
Status parseAuditSearch(std::map<std::string, std::string>& q, audit::AuditSearch* search) {
  for (auto [name, out] :
       {std::pair{"app_id", &search->app_id}, std::pair{"subject", &search->subject_key},
        std::pair{"resource", &search->resource_code}}) {
    const std::string& v = q[name];
    if (v.size() > 64) return Status::invalid(name, "at most 64 characters");
    *out = v;
  }
  for (auto [name, out] :
       {std::pair{"from", &search->from_micros}, std::pair{"to", &search->to_micros}}) {
    if (q[name].empty()) continue;
    auto t = parseRfc3339Micros(q[name]);
    if (!t) return Status::invalid(name, "must be an RFC 3339 time with an offset");
    *out = *t;
  }
  // Pages of one search are cut from the log as it was at its first page: without `to`, the
  // search ends now, and the answer says where (pass it back with the next pages' offsets), so
  // entries appended meanwhile do not shift the pages.
  if (!search->to_micros) {
    search->to_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  }
  return Status::ok();
}

Result<HttpResponse> searchAudit(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                 AuditFacts& /*audit*/) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  if (Status s = requireAuditReader(session->user); !s) return s;
  auto params = queryParams(req);
  if (!params) return params.status();
  auto& q = *params;
  audit::AuditSearch search;
  if (Status s = parseAuditSearch(q, &search); !s) return s;
  auto limit = sizeParam(q, "limit", 50, 200);
  if (!limit) return limit.status();
  if (*limit == 0) return Status::invalid("limit", "must be 1 to 200");
  // The audit search reads newest first up to 10,000 rows: pages reach that deep; narrow by time
  // for older entries.
  auto offset = sizeParam(q, "offset", 0, 10000 - *limit - 1);
  if (!offset) return offset.status();
  search.limit = static_cast<int>(*offset + *limit + 1);
  auto records = db::withConnection(
      *ctx.pool, [&](pqxx::connection& c) { return audit::searchAuditLog(c, search); });
  if (!records) return records.status();
  std::string body = "{\"entries\":[";
  size_t n = 0;
  for (size_t i = *offset; i < records->size() && n < *limit; ++i, ++n) {
    body += (n ? "," : "") + audit::auditRecordJson((*records)[i]);
  }
  const bool more = records->size() > *offset + *limit;
  body += "],\"offset\":" + std::to_string(*offset) + ",\"limit\":" + std::to_string(*limit) +
          ",\"more\":" + (more ? "true" : "false") + ",\"to\":\"" + microsText(*search.to_micros) +
          "\"}";
  return apiJson(body);
}

// One CSV cell: quoted, quotes doubled; a value a spreadsheet would take for a formula (= + - @,
// tab, carriage return first) gets a leading apostrophe (CSV injection).
void csvCell(std::string& out, const std::string& v, bool last = false) {
  out += '"';
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    out += '\'';
  }
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += last ? "\"\r\n" : "\",";
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ";" : "") + v[i];
  return out;
}

// The search's entries (newest first, at most 10,000) as CSV, UTF-8 with a byte-order mark so
// that spreadsheet programs read the Chinese text.
Result<HttpResponse> exportAudit(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                 AuditFacts& audit) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  if (Status s = requireAuditReader(session->user); !s) return s;
  auto params = queryParams(req);
  if (!params) return params.status();
  audit::AuditSearch search;
  if (Status s = parseAuditSearch(*params, &search); !s) return s;
  search.limit = 10000;
  auto records = db::withConnection(
      *ctx.pool, [&](pqxx::connection& c) { return audit::searchAuditLog(c, search); });
  if (!records) return records.status();
  std::string body = "\xEF\xBB\xBF";
  for (const char* h :
       {"at", "node_id", "seq", "app_id", "department_code", "method", "path", "resource_code",
        "subject_keys", "matter_code", "case_id", "result", "http_status", "reason"}) {
    csvCell(body, h);
  }
  csvCell(body, "hash", true);
  for (const auto& r : *records) {
    csvCell(body, microsText(r.at_micros));
    csvCell(body, r.node_id);
    csvCell(body, std::to_string(r.seq));
    for (const auto* v : {&r.app_id, &r.department_code, &r.method, &r.path, &r.resource_code}) {
      csvCell(body, v->value_or(""));
    }
    csvCell(body, joined(r.subject_keys));
    csvCell(body, r.matter_code.value_or(""));
    csvCell(body, r.case_id.value_or(""));
    csvCell(body, r.result);
    csvCell(body, r.http_status ? std::to_string(*r.http_status) : "");
    csvCell(body, r.reason.value_or(""));
    csvCell(body, hexEncode(r.hash), true);
  }
  HttpResponse out;
  out.content_type = "text/csv; charset=utf-8";
  out.body = std::move(body);
  out.headers.emplace_back("Content-Disposition", "attachment; filename=\"tongban-audit.csv\"");
  out.headers.emplace_back("Cache-Control", "no-store");
  secureHeaders(out);
  audit.reason = "exported " + std::to_string(records->size()) + " audit entries as CSV";
  return out;
}

Result<HttpResponse> verifyAudit(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                                 AuditFacts& audit) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  if (Status s = requireAuditReader(session->user); !s) return s;
  auto report = db::withConnection(*ctx.pool,
                                   [&](pqxx::connection& c) { return audit::verifyAuditChain(c); });
  if (!report) return report.status();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("intact");
  w.Bool(report->intact());
  w.Key("verified_at");
  w.Int64(unixNow());
  w.Key("nodes");
  w.StartArray();
  for (const auto& n : report->nodes) {
    w.StartObject();
    json::str(w, "node_id", n.node_id);
    w.Key("entries_checked");
    w.Int64(n.entries_checked);
    w.Key("checkpoints_checked");
    w.Int64(n.checkpoints_checked);
    w.Key("head_seq");
    w.Int64(n.head_seq);
    w.EndObject();
  }
  w.EndArray();
  w.Key("problems");
  w.StartArray();
  for (const auto& p : report->problems) {
    w.StartObject();
    json::str(w, "node_id", p.node_id);
    w.Key("seq");
    w.Int64(p.seq);
    json::str(w, "kind", auditProblemKindName(p.kind));
    json::str(w, "message", p.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string body = json::done(buf);
  {
    std::lock_guard<std::mutex> lock(st.verify_mutex);
    st.last_verify = body;
  }
  audit.reason = report->intact() ? "audit chain verified: intact"
                                  : "audit chain verified: "
                                    "PROBLEMS FOUND";
  return apiJson(body);
}

// --- dashboard ---------------------------------------------------------------------------------

Result<HttpResponse> dashboard(ConsoleState& st, ServiceContext& ctx, HttpRequest& req,
                               AuditFacts& /*audit*/) {
  auto session = authenticate(st, req);
  if (!session) return session.status();
  const console::User& u = session->user;
  const bool sees_audit = u.has(Role::kHubAdmin) || u.has(Role::kAuditor);
  auto readers = actorsFor(u, false);
  // Pending requests and their deadlines, through the catalog (scoped for approvers).
  int64_t pending = 0, overdue = 0, due_soon = 0;
  const auto now = catalog::Clock::now();
  for (const auto& actor : readers) {
    catalog::RequestFilter f;
    f.state = catalog::RequestState::kPending;
    f.limit = catalog::kMaxListLimit;
    if (actor.role == catalog::Role::kProvider) f.provider_department = actor.department_code;
    auto list = ctx.catalog->listRequests(f, actor);
    if (!list) return list.status();
    for (const auto& r : *list) {
      ++pending;
      auto left = decisionDeadline(r.created_at, now).second;
      if (left < 0)
        ++overdue;
      else if (left <= 2)
        ++due_soon;
    }
  }
  std::string body = "{\"requests\":{\"pending\":" + std::to_string(pending) +
                     ",\"overdue\":" + std::to_string(overdue) +
                     ",\"due_within_2_working_days\":" + std::to_string(due_soon) + "}";
  if (sees_audit) {
    auto stats = db::withConnection(*ctx.pool, [&](pqxx::connection& c) -> Result<std::string> {
      pqxx::read_transaction tx(c);
      std::string out = ",\"per_minute\":[";
      // Requests per minute over the last hour, by outcome (the audit log's `at` index). The
      // minute is turned into a number after grouping, not once per row (measured: 560 → 350 ms
      // over a million rows).
      auto rows = tx.exec(
          "SELECT extract(epoch FROM m)::bigint, a, d, e FROM (SELECT date_trunc('minute', at) "
          "AS m, count(*) FILTER (WHERE result = 'allowed') AS a, count(*) FILTER (WHERE result "
          "= 'denied') AS d, count(*) FILTER (WHERE result = 'error') AS e FROM "
          "exchange.audit_log WHERE at > now() - interval '60 minutes' GROUP BY 1) AS x ORDER BY "
          "1");
      for (size_t i = 0; i < rows.size(); ++i) {
        out += std::string(i ? "," : "") + "[" + rows[i][0].c_str() + "," + rows[i][1].c_str() +
               "," + rows[i][2].c_str() + "," + rows[i][3].c_str() + "]";
      }
      out += "],\"refusals\":[";
      rows = tx.exec(
          "SELECT coalesce(http_status, 0), count(*) FROM exchange.audit_log "
          "WHERE at > now() - interval '24 hours' AND result <> 'allowed' "
          "GROUP BY 1 ORDER BY 2 DESC LIMIT 10");
      for (size_t i = 0; i < rows.size(); ++i) {
        out +=
            std::string(i ? "," : "") + "[" + rows[i][0].c_str() + "," + rows[i][1].c_str() + "]";
      }
      out += "],\"top_consumers\":[";
      rows = tx.exec(
          "SELECT app_id, count(*) FROM exchange.audit_log WHERE at > now() - interval '60 "
          "minutes' AND app_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 10");
      for (size_t i = 0; i < rows.size(); ++i) {
        std::string name;
        appendJsonString(name, rows[i][0].as<std::string>());
        out += std::string(i ? "," : "") + "[" + name + "," + rows[i][1].c_str() + "]";
      }
      out += "],\"grants\":{";
      rows = tx.exec("SELECT state, count(*) FROM catalog.grants GROUP BY 1 ORDER BY 1");
      for (size_t i = 0; i < rows.size(); ++i) {
        out += std::string(i ? "," : "") + "\"" + rows[i][0].c_str() + "\":" + rows[i][1].c_str();
      }
      out += "}";
      return out;
    });
    if (!stats) return stats.status();
    body += *stats;
    std::lock_guard<std::mutex> lock(st.verify_mutex);
    body += ",\"last_verification\":" + (st.last_verify.empty() ? "null" : st.last_verify);
  }
  const auto pool = ctx.pool->stats();
  body += ",\"database\":{\"open\":" + std::to_string(pool.open) +
          ",\"in_use\":" + std::to_string(pool.in_use) + ",\"max\":" + std::to_string(pool.size) +
          ",\"acquire_timeouts\":" + std::to_string(pool.timeouts) + "}}";
  return apiJson(body);
}

// --- pages ---------------------------------------------------------------------------------------

HttpResponse staticResponse(const console::StaticFile& f, const HttpRequest& req) {
  HttpResponse out;
  const std::string etag = "\"" + std::string(f.sha256.substr(0, 32)) + "\"";
  out.content_type = std::string(f.content_type);
  secureHeaders(out);
  out.headers.emplace_back("ETag", etag);
  // Pages are revalidated every time (cheap: 304); scripts, styles and the vendored library for
  // an hour, then revalidated.
  const bool page = f.name.size() > 5 && f.name.substr(f.name.size() - 5) == ".html";
  out.headers.emplace_back("Cache-Control", page ? "no-cache" : "public, max-age=3600");
  if (req.raw.get("If-None-Match", "") == etag) {
    out.status = 304;
    return out;
  }
  out.body = std::string(f.body);
  return out;
}

}  // namespace

void addConsoleRoutes(Router& r, ServiceContext& ctx) {
  auto st = std::make_shared<ConsoleState>();
  console::SessionPolicy policy;
  policy.idle_timeout = std::chrono::seconds(ctx.config.console_idle_timeout_s);
  policy.absolute_timeout = std::chrono::seconds(ctx.config.console_absolute_timeout_s);
  policy.max_failed_logins = ctx.config.console_max_failed_logins;
  policy.lockout = std::chrono::seconds(ctx.config.console_lockout_s);
  console::SecretSealer sealer;
  auto box = directory::SecretBox::fromBase64(ctx.config.master_key);
  if (box) {
    auto shared = std::make_shared<directory::SecretBox>(std::move(*box));
    sealer.seal = [shared](std::string_view p, std::string_view ad) { return shared->seal(p, ad); };
    sealer.open = [shared](std::string_view s, std::string_view ad) { return shared->open(s, ad); };
    auto raw = base64Decode(ctx.config.master_key);
    st->csrf_key = hmacSha256(raw ? *raw : ctx.config.master_key, "tongban.console.csrf.v1");
  } else {
    st->csrf_key = randomBytes(32);  // no master key (tests of other parts): one process only
  }
  st->store = std::make_unique<console::ConsoleStore>(*ctx.pool, policy, std::move(sealer));
  const std::string& proxies = ctx.config.trusted_proxies;
  for (size_t i = 0; i <= proxies.size();) {
    size_t j = proxies.find(',', i);
    if (j == std::string::npos) j = proxies.size();
    std::string p = proxies.substr(i, j - i);
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    if (!p.empty()) st->trusted_proxies.push_back(p);
    i = j + 1;
  }

  for (const auto& f : console::staticFiles()) {
    const console::StaticFile* file = &f;
    r.add("GET", "/console/" + std::string(f.name),
          [file](HttpRequest& req) -> Result<HttpResponse> { return staticResponse(*file, req); })
        .access = Access::kPublic;
  }
  r.add("GET", "/console", [](HttpRequest&) -> Result<HttpResponse> {
     HttpResponse out;
     out.status = 303;
     out.content_type = "text/plain; charset=utf-8";
     out.headers.emplace_back("Location", "/console/index.html");
     return out;
   }).access = Access::kPublic;

  using Fn = Result<HttpResponse> (*)(ConsoleState&, ServiceContext&, HttpRequest&, AuditFacts&);
  auto api = [&](const char* method, const char* pattern, Fn fn) {
    r.add(method, pattern, [st, &ctx, fn](HttpRequest& req) -> HandlerResult {
       AuditFacts audit;
       Result<HttpResponse> response = fn(*st, ctx, req, audit);
       return {std::move(response), std::move(audit)};
     }).access = Access::kConsole;
  };
  r.add("POST", "/console/api/login", [st](HttpRequest& req) { return login(*st, req); }).access =
      Access::kConsole;
  r.add("POST", "/console/api/logout", [st](HttpRequest& req) { return logout(*st, req); }).access =
      Access::kConsole;
  r.add("GET", "/console/api/me", [st](HttpRequest& req) { return me(*st, req); }).access =
      Access::kConsole;
  api("GET", "/console/api/dashboard", dashboard);
  api("GET", "/console/api/access-requests", listRequests);
  api("POST", "/console/api/access-requests/{id}/approve", approveRequest);
  api("POST", "/console/api/access-requests/{id}/reject", rejectRequest);
  api("GET", "/console/api/grants", listGrants);
  api("POST", "/console/api/grants/{id}/suspend",
      [](ConsoleState& s, ServiceContext& c, HttpRequest& q, AuditFacts& a) {
        return changeGrant(s, c, q, a, GrantChange::kSuspend);
      });
  api("POST", "/console/api/grants/{id}/resume",
      [](ConsoleState& s, ServiceContext& c, HttpRequest& q, AuditFacts& a) {
        return changeGrant(s, c, q, a, GrantChange::kResume);
      });
  api("POST", "/console/api/grants/{id}/revoke",
      [](ConsoleState& s, ServiceContext& c, HttpRequest& q, AuditFacts& a) {
        return changeGrant(s, c, q, a, GrantChange::kRevoke);
      });
  api("GET", "/console/api/audit", searchAudit);
  api("GET", "/console/api/audit.csv", exportAudit);
  api("POST", "/console/api/audit/verify", verifyAudit);
}

}  // namespace tongban::exchange
