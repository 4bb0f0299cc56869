// Building the status filter (status_filter.h) from PostgreSQL, and the cache the exchange serves
// `GET /v1/status/filter` from.
//
// A full filter is built in one REPEATABLE READ snapshot: the log size N (certs.log_state) and
// every certificate whose issuance leaf index is below N, valid when its status is `valid` and its
// seal `active`. Every status change of a certificate or a seal appends a log leaf in the same
// transaction, so "status at tree size N" is well defined and a delta from M to N is exactly the
// certificates issued, changed, or sealed by a seal that changed, at leaf indexes [M, N).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <pqxx/pqxx>

#include "tongban/certs/signer.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"
#include "tongban/verification/status_filter.h"

namespace tongban::verification {

struct StatusFilterOptions {
  int64_t validity_seconds = 86400;  // next_update = produced_at + this
  // A filter is rebuilt when the log has moved and the cached one is at least this old (bounds
  // rebuild work while certificates are issued continuously; 0 = rebuild on every move).
  std::chrono::milliseconds min_rebuild_interval{10000};
  std::function<int64_t()> now_seconds;  // injected clock; the system clock when empty
  // A delta of more changes than this is not built (a public caller asking ?since=0 of ten
  // million certificates would make the server list them all): the full filter is the answer.
  size_t max_delta_changes = 100'000;
};

struct SignedStatusFilter {
  uint64_t tree_size = 0;
  int64_t produced_at = 0;
  uint64_t certificates = 0;
  uint64_t not_valid = 0;
  bool delta = false;
  std::string bytes;  // the signed file
};

// Builds and signs a full filter on `conn`. Unavailable / Internal from the database.
Result<SignedStatusFilter> buildStatusFilter(pqxx::connection& conn, const certs::Signer& signer,
                                             const StatusFilterOptions& options);

// Builds and signs the delta from tree size `since` to the log's current size. InvalidArgument
// (field "since") when `since` is past the current size; PayloadTooLarge (field "since") when the
// delta would hold more than options.max_delta_changes changes.
Result<SignedStatusFilter> buildStatusDelta(pqxx::connection& conn, const certs::Signer& signer,
                                            uint64_t since, const StatusFilterOptions& options);

// The exchange's cache: one signed full filter, rebuilt when the log moves (checked with one
// indexed read of certs.log_state per call). While a rebuild runs, other callers get the previous
// filter instead of waiting. Thread-safe.
class StatusFilterCache {
 public:
  StatusFilterCache(db::ConnectionPool& pool, std::shared_ptr<const certs::Signer> signer,
                    StatusFilterOptions options = {});

  Result<std::shared_ptr<const SignedStatusFilter>> current();
  // The delta from `since`, or the current full filter when the delta would be larger than
  // max_delta_changes (the file says which it is). InvalidArgument "since" past the log's size.
  Result<std::shared_ptr<const SignedStatusFilter>> deltaSince(uint64_t since);
  uint64_t builds() const;  // filters built so far (metrics, tests)

 private:
  int64_t now() const;

  db::ConnectionPool& pool_;
  std::shared_ptr<const certs::Signer> signer_;
  StatusFilterOptions options_;
  std::mutex build_mutex_;          // held while building; serialises builds
  mutable std::mutex state_mutex_;  // guards cached_, builds_
  std::shared_ptr<const SignedStatusFilter> cached_;
  std::chrono::steady_clock::time_point cached_at_;
  uint64_t builds_ = 0;
};

}  // namespace tongban::verification
