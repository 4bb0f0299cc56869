// The status filter from PostgreSQL: full filters and deltas in one snapshot each, and the cache
// the exchange serves them from.
#include "tongban/verification/status_filter_service.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "tongban/common/crypto.h"

namespace tongban::verification {
namespace {

using Snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

constexpr const char* kFetch = "FETCH 50000 FROM status_filter_rows";

int64_t systemSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

uint64_t logSize(Snapshot& tx) {
  return tx.exec1("SELECT size FROM certs.log_state").at(0).as<uint64_t>();
}

// Calls fn(certificate_id, valid) for each row of `select` (two columns), fetched through a cursor
// in chunks so that ten million rows never sit in one result.
template <typename Fn>
void forEachRow(Snapshot& tx, const std::string& select, Fn&& fn) {
  tx.exec("DECLARE status_filter_rows NO SCROLL CURSOR FOR " + select);
  for (;;) {
    pqxx::result rows = tx.exec(kFetch);
    if (rows.empty()) break;
    for (const pqxx::row& row : rows) {
      const pqxx::field id = row[0];
      fn(std::string_view(id.c_str(), id.size()), row[1].as<bool>());
    }
  }
  tx.exec("CLOSE status_filter_rows");
}

}  // namespace

Result<SignedStatusFilter> buildStatusFilter(pqxx::connection& conn, const certs::Signer& signer,
                                             const StatusFilterOptions& options) {
  StatusFilterFile file;
  std::string salt = randomBytes(file.salt.size());
  std::memcpy(file.salt.data(), salt.data(), file.salt.size());
  std::vector<IdDigest> valid, not_valid;
  try {
    Snapshot tx(conn);
    file.tree_size = logSize(tx);
    valid.reserve(tx.exec1("SELECT count(*) FROM certs.certificates").at(0).as<size_t>());
    forEachRow(tx,
               "SELECT c.certificate_id, c.status = 'valid' AND s.status = 'active' "
               "FROM certs.certificates c JOIN certs.seals s ON s.seal_id = c.seal_id "
               "WHERE c.log_index < " +
                   std::to_string(file.tree_size),
               [&](std::string_view id, bool ok) {
                 (ok ? valid : not_valid).push_back(idDigest(file.salt, id));
               });
    tx.commit();
  } catch (const pqxx::broken_connection& e) {
    return Status::unavailable(std::string("database connection lost: ") + e.what());
  } catch (const pqxx::failure& e) {
    return Status::internal(std::string("status filter query failed: ") + e.what());
  }
  file.valid_count = valid.size();
  file.not_valid_count = not_valid.size();
  Result<FilterCascade> cascade = FilterCascade::build(std::move(valid), std::move(not_valid));
  if (!cascade) return cascade.status();
  file.cascade = std::move(*cascade);
  file.produced_at = options.now_seconds ? options.now_seconds() : systemSeconds();
  file.next_update = file.produced_at + options.validity_seconds;
  Result<std::string> bytes = signStatusFilter(encodeFullFilter(file), signer);
  if (!bytes) return bytes.status();
  SignedStatusFilter out;
  out.tree_size = file.tree_size;
  out.produced_at = file.produced_at;
  out.certificates = file.valid_count + file.not_valid_count;
  out.not_valid = file.not_valid_count;
  out.bytes = std::move(*bytes);
  return out;
}

Result<SignedStatusFilter> buildStatusDelta(pqxx::connection& conn, const certs::Signer& signer,
                                            uint64_t since, const StatusFilterOptions& options) {
  StatusFilterFile delta;
  delta.kind = kStatusFilterDelta;
  delta.base_tree_size = since;
  try {
    Snapshot tx(conn);
    delta.tree_size = logSize(tx);
    if (since > delta.tree_size) {
      return Status::invalid("since", "since (" + std::to_string(since) +
                                          ") is past the log's size (" +
                                          std::to_string(delta.tree_size) + ")");
    }
    const std::string m = std::to_string(since), n = std::to_string(delta.tree_size);
    forEachRow(
        tx,
        "SELECT c.certificate_id, c.status = 'valid' AND s.status = 'active' "
        "FROM certs.certificates c JOIN certs.seals s ON s.seal_id = c.seal_id "
        "WHERE c.log_index < " +
            n + " AND (c.log_index >= " + m +
            " OR c.certificate_id IN (SELECT certificate_id FROM certs.status_events "
            "WHERE log_index >= " +
            m + " AND log_index < " + n +
            ") OR c.seal_id IN (SELECT seal_id FROM certs.seal_events WHERE log_index >= " + m +
            " AND log_index < " + n + ")) LIMIT " + std::to_string(options.max_delta_changes + 1),
        [&](std::string_view id, bool ok) {
          delta.changes.push_back(StatusChange{std::string(id), ok});
        });
    tx.commit();
    if (delta.changes.size() > options.max_delta_changes) {
      return Status(ErrorCode::kPayloadTooLarge,
                    "the delta since " + m + " holds more than " +
                        std::to_string(options.max_delta_changes) +
                        " changes: fetch the full filter",
                    "since");
    }
  } catch (const pqxx::broken_connection& e) {
    return Status::unavailable(std::string("database connection lost: ") + e.what());
  } catch (const pqxx::failure& e) {
    return Status::internal(std::string("status delta query failed: ") + e.what());
  }
  std::sort(delta.changes.begin(), delta.changes.end(),
            [](const StatusChange& a, const StatusChange& b) {
              return a.certificate_id < b.certificate_id;
            });
  delta.produced_at = options.now_seconds ? options.now_seconds() : systemSeconds();
  delta.next_update = delta.produced_at + options.validity_seconds;
  Result<std::string> body = encodeDelta(delta);
  if (!body) return body.status();
  Result<std::string> bytes = signStatusFilter(*body, signer);
  if (!bytes) return bytes.status();
  SignedStatusFilter out;
  out.tree_size = delta.tree_size;
  out.produced_at = delta.produced_at;
  out.certificates = delta.changes.size();
  out.delta = true;
  out.bytes = std::move(*bytes);
  return out;
}

StatusFilterCache::StatusFilterCache(db::ConnectionPool& pool,
                                     std::shared_ptr<const certs::Signer> signer,
                                     StatusFilterOptions options)
    : pool_(pool), signer_(std::move(signer)), options_(std::move(options)) {}

int64_t StatusFilterCache::now() const {
  return options_.now_seconds ? options_.now_seconds() : systemSeconds();
}

uint64_t StatusFilterCache::builds() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  return builds_;
}

