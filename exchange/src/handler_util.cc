#include "handler_util.h"

#include <chrono>

#include <Poco/URI.h>

#include "tongban/exchange/holder_token.h"

namespace tongban::exchange {

Result<std::map<std::string, std::string>> queryParams(const HttpRequest& req) {
  std::map<std::string, std::string> out;
  try {
    Poco::URI uri("/?" + req.query);
    for (const auto& [k, v] : uri.getQueryParameters()) out[k] = v;
  } catch (const Poco::Exception& e) {
    return Status::invalid("query", "malformed query string: " + e.message());
  }
  return out;
}

Result<int64_t> idParam(const std::string& s, const char* field) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid(field, "'" + s + "' is not an id");
  }
  return static_cast<int64_t>(std::stoll(s));
}

Result<size_t> sizeParam(const std::map<std::string, std::string>& q, const char* name,
                         size_t fallback, size_t max) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  if (it->second.empty() || it->second.size() > 9 ||
      it->second.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid(name, "must be a non-negative integer");
  }
  size_t v = std::stoul(it->second);
  if (v > max) return Status::invalid(name, "must be at most " + std::to_string(max));
  return v;
}

catalog::Actor actorOf(const Caller& c) {
  auto role = catalog::parseRole(c.role);
  return catalog::Actor{c.app_id, c.department_code, role ? *role : catalog::Role::kConsumer};
}

Status authenticateHolder(ServiceContext& ctx, HttpRequest& req, const std::string& subject,
                          const char* field, AuditFacts& audit) {
  if (!ctx.holder_idp_key) {
    return Status::unavailable("holder access is not configured (holders.idp_public_key_file)");
  }
  std::string auth = req.raw.get("Authorization", "");
  if (auth.rfind("Bearer ", 0) != 0) {
    return Status(ErrorCode::kUnauthenticated,
                  "a holder token is required: Authorization: Bearer <token>", "Authorization");
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto claims = verifyHolderToken(std::string_view(auth).substr(7), ctx.holder_idp_key.get(), now,
                                  ctx.config.holder_audience);
  if (!claims) return claims.status();
  audit.reason = "holder " + claims->subject;
  if (claims->subject != subject) {
    return Status(ErrorCode::kPermissionDenied, "the token is for another holder", field);
  }
  return Status::ok();
}

}  // namespace tongban::exchange
