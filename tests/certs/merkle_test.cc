// RFC 6962 Merkle tree: the reference vectors Certificate Transparency implementations test
// against (the 8-leaf tree of certificate-transparency's merkle_tree_test and
// transparency-dev/merkle's proof tests), a brute-force recomputation from the RFC's recursive
// definitions for every tree size up to 300, and tampered proofs.
#include "tongban/certs/merkle.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tongban::certs {
namespace {

std::string fromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

MerkleHash h(const std::string& hex) {
  Result<MerkleHash> parsed = parseHashHex(hex);
  EXPECT_TRUE(parsed.isOk()) << hex;
  return parsed.isOk() ? *parsed : MerkleHash{};
}

std::vector<MerkleHash> hs(const std::vector<std::string>& hexes) {
  std::vector<MerkleHash> out;
  for (const std::string& hex : hexes) out.push_back(h(hex));
  return out;
}

const std::vector<std::string> kLeafInputsHex = {"",
                                                 "00",
                                                 "10",
                                                 "2021",
                                                 "3031",
                                                 "40414243",
                                                 "5051525354555657",
                                                 "606162636465666768696a6b6c6d6e6f"};

// MTH of the first 1..8 leaves.
const std::vector<std::string> kRootsHex = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct InclusionVector {
  uint64_t index;  // 0-based
  uint64_t size;
  std::vector<std::string> proof;
};

const std::vector<InclusionVector> kInclusionVectors = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<std::string> proof;
};

const std::vector<ConsistencyVector> kConsistencyVectors = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

InMemoryMerkleTree referenceTree() {
  InMemoryMerkleTree tree;
  for (const std::string& hex : kLeafInputsHex) tree.append(fromHex(hex));
  return tree;
}

