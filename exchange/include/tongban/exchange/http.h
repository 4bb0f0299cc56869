// The exchange's small HTTP layer over POCO: requests and responses as values, and a router that
// maps "METHOD /path/{param}" patterns to handlers.
//
// Handlers return a HandlerResult: the response, or an error Status that becomes a problem
// document (problem.h), together with the audit facts the handler learnt about the request. A
// handler never writes to the socket or the audit log itself: the dispatcher appends the audit
// record and sends the response only after that append succeeded. The router is built before
// serving and is read-only afterwards (thread-safe for lookups).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPServerRequest.h>

#include "tongban/common/result.h"
#include "tongban/exchange/request_auth.h"

namespace tongban::exchange {

// Who may call a route, and whether the call is written to the audit log. Deny by default: a
// route is kSigned unless it is explicitly marked otherwise when it is added.
enum class Access {
  kSigned,   // an application's HMAC-signed request (request_signing.h); audited. The default.
  kPublic,   // health, readiness, metrics, the public log: no authentication, not audited
  kHolder,   // a holder's bearer token, checked by the handler; audited
  kConsole,  // a console user's session cookie (console_handlers.cc), checked by the handler;
             // audited naming the person ("console:<username>" as the caller's app_id)
};

// What a handler tells the audit log about the request (the dispatcher adds who, when, the
// outcome). Returned in HandlerResult, also when the handler refuses: a refusal half-way is
// audited with what the handler knew by then (the resource, the subject).
struct AuditFacts {
  std::string resource_code;
  std::vector<std::string> fields;
  std::vector<std::string> subject_keys;
  std::string matter_code;
  std::string case_id;
  std::string reason;
};

struct HttpRequest {
  Poco::Net::HTTPServerRequest& raw;
  std::string method;
  std::string path;                 // decoded path, without the query
  std::string query;                // raw query string, without '?'
  std::vector<std::string> params;  // path parameters, in pattern order
  std::string body;
  std::string request_id;
  std::optional<Caller> caller;  // set for Access::kSigned routes before the handler runs
  std::string retry_after;       // set by a handler refusing with kResourceExhausted
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

// What a handler returns. Constructible from what handlers return without audit facts (an
// HttpResponse, a Status, a Result<HttpResponse>), so a route that records nothing needs no
// ceremony; `return {std::move(response), std::move(audit)}` otherwise.
struct HandlerResult {
  HandlerResult(Result<HttpResponse> r, AuditFacts a = {})  // NOLINT: implicit by design
      : response(std::move(r)), audit(std::move(a)) {}
  HandlerResult(HttpResponse r, AuditFacts a = {})  // NOLINT: implicit by design
      : response(std::move(r)), audit(std::move(a)) {}
  HandlerResult(Status s, AuditFacts a = {})  // NOLINT: implicit by design
      : response(std::move(s)), audit(std::move(a)) {}

  Result<HttpResponse> response;
  AuditFacts audit;
};

using Handler = std::function<HandlerResult(HttpRequest&)>;

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;  // also the metrics label
    std::vector<std::string> segments;
    Handler handler;
    Access access = Access::kSigned;
    // The handler changes nothing but counters (quotas): its request's nonce may be claimed in
    // the shared replay guard with the audit entry, after the handler ran, since the answer
    // leaves only once that entry is written. Set for GET by add(); a POST that only reads
    // (a query with its criteria in the body) is marked by its module.
    bool reads_only = false;  // deny by default: mark public routes explicitly
    size_t metrics_index = 0;
    // Written to the audit log (signed and holder routes). Only the verification routes can
    // turn it off, for benchmarks (verification.audit).
    bool audited = true;
    // The route's own body limit; 0: server.max_body_bytes.
    int64_t max_body_bytes = 0;
  };
  struct Match {
    const Route* route = nullptr;  // null: no route for this method and path
    std::vector<std::string> params;
    std::string allow;  // when the path matched other methods only: "GET, POST"
  };

  // pattern: "/v1/registry/persons/{citizen_id}"; a {name} segment matches one non-empty segment.
  Route& add(std::string method, std::string pattern, Handler handler);
  Match match(const std::string& method, const std::string& path) const;
  std::vector<Route>& routes() { return routes_; }

 private:
  std::vector<Route> routes_;
};

// `text` with every token shaped like a citizen id masked (110105********002X): what the access
// log writes for request paths.
std::string maskCitizenIds(std::string_view text);

}  // namespace tongban::exchange
