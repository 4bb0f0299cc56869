// Coalesces concurrent primary-key lookups in one registry source into one query.
//
// Under load many request threads look up single rows of the same table at once. Each lookup as
// its own statement costs a network round trip and a full executor start in PostgreSQL; here the
// threads that arrive while a query is in flight queue their keys, and the next query fetches
// all of them with `WHERE pk = ANY($1)` (up to `max_batch`). At most `max_leaders` queries run at
// once; a waiting request is woken either with its row or to lead the next batch. Under no load
// a lookup is a single query, as before. Thread-safe.
//
// Invariants (guarded by mutex_):
//   1. A slot is in pending_ until a leader takes it; it is completed exactly once.
//   2. in_flight_ counts the batches being queried, never more than max_leaders_.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tongban/catalog/sources.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::exchange {

using Row = std::map<std::string, std::optional<std::string>>;

class BatchedLookup {
 public:
  // `source` must outlive this object and have a primary-key column; the statement
  // statementName() must be prepared on every pooled connection (prepareStatements()).
  BatchedLookup(db::ConnectionPool& pool, const catalog::Source& source, size_t max_batch = 64,
                size_t max_leaders = 4);

  // The row whose primary key is `key` (already validated), or nullopt. kUnavailable when the
  // database cannot be reached.
  Result<std::optional<Row>> get(const std::string& key);

  // Prepares the batched statement for `source` on `conn`.
  static void prepareStatement(pqxx::connection& conn, const catalog::Source& source);
  static std::string statementName(const catalog::Source& source);

  struct Stats {
    uint64_t lookups = 0;
    uint64_t queries = 0;
  };
  Stats stats() const;

 private:
  struct Slot {
    std::string key;
    bool taken = false;
    bool done = false;
    Result<std::optional<Row>> result = std::optional<Row>();
    std::condition_variable cv;
  };

  void runBatch(std::vector<Slot*>& batch);

  db::ConnectionPool& pool_;
  const catalog::Source& source_;
  const catalog::SourceColumn* pk_;
  const size_t max_batch_;
  const size_t max_leaders_;
  mutable std::mutex mutex_;  // guards pending_, in_flight_, slots' flags and results, stats_
  std::deque<Slot*> pending_;
  size_t in_flight_ = 0;
  Stats stats_;
};

}  // namespace tongban::exchange
