// Verification receipts: every answer of the verification core can be proven later, offline.
//
// The answers of a batch (or of a short window of single checks, ReceiptWindow below) are the
// leaves of an RFC 6962 Merkle tree (certs/merkle.h). The tree's root, its size, the signing time
// and the index position (as_of) are signed once by the hub's verification key (key role
// verification_receipt, pki.h), so one ECDSA signature covers up to thousands of answers and each
// answer still verifies alone with its leaf index and audit path. docs/receipts.md defines every
// byte; `tongban-verify receipt FILE` checks one receipt.
//
// Leaf (receiptLeaf; all integers big-endian, str = u32 length + bytes):
//   "TBVL" u8 version=1
//   u8 kind, str subject, str type_code, str region, i32 valid_until, i32 min_age, i32 on_date,
//   str entity                                     -- the Check (check.h)
//   u8 verdict, u8 reason                          -- the Answer
//   u64 certs_seq, u64 population_seq, u64 legal_entity_seq, i64 at_micros, u8 stale  -- AsOf
//   str requester, str matter                      -- who asked (application id), for which matter
//   16 bytes salt                                  -- random per leaf: a sibling hash in another
//                                                     requester's audit path cannot be brute-forced
//                                                     back to a (low-entropy) citizen id
// Signed root (signedRootBytes; 86 bytes, what the DER ECDSA signature covers):
//   "TBVR" u8 version=1 u64 tree_size, 32 bytes root hash, i64 signed_at_micros,
//   u64 certs_seq, u64 population_seq, u64 legal_entity_seq, i64 at_micros, u8 stale
//
// Invariants:
//   1. A receipt proves exactly one leaf: its bytes, its index, the tree size and the signed root.
//   2. Leaf encoding is injective (every variable field is length-prefixed) and versioned.
//   3. Nothing here touches the database; sealing is pure CPU (hashing + one signature).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tongban/certs/algorithm.h"
#include "tongban/certs/merkle.h"  // MerkleHash; receipts verify with verifyInclusion
#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/signer.h"
#include "tongban/common/result.h"
#include "tongban/verification/check.h"

namespace tongban::verification {

inline constexpr const char* kReceiptFormat = "tongban-receipt/1";
inline constexpr size_t kReceiptSaltBytes = 16;
inline constexpr size_t kSignedRootBytes = 86;
// Longest string field a leaf may hold (subject, codes, requester, matter); longer is refused.
inline constexpr size_t kMaxLeafField = 1024;

using ReceiptSalt = std::array<uint8_t, kReceiptSaltBytes>;

// The canonical leaf bytes of one answer. `salt` comes from randomSalts() (the sealer's caller
// draws them in bulk).
std::string receiptLeaf(const Check& check, const Answer& answer, const AsOf& as_of,
                        std::string_view requester, std::string_view matter,
                        const ReceiptSalt& salt);

// n random salts from OpenSSL's CSPRNG (one RAND_bytes call).
std::vector<ReceiptSalt> randomSalts(size_t n);

// A leaf decoded back (for verifiers and tools).
struct ReceiptLeaf {
  Check check;
  Answer answer;
  AsOf as_of;
  std::string requester;
  std::string matter;
  ReceiptSalt salt{};
};
// InvalidArgument (field "leaf") for a wrong tag or version, a truncated or over-long field,
// an unknown kind, verdict or reason, or trailing bytes.
Result<ReceiptLeaf> parseReceiptLeaf(std::string_view bytes);

// The signed part of a batch.
struct SignedRoot {
  uint64_t tree_size = 0;
  certs::MerkleHash root{};
  int64_t signed_at_micros = 0;  // Unix microseconds, UTC
  AsOf as_of;                    // the newest as_of among the leaves
  std::string signed_bytes;      // signedRootBytes(...) — exactly what `signature` covers
  std::string signature;         // DER
  certs::SignatureAlgorithm algorithm = certs::SignatureAlgorithm::kEcdsaP256Sha256;
  std::string signer_certificate;  // PEM, role verification_receipt
};

std::string signedRootBytes(uint64_t tree_size, const certs::MerkleHash& root,
                            int64_t signed_at_micros, const AsOf& as_of);
// InvalidArgument (field "signed_root.signed") unless exactly kSignedRootBytes with the tag.
Result<SignedRoot> parseSignedRootBytes(std::string_view bytes);

// A sealed batch: the leaves, their tree and the signed root. Immutable once made; share it by
// shared_ptr between the answers it covers. Thread-safe for reading.
class SealedBatch {
 public:
  const SignedRoot& root() const { return root_; }
  size_t size() const { return leaves_.size(); }
  const std::string& leaf(size_t index) const { return leaves_[index]; }
  // The audit path of leaf `index` (< size()), nearest sibling first.
  std::vector<certs::MerkleHash> path(size_t index) const;

  // For leaf(), path(), proofJson(), appendProofJson() and receiptJson(): index < size().
  // JSON of the signed root: {"tree_size","root_hash","signed_at_micros","as_of":{...},
  // "signed","signature","algorithm","signer_certificate"}. Once per batch response.
  std::string signedRootJson() const;
  // JSON of one answer's proof: {"leaf_index","leaf","path":[hex...]}. Per answer;
  // appendProofJson writes it at the end of `out` (no allocation when `out` has room).
  std::string proofJson(size_t index) const;
  void appendProofJson(size_t index, std::string& out) const;
  // A standalone receipt document: {"format":"tongban-receipt/1","leaf_index","leaf","path",
  // "signed_root":{...}}, what `tongban-verify receipt` reads.
  std::string receiptJson(size_t index) const;

