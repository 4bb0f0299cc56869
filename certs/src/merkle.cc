// RFC 6962 Merkle tree hashing, proof generation over a MerkleHashSource, and RFC 9162 proof
// verification.
#include "tongban/certs/merkle.h"

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"

#include <string>

namespace tongban::certs {
namespace {

MerkleHash digest(const unsigned char* data, size_t length) {
  MerkleHash out{};
  sha256Into({reinterpret_cast<const char*>(data), length}, out.data());
  return out;
}

// Largest power of two strictly less than n (n >= 2).
uint64_t splitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

bool isPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

unsigned log2Exact(uint64_t n) {
  unsigned level = 0;
  while ((uint64_t{1} << level) < n) ++level;
  return level;
}

// MTH(D[begin:end]). Every range the RFC recursion produces has `begin` aligned to a power of two
// at least end - begin, so a power-of-two-long range is one perfect subtree.
Result<MerkleHash> rangeHash(const MerkleHashSource& source, uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  if (isPowerOfTwo(n)) {
    unsigned level = log2Exact(n);
    return source.perfectSubtreeHash(level, begin >> level);
  }
  uint64_t k = splitPoint(n);
  Result<MerkleHash> left = rangeHash(source, begin, begin + k);
  if (!left) return left;
  Result<MerkleHash> right = rangeHash(source, begin + k, end);
  if (!right) return right;
  return hashChildren(*left, *right);
}

Status checkSize(const MerkleHashSource& source, uint64_t tree_size) {
  if (tree_size > source.size()) {
    return Status::invalid("tree_size", "tree size " + std::to_string(tree_size) +
                                            " is larger than the log (" +
                                            std::to_string(source.size()) + ")");
  }
  return Status::ok();
}

std::string sizes(uint64_t a, uint64_t b) { return std::to_string(a) + "/" + std::to_string(b); }

}  // namespace

MerkleHash hashLeaf(std::string_view leaf_data) {
  std::string buffer;
  buffer.reserve(leaf_data.size() + 1);
  buffer.push_back('\x00');
  buffer.append(leaf_data);
  return digest(reinterpret_cast<const unsigned char*>(buffer.data()), buffer.size());
}

MerkleHash hashChildren(const MerkleHash& left, const MerkleHash& right) {
  unsigned char buffer[65];
  buffer[0] = 0x01;
  std::copy(left.begin(), left.end(), buffer + 1);
  std::copy(right.begin(), right.end(), buffer + 33);
  return digest(buffer, sizeof(buffer));
}

MerkleHash emptyTreeHash() { return digest(nullptr, 0); }

std::string toHex(const MerkleHash& hash) {
  return hexEncode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

Result<MerkleHash> parseHashHex(std::string_view hex, const std::string& field) {
  if (hex.size() != 64) {
    return Status::invalid(
        field, "hash must be 64 hex digits, got " + std::to_string(hex.size()) + " characters");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  MerkleHash out{};
  for (size_t i = 0; i < 32; ++i) {
    int high = nibble(hex[2 * i]);
    int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return Status::invalid(field, "hash holds a non-hex character");
    out[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return out;
}

Result<MerkleHash> MerkleHashSource::perfectSubtreeHash(unsigned level, uint64_t index) const {
  if (level == 0) return leafHash(index);
  Result<MerkleHash> left = perfectSubtreeHash(level - 1, index * 2);
  if (!left) return left;
  Result<MerkleHash> right = perfectSubtreeHash(level - 1, index * 2 + 1);
  if (!right) return right;
  return hashChildren(*left, *right);
}

Result<MerkleHash> treeRoot(const MerkleHashSource& source, uint64_t tree_size) {
  if (Status status = checkSize(source, tree_size); !status) return status;
  if (tree_size == 0) return emptyTreeHash();
  return rangeHash(source, 0, tree_size);
}

Result<std::vector<MerkleHash>> inclusionProof(const MerkleHashSource& source, uint64_t index,
                                               uint64_t tree_size) {
  if (Status status = checkSize(source, tree_size); !status) return status;
  if (index >= tree_size) {
    return Status::invalid("index", "leaf index " + std::to_string(index) +
                                        " is outside a tree of size " + std::to_string(tree_size));
  }
  // Walk down from the root; each step records the sibling subtree. Siblings are collected root
  // first and reversed at the end, giving the RFC's nearest-sibling-first order.
  std::vector<MerkleHash> path;
  uint64_t begin = 0;
  uint64_t end = tree_size;
  while (end - begin > 1) {
    uint64_t k = splitPoint(end - begin);
    Result<MerkleHash> sibling = Status::internal("unset");
    if (index < begin + k) {
      sibling = rangeHash(source, begin + k, end);
      end = begin + k;
    } else {
      sibling = rangeHash(source, begin, begin + k);
      begin = begin + k;
    }
    if (!sibling) return sibling.status();
    path.push_back(*sibling);
  }
  return std::vector<MerkleHash>(path.rbegin(), path.rend());
}

Result<std::vector<MerkleHash>> consistencyProof(const MerkleHashSource& source, uint64_t old_size,
                                                 uint64_t new_size) {
  if (Status status = checkSize(source, new_size); !status) return status;
  if (old_size > new_size) {
    return Status::invalid("old_size", "old size " + std::to_string(old_size) +
                                           " is larger than new size " + std::to_string(new_size));
  }
  std::vector<MerkleHash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  // SUBPROOF(m, D[begin:end], complete) of RFC 6962 §2.1.2, unrolled; collected top-down and
  // reversed at the end like the inclusion path.
  uint64_t m = old_size;
  uint64_t begin = 0;
  uint64_t end = new_size;
  bool complete = true;  // the RFC's b: is D[begin:begin+m] a subtree of the old tree's root?
  while (m != end - begin) {
    uint64_t n = end - begin;
    uint64_t k = splitPoint(n);
    Result<MerkleHash> node = Status::internal("unset");
    if (m <= k) {
      node = rangeHash(source, begin + k, end);
      end = begin + k;
    } else {
      node = rangeHash(source, begin, begin + k);
      begin += k;
      m -= k;
      complete = false;
    }
    if (!node) return node.status();
    proof.push_back(*node);
  }
  if (!complete) {
    Result<MerkleHash> node = rangeHash(source, begin, end);
    if (!node) return node.status();
    proof.push_back(*node);
  }
  return std::vector<MerkleHash>(proof.rbegin(), proof.rend());
}

Result<MerkleHash> rootFromInclusionProof(uint64_t index, uint64_t tree_size,
                                          const MerkleHash& leaf_hash,
                                          const std::vector<MerkleHash>& proof) {
  if (index >= tree_size) {
    return Status::invalid("index", "leaf index " + std::to_string(index) +
                                        " is outside a tree of size " + std::to_string(tree_size));
  }
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  MerkleHash r = leaf_hash;
  for (const MerkleHash& p : proof) {
    if (sn == 0) {
      return Status::invalid("proof", "inclusion proof is longer than a path in a tree of size " +
                                          std::to_string(tree_size));
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = hashChildren(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Status::invalid("proof",
                           "inclusion proof is too short for leaf " + sizes(index, tree_size));
  }
  return r;
}

Status verifyInclusion(uint64_t index, uint64_t tree_size, const MerkleHash& leaf_hash,
                       const std::vector<MerkleHash>& proof, const MerkleHash& root) {
  Result<MerkleHash> computed = rootFromInclusionProof(index, tree_size, leaf_hash, proof);
  if (!computed) return computed.status();
  if (*computed != root) {
    return Status::invalid("proof", "inclusion proof for leaf " + sizes(index, tree_size) +
                                        " leads to root " + toHex(*computed) + ", not " +
                                        toHex(root));
  }
  return Status::ok();
}

Status verifyConsistency(uint64_t old_size, uint64_t new_size, const MerkleHash& old_root,
                         const MerkleHash& new_root, const std::vector<MerkleHash>& proof) {
  if (old_size > new_size) {
    return Status::invalid("old_size", "old size " + std::to_string(old_size) +
                                           " is larger than new size " + std::to_string(new_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) return Status::invalid("proof", "proof between equal sizes must be empty");
    if (old_root != new_root) {
      return Status::invalid("proof",
                             "roots differ for the same tree size " + std::to_string(old_size));
    }
    return Status::ok();
  }
  if (old_size == 0) {
    if (!proof.empty()) return Status::invalid("proof", "proof from the empty tree must be empty");
    return Status::ok();
  }
  // RFC 9162 §2.1.4.2, 0 < old_size < new_size.
  if (proof.empty()) return Status::invalid("proof", "consistency proof is empty");
  std::vector<MerkleHash> path;
  path.reserve(proof.size() + 1);
  if (isPowerOfTwo(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  MerkleHash fr = path[0];
  MerkleHash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const MerkleHash& c = path[i];
    if (sn == 0) {
      return Status::invalid("proof",
                             "consistency proof " + sizes(old_size, new_size) + " is too long");
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Status::invalid("proof",
                           "consistency proof " + sizes(old_size, new_size) + " is too short");
  }
  if (fr != old_root) {
    return Status::invalid("proof", "consistency proof " + sizes(old_size, new_size) +
                                        " does not lead to the old root");
  }
  if (sr != new_root) {
    return Status::invalid("proof", "consistency proof " + sizes(old_size, new_size) +
                                        " does not lead to the new root");
  }
  return Status::ok();
}

uint64_t InMemoryMerkleTree::append(std::string_view leaf_data) {
  return appendLeafHash(hashLeaf(leaf_data));
}

uint64_t InMemoryMerkleTree::appendLeafHash(const MerkleHash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  uint64_t index = levels_[0].size();
  levels_[0].push_back(leaf_hash);
  // Complete every subtree this leaf closes: while the level's count is even, hash the last pair.
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    if (level + 1 == levels_.size()) levels_.emplace_back();
    const std::vector<MerkleHash>& row = levels_[level];
    MerkleHash parent = hashChildren(row[row.size() - 2], row[row.size() - 1]);
    levels_[level + 1].push_back(parent);
  }
  return index;
}

uint64_t InMemoryMerkleTree::size() const { return levels_.empty() ? 0 : levels_[0].size(); }

MerkleHash InMemoryMerkleTree::root() const {
  Result<MerkleHash> root = treeRoot(*this, size());
  return *root;  // cannot fail: every hash is in memory
}

Result<MerkleHash> InMemoryMerkleTree::leafHash(uint64_t index) const {
  if (index >= size()) return Status::notFound("no leaf " + std::to_string(index));
  return levels_[0][index];
}

Result<MerkleHash> InMemoryMerkleTree::perfectSubtreeHash(unsigned level, uint64_t index) const {
  if (level >= levels_.size() || index >= levels_[level].size()) {
    return Status::notFound("no complete subtree at level " + std::to_string(level) + " index " +
                            std::to_string(index));
  }
  return levels_[level][index];
}

}  // namespace tongban::certs
