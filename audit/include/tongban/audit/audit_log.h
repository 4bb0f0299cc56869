// The audit log (电子监察): every request to the exchange, allowed or refused, appended to a
// hash-chained, append-only table (exchange.audit_log, deploy/sql/0005_audit.sql) before the
// response leaves. The module knows nothing of HTTP or the exchange: the exchange appends to it.
//
// This header has four parts: the entry and its canonical encoding (the hash an auditor
// re-implements from docs/audit-log.md); AuditLog, the group-committing writer the server appends
// through; verifyAuditChain, which re-derives every chain and checkpoint from the tables alone
// (`tongban-admin audit verify`); and the read side (audit search for administrators, the access
// log a holder sees).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/certs/signer.h"
#include "tongban/common/result.h"

namespace tongban::audit {

// ---------------------------------------------------------------------------------------------
// Entries and the chain hash

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
// Domain-separation tags that open the encodings (docs/audit-log.md).
inline constexpr std::string_view kAuditEntryTag = "tongban.audit.entry.v1";
inline constexpr std::string_view kAuditCheckpointTag = "tongban.audit.checkpoint.v1";

// The canonical, length-prefixed encoding of every column of `record` except prev_hash and hash
// (docs/audit-log.md, "Entry encoding").
std::string encodeAuditRecord(const AuditRecord& record);

// SHA-256(prev_hash || encodeAuditRecord(record)): the value of record.hash in an intact chain.
std::string computeAuditHash(std::string_view prev_hash, const AuditRecord& record);

// The bytes a checkpoint signature covers (docs/audit-log.md, "Checkpoints").
std::string encodeCheckpoint(std::string_view node_id, int64_t seq, std::string_view hash,
                             int64_t signed_at_micros);

// SQL select list of exchange.audit_log (table alias `a`) in the shape auditRecordFromRow reads:
// `at` as integer microseconds, hashes as hex.
extern const char* const kAuditRecordSelect;

// Reads a row selected with kAuditRecordSelect. kInternal when a value cannot be read (a NULL
// array element, bad hex): never produced by the exchange, so the verifier reports it as tampering.
Result<AuditRecord> auditRecordFromRow(const pqxx::row& row);

// ---------------------------------------------------------------------------------------------
// The writer

// Appends entries to one node's chain with group commit.
//
// Invariants:
//  1. One AuditLog writes a given node's chain at a time: open() takes a PostgreSQL session
//     advisory lock on the node id for the writer connection's life (kConflict when another
//     process holds it).
//  2. seq is contiguous from 1 per node; the writer assigns it, in queue order.
//  3. The in-memory head (seq, hash) equals the last committed row's. It advances only after a
//     COMMIT succeeds; after a failure it is re-read from the database with the next connection.
//  4. append() returns a seq only once the transaction holding the entry has committed with
//     synchronous_commit on (durable); one commit (one WAL flush) covers a whole batch.
//  5. `at` is assigned by the writer and never decreases along a chain.
//  6. A checkpoint row, when written, is in the same transaction as the batch whose last entry it
//     signs, or (time-based, idle log) alone; it always signs a committed head.
//
// Thread-safety: append() and stats() may be called from any number of threads. close() may be
// called from any thread, more than once; appends after it fail with kUnavailable.
class AuditLog {
 public:
  struct Options {
    std::string conninfo;
    std::string node_id = "node-1";
    int max_batch = 512;
    // Group-commit delay: when fewer than max_batch/8 entries are queued, the writer waits up to
    // this long for more before it writes (PostgreSQL's commit_delay idea). 0: write at once.
    int commit_delay_us = 0;
    int64_t checkpoint_every_entries = 10000;
    int64_t checkpoint_every_seconds = 60;
    // Signs checkpoints; null: no checkpoints are written.
    std::shared_ptr<const tongban::certs::Signer> checkpoint_signer;
    // How a batch reaches the table: kUnnest is one INSERT ... SELECT FROM unnest(arrays)
    // statement, autocommitted (one round trip); kCopy is BEGIN / COPY / COMMIT (four round trips,
    // cheaper per row on the server); kAuto (default) takes unnest for batches of up to
    // kAutoCopyThreshold entries and COPY above. bench/audit_append measures all three.
    enum class WriteMethod { kAuto, kCopy, kUnnest };
    static constexpr size_t kAutoCopyThreshold = 16;
    WriteMethod write_method = WriteMethod::kAuto;
  };

