// verifyAuditChain: re-derives every node's hash chain and checks every signed checkpoint from
// exchange.audit_log and exchange.audit_checkpoints alone (tongban-admin audit verify).
//
// Per node, two server-side cursors (entries by seq, checkpoints by seq) are merged in one pass,
// so memory stays flat however long the log is. Checks, in the order a row meets them: seq
// contiguity (a gap is a deleted row), prev_hash against the previous row's hash (a mismatch is a
// reordered or inserted row), the row's own hash (a mismatch is an edited row), then each
// checkpoint at that seq (signature, then hash). Checkpoints beyond the last row mean the tail was
// cut off. The first problem of a node ends that node's verification.
#include "tongban/audit/verify.h"

#include <optional>
#include <string>
#include <utility>

#include "checkpoint_impl.h"
#include "tongban/audit/checkpoint.h"
#include "tongban/audit/entry.h"

#include "tongban/certs/algorithm.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/verification.h"

#include "tongban/common/encoding.h"

namespace tongban::audit {
namespace {

using internal::CheckpointRow;
using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// The first 8 bytes in hex, for messages.
std::string shortHex(const std::string& bytes) {
  return hexEncode(std::string_view(bytes).substr(0, 8)) + (bytes.size() > 8 ? "..." : "");
}

// Reads a cursor in chunks of `fetch` rows.
class CursorReader {
 public:
  CursorReader(ReadTx& tx, std::string name, const std::string& query, int fetch)
      : tx_(tx), name_(std::move(name)), fetch_(fetch) {
    tx_.exec("DECLARE " + name_ + " NO SCROLL CURSOR FOR " + query);
  }
  ~CursorReader() = default;

  // The next row, or nullptr at the end. Valid until the next call.
  const pqxx::row* next() {
    if (index_ >= static_cast<size_t>(chunk_.size())) {
      if (done_) return nullptr;
      chunk_ = tx_.exec("FETCH " + std::to_string(fetch_) + " FROM " + name_);
      index_ = 0;
      if (chunk_.size() < static_cast<size_t>(fetch_)) done_ = true;
      if (chunk_.empty()) return nullptr;
    }
    row_ = chunk_[static_cast<pqxx::result::size_type>(index_++)];
    return &row_;
  }

  void close() { tx_.exec("CLOSE " + name_); }

 private:
  ReadTx& tx_;
  std::string name_;
  int fetch_;
  pqxx::result chunk_;
  pqxx::row row_;
  size_t index_ = 0;
  bool done_ = false;
};

class NodeVerifier {
 public:
  NodeVerifier(ReadTx& tx, std::string node_id, const AuditVerifyOptions& options)
      : tx_(tx), options_(options) {
    report_.node_id = std::move(node_id);
  }

  // Fills report_; returns the node's first problem, if any.
  std::optional<AuditProblem> run() {
    const std::string node = tx_.quote(report_.node_id);
    CursorReader entries(tx_, "audit_verify_entries",
                         std::string("SELECT ") + kAuditRecordSelect +
                             " FROM exchange.audit_log a WHERE a.node_id = " + node +
                             " ORDER BY a.seq",
                         options_.fetch_rows);
    CursorReader checkpoints(tx_, "audit_verify_checkpoints",
                             internal::checkpointsOfNodeQuery(node), options_.fetch_rows);
    std::optional<AuditProblem> problem = walk(entries, checkpoints);
    entries.close();
    checkpoints.close();
    return problem;
  }

  const AuditNodeReport& report() const { return report_; }

 private:
  AuditProblem problem(int64_t seq, AuditProblemKind kind, std::string message) const {
    AuditProblem p;
    p.node_id = report_.node_id;
    p.seq = seq;
    p.kind = kind;
    p.message = std::move(message);
    return p;
  }

  // Signature of one checkpoint; nullopt when it verifies.
  std::optional<AuditProblem> checkSignature(const CheckpointRow& cp) {
    ++report_.checkpoints_checked;
    Result<certs::SignatureAlgorithm> alg = certs::parseAlgorithm(cp.algorithm);
    if (!alg) {
      return problem(cp.seq, AuditProblemKind::kBadCheckpointSignature,
                     "checkpoint names an unknown algorithm '" + cp.algorithm + "'");
    }
    const std::string& key = options_.checkpoint_public_key_pem.empty()
                                 ? cp.public_key_pem
                                 : options_.checkpoint_public_key_pem;
    certs::Verification v = certs::verifySignature(
        key, *alg, encodeCheckpoint(report_.node_id, cp.seq, cp.hash, cp.signed_at), cp.signature);
    if (!v) {
      return problem(cp.seq, AuditProblemKind::kBadCheckpointSignature,
                     std::string("checkpoint signature does not verify with ") +
                         (options_.checkpoint_public_key_pem.empty() ? "the key stored with it"
                                                                     : "the given checkpoint key") +
                         " (" + certs::verifyReasonName(v.reason()) + ": " + v.message() + ")");
    }
    return std::nullopt;
  }