TEST(MerkleHashing, EmptyTreeAndLeafHashesMatchRfc6962) {
  EXPECT_EQ(toHex(emptyTreeHash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(hashLeaf("")), kRootsHex[0]);
  InMemoryMerkleTree empty;
  EXPECT_EQ(empty.root(), emptyTreeHash());
}

TEST(MerkleHashing, ParseHashHexRejectsBadInput) {
  EXPECT_FALSE(parseHashHex("abc").isOk());
  EXPECT_FALSE(parseHashHex(std::string(64, 'g')).isOk());
  Result<MerkleHash> upper =
      parseHashHex("6E340B9CFFB37A989CA544E6BB780A2C78901D3FB33738768511A30617AFA01D", "leaf_hash");
  ASSERT_TRUE(upper.isOk());
  EXPECT_EQ(toHex(*upper), kRootsHex[0]);
  EXPECT_EQ(parseHashHex("zz", "root").status().field(), "root");
}

TEST(MerkleReference, RootsForSizesOneToEight) {
  InMemoryMerkleTree tree = referenceTree();
  ASSERT_EQ(tree.size(), 8u);
  for (uint64_t size = 1; size <= 8; ++size) {
    Result<MerkleHash> root = treeRoot(tree, size);
    ASSERT_TRUE(root.isOk());
    EXPECT_EQ(toHex(*root), kRootsHex[size - 1]) << "size " << size;
  }
  EXPECT_EQ(toHex(tree.root()), kRootsHex[7]);
  EXPECT_FALSE(treeRoot(tree, 9).isOk());
}

TEST(MerkleReference, InclusionProofsMatchAndVerify) {
  InMemoryMerkleTree tree = referenceTree();
  for (const InclusionVector& v : kInclusionVectors) {
    Result<std::vector<MerkleHash>> proof = inclusionProof(tree, v.index, v.size);
    ASSERT_TRUE(proof.isOk()) << proof.status().toString();
    EXPECT_EQ(*proof, hs(v.proof)) << "leaf " << v.index << " of " << v.size;
    MerkleHash leaf = hashLeaf(fromHex(kLeafInputsHex[v.index]));
    EXPECT_TRUE(verifyInclusion(v.index, v.size, leaf, hs(v.proof), h(kRootsHex[v.size - 1])))
        << "leaf " << v.index << " of " << v.size;
  }
}

TEST(MerkleReference, ConsistencyProofsMatchAndVerify) {
  InMemoryMerkleTree tree = referenceTree();
  for (const ConsistencyVector& v : kConsistencyVectors) {
    Result<std::vector<MerkleHash>> proof = consistencyProof(tree, v.old_size, v.new_size);
    ASSERT_TRUE(proof.isOk()) << proof.status().toString();
    EXPECT_EQ(*proof, hs(v.proof)) << v.old_size << " -> " << v.new_size;
    EXPECT_TRUE(verifyConsistency(v.old_size, v.new_size, h(kRootsHex[v.old_size - 1]),
                                  h(kRootsHex[v.new_size - 1]), hs(v.proof)))
        << v.old_size << " -> " << v.new_size;
  }
}

TEST(MerkleReference, BadGenerationParametersAreRejected) {
  InMemoryMerkleTree tree = referenceTree();
  EXPECT_EQ(inclusionProof(tree, 0, 0).status().field(), "index");
  EXPECT_EQ(inclusionProof(tree, 8, 8).status().field(), "index");
  EXPECT_EQ(inclusionProof(tree, 0, 9).status().field(), "tree_size");
  EXPECT_EQ(consistencyProof(tree, 5, 4).status().field(), "old_size");
  EXPECT_EQ(consistencyProof(tree, 1, 9).status().field(), "tree_size");
  Result<std::vector<MerkleHash>> from_empty = consistencyProof(tree, 0, 8);
  ASSERT_TRUE(from_empty.isOk());
  EXPECT_TRUE(from_empty->empty());
}

std::vector<MerkleHash> with(std::vector<MerkleHash> proof, size_t position, MerkleHash extra) {
  proof.insert(proof.begin() + static_cast<long>(position), extra);
  return proof;
}

// The probes of transparency-dev/merkle's corruptInclusionProof: every one must fail.
TEST(MerkleTampering, InclusionProbesAreRejected) {
  const MerkleHash some_hash =
      h("abacaba000000000000000000000000000000000000000000060061e00123456");
  for (const InclusionVector& v : kInclusionVectors) {
    if (v.size == 1) continue;
    const std::vector<MerkleHash> proof = hs(v.proof);
    const MerkleHash root = h(kRootsHex[v.size - 1]);
    const MerkleHash leaf = hashLeaf(fromHex(kLeafInputsHex[v.index]));
    ASSERT_TRUE(verifyInclusion(v.index, v.size, leaf, proof, root));
    struct Probe {
      uint64_t index, size;
      MerkleHash leaf, root;
      std::vector<MerkleHash> proof;
      const char* what;
    };
    std::vector<Probe> probes = {
        {v.index - 1, v.size, leaf, root, proof, "index - 1"},
        {v.index + 1, v.size, leaf, root, proof, "index + 1"},
        {v.index ^ 2, v.size, leaf, root, proof, "index ^ 2"},
        {v.index, v.size * 2, leaf, root, proof, "size * 2"},
        {v.index, v.size / 2, leaf, root, proof, "size / 2"},
        {v.index, v.size, hashLeaf("WrongLeaf"), root, proof, "wrong leaf"},
        {v.index, v.size, leaf, emptyTreeHash(), proof, "empty root"},
        {v.index, v.size, leaf, some_hash, proof, "random root"},
        {v.index, v.size, leaf, root, with(proof, proof.size(), root), "trailing root"},
        {v.index, v.size, leaf, root, with(proof, 0, root), "preceding root"},
        {v.index, v.size, leaf, root, std::vector<MerkleHash>(proof.begin(), proof.end() - 1),
         "removed component"},
    };
    if (proof.size() > 1) {
      probes.push_back({v.index, v.size, leaf, root, with(proof, 1, some_hash), "inserted"});
    }
    for (size_t i = 0; i < proof.size(); ++i) {
      std::vector<MerkleHash> flipped = proof;
      flipped[i][0] ^= 8;
      probes.push_back({v.index, v.size, leaf, root, flipped, "flipped bit"});
    }
    for (const Probe& p : probes) {
      Status status = verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root);
      EXPECT_FALSE(status.isOk()) << p.what << " for leaf " << v.index << " of " << v.size;
      EXPECT_FALSE(status.message().empty());
    }
  }
}

