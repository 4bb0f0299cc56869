// openIndex: the initial load (COPY under one REPEATABLE READ snapshot) and the applier thread
// (LISTEN, catch-up by seq, reconnect with backoff), over the structures of index_store.h.
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <tuple>

#include <Poco/Logger.h>

#include "feed_reader.h"
#include "index_store.h"
#include "pg_conn.h"
#include "tongban/common/log.h"
#include "tongban/verification/index.h"

namespace tongban::verification {
namespace {

using store::Store;

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t toI64(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

uint32_t regionOf(std::string_view six) {
  uint32_t r = 0;
  for (char c : six) r = r * 10 + static_cast<uint32_t>(c >= '0' && c <= '9' ? c - '0' : 0);
  return r;
}

// Splits a COPY text line into fields (no field the index reads contains an escape).
size_t splitTabs(std::string_view line, std::string_view* out, size_t max) {
  size_t n = 0, start = 0;
  while (n < max) {
    const size_t tab = line.find('\t', start);
    out[n++] =
        line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return n;
}

constexpr const char* kApplicationName = "tongban-verification-index";

FeedSpec certsFeed() {
  return {"certs.changes", "certs.changes",
          "ch.certificate_id, ch.status, c.seal_id, ch.valid_from - DATE '1970-01-01', "
          "ch.valid_to - DATE '1970-01-01', ch.holder_code",
          "certs.changes ch JOIN certs.certificates c USING (certificate_id)", "ch.seq"};
}
FeedSpec sealsFeed() {
  return {"certs.seal_changes", "certs.seal_changes", "seal_id, status", "certs.seal_changes",
          "seq"};
}
FeedSpec populationFeed() {
  return {"population.changes", "population.changes", "op, citizen_id, region_code, status",
          "population.changes", "seq"};
}
FeedSpec entityFeed() {
  return {"legal_entity.changes", "legal_entity.changes",
          "op, credit_code, status, legal_rep_citizen_id", "legal_entity.changes", "seq"};
}

class IndexImpl : public Index {
 public:
  explicit IndexImpl(IndexOptions options)
      : options_(std::move(options)),
        certs_(certsFeed()),
        seals_(sealsFeed()),
        population_(populationFeed()),
        entities_(entityFeed()) {}

  ~IndexImpl() override {
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    if (applier_.joinable()) applier_.join();
  }

  Status load();
  void start() {
    applier_ = std::thread([this] { run(); });
  }

  // Index
  void evaluate(const Check* checks, size_t n, Answer* answers, AsOf* as_of,
                int32_t today) const override {
    *as_of = asOf();
    for (size_t i = 0; i < n; ++i) answers[i] = store_.evaluate(checks[i], today);
  }

  AsOf scanPersons(const Check* predicate, size_t n, int32_t today, const std::string& after,
                   const std::function<bool(const std::string&)>& emit) const override {
    const AsOf as_of = asOf();
    store_.scanPersons(predicate, n, today, after, emit);
    return as_of;
  }

  IndexHealth health() const override {
    IndexHealth h;
    h.loaded = true;
    h.connected = connected_.load(std::memory_order_acquire);
    h.as_of = asOf();
    h.stale = h.as_of.stale;
    h.lag_micros = nowMicros() - last_contact_.load(std::memory_order_acquire);
    h.certificates = store_.certificates();
    h.persons = store_.persons();
    h.entities = store_.entities();
    h.bytes = store_.bytes();
    h.certificate_bytes = store_.certificateBytes();
    h.person_bytes = store_.personBytes();
    h.unindexed = store_.unindexed();
    h.reconnects = reconnects_.load(std::memory_order_relaxed);
    h.feed_gaps = gaps_.load(std::memory_order_relaxed);
    return h;
  }

 private:
  AsOf asOf() const {
    AsOf a;
    a.certs_seq = store_.positions.certs_seq.load(std::memory_order_acquire);
    a.seals_seq = store_.positions.seals_seq.load(std::memory_order_acquire);
    a.population_seq = store_.positions.population_seq.load(std::memory_order_acquire);
    a.legal_entity_seq = store_.positions.legal_entity_seq.load(std::memory_order_acquire);
    a.at_micros = store_.positions.at_micros.load(std::memory_order_acquire);
    const int64_t lag = nowMicros() - last_contact_.load(std::memory_order_acquire);
    a.stale =
        lag > std::chrono::duration_cast<std::chrono::microseconds>(options_.stale_after).count();
    return a;
  }

  void applyCert(const PgResult& r, int i, int base);
  void applySeal(const PgResult& r, int i, int base);
  void applyPerson(const PgResult& r, int i);
  void applyEntity(const PgResult& r, int i);
  Status catchUp(PgConn& conn);
  void publishPositions(int64_t at);
  void run();
  bool sleepFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(stop_mutex_);
    return !stop_cv_.wait_for(lock, d, [this] { return stop_; });
  }

  IndexOptions options_;
  Store store_;
  FeedCursor certs_, seals_, population_, entities_;
  int64_t newest_at_ = 0;  // applier only
  std::atomic<bool> connected_{false};
  std::atomic<int64_t> last_contact_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> gaps_{0};
  std::mutex stop_mutex_;  // guards stop_ (the applier's sleeps wait on it; readers never)
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread applier_;
};

void IndexImpl::applyCert(const PgResult& r, int i, int b) {
  store::CertStatus status;
  if (!store::parseCertStatus(r.get(i, b + 1), &status)) return;
  store_.putCertificate(r.get(i, b), status, r.get(i, b + 2), toI64(r.get(i, b + 3)),
                        r.isNull(i, b + 4) ? store::kLongTerm : toI64(r.get(i, b + 4)),
                        r.get(i, b + 5));
}

void IndexImpl::applySeal(const PgResult& r, int i, int b) {
  const std::string_view s = r.get(i, b + 1);
  store_.putSeal(r.get(i, b), s == "active"      ? store::SealStatus::kActive
                              : s == "suspended" ? store::SealStatus::kSuspended
                                                 : store::SealStatus::kRevoked);
}

void IndexImpl::applyPerson(const PgResult& r, int i) {
  const std::string_view op = r.get(i, 2);
  if (op == "T") {
    store_.deleteAllPersons();
  } else if (op == "D") {
    store_.putPerson(r.get(i, 3), 0, store::PersonStatus::kDeleted);
  } else {
    store::PersonStatus status;
    if (store::parsePersonStatus(r.get(i, 5), &status)) {
      store_.putPerson(r.get(i, 3), regionOf(r.get(i, 4)), status);
    }
  }
}

void IndexImpl::applyEntity(const PgResult& r, int i) {
  const std::string_view op = r.get(i, 2);
  if (op == "T") {
    store_.deleteAllEntities();
  } else if (op == "D") {
    store_.putEntity(r.get(i, 3), store::EntityStatus::kDeleted, {});
  } else {
    store::EntityStatus status;
    if (store::parseEntityStatus(r.get(i, 4), &status)) {
      store_.putEntity(r.get(i, 3), status, r.get(i, 5));
    }
  }
}

void IndexImpl::publishPositions(int64_t at) {
  store_.publish();
  auto& p = store_.positions;
  p.certs_seq.store(certs_.position(), std::memory_order_release);
  p.seals_seq.store(seals_.position(), std::memory_order_release);
  p.population_seq.store(population_.position(), std::memory_order_release);
  p.legal_entity_seq.store(entities_.position(), std::memory_order_release);
  if (at > newest_at_) newest_at_ = at;
  p.at_micros.store(newest_at_, std::memory_order_release);
  gaps_.store(certs_.gaps() + seals_.gaps() + population_.gaps() + entities_.gaps(),
              std::memory_order_relaxed);
}

Status IndexImpl::load() {
  auto conn = PgConn::connect(options_.database_url, kApplicationName);
  if (!conn) return conn.status();
  PgConn& c = **conn;
  auto st = c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!st) return st.status();
  auto head = c.exec(
      "SELECT pg_snapshot_xmax(pg_current_snapshot())::text, "
      "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint, "
      "(SELECT coalesce(max(seq), 0) FROM certs.changes), "
      "(SELECT coalesce(max(seq), 0) FROM certs.seal_changes), "
      "(SELECT coalesce(max(seq), 0) FROM population.changes), "
      "(SELECT coalesce(max(seq), 0) FROM legal_entity.changes)");
  if (!head) return head.status();
  const auto xmax = static_cast<uint64_t>(toI64(head->get(0, 0)));
  const int64_t at = toI64(head->get(0, 1));
  const auto seq = [&](int col) { return static_cast<uint64_t>(toI64(head->get(0, col))); };
  // certs.changes commits in seq order (its writers hold the log lock): no gaps to remember.
  certs_.reset(seq(2), {});
  for (auto [cursor, table, col] : {std::tuple{&seals_, "certs.seal_changes", 3},
                                    std::tuple{&population_, "population.changes", 4},
                                    std::tuple{&entities_, "legal_entity.changes", 5}}) {
    auto gaps = FeedCursor::findGaps(c, table, seq(col), xmax);
    if (!gaps) return gaps.status();
    cursor->reset(seq(col), std::move(*gaps));
  }
  // Size the key tables from the planner's row estimates (+10%), so the load does not grow them.
  auto estimates = c.exec(
      "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid IN "
      "('certs.certificates'::regclass, 'population.persons'::regclass, "
      "'legal_entity.entities'::regclass) ORDER BY oid = 'certs.certificates'::regclass DESC, "
      "oid = 'population.persons'::regclass DESC");
  if (!estimates) return estimates.status();
  if (estimates->rows() == 3) {
    const auto est = [&](int row) {
      return static_cast<size_t>(toI64(estimates->get(row, 0))) * 11 / 10;
    };
    // Holders: at most one per certificate; persons and entities bound them in practice.
    store_.reserve(est(0), std::min(est(0), est(1) + est(2)), est(1), est(2));
  }
  std::string_view f[8];
  Status s = c.copyOut("COPY (SELECT seal_id, status FROM certs.seals) TO STDOUT",
                       [&](std::string_view line) {
                         if (splitTabs(line, f, 2) != 2) return;
                         store_.putSeal(f[0], f[1] == "active"      ? store::SealStatus::kActive
                                              : f[1] == "suspended" ? store::SealStatus::kSuspended
                                                                    : store::SealStatus::kRevoked);
                       });
  if (!s) return s;
  s = c.copyOut(
      "COPY (SELECT certificate_id, status, seal_id, valid_from - DATE '1970-01-01', "
      "valid_to - DATE '1970-01-01', holder_code FROM certs.certificates) TO STDOUT",
      [&](std::string_view line) {
        if (splitTabs(line, f, 6) != 6) return;
        store::CertStatus status;
        if (!store::parseCertStatus(f[1], &status)) return;
        store_.putCertificate(f[0], status, f[2], toI64(f[3]),
                              f[4] == "\\N" ? store::kLongTerm : toI64(f[4]), f[5]);
      });
  if (!s) return s;
  s = c.copyOut(
      "COPY (SELECT citizen_id, region_code, status FROM population.persons "
      "ORDER BY citizen_id COLLATE \"C\") TO STDOUT",
      [&](std::string_view line) {
        if (splitTabs(line, f, 3) != 3) return;
        store::PersonStatus status;
        if (store::parsePersonStatus(f[2], &status)) store_.putPerson(f[0], regionOf(f[1]), status);
      });
  if (!s) return s;
  store_.publish();
  store_.setSortedPersons(store_.sortedPersonPrefix());
  s = c.copyOut(
      "COPY (SELECT credit_code, status, legal_rep_citizen_id FROM legal_entity.entities) "
      "TO STDOUT",
      [&](std::string_view line) {
        if (splitTabs(line, f, 3) != 3) return;
        store::EntityStatus status;
        if (store::parseEntityStatus(f[1], &status)) store_.putEntity(f[0], status, f[2]);
      });
  if (!s) return s;
  if (auto done = c.exec("COMMIT"); !done) return done.status();
  last_contact_.store(nowMicros(), std::memory_order_release);
  publishPositions(at);
  return Status();
}

Status IndexImpl::catchUp(PgConn& conn) {
  int64_t newest = 0;
  auto track = [&](const PgResult& r, int i) {
    const int64_t at = toI64(r.get(i, 1));
    if (at > newest) newest = at;
  };
  auto s = seals_.poll(conn, [&](const PgResult& r, int i) {
    track(r, i);
    applySeal(r, i, 2);
  });
  if (!s) return s.status();
  publishPositions(newest);
  s = certs_.poll(conn, [&](const PgResult& r, int i) {
    track(r, i);
    applyCert(r, i, 2);
  });
  if (!s) return s.status();
  publishPositions(newest);
  s = population_.poll(conn, [&](const PgResult& r, int i) {
    track(r, i);
    applyPerson(r, i);
  });
  if (!s) return s.status();
  publishPositions(newest);
  s = entities_.poll(conn, [&](const PgResult& r, int i) {
    track(r, i);
    applyEntity(r, i);
  });
  if (!s) return s.status();
  last_contact_.store(nowMicros(), std::memory_order_release);
  publishPositions(newest);
  return Status();
}

void IndexImpl::run() {
  std::unique_ptr<PgConn> conn;
  auto backoff = options_.reconnect_backoff;
  const auto heartbeat = std::chrono::milliseconds(
      std::max<int64_t>(50, std::min<int64_t>(1000, options_.stale_after.count() / 4)));
  auto next_poll = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      if (stop_) return;
    }
    if (!conn) {
      auto c = PgConn::connect(options_.database_url, kApplicationName);
      Status s = c ? Status() : c.status();
      if (s) {
        for (const char* ch : {"LISTEN certs_changes", "LISTEN certs_seal_changes",
                               "LISTEN population_changes", "LISTEN legal_entity_changes"}) {
          if (auto r = (*c)->exec(ch); !r) {
            s = r.status();
            break;
          }
        }
      }
      if (s) s = catchUp(**c);  // LISTEN first, then read: nothing committed in between is lost
      if (!s) {
        connected_.store(false, std::memory_order_release);
        logJson(Poco::Logger::get("verification"), Poco::Message::PRIO_WARNING,
                "verification index: database unreachable",
                {{"error", s.toString()}, {"retry_ms", static_cast<int64_t>(backoff.count())}});
        if (!sleepFor(backoff)) return;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      conn = std::move(*c);
      connected_.store(true, std::memory_order_release);
      reconnects_.fetch_add(1, std::memory_order_relaxed);
      backoff = options_.reconnect_backoff;
      next_poll = std::chrono::steady_clock::now() + heartbeat;
    }
    auto notes = conn->waitNotifications(std::chrono::milliseconds(100));
    Status s = notes ? Status() : notes.status();
    if (s && (!notes->empty() || std::chrono::steady_clock::now() >= next_poll)) {
      s = catchUp(*conn);
      next_poll = std::chrono::steady_clock::now() + heartbeat;
    }
    if (!s) {
      logJson(Poco::Logger::get("verification"), Poco::Message::PRIO_WARNING,
              "verification index: feed connection lost", {{"error", s.toString()}});
      connected_.store(false, std::memory_order_release);
      conn.reset();
    }
  }
}

}  // namespace

Result<std::unique_ptr<Index>> openIndex(const IndexOptions& options) {
  auto index = std::make_unique<IndexImpl>(options);
  if (Status s = index->load(); !s) return s;
  index->start();
  return std::unique_ptr<Index>(std::move(index));
}

}  // namespace tongban::verification