 private:
  friend class ReceiptSigner;
  std::vector<std::string> leaves_;
  // levels_[0] = leaf hashes; levels_[l + 1][i] = hash of levels_[l][2i], levels_[l][2i + 1], or
  // levels_[l][2i] itself when it has no right sibling. Promoting the lone last node builds
  // exactly RFC 6962's tree (its left subtrees are the largest perfect ones), so the audit path
  // of leaf i is the sibling at each level where one exists, nearest first.
  std::vector<std::vector<certs::MerkleHash>> levels_;
  // levels_hex_[l]: the hashes of levels_[l] in lower-case hex, 64 characters each, made once at
  // sealing so that each answer's path is copied, not converted (a path shares most nodes).
  std::vector<std::string> levels_hex_;
  SignedRoot root_;
  std::string root_json_;  // signedRootJson(), made once
};

// Seals batches with the hub's verification key. Thread-safe (the signer is).
class ReceiptSigner {
 public:
  // `signer` must be the verification-receipt key (HubIdentity::verification_signer).
  // `now_micros` is the clock (injected for tests); defaults to the system clock.
  explicit ReceiptSigner(std::shared_ptr<const certs::Signer> signer,
                         std::function<int64_t()> now_micros = {});

  // Hashes `leaves` into a tree, signs its root once. InvalidArgument (field "leaves") for an
  // empty batch; the signer's failure otherwise.
  Result<std::shared_ptr<const SealedBatch>> seal(std::vector<std::string> leaves,
                                                  const AsOf& as_of) const;

 private:
  std::shared_ptr<const certs::Signer> signer_;
  std::function<int64_t()> now_micros_;
};

// The serving paths' one call for a batch: a salted leaf per (checks[i], answers[i]) asked by
// `requester` for `matter` against the snapshot `as_of` (Index::evaluate's), sealed once.
// Answer i's receipt is leaf i. Same failures as ReceiptSigner::seal.
Result<std::shared_ptr<const SealedBatch>> sealAnswers(const ReceiptSigner& signer,
                                                       const Check* checks, const Answer* answers,
                                                       size_t n, const AsOf& as_of,
                                                       std::string_view requester,
                                                       std::string_view matter);

// One answer's receipt: the batch that covers it and its leaf index.
struct Receipt {
  std::shared_ptr<const SealedBatch> batch;
  size_t index = 0;
};

// Collects single checks for up to `max_delay` (or `max_leaves`) and seals them together, so that
// singles share a signature. submit() returns at once; the future is ready when the window closes
// (at most max_delay after the first leaf of a window arrived, plus the sealing time).
// Thread-safe. The destructor seals what is pending and joins its thread.
class ReceiptWindow {
 public:
  struct Options {
    std::chrono::microseconds max_delay{2000};
    size_t max_leaves = 4096;
  };
  ReceiptWindow(std::shared_ptr<const ReceiptSigner> signer, Options options);
  ~ReceiptWindow();
  ReceiptWindow(const ReceiptWindow&) = delete;
  ReceiptWindow& operator=(const ReceiptWindow&) = delete;

  std::future<Result<Receipt>> submit(std::string leaf, const AsOf& as_of);

 private:
  struct Pending {
    std::string leaf;
    std::promise<Result<Receipt>> promise;
  };
  void run();
  void sealNow(std::vector<Pending> window, const AsOf& as_of);

  std::shared_ptr<const ReceiptSigner> signer_;
  Options options_;
  std::mutex mutex_;  // guards pending_, window_as_of_, window_start_, stopping_
  std::condition_variable wake_;
  std::vector<Pending> pending_;
  AsOf window_as_of_;
  std::chrono::steady_clock::time_point window_start_;
  bool stopping_ = false;
  std::thread thread_;
};

// Outcome of verifyReceipt. `reason` is "ok" or one stable name:
//   malformed_receipt      not a receipt: missing member, bad base64/hex/PEM/JSON, bad leaf or
//                          signed-root encoding
//   root_mismatch          a readable member of signed_root differs from the signed bytes
//   untrusted_root, bad_certificate_signature, expired, not_yet_valid, not_authorized,
//   malformed_key, other   the verification key's chain fails (pki.h names); not_authorized
//                          also for a key without the verification_receipt role
//   bad_signature, malformed_signature, algorithm_mismatch
//                          the signature over the signed root does not verify
//   bad_inclusion_proof    the leaf, index or path do not lead to the signed root
//   answer_mismatch        the receipt's readable "answer" differs from its leaf
struct ReceiptVerification {
  std::string reason = "ok";
  std::string message;
  ReceiptLeaf leaf;  // filled once the leaf decoded
  SignedRoot root;   // filled once the signed root decoded
  uint64_t leaf_index = 0;
  bool ok() const { return reason == "ok"; }
};

// Verifies a standalone receipt document (SealedBatch::receiptJson, or an HTTP answer with the
// batch's signed_root copied in) against `roots` (trusted root certificates), with the key's chain
// checked at the signing time. `intermediates_pem` may be empty (the verification key is issued by
// the root). Never throws; thread-safe.
ReceiptVerification verifyReceipt(std::string_view receipt_json,
                                  const std::vector<certs::X509Ptr>& roots,
                                  std::string_view intermediates_pem = {});

// The receipt's readable members use check.h's wire names (kindName, verdictName, reasonName).

}  // namespace tongban::verification