// The probes of transparency-dev/merkle's corruptConsistencyProof.
TEST(MerkleTampering, ConsistencyProbesAreRejected) {
  for (const ConsistencyVector& v : kConsistencyVectors) {
    if (v.proof.empty()) continue;
    const std::vector<MerkleHash> proof = hs(v.proof);
    const MerkleHash root1 = h(kRootsHex[v.old_size - 1]);
    const MerkleHash root2 = h(kRootsHex[v.new_size - 1]);
    const MerkleHash wrong = hashLeaf("WrongRoot");
    struct Probe {
      uint64_t size1, size2;
      MerkleHash root1, root2;
      std::vector<MerkleHash> proof;
      const char* what;
    };
    std::vector<Probe> probes = {
        {v.old_size - 1, v.new_size, root1, root2, proof, "size1 - 1"},
        {v.old_size + 1, v.new_size, root1, root2, proof, "size1 + 1"},
        {v.old_size ^ 2, v.new_size, root1, root2, proof, "size1 ^ 2"},
        {v.old_size, v.new_size * 2, root1, root2, proof, "size2 * 2"},
        {v.old_size, v.new_size / 2, root1, root2, proof, "size2 / 2"},
        {v.old_size, v.new_size, wrong, root2, proof, "wrong root1"},
        {v.old_size, v.new_size, root1, wrong, proof, "wrong root2"},
        {v.old_size, v.new_size, root2, root1, proof, "swapped roots"},
        {v.old_size, v.new_size, root1, root2, {}, "empty proof"},
        {v.old_size, v.new_size, root1, root2, with(proof, proof.size(), root1), "trailing root1"},
        {v.old_size, v.new_size, root1, root2, with(proof, proof.size(), root2), "trailing root2"},
        {v.old_size, v.new_size, root1, root2, with(proof, 0, root1), "preceding root1"},
        {v.old_size, v.new_size, root1, root2, with(proof, 0, root2), "preceding root2"},
        {v.old_size, v.new_size, root1, root2, with(proof, 0, proof[0]), "preceding proof[0]"},
        {v.old_size, v.new_size, root1, root2,
         std::vector<MerkleHash>(proof.begin(), proof.end() - 1), "truncated"},
    };
    for (size_t i = 0; i < proof.size(); ++i) {
      std::vector<MerkleHash> flipped = proof;
      flipped[i][0] ^= 16;
      probes.push_back({v.old_size, v.new_size, root1, root2, flipped, "flipped bit"});
    }
    for (const Probe& p : probes) {
      EXPECT_FALSE(verifyConsistency(p.size1, p.size2, p.root1, p.root2, p.proof).isOk())
          << p.what << " for " << v.old_size << " -> " << v.new_size;
    }
  }
}

TEST(MerkleTampering, DegenerateConsistencyCases) {
  const MerkleHash a = hashLeaf("a");
  const MerkleHash b = hashLeaf("b");
  EXPECT_TRUE(verifyConsistency(0, 0, a, a, {}));
  EXPECT_TRUE(verifyConsistency(0, 5, a, b, {}));  // the empty tree is a prefix of every tree
  EXPECT_TRUE(verifyConsistency(3, 3, b, b, {}));
  EXPECT_FALSE(verifyConsistency(3, 3, a, b, {}));
  EXPECT_FALSE(verifyConsistency(3, 3, a, a, {a}));
  EXPECT_FALSE(verifyConsistency(0, 5, a, b, {a}));
  EXPECT_EQ(verifyConsistency(2, 1, a, b, {}).field(), "old_size");
  EXPECT_FALSE(verifyConsistency(1, 2, a, b, {}));
  EXPECT_FALSE(verifyInclusion(0, 0, a, {}, a));
  EXPECT_FALSE(verifyInclusion(2, 1, a, {}, a));
  EXPECT_TRUE(verifyInclusion(0, 1, a, {}, a));
  EXPECT_FALSE(verifyInclusion(0, 1, a, {}, b));
}