  std::optional<AuditProblem> walk(CursorReader& entries, CursorReader& checkpoints) {
    std::string prev(kAuditHashSize, '\0');
    int64_t expected = 1;
    CheckpointRow cp;
    bool have_cp = false;
    auto advanceCp = [&]() -> std::optional<AuditProblem> {
      const pqxx::row* row = checkpoints.next();
      have_cp = row != nullptr;
      if (have_cp && !internal::readCheckpoint(*row, &cp)) {
        return problem(cp.seq, AuditProblemKind::kBadCheckpointSignature,
                       "checkpoint row cannot be read (bad hex)");
      }
      return std::nullopt;
    };
    if (auto p = advanceCp()) return p;

    while (const pqxx::row* row = entries.next()) {
      const int64_t seq = (*row)[1].as<int64_t>();
      if (seq != expected) {
        return problem(expected, AuditProblemKind::kSeqGap,
                       expected == seq - 1
                           ? "entry " + std::to_string(expected) + " is missing (deleted)"
                           : "entries " + std::to_string(expected) + " to " +
                                 std::to_string(seq - 1) + " are missing (deleted)");
      }
      // Defensive: with contiguous seqs every earlier checkpoint met its row already.
      if (have_cp && cp.seq < seq) {
        return problem(cp.seq, AuditProblemKind::kTruncated,
                       "checkpoint at seq " + std::to_string(cp.seq) + " has no entry");
      }
      Result<AuditRecord> record = auditRecordFromRow(*row);
      if (!record) {
        return problem(
            seq, AuditProblemKind::kHashMismatch,
            "entry cannot be read as written by the exchange: " + record.status().message());
      }
      if (record->prev_hash != prev) {
        return problem(seq, AuditProblemKind::kPrevHashMismatch,
                       "prev_hash " + shortHex(record->prev_hash) +
                           " is not the hash of the entry before it (" + shortHex(prev) +
                           "): entries reordered or inserted");
      }
      const std::string hash = computeAuditHash(prev, *record);
      if (hash != record->hash) {
        return problem(seq, AuditProblemKind::kHashMismatch,
                       "stored hash " + shortHex(record->hash) + " differs from the recomputed " +
                           shortHex(hash) + ": the entry was edited");
      }
      ++report_.entries_checked;
      report_.head_seq = seq;
      while (have_cp && cp.seq == seq) {
        if (auto p = checkSignature(cp)) return p;
        if (cp.hash != hash) {
          return problem(seq, AuditProblemKind::kCheckpointMismatch,
                         "the signed checkpoint says hash " + shortHex(cp.hash) +
                             " but the chain has " + shortHex(hash) + ": the chain was rewritten");
        }
        if (auto p = advanceCp()) return p;
      }
      prev = hash;
      ++expected;
    }
    if (have_cp) {
      // A checkpoint past the end: the rows it vouches for are gone — unless it is itself forged.
      if (auto p = checkSignature(cp)) return p;
      return problem(expected, AuditProblemKind::kTruncated,
                     "a signed checkpoint vouches for entries up to seq " + std::to_string(cp.seq) +
                         " but the chain ends at " + std::to_string(expected - 1) +
                         ": the tail was cut off");
    }
    return std::nullopt;
  }

  ReadTx& tx_;
  const AuditVerifyOptions& options_;
  AuditNodeReport report_;
};

}  // namespace

const char* auditProblemKindName(AuditProblemKind kind) {
  switch (kind) {
    case AuditProblemKind::kHashMismatch:
      return "hash_mismatch";
    case AuditProblemKind::kPrevHashMismatch:
      return "prev_hash_mismatch";
    case AuditProblemKind::kSeqGap:
      return "seq_gap";
    case AuditProblemKind::kTruncated:
      return "truncated";
    case AuditProblemKind::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case AuditProblemKind::kBadCheckpointSignature:
      return "bad_checkpoint_signature";
  }
  return "unknown";
}

Result<AuditVerifyReport> verifyAuditChain(pqxx::connection& conn,
                                           const AuditVerifyOptions& options) {
  if (!options.checkpoint_public_key_pem.empty() &&
      options.checkpoint_public_key_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    Result<certs::EvpPkeyPtr> key = certs::parsePublicKeyPem(options.checkpoint_public_key_pem);
    if (!key) {
      return Status::invalid("checkpoint_public_key",
                             "the checkpoint key is not a PEM public key or certificate");
    }
  }
  if (options.fetch_rows < 1) return Status::invalid("fetch_rows", "must be at least 1");
  try {
    ReadTx tx(conn, "audit_verify");
    // Distinct node ids by a skip scan of the primary key, plus nodes known only from checkpoints
    // (a chain deleted entirely).
    const pqxx::result nodes = tx.exec(
        "WITH RECURSIVE n(node_id) AS ("
        "  SELECT min(node_id) FROM exchange.audit_log"
        "  UNION ALL"
        "  SELECT (SELECT min(a.node_id) FROM exchange.audit_log a WHERE a.node_id > n.node_id)"
        "  FROM n WHERE n.node_id IS NOT NULL)"
        " SELECT node_id FROM n WHERE node_id IS NOT NULL"
        " UNION SELECT node_id FROM exchange.audit_checkpoints ORDER BY 1");
    AuditVerifyReport report;
    for (const auto& row : nodes) {
      NodeVerifier verifier(tx, row[0].as<std::string>(), options);
      std::optional<AuditProblem> problem = verifier.run();
      report.nodes.push_back(verifier.report());
      if (problem) report.problems.push_back(std::move(*problem));
    }
    tx.commit();
    return report;
  } catch (const pqxx::broken_connection& e) {
    return Status::unavailable(std::string("audit verify: database unavailable: ") + e.what());
  } catch (const std::exception& e) {
    return Status::internal(std::string("audit verify: ") + e.what());
  }
}

}  // namespace tongban::audit
