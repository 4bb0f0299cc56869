// verifyAuditChain: re-derives every node's hash chain and checks every signed checkpoint from
// exchange.audit_log and exchange.audit_checkpoints alone (tongban-admin audit verify).
//
// Per node, two server-side cursors (entries by seq, checkpoints by seq) are merged in one pass,
// so memory stays flat however long the log is. Checks, in the order a row meets them: seq
// contiguity (a gap is a deleted row), prev_hash against the previous row's hash (a mismatch is a
// reordered or inserted row), the row's own hash (a mismatch is an edited row), then each
// checkpoint at that seq (signature, then hash). Checkpoints beyond the last row mean the tail was
// cut off. The first problem of a node ends that node's verification.
#include <string>
#include <utility>

#include "tongban/audit/audit_log.h"
#include "tongban/certs/algorithm.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/verification.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/common/encoding.h"
#include "tongban/common/time_format.h"

namespace tongban::audit {
namespace {

using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

bool hexToBytes(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = hex[i + k];
      int n = -1;
      if (c >= '0' && c <= '9') n = c - '0';
      if (c >= 'a' && c <= 'f') n = c - 'a' + 10;
      if (n < 0) return false;
      v = v * 16 + n;
    }
    out->push_back(static_cast<char>(v));
  }
  return true;
}

// The first 8 bytes in hex, for messages.
std::string shortHex(const std::string& bytes) {
  return hexEncode(std::string_view(bytes).substr(0, 8)) + (bytes.size() > 8 ? "..." : "");
}

struct Checkpoint {
  int64_t seq = 0;
  std::string hash;
  int64_t signed_at = 0;
  std::string algorithm;
  std::string signature;
  std::string public_key_pem;
};

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
    CursorReader checkpoints(
        tx_, "audit_verify_checkpoints",
        "SELECT seq, encode(hash, 'hex'), (extract(epoch FROM signed_at) * 1000000)::bigint, "
        "algorithm, encode(signature, 'hex'), public_key_pem FROM exchange.audit_checkpoints "
        "WHERE node_id = " +
            node + " ORDER BY seq",
        options_.fetch_rows);
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

  bool readCheckpoint(const pqxx::row& row, Checkpoint* cp) {
    cp->seq = row[0].as<int64_t>();
    cp->signed_at = row[2].as<int64_t>();
    cp->algorithm = row[3].as<std::string>();
    cp->public_key_pem = row[5].as<std::string>();
    return hexToBytes(row[1].as<std::string>(), &cp->hash) &&
           hexToBytes(row[4].as<std::string>(), &cp->signature);
  }

  // Signature of one checkpoint; nullopt when it verifies.
  std::optional<AuditProblem> checkSignature(const Checkpoint& cp) {
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
    Checkpoint cp;
    bool have_cp = false;
    auto advanceCp = [&]() -> std::optional<AuditProblem> {
      const pqxx::row* row = checkpoints.next();
      have_cp = row != nullptr;
      if (have_cp && !readCheckpoint(*row, &cp)) {
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
