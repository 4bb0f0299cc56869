// The audit log's verifier (`tongban-admin audit verify`): re-derives every node's hash chain and
// checks every signed checkpoint from the tables alone, and says where the first break of each
// node is and what kind of tampering it shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/common/result.h"

namespace tongban::audit {

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

}  // namespace tongban::audit