// The RFC 6962 definitions, written as literally as possible over a vector of leaf hashes, with
// MTH memoised by range (MTH(D[b:e]) depends only on the leaves in the range).
class RfcReference {
 public:
  explicit RfcReference(std::vector<MerkleHash> leaves) : leaves_(std::move(leaves)) {}

  MerkleHash mth(uint64_t begin, uint64_t end) {
    uint64_t n = end - begin;
    if (n == 0) return emptyTreeHash();
    if (n == 1) return leaves_[begin];
    auto key = std::make_pair(begin, end);
    auto found = memo_.find(key);
    if (found != memo_.end()) return found->second;
    uint64_t k = largestPowerOfTwoBelow(n);
    MerkleHash value = hashChildren(mth(begin, begin + k), mth(begin + k, end));
    memo_.emplace(key, value);
    return value;
  }

  // PATH(m, D[begin:end]).
  std::vector<MerkleHash> path(uint64_t m, uint64_t begin, uint64_t end) {
    uint64_t n = end - begin;
    if (n == 1) return {};
    uint64_t k = largestPowerOfTwoBelow(n);
    std::vector<MerkleHash> out;
    if (m < k) {
      out = path(m, begin, begin + k);
      out.push_back(mth(begin + k, end));
    } else {
      out = path(m - k, begin + k, end);
      out.push_back(mth(begin, begin + k));
    }
    return out;
  }

  // SUBPROOF(m, D[begin:end], b).
  std::vector<MerkleHash> subproof(uint64_t m, uint64_t begin, uint64_t end, bool b) {
    uint64_t n = end - begin;
    if (m == n) {
      if (b) return {};
      return {mth(begin, end)};
    }
    uint64_t k = largestPowerOfTwoBelow(n);
    std::vector<MerkleHash> out;
    if (m <= k) {
      out = subproof(m, begin, begin + k, b);
      out.push_back(mth(begin + k, end));
    } else {
      out = subproof(m - k, begin + k, end, false);
      out.push_back(mth(begin, begin + k));
    }
    return out;
  }

 private:
  static uint64_t largestPowerOfTwoBelow(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  std::vector<MerkleHash> leaves_;
  std::map<std::pair<uint64_t, uint64_t>, MerkleHash> memo_;
};

// A source that offers only leaf hashes, so every subtree is recomputed by the default
// MerkleHashSource::perfectSubtreeHash (what a store without interior nodes would do).
class LeafOnlySource final : public MerkleHashSource {
 public:
  explicit LeafOnlySource(std::vector<MerkleHash> leaves) : leaves_(std::move(leaves)) {}
  uint64_t size() const override { return leaves_.size(); }
  Result<MerkleHash> leafHash(uint64_t index) const override {
    if (index >= leaves_.size()) return Status::notFound("no leaf");
    return leaves_[index];
  }

