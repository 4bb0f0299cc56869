// The write side of the PostgreSQL transparency log (the read side is TransparencyLog,
// transparency_log.h): every leaf of the log — certificate events, seal events, whole batches of
// issuances — is appended here, and nowhere else. Nobody outside certs/src includes this.
//
// The log is certs.log_leaves (leaf hash and bytes per index), certs.log_nodes (the hash of every
// complete subtree, stored when its last leaf arrives) and certs.log_state (the size; its row is
// the log lock: appenders serialise on it, so indexes are gap-free and a change-feed row written
// after the append is in commit order; 0006_certs.sql).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/certs/merkle.h"
#include "tongban/common/result.h"

namespace tongban::certs::internal {

// Appends a leaf inside `tx` and returns its index. Takes the log lock, held until `tx` ends.
// Stores the complete subtrees the new leaf closes. Throws pqxx exceptions on database errors.
uint64_t appendLeaf(pqxx::transaction_base& tx, std::string_view leaf_data);

// Appends the leaves of a batch in two statements (the group commit, issuance_sequencer.h). Keeps
// the log's frontier (the complete subtrees on its right edge) in memory between batches, and
// re-reads it from certs.log_nodes only when another writer appended meanwhile. One per
// connection; not thread-safe.
class LogBatchAppender {
 public:
  struct Leaf {
    MerkleHash hash;       // hashLeaf(bytes)
    std::string_view hex;  // the leaf's bytes, hex-encoded
  };

  // Prepares the statements on `conn` (again after every reconnect) and forgets the frontier.
  void prepare(pqxx::connection& conn);
  // Inside `tx`: takes the log lock (held until `tx` ends), gives the leaves the next indexes in
  // order, writes them and the complete subtrees they close. Returns the index of the first.
  uint64_t append(pqxx::transaction_base& tx, const std::vector<Leaf>& leaves);
  // `tx` committed: the frontier the last append computed is the log's.
  void committed();
  // `tx` failed: the database is the truth; the next append re-reads the frontier.
  void forget() { known_ = false; }

 private:
  bool known_ = false;
  uint64_t size_ = 0;                 // the log size frontier_ describes
  std::vector<MerkleHash> frontier_;  // [level]: the complete subtree for bit `level` of size_
  uint64_t pending_size_ = 0;         // after the last append, before its COMMIT
  std::vector<MerkleHash> pending_;
};

// MerkleHashSource over the log tables as seen by `tx`, limited to `size` leaves.
class PgMerkleSource final : public MerkleHashSource {
 public:
  PgMerkleSource(pqxx::transaction_base& tx, uint64_t size) : tx_(tx), size_(size) {}
  uint64_t size() const override { return size_; }
  Result<MerkleHash> leafHash(uint64_t index) const override;
  Result<MerkleHash> perfectSubtreeHash(unsigned level, uint64_t index) const override;

 private:
  pqxx::transaction_base& tx_;
  const uint64_t size_;
};

}  // namespace tongban::certs::internal