Result<std::shared_ptr<const SignedStatusFilter>> StatusFilterCache::current() {
  if (!signer_) return Status::unavailable("no status key is configured");
  std::shared_ptr<const SignedStatusFilter> cached;
  std::chrono::steady_clock::time_point cached_at;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    cached = cached_;
    cached_at = cached_at_;
  }
  if (cached) {
    Result<uint64_t> size = db::withConnection(pool_, [](pqxx::connection& c) -> Result<uint64_t> {
      pqxx::read_transaction tx(c);
      return tx.exec1("SELECT size FROM certs.log_state").at(0).as<uint64_t>();
    });
    // The database down: the filter in hand is still signed and still says what it says.
    if (!size) return cached;
    const bool moved = *size != cached->tree_size;
    const bool young = std::chrono::steady_clock::now() - cached_at < options_.min_rebuild_interval;
    const bool half_expired = now() - cached->produced_at > options_.validity_seconds / 2;
    if ((!moved || young) && !half_expired) return cached;
  }
  std::unique_lock<std::mutex> build(build_mutex_, std::defer_lock);
  if (cached) {
    if (!build.try_lock()) return cached;  // another caller is rebuilding
  } else {
    build.lock();
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (cached_) return cached_;  // built while this caller waited
  }
  Result<SignedStatusFilter> built = db::withConnection(
      pool_, [&](pqxx::connection& c) { return buildStatusFilter(c, *signer_, options_); });
  if (!built)
    return cached ? Result<std::shared_ptr<const SignedStatusFilter>>(cached)
                  : Result<std::shared_ptr<const SignedStatusFilter>>(built.status());
  auto fresh = std::make_shared<const SignedStatusFilter>(std::move(*built));
  std::lock_guard<std::mutex> lock(state_mutex_);
  cached_ = fresh;
  cached_at_ = std::chrono::steady_clock::now();
  ++builds_;
  return fresh;
}

Result<std::shared_ptr<const SignedStatusFilter>> StatusFilterCache::deltaSince(uint64_t since) {
  if (!signer_) return Status::unavailable("no status key is configured");
  Result<SignedStatusFilter> delta = db::withConnection(
      pool_, [&](pqxx::connection& c) { return buildStatusDelta(c, *signer_, since, options_); });
  if (!delta && delta.status().code() == ErrorCode::kPayloadTooLarge) return current();
  if (!delta) return delta.status();
  return std::make_shared<const SignedStatusFilter>(std::move(*delta));
}

}  // namespace tongban::verification
