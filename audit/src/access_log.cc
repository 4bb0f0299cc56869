// A holder's access log: the allowed entries that name the holder, newest first, with the names
// of the departments and applications that asked, a page at a time.
#include "tongban/audit/access_log.h"

#include "pg_rows_impl.h"

namespace tongban::audit {

using internal::dbError;
using internal::fromHex;
using internal::readTextArray;
using internal::toHex;

namespace {

// Cursor of a holder's access log page: "<at_micros>.<seq>.<node_id hex>".
std::string makeCursor(int64_t at, int64_t seq, const std::string& node_id) {
  return std::to_string(at) + "." + std::to_string(seq) + "." + toHex(node_id);
}

bool parseCursor(const std::string& text, int64_t* at, int64_t* seq, std::string* node_id) {
  const size_t a = text.find('.');
  if (a == std::string::npos) return false;
  const size_t b = text.find('.', a + 1);
  if (b == std::string::npos) return false;
  auto parseInt = [](const std::string& s, int64_t* out) {
    if (s.empty() || s.size() > 18) return false;
    int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
  };
  return parseInt(text.substr(0, a), at) && parseInt(text.substr(a + 1, b - a - 1), seq) &&
         fromHex(text.substr(b + 1), node_id) && !node_id->empty();
}

}  // namespace

Result<std::vector<AccessRecord>> accessLogForSubject(pqxx::connection& conn,
                                                      const std::string& subject_key, int limit,
                                                      const std::optional<std::string>& before) {
  if (limit < 1 || limit > 1000) return Status::invalid("limit", "limit must be from 1 to 1000");
  std::optional<int64_t> before_at, before_seq;
  std::optional<std::string> before_node;
  if (before) {
    int64_t at = 0, seq = 0;
    std::string node;
    if (!parseCursor(*before, &at, &seq, &node)) {
      return Status::invalid("before", "not a cursor returned by a previous page");
    }
    before_at = at;
    before_seq = seq;
    before_node = node;
  }
  try {
    pqxx::read_transaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT (extract(epoch FROM a.at) * 1000000)::bigint AS at_us, a.seq, a.node_id, "
        "coalesce(a.department_code, ''), coalesce(d.name, ''), coalesce(ap.name, ''), "
        "coalesce(a.resource_code, ''), "
        // A verification call records one field per check, aligned with its subject keys
        // (docs/verification-serving.md): the holder sees only the checks about them.
        "CASE WHEN a.path IN ('/v1/verify', '/v1/verify/batch', "
        "                     '/thrift/Verification/verifyBatch') "
        "     AND cardinality(a.fields) = cardinality(a.subject_keys) "
        "THEN ARRAY(SELECT a.fields[i] FROM generate_subscripts(a.subject_keys, 1) AS i "
        "           WHERE a.subject_keys[i] = $1 ORDER BY i) "
        "ELSE a.fields END, "
        "coalesce(a.matter_code, '') "
        "FROM exchange.audit_log a "
        "LEFT JOIN directory.departments d ON d.code = a.department_code "
        "LEFT JOIN directory.applications ap ON ap.app_id = a.app_id "
        "WHERE a.subject_keys @> ARRAY[$1]::text[] AND a.result = 'allowed' "
        "AND ($2::bigint IS NULL OR (a.at, a.seq, a.node_id) < "
        "    (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::bigint, $4::text)) "
        "ORDER BY a.at DESC, a.seq DESC, a.node_id DESC LIMIT $5",
        subject_key, before_at, before_seq, before_node, limit);
    std::vector<AccessRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      AccessRecord r;
      r.at_micros = row[0].as<int64_t>();
      r.department_code = row[3].as<std::string>();
      r.department_name = row[4].as<std::string>();
      r.app_name = row[5].as<std::string>();
      r.resource_code = row[6].as<std::string>();
      if (!readTextArray(row[7], &r.fields)) r.fields.clear();
      r.matter_code = row[8].as<std::string>();
      r.cursor = makeCursor(r.at_micros, row[1].as<int64_t>(), row[2].as<std::string>());
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return dbError(e, "access log");
  }
}

}  // namespace tongban::audit