 private:
  std::vector<MerkleHash> leaves_;
};

constexpr uint64_t kMaxInclusionSize = 300;
constexpr uint64_t kMaxConsistencySize = 100;

std::vector<MerkleHash> bruteForceLeaves(uint64_t count) {
  std::vector<MerkleHash> leaves;
  for (uint64_t i = 0; i < count; ++i) leaves.push_back(hashLeaf("leaf " + std::to_string(i)));
  return leaves;
}

TEST(MerkleBruteForce, EveryRootAndInclusionProofUpTo300Leaves) {
  std::vector<MerkleHash> leaves = bruteForceLeaves(kMaxInclusionSize);
  RfcReference reference(leaves);
  InMemoryMerkleTree tree;
  for (const MerkleHash& leaf : leaves) tree.appendLeafHash(leaf);
  for (uint64_t size = 1; size <= kMaxInclusionSize; ++size) {
    const MerkleHash root = reference.mth(0, size);
    Result<MerkleHash> computed = treeRoot(tree, size);
    ASSERT_TRUE(computed.isOk());
    ASSERT_EQ(*computed, root) << "size " << size;
    for (uint64_t index = 0; index < size; ++index) {
      Result<std::vector<MerkleHash>> proof = inclusionProof(tree, index, size);
      ASSERT_TRUE(proof.isOk()) << proof.status().toString();
      ASSERT_EQ(*proof, reference.path(index, 0, size)) << "leaf " << index << " of " << size;
      ASSERT_TRUE(verifyInclusion(index, size, leaves[index], *proof, root))
          << "leaf " << index << " of " << size;
      // Cheap tampering on every proof: another leaf's hash, and a flipped bit at the top.
      if (size > 1) {
        ASSERT_FALSE(verifyInclusion(index, size, leaves[(index + 1) % size], *proof, root).isOk());
      }
      if (!proof->empty()) {
        std::vector<MerkleHash> flipped = *proof;
        flipped.back()[31] ^= 1;
        ASSERT_FALSE(verifyInclusion(index, size, leaves[index], flipped, root).isOk());
      }
    }
  }
}

TEST(MerkleBruteForce, EveryConsistencyProofUpTo100Leaves) {
  std::vector<MerkleHash> leaves = bruteForceLeaves(kMaxConsistencySize);
  RfcReference reference(leaves);
  InMemoryMerkleTree tree;
  for (const MerkleHash& leaf : leaves) tree.appendLeafHash(leaf);
  for (uint64_t new_size = 1; new_size <= kMaxConsistencySize; ++new_size) {
    const MerkleHash new_root = reference.mth(0, new_size);
    for (uint64_t old_size = 0; old_size <= new_size; ++old_size) {
      const MerkleHash old_root = reference.mth(0, old_size);
      Result<std::vector<MerkleHash>> proof = consistencyProof(tree, old_size, new_size);
      ASSERT_TRUE(proof.isOk()) << proof.status().toString();
      if (old_size > 0) {
        ASSERT_EQ(*proof, reference.subproof(old_size, 0, new_size, true))
            << old_size << " -> " << new_size;
      }
      ASSERT_TRUE(verifyConsistency(old_size, new_size, old_root, new_root, *proof))
          << old_size << " -> " << new_size;
      if (!proof->empty()) {
        for (size_t i = 0; i < proof->size(); ++i) {
          std::vector<MerkleHash> flipped = *proof;
          flipped[i][7] ^= 0x40;
          ASSERT_FALSE(verifyConsistency(old_size, new_size, old_root, new_root, flipped).isOk())
              << old_size << " -> " << new_size << " flipped " << i;
        }
        ASSERT_FALSE(verifyConsistency(old_size, new_size, new_root, old_root, *proof).isOk());
      }
    }
  }
}

TEST(MerkleBruteForce, LeafOnlySourceGivesTheSameAnswers) {
  std::vector<MerkleHash> leaves = bruteForceLeaves(70);
  LeafOnlySource source(leaves);
  InMemoryMerkleTree tree;
  for (const MerkleHash& leaf : leaves) tree.appendLeafHash(leaf);
  for (uint64_t size = 1; size <= leaves.size(); ++size) {
    ASSERT_EQ(*treeRoot(source, size), *treeRoot(tree, size));
    for (uint64_t index = 0; index < size; index += 7) {
      ASSERT_EQ(*inclusionProof(source, index, size), *inclusionProof(tree, index, size));
    }
    for (uint64_t old_size = 1; old_size <= size; old_size += 5) {
      ASSERT_EQ(*consistencyProof(source, old_size, size), *consistencyProof(tree, old_size, size));
    }
  }
}

// A store failure is passed on, not turned into a wrong answer.
TEST(MerkleBruteForce, SourceFailuresPropagate) {
  class FailingSource final : public MerkleHashSource {
   public:
    uint64_t size() const override { return 10; }
    Result<MerkleHash> leafHash(uint64_t) const override {
      return Status::unavailable("database down");
    }
  };
  FailingSource source;
  EXPECT_EQ(treeRoot(source, 10).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(inclusionProof(source, 3, 10).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(consistencyProof(source, 3, 10).status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tongban::certs
