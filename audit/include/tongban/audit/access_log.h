// A holder's access log (GET /v1/holders/persons/{citizen_id}/access-log): who looked at the
// holder's data, when and why, read from the audit log's allowed entries that name the holder as a
// subject.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/common/result.h"

namespace tongban::audit {

// One line of a holder's access log: who looked at the holder's data, when and why.
struct AccessRecord {
  int64_t at_micros = 0;
  std::string department_code;
  std::string department_name;  // empty if the department is unknown
  std::string app_name;         // empty if the application is unknown
  std::string resource_code;
  std::vector<std::string> fields;
  std::string matter_code;  // the purpose
  std::string cursor;       // pass as `before` to get the entries after this one
};

// ALLOWED entries whose subject_keys contain `subject_key`, newest first, at most `limit`
// (1..1000), older than `before` when given (a cursor of a previous page). kInvalidArgument (field
// "limit" or "before") for a bad limit or cursor; kUnavailable / kInternal on database errors.
Result<std::vector<AccessRecord>> accessLogForSubject(
    pqxx::connection& conn, const std::string& subject_key, int limit,
    const std::optional<std::string>& before = {});

}  // namespace tongban::audit
