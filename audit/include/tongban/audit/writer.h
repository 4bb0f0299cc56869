// The audit log's writer: appends entries to one node's chain with group commit (many requests'
// entries in one transaction, one WAL flush), signs checkpoints (checkpoint.h) as it goes, and
// claims read requests' nonces in the shared replay guard in the same round trip. The exchange
// holds it as an AuditAppender (appender.h); the entry and its hash are in entry.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tongban/audit/appender.h"
#include "tongban/audit/entry.h"
#include "tongban/certs/signer.h"
#include "tongban/common/result.h"

namespace tongban::audit {

// Appends entries to one node's chain with group commit.
//
// Invariants:
//  1. One AuditWriter writes a given node's chain at a time: open() takes a PostgreSQL session
//     advisory lock on the node id for the writer connection's life (kConflict when another
//     process holds it).
//  2. seq is contiguous from 1 per node; the writer assigns it, in queue order.
//  3. The in-memory head (seq, hash) equals the last committed row's. It advances only after a
//     COMMIT succeeds; after a failure it is re-read from the database with the next connection.
//  4. append() returns a seq only once the transaction holding the entry has committed with
//     synchronous_commit on (durable); one commit (one WAL flush) covers a whole batch.
//  5. `at` is assigned by the writer and never decreases along a chain.
//  6. A checkpoint row, when written, is in the same transaction as the batch whose last entry it
//     signs, or (time-based, idle log) alone; it always signs a committed head.
//
// Thread-safety: append() and stats() may be called from any number of threads. close() may be
// called from any thread, more than once; appends after it fail with kUnavailable.
class AuditWriter : public AuditAppender {
 public:
  struct Options {
    std::string conninfo;
    std::string node_id = "node-1";
    int max_batch = 512;
    // Group-commit delay: when fewer than max_batch/8 entries are queued, the writer waits up to
    // this long for more before it writes (PostgreSQL's commit_delay idea). 0: write at once.
    int commit_delay_us = 0;
    int64_t checkpoint_every_entries = 10000;
    int64_t checkpoint_every_seconds = 60;
    // Signs checkpoints; null: no checkpoints are written.
    std::shared_ptr<const tongban::certs::Signer> checkpoint_signer;
    // How a batch reaches the table: kUnnest is one INSERT ... SELECT FROM unnest(arrays)
    // statement, autocommitted (one round trip); kCopy is BEGIN / COPY / COMMIT (four round trips,
    // cheaper per row on the server); kAuto (default) takes unnest for batches of up to
    // kAutoCopyThreshold entries and COPY above. bench/audit_append measures all three.
    enum class WriteMethod { kAuto, kCopy, kUnnest };
    static constexpr size_t kAutoCopyThreshold = 16;
    WriteMethod write_method = WriteMethod::kAuto;
  };

  struct Stats {
    uint64_t appended = 0;         // entries committed
    uint64_t batches = 0;          // transactions committed
    uint64_t last_batch_size = 0;  // entries in the last committed transaction
    uint64_t failed_entries = 0;   // entries whose append returned an error from the database
    uint64_t failed_batches = 0;
    uint64_t checkpoints = 0;  // checkpoint rows committed
    uint64_t queued = 0;       // entries waiting for the writer now
    int64_t head_seq = 0;
  };

  // Connects, takes the node's lock, reads the chain head and starts the writer thread.
  // kInvalidArgument for bad options, kUnavailable when the database cannot be reached, kConflict
  // when another writer holds the node.
  static Result<std::unique_ptr<AuditWriter>> open(Options options);

  ~AuditWriter() override = default;

  // append() is AuditAppender's (appender.h): it returns once the batch holding the entry is
  // committed; one commit (one WAL flush) covers every entry of a batch.

  // Drains the queue, writes a final checkpoint if there are unsigned entries and a signer, and
  // stops the writer. Idempotent; the destructor calls it.
  virtual void close() = 0;

  virtual Stats stats() const = 0;
  virtual const std::string& nodeId() const = 0;
};

}  // namespace tongban::audit
