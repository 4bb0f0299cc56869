#include "feed_reader.h"

#include <algorithm>
#include <charconv>

namespace tongban::verification {
namespace {

constexpr size_t kPage = 20000;
constexpr size_t kMaxGapsPerQuery = 64;

uint64_t toU64(std::string_view s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

uint64_t FeedCursor::position() const {
  uint64_t pos = last_;
  for (const Gap& g : gaps_) pos = std::min(pos, g.lo - 1);
  return pos;
}

Result<std::vector<FeedCursor::Gap>> FeedCursor::findGaps(PgConn& conn, const std::string& table,
                                                          uint64_t last, uint64_t xmax) {
  auto r = conn.exec(
      "SELECT seq + 1, next - 1 FROM (SELECT seq, lead(seq) OVER (ORDER BY seq) "
      "AS next FROM " +
          table +
          " WHERE seq <= $1) s WHERE next > seq + 1 "
          "UNION ALL SELECT 1, min(seq) - 1 FROM " +
          table + " WHERE seq <= $1 HAVING min(seq) > 1",
      {std::to_string(last)});
  if (!r) return r.status();
  std::vector<Gap> gaps;
  for (int i = 0; i < r->rows(); ++i)
    gaps.push_back({toU64(r->get(i, 0)), toU64(r->get(i, 1)), xmax, false});
  std::sort(gaps.begin(), gaps.end(), [](const Gap& a, const Gap& b) { return a.lo < b.lo; });
  return gaps;
}

Result<size_t> FeedCursor::poll(PgConn& conn,
                                const std::function<void(const PgResult&, int row)>& apply) {
  auto begin = conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begin) return begin.status();
  size_t applied = 0;
  auto body = [&]() -> Status {
    auto snap = conn.exec(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, "
        "pg_snapshot_xmax(pg_current_snapshot())::text");
    if (!snap) return snap.status();
    const uint64_t xmin = toU64(snap->get(0, 0));
    const uint64_t xmax = toU64(snap->get(0, 1));
    const size_t queried = std::min(gaps_.size(), kMaxGapsPerQuery);
    for (size_t i = 0; i < gaps_.size(); ++i) gaps_[i].queried = i < queried;
    while (true) {
      std::string where = spec_.seq_col + " > " + std::to_string(last_);
      for (size_t i = 0; i < gaps_.size(); ++i) {
        if (!gaps_[i].queried) continue;
        where += " OR " + spec_.seq_col + " BETWEEN " + std::to_string(gaps_[i].lo) + " AND " +
                 std::to_string(gaps_[i].hi);
      }
      auto rows =
          conn.exec("SELECT " + spec_.seq_col + ", (extract(epoch FROM at) * 1000000)::bigint, " +
                    spec_.columns + " FROM " + spec_.from + " WHERE " + where + " ORDER BY " +
                    spec_.seq_col + " LIMIT " + std::to_string(kPage));
      if (!rows) return rows.status();
      const int n = rows->rows();
      std::vector<Gap> fresh;
      for (int i = 0; i < n; ++i) {
        const uint64_t seq = toU64(rows->get(i, 0));
        if (seq > last_) {
          if (seq > last_ + 1) fresh.push_back({last_ + 1, seq - 1, xmax, false});
          last_ = seq;
        } else {
          // A gap filled: split the range that held it.
          for (size_t g = 0; g < gaps_.size(); ++g) {
            Gap& gap = gaps_[g];
            if (seq < gap.lo || seq > gap.hi) continue;
            if (gap.lo == gap.hi) {
              gaps_.erase(gaps_.begin() + static_cast<long>(g));
            } else if (seq == gap.lo) {
              gap.lo++;
            } else if (seq == gap.hi) {
              gap.hi--;
            } else {
              Gap upper{seq + 1, gap.hi, gap.xmax, gap.queried};
              gap.hi = seq - 1;
              gaps_.insert(gaps_.begin() + static_cast<long>(g) + 1, upper);
            }
            break;
          }
        }
        apply(*rows, i);
        applied++;
      }
      gaps_.insert(gaps_.end(), fresh.begin(), fresh.end());
      if (static_cast<size_t>(n) < kPage) break;
    }
    // Gaps whose holders have all ended as of this snapshot were read above if they committed.
    gaps_.erase(std::remove_if(gaps_.begin(), gaps_.end(),
                               [&](const Gap& g) { return g.queried && g.xmax <= xmin; }),
                gaps_.end());
    return Status();
  };
  Status s = body();
  if (!s) {
    (void)conn.exec("ROLLBACK");
    return s;
  }
  auto commit = conn.exec("COMMIT");
  if (!commit) return commit.status();
  return applied;
}

}  // namespace tongban::verification
