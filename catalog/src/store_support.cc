// Shared helpers of the CatalogStore files (store_support.h): SQL helpers, permissions, checks
// of input every concept makes.
#include "store_support.h"

#include <algorithm>
#include <utility>

namespace tongban::catalog::store {

namespace {

size_t utf8Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

}  // namespace

// A timestamptz column as microseconds since the epoch (exact: extract returns numeric).
std::string us(const std::string& column) {
  return "(extract(epoch from " + column + ") * 1000000)::bigint";
}
// The timestamptz of parameter $n given in microseconds since the epoch.
std::string ts(int n) {
  return "(timestamptz 'epoch' + $" + std::to_string(n) + "::bigint * interval '1 microsecond')";
}

int64_t toMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint fromMicros(int64_t micros) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(micros)));
}

std::vector<std::string> readArray(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  std::optional<std::vector<std::optional<std::string>>> elements =
      db::parseArrayLiteral(f.c_str());
  if (!elements) return out;
  for (std::optional<std::string>& e : *elements) {
    if (e) out.push_back(std::move(*e));
  }
  return out;
}

std::optional<std::string> optText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

std::string resourceObjectId(const std::string& code, int version) {
  return code + "/" + std::to_string(version);
}

Status conflict(std::string message) { return Status(ErrorCode::kConflict, std::move(message)); }
Status denied(std::string message) {
  return Status(ErrorCode::kPermissionDenied, std::move(message));
}

// --- Permissions --------------------------------------------------------------------------------

bool isAdmin(const Actor& a) { return a.role == Role::kAdmin; }
bool isProviderOf(const Actor& a, const std::string& department) {
  return a.role == Role::kProvider && !a.department_code.empty() && a.department_code == department;
}
bool canManage(const Actor& a, const std::string& department) {
  return isAdmin(a) || isProviderOf(a, department);
}
std::string needsManager(const std::string& what, const std::string& department) {
  return what + " needs an admin or a provider application of department " + department;
}

Status checkActor(const Actor& a) {
  if (a.id.empty()) return Status(ErrorCode::kUnauthenticated, "no actor");
  return Status::ok();
}

Status validateText(const std::string& field, const std::string& value, size_t max_chars,
                    bool required) {
  if (required && blank(value)) return Status::invalid(field, field + " is required");
  if (utf8Chars(value) > max_chars) {
    return Status::invalid(field,
                           field + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return Status::ok();
}

Status validateList(size_t limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return Status::invalid("limit", "limit must be 1.." + std::to_string(kMaxListLimit));
  }
  return Status::ok();
}

Status validateRate(const std::string& field, int rate) {
  if (rate < 1 || rate > kMaxRatePerMinute) {
    return Status::invalid(field, field + " must be 1.." + std::to_string(kMaxRatePerMinute) +
                                      ", not " + std::to_string(rate));
  }
  return Status::ok();
}

// Visibility of requests and grants for a non-admin actor: the actor's own, and for a provider
// also those on its department's resources. Fills the two visibility parameters.
Status visibility(const Actor& actor, const std::string& filter_app_id, std::string* own_app,
                  std::string* own_department) {
  if (isAdmin(actor)) return Status::ok();
  if (!actor.isApplication() && !actor.isPerson()) {
    return denied(actor.id + " is neither an application nor a console user");
  }
  if (actor.role == Role::kConsumer && !filter_app_id.empty() && filter_app_id != actor.id) {
    return denied("a consumer application sees only its own requests and grants, not " +
                  filter_app_id + "'s");
  }
  *own_app = actor.id;
  *own_department = actor.role == Role::kProvider ? actor.department_code : std::string("-");
  return Status::ok();
}

}  // namespace tongban::catalog::store
