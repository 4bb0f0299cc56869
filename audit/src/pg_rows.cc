// Helpers the audit module's PostgreSQL code shares (pg_rows_impl.h).
#include "pg_rows_impl.h"

#include "tongban/common/encoding.h"
#include "tongban/common/pg_copy.h"

namespace tongban::audit::internal {

std::string toHex(std::string_view bytes) { return hexEncode(bytes); }

bool fromHex(std::string_view hex, std::string* out) {
  auto bytes = hexDecode(hex);
  if (!bytes) return false;
  *out = std::move(*bytes);
  return true;
}

Status dbError(const std::exception& e, const std::string& what) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Status::unavailable(what + ": database unavailable: " + e.what());
  }
  return Status::unavailable(what + ": " + e.what());
}

// Parses a text[] field; false on a NULL element or a nested array.
bool readTextArray(const pqxx::field& f, std::vector<std::string>* out) {
  out->clear();
  if (f.is_null()) return false;
  auto items = db::parseTextArray(std::string_view(f.c_str(), f.size()));
  if (!items) return false;
  *out = std::move(*items);
  return true;
}

std::optional<std::string> optField(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

}  // namespace tongban::audit::internal
