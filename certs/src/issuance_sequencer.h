// Group commit of certificate issuance (CertificateRegistry::issue and ::correct). Nobody outside
// certs/src includes this.
//
// A correction takes the same path as an issuance: it is the issuance of version n+1 with the old
// serial, whose write also supersedes version n (status, event, change-feed row, log leaf).
//
// A request thread validates its issuance (type, grant, holder id, surface schema, dates, request
// digest) and hands it to the sequencer, which gathers every issuance queued meanwhile into one
// batch and runs that batch in ONE transaction on its own connection:
//
//   phase 1 (sequencer, in the transaction): advisory locks on the batch's Idempotency-Keys
//     and on the (type, holder) pairs of types unique per holder (sorted), the versions that
//     corrections supersede FOR UPDATE (valid or suspended), replays and key conflicts, the seals
//     FOR SHARE (owner, status, validity), the holders in their registries (issuance_checks.h), the
//     holders' current certificates of unique types (a second request for one holder in the batch
//     goes back to the queue for the next batch; corrections are not asked), the issuers' names,
//     and the serials of issuances: one multi-row upsert of certs.serial_counters, whose row locks
//     are held to COMMIT;
//   phase 2 (each request thread, in parallel, no lock held): builds its canonical payload with
//     the serial it was given, signs it with the seal, builds its log leaf and hashes it;
//   phase 3 (sequencer): appends the leaves through the log's batch appender
//     (transparency_log_append.h: the certs.log_state row lock, size += n, the leaves and the
//     complete subtrees they close, from the in-memory frontier of the log), writes certificates,
//     superseded versions, status events and change-feed rows in one statement, commits, and wakes
//     the waiters.
//
// Invariants:
//   1. At most one issuance per (issuer, Idempotency-Key) is in the sequencer at a time; a retry
//      arriving meanwhile waits for the first to finish, then runs (and finds its row: a replay).
//      Across processes the advisory locks serialise; the unique constraint is the last line.
//   2. Serials are gap-free: they are allocated inside the batch transaction (so an aborted batch
//      rolls them back) only for issuances that passed every check; if a signature fails, the
//      later serials of that issuer and year are re-assigned (and re-signed) before commit.
//   3. The appender's frontier describes the log as committed; it changes only after a COMMIT
//      succeeded. A failed batch drops the connection and makes the appender forget its
//      frontier; the appender re-reads the frontier whenever the size it locks is not the size it
//      knows.
//   4. A request thread is handed its phase-2 work at most once and the sequencer waits for every
//      handed-out item before it touches the batch again, so no item is finished under a signer.
//   5. One issuance never fails another: when the database refuses a statement of a batch
//      (pqxx::sql_error: a value, a constraint, a deadlock), the unfinished issuances are re-run
//      one per batch (the sequencer re-signs those already signed, their serials having moved),
//      so only the culprit fails. A lost connection or a COMMIT of unknown outcome fails every
//      waiter of the batch with kUnavailable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include "tongban/certs/certificate_registry.h"
#include "tongban/certs/certificate_type.h"
#include "tongban/certs/merkle.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/signer.h"
#include "tongban/common/result.h"
#include "transparency_log_append.h"

namespace tongban::certs::internal {

struct SignBarrier;

// One issuance on its way through the sequencer. Shared by the request thread and the sequencer;
// the phase (guarded by mu) says who may touch which part.
struct PendingIssuance {
  // ---- set by the request thread before submit(), read-only afterwards
  std::string issuer_code;
  std::string idempotency_key;
  std::string request_digest;  // 32 bytes
  std::shared_ptr<const CertificateType> type;
  std::string seal_id;
  std::string holder_name;
  std::string holder_code;
  std::string holder_code_type;
  rapidjson::Document surface;  // validated
  std::string surface_text;     // canonical
  std::string number;           // the type's number field; empty: the serial
  std::string valid_from;
  std::string valid_to;  // empty: long-term
  std::string actor;
  std::string issued_at;  // RFC 3339, whole seconds
  std::string issue_date;
  int64_t issued_at_micros = 0;
  // A correction: version `version` of the certificate whose version `supersedes` it replaces
  // (same serial, set here with serial and certificate_id). Empty supersedes: an issuance.
  int version = 1;
  std::string supersedes;
  std::string supersede_reason;  // the old version's status_reason and event note

  // ---- set by the sequencer in phase 1 (before the item enters kSign); serial and
  // certificate_id of an issuance only
  int year = 0;               // of issue_date
  int64_t serial_number = 0;  // the per-issuer, per-year counter value
  std::string serial;
  std::string certificate_id;
  std::string issuer_name;
  std::string seal_name;
  SignatureAlgorithm algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  std::string seal_certificate_serial;
  std::shared_ptr<const Signer> signer;
  std::string superseded_status;  // a correction: the old version's status (valid, suspended)

