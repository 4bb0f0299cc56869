// Reading one change feed (a table with a bigserial `seq`) in order, tolerating sequence numbers
// that commit out of order (0014_verification_feeds.sql explains why that is safe to apply as
// seen). A FeedCursor remembers the last seq read and the gaps below it — each with the xmax of
// the snapshot that first saw it — re-reads the gaps on every poll, and forgets a gap once a
// later snapshot's xmin has passed that xmax: the transaction that held it has ended, and if it
// committed, the same poll read its row. Not thread-safe (the applier's).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pg_conn.h"
#include "tongban/common/result.h"

namespace tongban::verification {

struct FeedSpec {
  std::string name;     // for messages
  std::string table;    // population.changes
  std::string columns;  // after seq and at: "op, citizen_id, region_code, status"
  std::string from;     // FROM clause ("population.changes"), may join
  std::string seq_col;  // qualified seq column ("seq" / "ch.seq")
};

class FeedCursor {
 public:
  explicit FeedCursor(FeedSpec spec) : spec_(std::move(spec)) {}

  // Starts after `last` with the gaps found below it in the snapshot whose xmax is `xmax`.
  struct Gap {
    uint64_t lo, hi, xmax;
    bool queried = false;  // re-read under the current poll's snapshot
  };
  void reset(uint64_t last, std::vector<Gap> gaps) {
    last_ = last;
    gaps_ = std::move(gaps);
  }
  // One poll inside its own REPEATABLE READ transaction: hands every new row (columns 0 = seq,
  // 1 = at in Unix microseconds, then spec.columns) to `apply` in seq order. Returns the number
  // of rows applied; Unavailable/Internal on a database failure (the cursor is unchanged then
  // except for rows already applied, which are idempotent after-images).
  Result<size_t> poll(PgConn& conn, const std::function<void(const PgResult&, int row)>& apply);

  // Position reported in AsOf: the highest seq below which nothing is still missing.
  uint64_t position() const;
  uint64_t last() const { return last_; }
  size_t gaps() const { return gaps_.size(); }

  // The gap list of a feed under the current transaction's snapshot (initial load).
  static Result<std::vector<Gap>> findGaps(PgConn& conn, const std::string& table, uint64_t last,
                                           uint64_t xmax);

 private:
  FeedSpec spec_;
  uint64_t last_ = 0;
  std::vector<Gap> gaps_;
};

}  // namespace tongban::verification
