// The verification index: certificate status and the registry facts the check kinds read, held in
// memory, loaded from PostgreSQL with COPY at start and kept current from the change feeds
// (certs.changes, and the population and legal-entity feeds) by LISTEN/NOTIFY with catch-up by
// sequence after any gap or reconnect.
//
// Invariants:
//   1. Readers never block on the writer: evaluate() reads an immutable snapshot (or a structure
//      published with release/acquire ordering); the applier never holds a lock a reader waits on.
//      The implementation (verification/src/index_store.h): records in chunked arrays that never
//      move, insert-only open-addressing tables of record ids published with release stores,
//      and one-word std::atomic fields for what a change alters; no locks on the read path.
//   2. A change committed in PostgreSQL is visible to evaluate() within one second while the
//      database is reachable.
//   3. With PostgreSQL unreachable the index keeps answering from memory; answers carry
//      AsOf::stale once the last contact is older than the configured lag, and the applier
//      reconnects and catches up by sequence by itself.
//   4. Memory: target ≤ 40 bytes per certificate and ≤ 32 per person (docs/verification.md says
//      what is reached).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tongban/common/result.h"
#include "tongban/verification/check.h"

namespace tongban::verification {

struct IndexOptions {
  std::string database_url;                          // libpqxx connection string
  std::chrono::milliseconds stale_after{5000};       // degraded mode: mark answers stale past this
  std::chrono::milliseconds reconnect_backoff{500};  // first retry; doubles up to 2 s
};

// Health for /readyz and /metrics.
struct IndexHealth {
  bool loaded = false;     // initial load finished
  bool connected = false;  // the feed listener holds a live connection
  bool stale = false;      // last contact older than stale_after
  int64_t lag_micros = 0;  // now - last contact with the database
  uint64_t certificates = 0;
  uint64_t persons = 0;
  uint64_t entities = 0;
  uint64_t bytes = 0;              // memory held by the index structures
  uint64_t certificate_bytes = 0;  // of which certificates (records, slots, holders, codes)
  uint64_t person_bytes = 0;       // of which persons (records, slots)
  uint64_t unindexed = 0;          // certificates the index cannot hold (serial over 19 digits)
  uint64_t reconnects = 0;         // feed connections made (1 after a clean start)
  uint64_t feed_gaps = 0;          // sequence gaps being waited on (commits out of seq order)
  AsOf as_of;
};

class Index {
 public:
  virtual ~Index() = default;

  // Answers checks[0..n) into answers[0..n) against one snapshot and fills *as_of for it.
  // `today` is the evaluation date in days since 1970-01-01 (Asia/Shanghai civil date, the date
  // certificates' valid_from/valid_to are expressed in). Checks must have passed validateCheck.
  // Thread-safe, wait-free with respect to the applier.
  virtual void evaluate(const Check* checks, size_t n, Answer* answers, AsOf* as_of,
                        int32_t today) const = 0;

  // Eligibility scan (免申即享): calls `emit` with each citizen id for which every check in
  // `predicate` (kinds over persons; subject left empty) is true, in citizen-id order, starting
  // after `after` (exclusive; "" from the start), until `emit` returns false. Returns as_of of
  // the snapshot scanned.
  virtual AsOf scanPersons(
      const Check* predicate, size_t n, int32_t today, const std::string& after,
      const std::function<bool(const std::string& citizen_id)>& emit) const = 0;

  virtual IndexHealth health() const = 0;
};

// Loads the index from PostgreSQL and starts the change-feed applier thread. Unavailable when the
// database cannot be reached for the initial load.
Result<std::unique_ptr<Index>> openIndex(const IndexOptions& options);

}  // namespace tongban::verification
