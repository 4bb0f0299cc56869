// Searching the audit log for administrators, and one entry as JSON.
#include "tongban/audit/search.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pg_rows_impl.h"
#include "tongban/common/encoding.h"
#include "tongban/common/time_format.h"

namespace tongban::audit {

using internal::dbError;

Result<std::vector<AuditRecord>> searchAuditLog(pqxx::connection& conn, const AuditSearch& search) {
  if (search.limit < 1 || search.limit > 10000) {
    return Status::invalid("limit", "limit must be from 1 to 10000");
  }
  try {
    pqxx::read_transaction tx(conn);
    std::string sql =
        std::string("SELECT ") + kAuditRecordSelect + " FROM exchange.audit_log a WHERE true";
    // Parameters are always passed; an empty filter compares to NULL-guarded expressions so the
    // statement text stays fixed.
    sql +=
        " AND ($1 = '' OR a.app_id = $1)"
        " AND ($2 = '' OR a.subject_keys @> ARRAY[$2]::text[])"
        " AND ($3 = '' OR a.resource_code = $3)"
        " AND ($4::bigint IS NULL OR a.at >= timestamptz 'epoch' + $4::bigint * interval '1 "
        "microsecond')"
        " AND ($5::bigint IS NULL OR a.at < timestamptz 'epoch' + $5::bigint * interval '1 "
        "microsecond')"
        " ORDER BY a.at DESC, a.node_id DESC, a.seq DESC LIMIT $6";
    const pqxx::result rows =
        tx.exec_params(sql, search.app_id, search.subject_key, search.resource_code,
                       search.from_micros, search.to_micros, search.limit);
    std::vector<AuditRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      Result<AuditRecord> r = auditRecordFromRow(row);
      if (!r) return r.status();
      out.push_back(std::move(*r));
    }
    return out;
  } catch (const std::exception& e) {
    return dbError(e, "audit search");
  }
}

std::string auditRecordJson(const AuditRecord& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](const char* key, const std::string& v) {
    w.Key(key);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  auto opt = [&](const char* key, const std::optional<std::string>& v) {
    if (v) {
      str(key, *v);
    } else {
      w.Key(key);
      w.Null();
    }
  };
  auto arr = [&w](const char* key, const std::vector<std::string>& items) {
    w.Key(key);
    w.StartArray();
    for (const auto& item : items) {
      w.String(item.data(), static_cast<rapidjson::SizeType>(item.size()));
    }
    w.EndArray();
  };
  w.StartObject();
  str("node_id", r.node_id);
  w.Key("seq");
  w.Int64(r.seq);
  str("at", formatRfc3339Micros(r.at_micros));
  opt("request_id", r.request_id);
  opt("app_id", r.app_id);
  opt("department_code", r.department_code);
  opt("key_id", r.key_id);
  opt("method", r.method);
  opt("path", r.path);
  opt("resource_code", r.resource_code);
  arr("fields", r.fields);
  arr("subject_keys", r.subject_keys);
  opt("matter_code", r.matter_code);
  opt("case_id", r.case_id);
  str("result", r.result);
  w.Key("http_status");
  if (r.http_status) {
    w.Int64(*r.http_status);
  } else {
    w.Null();
  }
  opt("reason", r.reason);
  str("hash", hexEncode(r.hash));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace tongban::audit
