// The audit log (电子监察): every request to the exchange, allowed or refused, is appended to a
// hash-chained, append-only table (exchange.audit_log, deploy/sql/0005_audit.sql) before the
// response leaves. This header is the entry and its canonical encoding: what a caller hands the
// log (AuditEntry), what a reader gets back (AuditRecord), and the hash an auditor re-implements
// from docs/audit-log.md. The other headers of the module: appender.h (the narrow interface the
// exchange appends through), writer.h (the group-committing writer behind it), checkpoint.h,
// verify.h, search.h and access_log.h. The module knows nothing of HTTP or of the exchange.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/common/result.h"

namespace tongban::audit {

// What the server records about one request. Empty strings are stored as NULL; `result` must be
// "allowed", "denied" or "error"; http_status 0 is stored as NULL.
struct AuditEntry {
  std::string request_id;
  std::string app_id;
  std::string department_code;
  std::string key_id;
  std::string method;
  std::string path;
  std::string resource_code;
  std::vector<std::string> fields;        // fields asked for (or returned)
  std::vector<std::string> subject_keys;  // citizen ids / credit codes the request was about
  std::string matter_code;                // the purpose (事项编码)
  std::string case_id;
  std::string result;
  int http_status = 0;
  std::string reason;  // why denied / what failed
  // A request nonce to claim in the shared replay guard (exchange.request_nonces) as part of
  // writing this entry, for a request whose answer changes nothing (a safe method): one statement
  // per batch instead of one round trip per request. When the pair is taken already the entry is
  // stored as the refusal of a replay (denied, 401) and append() says kUnauthenticated.
  struct NonceClaim {
    std::string key_id;
    std::string nonce;
    int64_t expires_at = 0;  // unix seconds
    int64_t now = 0;         // unix seconds: an older record of the pair expired before this
  };
  std::optional<NonceClaim> nonce_claim;
};

// One stored row, as the verifier and the search read it back. Optional members are NULL-able
// columns.
struct AuditRecord {
  std::string node_id;
  int64_t seq = 0;
  int64_t at_micros = 0;  // microseconds since 1970-01-01T00:00:00Z
  std::optional<std::string> request_id, app_id, department_code, key_id, method, path,
      resource_code;
  std::vector<std::string> fields, subject_keys;
  std::optional<std::string> matter_code, case_id;
  std::string result;
  std::optional<int64_t> http_status;
  std::optional<std::string> reason;
  std::string prev_hash;  // 32 raw bytes
  std::string hash;       // 32 raw bytes
};

inline constexpr size_t kAuditHashSize = 32;
// Domain-separation tag that opens an entry's encoding (docs/audit-log.md).
inline constexpr std::string_view kAuditEntryTag = "tongban.audit.entry.v1";

// The canonical, length-prefixed encoding of every column of `record` except prev_hash and hash
// (docs/audit-log.md, "Entry encoding").
std::string encodeAuditRecord(const AuditRecord& record);

// SHA-256(prev_hash || encodeAuditRecord(record)): the value of record.hash in an intact chain.
std::string computeAuditHash(std::string_view prev_hash, const AuditRecord& record);

// SQL select list of exchange.audit_log (table alias `a`) in the shape auditRecordFromRow reads:
// `at` as integer microseconds, hashes as hex.
extern const char* const kAuditRecordSelect;

// Reads a row selected with kAuditRecordSelect. kInternal when a value cannot be read (a NULL
// array element, bad hex): never produced by the writer, so the verifier reports it as tampering.
Result<AuditRecord> auditRecordFromRow(const pqxx::row& row);

}  // namespace tongban::audit
