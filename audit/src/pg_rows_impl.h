// Small helpers the audit module's PostgreSQL code shares: reading text[] and NULL-able columns,
// hex, and turning libpqxx exceptions into a Status. Internal to the audit module.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/common/result.h"

namespace tongban::audit::internal {

std::string toHex(std::string_view bytes);
// false for anything but an even number of hex digits.
bool fromHex(std::string_view hex, std::string* out);

// Parses a text[] field; false on a NULL array, a NULL element or a nested array.
bool readTextArray(const pqxx::field& f, std::vector<std::string>* out);

std::optional<std::string> optField(const pqxx::field& f);

// kUnavailable naming `what`; "database unavailable" when the connection broke.
Status dbError(const std::exception& e, const std::string& what);

}  // namespace tongban::audit::internal