  // ---- set in phase 2 (by the request thread, or by the sequencer when it re-signs)
  Status sign_status;
  std::string payload;
  std::string signature;
  std::string leaf;
  MerkleHash leaf_hash{};
  // A correction: the old version's "supersede" leaf, appended right after this version's leaf.
  std::string supersede_leaf, supersede_leaf_hex;
  MerkleHash supersede_leaf_hash{};
  std::string payload_hex, signature_hex, leaf_hex;  // for the batch's SQL arrays

  // ---- outcome, set by the sequencer before kDone
  Status status;
  std::string existing_id;  // a replay: the certificate made earlier with this key
  uint64_t log_index = 0;
  uint64_t supersede_log_index = 0;  // a correction: log_index + 1

  bool isCorrection() const { return !supersedes.empty(); }

  enum class Phase { kQueued, kSign, kSigned, kDone };
  std::mutex mu;  // guards phase and barrier
  std::condition_variable cv;
  Phase phase = Phase::kQueued;
  std::shared_ptr<SignBarrier> barrier;
};

// CPU time of the calling thread, in microseconds.
uint64_t threadCpuMicros();

// Phase 2: fills payload, signature, leaf and leaf_hash from the fields set so far. Returns the
// signing failure, if any. Pure CPU; thread-safe for distinct items.
Status signIssuance(PendingIssuance& item);

class IssuanceSequencer {
 public:
  struct Options {
    std::string conninfo;
    size_t max_batch = 512;
  };
  // `seals` gives the seals' signers (cached); it must outlive the sequencer.
  IssuanceSequencer(Options options, SealRegistry& seals);
  // Finishes the queued batches, then stops the thread.
  ~IssuanceSequencer();

  // Runs `item` through the group commit and blocks until its batch is done; phase 2 runs on the
  // calling thread. The outcome is in item->status (OK with log_index, or OK with existing_id for
  // a replay, or the failure). Thread-safe.
  void submit(const std::shared_ptr<PendingIssuance>& item);

  // Counters; prepare_cpu_us is added by the caller through notePrepare.
  IssuanceStats stats() const;
  void notePrepare(uint64_t cpu_us) { prepare_cpu_us_ += cpu_us; }

 private:
  using Batch = std::vector<std::shared_ptr<PendingIssuance>>;
  struct Run;  // one batch in its transaction (issuance_sequencer.cc)

  void loop();
  // Runs one batch through the three phases, top to bottom; every item of it ends kDone, or back
  // in the queue (a second issuance of a unique type for one holder).
  void runBatch(Batch& batch);
  bool connect(Batch& batch);
  // The phases. check and sign return false when nothing is left to write.
  bool check(Run& run);
  bool sign(Run& run);
  void write(Run& run);

  // Phase 1's steps, in the transaction: each finishes the items it refuses, skips the finished.
  void lockKeys(Run& run);
  void checkSupersededVersions(Run& run);
  void findReplays(Run& run);
  void checkSeals(Run& run);
  void checkHolders(Run& run);
  void checkUniqueHolders(Run& run);
  void nameIssuers(Run& run);
  void allocateSerials(Run& run);
  // Phase 2's steps: hand the items to their request threads to sign and wait for all of them;
  // then close the serial gaps a failed signature left (invariant 2) and decide what is written.
  void signInRequestThreads(Run& run);
  void closeSerialGaps(Run& run);

  void done(Run& run, size_t i, Status status);
  void finish(const std::shared_ptr<PendingIssuance>& item, Status status);
  void prepareStatements();

  const Options options_;
  SealRegistry& seals_;

  std::mutex queue_mu_;  // guards queue_, inflight_, stopping_
  std::condition_variable queue_cv_;
  std::deque<std::shared_ptr<PendingIssuance>> queue_;
  // issuer + "\n" + key -> the issuance with that key now in the sequencer (invariant 1).
  std::map<std::string, std::shared_ptr<PendingIssuance>> inflight_;
  bool stopping_ = false;
  std::thread thread_;

  std::atomic<uint64_t> issued_{0}, batches_{0}, failed_batches_{0}, largest_batch_{0},
      lookup_us_{0}, sign_wait_us_{0}, write_us_{0}, commit_us_{0}, prepare_cpu_us_{0},
      sign_cpu_us_{0};

  // Sequencer thread only.
  std::unique_ptr<pqxx::connection> conn_;
  LogBatchAppender log_;  // its frontier moves only after COMMIT (invariant 3)
  std::map<std::string, std::string> certificate_serials_;  // seal certificate PEM -> serial hex
};

}  // namespace tongban::certs::internal
