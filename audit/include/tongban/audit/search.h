// Searching the audit log, for administrators (GET /v1/admin/audit, `tongban-admin audit
// search`): entries by application, subject, resource and time, and one entry as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/audit/entry.h"
#include "tongban/common/result.h"

namespace tongban::audit {

struct AuditSearch {
  std::string app_id;
  std::string subject_key;
  std::string resource_code;
  std::optional<int64_t> from_micros;  // at >= from
  std::optional<int64_t> to_micros;    // at < to
  int limit = 100;                     // 1..10000
};

// One record as a JSON object: every column, `at` as RFC 3339 with microseconds, `hash` as hex.
// What `tongban-admin audit search` prints a line of and GET /v1/admin/audit lists.
std::string auditRecordJson(const AuditRecord& record);

// Entries matching every given filter, newest first. kInvalidArgument (field "limit") for a limit
// out of range; kUnavailable / kInternal on database errors.
Result<std::vector<AuditRecord>> searchAuditLog(pqxx::connection& conn, const AuditSearch& search);

}  // namespace tongban::audit
