// The transparency log (透明日志) in PostgreSQL: an RFC 6962 Merkle tree over every certificate
// issuance and status event and every seal event, with signed tree heads and proofs.
//
// Leaves are appended by the registries inside their own transactions (no certificate without
// its leaf); this class serves the read side: signed tree heads (STH), inclusion proofs and
// consistency proofs, all computed through MerkleHashSource over certs.log_leaves and the stored
// complete subtrees in certs.log_nodes, so they agree with InMemoryMerkleTree bit for bit.
//
// Tree head signature: the hub's log signer signs the RFC 6962 §3.5 TreeHeadSignature structure
//   version (1 byte, 0) || signature_type (1 byte, 1 = tree_hash) || timestamp (8 bytes, ms since
//   the epoch, big-endian) || tree_size (8 bytes, big-endian) || root hash (32 bytes)
// (treeHeadSignedBytes). Thread-safe; every method uses its own pooled connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tongban/certs/merkle.h"
#include "tongban/certs/signer.h"
#include "tongban/certs/verification.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::certs {

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct SignedTreeHead {
  uint64_t tree_size = 0;
  int64_t timestamp_ms = 0;
  MerkleHash root_hash{};
  std::string signature;  // DER
  SignatureAlgorithm algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  std::string signer_certificate;  // PEM of the log key's certificate
};

// The 50 bytes that are signed (RFC 6962 §3.5).
std::string treeHeadSignedBytes(uint64_t tree_size, int64_t timestamp_ms, const MerkleHash& root);

// Checks the STH's signature with its signer certificate (the certificate's chain is the
// caller's business: verifyChain).
Verification verifyTreeHeadSignature(const SignedTreeHead& sth);

struct LogEntry {
  uint64_t index = 0;
  MerkleHash leaf_hash{};
  std::string leaf_data;  // canonical JSON
};

// What the public log serves of an entry (GET /v1/transparency/entries/{index}):
// {"leaf_index","leaf_hash"}, and "leaf" only for seal events (departments' seals: no personal
// data). A certificate event names a certificate id (for an ID card, the holder's certificate),
// so its leaf is served only in the certificate's bundle and to its issuer (fullEntryJson); its
// hash is a hiding commitment (the leaf carries a 128-bit nonce). docs/transparency-log.md.
std::string publicEntryJson(const LogEntry& entry);
// {"leaf_index","leaf_hash","leaf"}.
std::string fullEntryJson(const LogEntry& entry);
// The department code that may read `entry` in full: the issuer of a certificate event (from
// its certificate id); "" for a seal event (public) and for an unreadable leaf.
std::string entryIssuer(const LogEntry& entry);
bool isPublicEntry(const LogEntry& entry);

// {"tree_size","timestamp","root_hash" (hex),"signature" (base64 DER),"algorithm",
//  "signer_certificate"}: the form GET /v1/transparency/sth serves and bundles carry.
std::string treeHeadJson(const SignedTreeHead& head);

class TransparencyLog {
 public:
  // `log_signer` signs tree heads; its certificate should chain to the hub's root.
  TransparencyLog(db::ConnectionPool& pool, std::shared_ptr<const Signer> log_signer,
                  Clock clock = std::chrono::system_clock::now);

  // Number of leaves committed so far. Unavailable/Internal on database errors.
  Result<uint64_t> size();

  // The newest signed tree head, signing one for the current size first if the log has grown
  // since the newest one (so at most one signature per distinct size).
  Result<SignedTreeHead> currentTreeHead();

  // The stored STH of exactly `tree_size` leaves. NotFound if none was signed at that size.
  Result<SignedTreeHead> treeHead(uint64_t tree_size);

  // The entry at `index`. NotFound beyond the end.
  Result<LogEntry> entry(uint64_t index);

  // Audit path for leaf `index` in the tree of `tree_size` (RFC 6962 §2.1.1). InvalidArgument
  // when index >= tree_size or tree_size exceeds the log.
  Result<std::vector<MerkleHash>> inclusionProof(uint64_t index, uint64_t tree_size);

  // Index of the first leaf with this hash, NotFound if none (GET .../proof/inclusion?hash=).
  Result<uint64_t> indexOfLeafHash(const MerkleHash& leaf_hash);

  // PROOF(old_size, D[new_size]) (RFC 6962 §2.1.2). InvalidArgument for impossible sizes.
  Result<std::vector<MerkleHash>> consistencyProof(uint64_t old_size, uint64_t new_size);

  // MTH of the first `tree_size` leaves, computed from the stored hashes.
  Result<MerkleHash> rootAt(uint64_t tree_size);

  const Signer& signer() const { return *log_signer_; }

 private:
  db::ConnectionPool& pool_;
  const std::shared_ptr<const Signer> log_signer_;
  const Clock clock_;
};

}  // namespace tongban::certs
