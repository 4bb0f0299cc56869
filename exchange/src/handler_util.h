// Helpers the exchange's handler files share: query-string parameters, ids in paths, the catalog
// actor of a caller, JSON lists of catalog values, and holder-token authentication.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "service_context.h"
#include "tongban/catalog/json.h"
#include "tongban/catalog/model.h"

namespace tongban::exchange {

// The decoded query parameters (the last of repeated names wins). kInvalidArgument (field
// "query") for a malformed query string.
Result<std::map<std::string, std::string>> queryParams(const HttpRequest& req);

// A positive decimal id from a path segment; kInvalidArgument naming `field` otherwise.
Result<int64_t> idParam(const std::string& s, const char* field);

// An optional non-negative integer query parameter, at most `max`.
Result<size_t> sizeParam(const std::map<std::string, std::string>& q, const char* name,
                         size_t fallback, size_t max);

catalog::Actor actorOf(const Caller& caller);

// {"<key>":[<toJson(item)>,...]}
template <typename T>
HttpResponse jsonList(const char* key, const std::vector<T>& items) {
  std::string body = std::string("{\"") + key + "\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) body += ",";
    body += catalog::toJson(items[i]);
  }
  body += "]}";
  return HttpResponse::json(std::move(body));
}

// Checks the request's "Authorization: Bearer <holder token>" against the identity provider's
// key and that its subject is `subject`; records the token's subject in `audit.reason`.
// kUnauthenticated (no or bad token), kPermissionDenied (another holder's token, field `field`),
// kUnavailable (holders not configured).
Status authenticateHolder(ServiceContext& ctx, HttpRequest& req, const std::string& subject,
                          const char* field, AuditFacts& audit);

// The Router handler for a handler function `fn` of this module's two shapes:
//   Result<HttpResponse> fn(ServiceContext&, HttpRequest&)              records no audit facts;
//   Result<HttpResponse> fn(ServiceContext&, HttpRequest&, AuditFacts&) records them as it learns
//     them, so that every way out (a refusal half-way included) carries what was known by then.
// Either way the facts go back to the dispatcher in the HandlerResult, not through the request.
template <typename Fn>
Handler handlerOf(ServiceContext& ctx, Fn fn) {
  return [&ctx, fn](HttpRequest& req) -> HandlerResult {
    if constexpr (std::is_invocable_v<Fn, ServiceContext&, HttpRequest&, AuditFacts&>) {
      AuditFacts audit;
      Result<HttpResponse> response = fn(ctx, req, audit);
      return {std::move(response), std::move(audit)};
    } else {
      return fn(ctx, req);
    }
  };
}

}  // namespace tongban::exchange