  struct Stats {
    uint64_t appended = 0;         // entries committed
    uint64_t batches = 0;          // transactions committed
    uint64_t last_batch_size = 0;  // entries in the last committed transaction
    uint64_t failed_entries = 0;   // entries whose append returned an error from the database
    uint64_t failed_batches = 0;
    uint64_t checkpoints = 0;  // checkpoint rows committed
    uint64_t queued = 0;       // entries waiting for the writer now
    int64_t head_seq = 0;
  };

  // Connects, takes the node's lock, reads the chain head and starts the writer thread.
  // kInvalidArgument for bad options, kUnavailable when the database cannot be reached, kConflict
  // when another writer holds the node.
  static Result<std::unique_ptr<AuditLog>> open(Options options);

  virtual ~AuditLog() = default;

  // Queues `entry`, blocks until the batch holding it is committed, returns its seq.
  // kInvalidArgument (field "result") for a bad result; kUnavailable when the commit failed (the
  // database is down: the entry is not in the log, or — when the connection broke during COMMIT
  // itself — may be, exactly once) or the log is closed.
  virtual Result<int64_t> append(AuditEntry entry) = 0;

  // Drains the queue, writes a final checkpoint if there are unsigned entries and a signer, and
  // stops the writer. Idempotent; the destructor calls it.
  virtual void close() = 0;

  virtual Stats stats() const = 0;
  virtual const std::string& nodeId() const = 0;
};

// ---------------------------------------------------------------------------------------------
// The verifier

enum class AuditProblemKind {
  kHashMismatch,           // a row's content does not match its hash: an edited row
  kPrevHashMismatch,       // a row does not link to its predecessor: reordered or inserted rows
  kSeqGap,                 // a seq is missing (or the chain does not start at 1): deleted rows
  kTruncated,              // a checkpoint vouches for rows that are not there: a cut-off tail
  kCheckpointMismatch,     // a checkpoint's hash differs from the row's: a rewritten chain
  kBadCheckpointSignature  // a checkpoint's signature does not verify (or not with the given key)
};

// "hash_mismatch", "prev_hash_mismatch", "seq_gap", "truncated", "checkpoint_mismatch",
// "bad_checkpoint_signature".
const char* auditProblemKindName(AuditProblemKind kind);

struct AuditProblem {
  std::string node_id;
  int64_t seq = 0;  // the first seq where the chain is wrong
  AuditProblemKind kind;
  std::string message;
};

struct AuditNodeReport {
  std::string node_id;
  int64_t entries_checked = 0;
  int64_t checkpoints_checked = 0;
  int64_t head_seq = 0;  // last seq read
};

struct AuditVerifyReport {
  std::vector<AuditNodeReport> nodes;  // by node_id
  // The first problem of each node with one (verification of a node stops there), by node_id.
  std::vector<AuditProblem> problems;
  bool intact() const { return problems.empty(); }
};

struct AuditVerifyOptions {
  // PEM "PUBLIC KEY" (or certificate) of the hub's checkpoint key. When set, a checkpoint must
  // verify with it (a row carrying another key is a bad signature); when empty, each checkpoint
  // is checked against the key stored in its own row, which catches corruption but not a forger
  // who also replaced the key.
  std::string checkpoint_public_key_pem;
  int fetch_rows = 2000;  // rows per cursor FETCH
};

// Re-derives every node's chain and checks every checkpoint, reading the tables through cursors
// in one repeatable-read, read-only transaction (memory does not grow with the table).
// A tampered log is a report with problems, not an error. kInvalidArgument (field
// "checkpoint_public_key") for an unreadable key; kUnavailable / kInternal on database errors.
Result<AuditVerifyReport> verifyAuditChain(pqxx::connection& conn,
                                           const AuditVerifyOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Reading

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
