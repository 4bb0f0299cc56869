// Helpers the exchange's handler files share: query-string parameters, ids in paths, the catalog
// actor of a caller, JSON lists of catalog values, and holder-token authentication.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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
// key and that its subject is `subject`. kUnauthenticated (no or bad token), kPermissionDenied
// (another holder's token, field `field`), kUnavailable (holders not configured).
Status authenticateHolder(ServiceContext& ctx, HttpRequest& req, const std::string& subject,
                          const char* field);

}  // namespace tongban::exchange
