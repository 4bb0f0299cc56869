// RFC 6962 / RFC 9162 Merkle tree: hashes, tree heads, inclusion and consistency proofs.
//
// The transparency log (透明日志) of issuances and status events is this tree. Leaf hash =
// SHA-256(0x00 || leaf), interior node = SHA-256(0x01 || left || right), MTH of the empty tree =
// SHA-256(""). Proof generation reads hashes through MerkleHashSource, so the same algorithms run
// over the in-memory tree below and over a PostgreSQL table of leaf and subtree hashes.
// Verification needs only the proof, the sizes and the roots, and follows RFC 9162 §2.1.3.2 and
// §2.1.4.2 exactly, so any CT-compatible auditor computes the same answers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/common/result.h"

namespace tongban::certs {

using MerkleHash = std::array<uint8_t, 32>;

MerkleHash hashLeaf(std::string_view leaf_data);
MerkleHash hashChildren(const MerkleHash& left, const MerkleHash& right);
MerkleHash emptyTreeHash();  // SHA-256 of nothing

std::string toHex(const MerkleHash& hash);
// Exactly 64 hex digits (either case); InvalidArgument naming `field` otherwise.
Result<MerkleHash> parseHashHex(std::string_view hex, const std::string& field = "hash");

// Read access to the hashes of a log. Implementations: InMemoryMerkleTree, and later a PostgreSQL
// store. Methods may fail (Unavailable, NotFound) and the failure is passed on unchanged.
class MerkleHashSource {
 public:
  virtual ~MerkleHashSource() = default;

  // Number of leaves currently in the log.
  virtual uint64_t size() const = 0;

  // Leaf hash of leaf `index` (< size()).
  virtual Result<MerkleHash> leafHash(uint64_t index) const = 0;

  // MTH of the complete subtree of 2^level leaves starting at leaf index << level; the caller
  // guarantees (index + 1) << level <= size(). The default recomputes it from leafHash (2^level
  // reads); stores that keep interior nodes override it.
  virtual Result<MerkleHash> perfectSubtreeHash(unsigned level, uint64_t index) const;
};

// MTH(D[0:tree_size]) of the first `tree_size` leaves. InvalidArgument when tree_size > size().
Result<MerkleHash> treeRoot(const MerkleHashSource& source, uint64_t tree_size);

// PATH(index, D[0:tree_size]) of RFC 6962 §2.1.1, nearest sibling first. InvalidArgument when
// index >= tree_size or tree_size > size().
Result<std::vector<MerkleHash>> inclusionProof(const MerkleHashSource& source, uint64_t index,
                                               uint64_t tree_size);

// PROOF(old_size, D[0:new_size]) of RFC 6962 §2.1.2. Empty when old_size is 0 or equals
// new_size. InvalidArgument when old_size > new_size or new_size > size().
Result<std::vector<MerkleHash>> consistencyProof(const MerkleHashSource& source, uint64_t old_size,
                                                 uint64_t new_size);

// The root that `proof` implies for `leaf_hash` at `index` in a tree of `tree_size` (RFC 9162
// §2.1.3.2). InvalidArgument (field "proof") when the proof has the wrong length for the
// position.
Result<MerkleHash> rootFromInclusionProof(uint64_t index, uint64_t tree_size,
                                          const MerkleHash& leaf_hash,
                                          const std::vector<MerkleHash>& proof);

// OK when `proof` proves `leaf_hash` is leaf `index` of the tree of `tree_size` with `root`;
// otherwise InvalidArgument (field "proof", or "index" for an impossible position) saying why.
Status verifyInclusion(uint64_t index, uint64_t tree_size, const MerkleHash& leaf_hash,
                       const std::vector<MerkleHash>& proof, const MerkleHash& root);

// OK when `proof` proves the tree (old_size, old_root) is a prefix of (new_size, new_root)
// (RFC 9162 §2.1.4.2; equal sizes need equal roots and an empty proof; old_size 0 needs an empty
// proof). Otherwise InvalidArgument (field "proof" or "old_size") saying why.
Status verifyConsistency(uint64_t old_size, uint64_t new_size, const MerkleHash& old_root,
                         const MerkleHash& new_root, const std::vector<MerkleHash>& proof);

// An append-only tree held in memory, keeping every complete subtree's hash so that every
// perfectSubtreeHash is one lookup. Not thread-safe: guard it if several threads append.
class InMemoryMerkleTree final : public MerkleHashSource {
 public:
  // Appends a leaf (hashing it) and returns its index.
  uint64_t append(std::string_view leaf_data);
  // Appends an already-hashed leaf and returns its index.
  uint64_t appendLeafHash(const MerkleHash& leaf_hash);

  // Root of the whole tree (the empty-tree hash when there are no leaves).
  MerkleHash root() const;

  // MerkleHashSource
  uint64_t size() const override;
  Result<MerkleHash> leafHash(uint64_t index) const override;
  Result<MerkleHash> perfectSubtreeHash(unsigned level, uint64_t index) const override;

 private:
  // levels_[l][i] = MTH of leaves [i << l, (i + 1) << l); levels_[0] are the leaf hashes.
  std::vector<std::vector<MerkleHash>> levels_;
};

}  // namespace tongban::certs
