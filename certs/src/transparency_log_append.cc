// The write side of the transparency log: see transparency_log_append.h.
#include "transparency_log_append.h"

#include <stdexcept>
#include <string>

#include "certs_internal.h"
#include "tongban/common/encoding.h"
#include "tongban/common/pg_copy.h"

namespace tongban::certs::internal {

namespace {

// The log lock: reserves n indexes and returns the first.
constexpr const char* kReserve = "UPDATE certs.log_state SET size = size + $1 RETURNING size - $1";

// The complete subtrees that make up a log: the leaf (level 0) and the nodes asked for.
constexpr const char* kFrontier =
    "SELECT 0, leaf_index, leaf_hash FROM certs.log_leaves WHERE leaf_index = $1 "
    "UNION ALL SELECT u.level, u.idx, n.hash FROM unnest($2::smallint[], $3::bigint[]) "
    "AS u(level, idx) CROSS JOIN LATERAL (SELECT hash FROM certs.log_nodes n "
    "WHERE n.level = u.level AND n.idx = u.idx LIMIT 1) AS n";

// Leaves $1, $1 + 1, ... and the complete subtrees they close, in one statement.
constexpr const char* kWrite =
    "WITH leaves AS (INSERT INTO certs.log_leaves (leaf_index, leaf_hash, leaf_data) "
    "SELECT $1::bigint + o - 1, decode(h, 'hex'), decode(d, 'hex') "
    "FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS l(h, d, o)) "
    "INSERT INTO certs.log_nodes (level, idx, hash) SELECT n.level, n.idx, decode(n.hash, 'hex') "
    "FROM unnest($4::smallint[], $5::bigint[], $6::text[]) AS n(level, idx, hash)";

// Reads the complete subtrees that make up the log of `size` leaves, as `tx` sees it (under the
// log lock). Missing rows (none are expected) are recomputed from the leaves.
std::vector<MerkleHash> readFrontier(pqxx::transaction_base& tx, uint64_t size) {
  std::vector<MerkleHash> frontier(64);
  std::vector<bool> found(64, false);
  std::string levels = "{", idxs = "{";
  int64_t leaf = -1;
  for (unsigned level = 0; level < 64; ++level) {
    if (!((size >> level) & 1)) continue;
    const uint64_t idx = (size >> level) - 1;
    if (level == 0) {
      leaf = static_cast<int64_t>(idx);
    } else {
      db::appendArrayElement(levels, std::to_string(level));
      db::appendArrayElement(idxs, std::to_string(idx));
    }
  }
  levels += "}";
  idxs += "}";
  for (const auto& row : tx.exec_prepared("log_frontier", leaf, levels, idxs)) {
    const unsigned level = row[0].as<unsigned>();
    frontier[level] = toMerkleHash(fromBytea(row[2]));
    found[level] = true;
  }
  PgMerkleSource source(tx, size);
  for (unsigned level = 0; level < 64; ++level) {
    if (!((size >> level) & 1) || found[level]) continue;
    Result<MerkleHash> h = source.perfectSubtreeHash(level, (size >> level) - 1);
    if (!h) throw std::runtime_error("transparency log frontier: " + h.status().toString());
    frontier[level] = *h;
  }
  return frontier;
}

}  // namespace

uint64_t appendLeaf(pqxx::transaction_base& tx, std::string_view leaf_data) {
  const pqxx::row state = tx.exec1("UPDATE certs.log_state SET size = size + 1 RETURNING size - 1");
  const uint64_t index = state[0].as<uint64_t>();
  MerkleHash hash = hashLeaf(leaf_data);
  tx.exec_params(
      "INSERT INTO certs.log_leaves (leaf_index, leaf_hash, leaf_data) VALUES ($1, $2, $3)", index,
      toBytea(hashBytes(hash)), toBytea(leaf_data));
  // Leaf `index` closes the complete subtrees whose last leaf it is: one per trailing 1 bit.
  uint64_t position = index;
  unsigned level = 0;
  while (position & 1) {
    const pqxx::row sibling =
        level == 0
            ? tx.exec_params1("SELECT leaf_hash FROM certs.log_leaves WHERE leaf_index = $1",
                              position - 1)
            : tx.exec_params1("SELECT hash FROM certs.log_nodes WHERE level = $1 AND idx = $2",
                              level, position - 1);
    hash = hashChildren(toMerkleHash(fromBytea(sibling[0])), hash);
    position >>= 1;
    ++level;
    tx.exec_params("INSERT INTO certs.log_nodes (level, idx, hash) VALUES ($1, $2, $3)", level,
                   position, toBytea(hashBytes(hash)));
  }
  return index;
}

void LogBatchAppender::prepare(pqxx::connection& conn) {
  conn.prepare("log_reserve", kReserve);
  conn.prepare("log_frontier", kFrontier);
  conn.prepare("log_write", kWrite);
  known_ = false;
}

uint64_t LogBatchAppender::append(pqxx::transaction_base& tx, const std::vector<Leaf>& leaves) {
  const uint64_t start =
      tx.exec_prepared1("log_reserve", static_cast<int64_t>(leaves.size()))[0].as<uint64_t>();
  std::vector<MerkleHash> frontier = known_ && size_ == start ? frontier_ : readFrontier(tx, start);
  std::string hashes = "{", data = "{", node_levels = "{", node_idxs = "{", node_hashes = "{";
  uint64_t size = start;
  for (const Leaf& leaf : leaves) {
    db::appendArrayElement(hashes, toHex(leaf.hash));
    db::appendArrayElement(data, leaf.hex);
    // Leaf `size` closes one complete subtree per trailing 1 bit of its index.
    MerkleHash hash = leaf.hash;
    uint64_t position = size;
    unsigned level = 0;
    while (position & 1) {
      hash = hashChildren(frontier[level], hash);
      position >>= 1;
      ++level;
      db::appendArrayElement(node_levels, std::to_string(level));
      db::appendArrayElement(node_idxs, std::to_string(position));
      db::appendArrayElement(node_hashes, toHex(hash));
    }
    frontier[level] = hash;
    ++size;
  }
  hashes += "}";
  data += "}";
  node_levels += "}";
  node_idxs += "}";
  node_hashes += "}";
  tx.exec_prepared("log_write", static_cast<int64_t>(start), hashes, data, node_levels, node_idxs,
                   node_hashes);
  pending_ = std::move(frontier);
  pending_size_ = size;
  return start;
}

void LogBatchAppender::committed() {
  frontier_ = std::move(pending_);
  size_ = pending_size_;
  known_ = true;
}

Result<MerkleHash> PgMerkleSource::leafHash(uint64_t index) const {
  if (index >= size_) return Status::invalid("index", "beyond the tree");
  pqxx::result r =
      tx_.exec_params("SELECT leaf_hash FROM certs.log_leaves WHERE leaf_index = $1", index);
  if (r.empty()) return Status::notFound("log leaf " + std::to_string(index) + " is missing");
  return toMerkleHash(fromBytea(r[0][0]));
}

Result<MerkleHash> PgMerkleSource::perfectSubtreeHash(unsigned level, uint64_t index) const {
  if (level == 0) return leafHash(index);
  pqxx::result r = tx_.exec_params("SELECT hash FROM certs.log_nodes WHERE level = $1 AND idx = $2",
                                   level, index);
  if (r.empty()) return MerkleHashSource::perfectSubtreeHash(level, index);  // recompute
  return toMerkleHash(fromBytea(r[0][0]));
}

}  // namespace tongban::certs::internal
