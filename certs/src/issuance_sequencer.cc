// Group commit of certificate issuance: see issuance_sequencer.h.
#include "issuance_sequencer.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <utility>

#include "certs_internal.h"
#include "issuance_checks.h"
#include "tongban/certs/certificate.h"
#include "tongban/certs/pki.h"
#include "tongban/common/encoding.h"
#include "tongban/common/pg_copy.h"

namespace tongban::certs::internal {

// Counts the items of a batch whose phase 2 has not finished yet.
struct SignBarrier {
  std::mutex mu;  // guards remaining
  std::condition_variable cv;
  size_t remaining = 0;
};

namespace {

using Phase = PendingIssuance::Phase;

Status conflict(std::string message, std::string field = {}) {
  return Status(ErrorCode::kConflict, std::move(message), std::move(field));
}

// ---- statements (prepared once per connection)

// Retries with one key serialise here, across processes too; sorted so that two sequencers
// never wait for each other in a cycle. OFFSET 0 keeps the ordered subquery from being flattened.
constexpr const char* kLockKeys =
    "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 4) AS h "
    "FROM unnest($1::text[]) AS k ORDER BY h OFFSET 0) AS x";

// LATERAL ... LIMIT 1 keeps this an index probe per key whatever the statistics say.
constexpr const char* kExisting =
    "SELECT u.issuer::text, u.key, c.certificate_id, c.request_digest "
    "FROM unnest($1::bpchar[], $2::text[]) AS u(issuer, key) "
    "CROSS JOIN LATERAL (SELECT certificate_id, request_digest FROM certs.certificates c "
    "WHERE c.issuer_code = u.issuer AND c.idempotency_key = u.key LIMIT 1) AS c";

// FOR SHARE: a seal cannot be suspended or revoked while a batch that it signs is open.
constexpr const char* kSeals =
    "SELECT seal_id, owner_code::text, name, status, key_id, algorithm, signer_certificate, "
    "(extract(epoch FROM valid_from) * 1000000)::bigint, "
    "(extract(epoch FROM valid_to) * 1000000)::bigint "
    "FROM certs.seals WHERE seal_id = ANY($1::text[]) ORDER BY seal_id FOR SHARE";

constexpr const char* kHolders =
    "SELECT 'person', citizen_id::text, name, status FROM population.persons "
    "WHERE citizen_id = ANY($1::bpchar[]) "
    "UNION ALL SELECT 'entity', credit_code::text, name, status FROM legal_entity.entities "
    "WHERE credit_code = ANY($2::bpchar[])";

// The current (valid or suspended) certificate of each (type, holder) asked for, if any: types
// unique per holder (certificate_type.h). Runs under the advisory locks on those pairs.
constexpr const char* kCurrent =
    "SELECT u.type_code::text, u.holder_code, c.certificate_id "
    "FROM unnest($1::bpchar[], $2::text[]) AS u(type_code, holder_code) "
    "CROSS JOIN LATERAL (SELECT certificate_id FROM certs.certificates c "
    "WHERE c.holder_code = u.holder_code AND c.type_code = u.type_code "
    "AND c.status IN ('valid', 'suspended') ORDER BY c.certificate_id LIMIT 1) AS c";

// The versions that corrections supersede, locked until COMMIT (sorted: no lock cycles).
constexpr const char* kSuperseded =
    "SELECT certificate_id, status FROM certs.certificates WHERE certificate_id = ANY($1::text[]) "
    "ORDER BY certificate_id FOR UPDATE";

constexpr const char* kDepartments =
    "SELECT code::text, name FROM directory.departments WHERE code = ANY($1::bpchar[])";

// Reserves n serials per (issuer, year); the row locks are held until COMMIT, so serials come
// out gap-free and in commit order, across processes too.
constexpr const char* kSerials =
    "INSERT INTO certs.serial_counters AS s (issuer_code, year, last) "
    "SELECT u.issuer, u.year, u.n FROM unnest($1::bpchar[], $2::int[], $3::bigint[]) "
    "AS u(issuer, year, n) ORDER BY 1, 2 "
    "ON CONFLICT (issuer_code, year) DO UPDATE SET last = s.last + EXCLUDED.last "
    "RETURNING issuer_code::text, year, last";

constexpr const char* kSerialSet =
    "UPDATE certs.serial_counters SET last = $3 WHERE issuer_code = $1 AND year = $2";
constexpr const char* kSerialDrop =
    "DELETE FROM certs.serial_counters WHERE issuer_code = $1 AND year = $2";

// New versions (u), superseded versions (s), their status events and change-feed rows, in one
// statement (foreign keys are checked at its end), after the leaves were appended. Events and
// change-feed rows in log order.
constexpr const char* kWrite =
    "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], "
    "$13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], "
    "$20::bigint[], $21::text[], $22::int[], $23::text[]) AS u(certificate_id, type_code, "
    "issuer_code, serial, number, holder_name, holder_code, holder_code_type, surface, payload, "
    "signature, algorithm, seal_id, issued_at, issue_date, valid_from, valid_to, idempotency_key, "
    "request_digest, log_index, actor, version, supersedes)), "
    "s AS (SELECT * FROM unnest($24::text[], $25::text[], $26::text[], $27::text[], $28::text[], "
    "$29::text[], $30::bigint[]) AS s(certificate_id, superseded_by, from_status, note, at, actor, "
    "log_index)), "
    "certificates AS (INSERT INTO certs.certificates (certificate_id, type_code, issuer_code, "
    "serial, version, supersedes, number, holder_name, holder_code, holder_code_type, surface, "
    "payload, signature, algorithm, seal_id, issued_at, issue_date, valid_from, valid_to, "
    "status_changed_at, idempotency_key, request_digest, log_index) "
    "SELECT certificate_id, type_code, issuer_code, serial, version, NULLIF(supersedes, ''), "
    "number, holder_name, holder_code, holder_code_type, surface::jsonb, decode(payload, 'hex'), "
    "decode(signature, 'hex'), algorithm, seal_id, issued_at::timestamptz, issue_date::date, "
    "valid_from::date, valid_to::date, issued_at::timestamptz, idempotency_key, "
    "decode(request_digest, 'hex'), log_index FROM u), "
    "superseded AS (UPDATE certs.certificates c SET status = 'superseded', "
    "superseded_by = s.superseded_by, status_reason = NULLIF(s.note, ''), "
    "status_changed_at = s.at::timestamptz FROM s WHERE c.certificate_id = s.certificate_id "
    "RETURNING c.certificate_id, c.type_code, c.issuer_code, c.holder_code_type, c.holder_code, "
    "c.valid_from, c.valid_to, c.open_objections, s.log_index), "
    "events AS (INSERT INTO certs.status_events (certificate_id, at, action, from_status, "
    "to_status, note, actor, log_index) SELECT * FROM (SELECT certificate_id, "
    "issued_at::timestamptz, 'issue', NULL::text, 'valid', NULL::text, actor, log_index FROM u "
    "UNION ALL SELECT certificate_id, at::timestamptz, 'supersede', from_status, 'superseded', "
    "NULLIF(note, ''), actor, log_index FROM s) AS e ORDER BY log_index) "
    "INSERT INTO certs.changes (certificate_id, event, status, type_code, issuer_code, "
    "holder_code_type, holder_code, valid_from, valid_to, open_objections) "
    "SELECT certificate_id, event, status, type_code, issuer_code, holder_code_type, holder_code, "
    "valid_from, valid_to, open_objections FROM (SELECT certificate_id, 'issue' AS event, "
    "'valid' AS status, type_code::bpchar, issuer_code::bpchar, holder_code_type::bpchar, "
    "holder_code, valid_from::date, valid_to::date, 0 AS open_objections, log_index FROM u "
    "UNION ALL SELECT certificate_id, 'supersede', 'superseded', type_code, issuer_code, "
    "holder_code_type, holder_code, valid_from, valid_to, open_objections, log_index "
    "FROM superseded) AS ch ORDER BY log_index";

struct SealRow {
  std::string owner_code;
  std::string name;
  std::string status;
  std::string key_id;
  SignatureAlgorithm algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  std::string certificate_pem;
  int64_t valid_from_micros = 0;
  int64_t valid_to_micros = 0;
};

// The advisory-lock key of a unique type's holder (kLockKeys).
std::string uniqueKey(const PendingIssuance& p) {
  return "unique\n" + p.type->code + "\n" + p.holder_code;
}

void assignSerial(PendingIssuance& p, int64_t n) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(n));
  p.serial_number = n;
  p.serial = p.issue_date.substr(0, 4) + digits;
  p.certificate_id = formatCertificateId(p.type->code, p.issuer_code, p.serial, 1);
}

uint64_t elapsedMicros(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - since)
                                   .count());
}

}  // namespace

uint64_t threadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

IssuanceStats IssuanceSequencer::stats() const {
  IssuanceStats s;
  s.issued = issued_.load();
  s.batches = batches_.load();
  s.failed_batches = failed_batches_.load();
  s.largest_batch = largest_batch_.load();
  s.lookup_us = lookup_us_.load();
  s.sign_wait_us = sign_wait_us_.load();
  s.write_us = write_us_.load();
  s.commit_us = commit_us_.load();
  s.prepare_cpu_us = prepare_cpu_us_.load();
  s.sign_cpu_us = sign_cpu_us_.load();
  return s;
}

Status signIssuance(PendingIssuance& p) {
  PayloadFields f;
  f.certificate_id = p.certificate_id;
  f.type_code = p.type->code;
  f.type_name = p.type->name;
  f.number = p.number.empty() ? p.serial : p.number;
  f.version = p.version;
  f.supersedes = p.supersedes;
  f.issuer_code = p.issuer_code;
  f.issuer_name = p.issuer_name;
  f.holder_name = p.holder_name;
  f.holder_code = p.holder_code;
  f.holder_code_type = p.holder_code_type;
  f.issue_date = p.issue_date;
  f.valid_from = p.valid_from;
  f.valid_to = p.valid_to;
  f.seal_id = p.seal_id;
  f.seal_name = p.seal_name;
  f.algorithm = algorithmName(p.algorithm);
  f.seal_certificate_serial = p.seal_certificate_serial;
  f.sealed_at = p.issued_at;
  f.surface = &p.surface;
  Result<std::string> payload = certificatePayload(f);
  if (!payload) return payload.status();
  Result<std::string> signature = p.signer->sign(*payload);
  if (!signature) return signature.status();
  p.leaf = certificateLeaf(p.certificate_id, "issue", statusName(CertificateStatus::kValid), "", "",
                           p.issued_at, *payload, *signature, 0, p.supersedes);
  if (p.isCorrection()) {
    p.supersede_leaf =
        certificateLeaf(p.supersedes, "supersede", statusName(CertificateStatus::kSuperseded),
                        p.superseded_status, "", p.issued_at, "", "", 0, p.certificate_id);
    p.supersede_leaf_hash = hashLeaf(p.supersede_leaf);
    p.supersede_leaf_hex = hexEncode(p.supersede_leaf);
  }
  p.leaf_hash = hashLeaf(p.leaf);
  p.payload = std::move(*payload);
  p.signature = std::move(*signature);
  p.payload_hex = hexEncode(p.payload);
  p.signature_hex = hexEncode(p.signature);
  p.leaf_hex = hexEncode(p.leaf);
  return Status();
}

IssuanceSequencer::IssuanceSequencer(Options options, SealRegistry& seals)
    : options_(std::move(options)), seals_(seals) {
  thread_ = std::thread([this] { loop(); });
}

IssuanceSequencer::~IssuanceSequencer() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void IssuanceSequencer::submit(const std::shared_ptr<PendingIssuance>& item) {
  const std::string key = item->issuer_code + "\n" + item->idempotency_key;
  for (;;) {
    std::shared_ptr<PendingIssuance> first;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (stopping_) {
        item->status = Status::unavailable("the certificate registry is shutting down");
        return;
      }
      auto [it, inserted] = inflight_.try_emplace(key, item);
      if (inserted) {
        queue_.push_back(item);
        break;
      }
      first = it->second;
    }
    // A retry of an issuance still in the sequencer: wait for it, then run (invariant 1).
    std::unique_lock<std::mutex> lock(first->mu);
    first->cv.wait(lock, [&] { return first->phase == Phase::kDone; });
  }
  queue_cv_.notify_one();

  std::shared_ptr<SignBarrier> barrier;
  {
    std::unique_lock<std::mutex> lock(item->mu);
    item->cv.wait(lock, [&] { return item->phase == Phase::kSign || item->phase == Phase::kDone; });
    if (item->phase == Phase::kDone) return;
    barrier = item->barrier;
  }
  // Phase 2, on this thread: the CPU-heavy part runs in parallel with the other requests.
  const uint64_t cpu = threadCpuMicros();
  item->sign_status = signIssuance(*item);
  sign_cpu_us_ += threadCpuMicros() - cpu;
  {
    std::lock_guard<std::mutex> lock(item->mu);
    item->phase = Phase::kSigned;
  }
  {
    std::lock_guard<std::mutex> lock(barrier->mu);
    if (--barrier->remaining == 0) barrier->cv.notify_one();
  }
  std::unique_lock<std::mutex> lock(item->mu);
  item->cv.wait(lock, [&] { return item->phase == Phase::kDone; });
}

void IssuanceSequencer::finish(const std::shared_ptr<PendingIssuance>& item, Status status) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    auto it = inflight_.find(item->issuer_code + "\n" + item->idempotency_key);
    if (it != inflight_.end() && it->second == item) inflight_.erase(it);
  }
  {
    std::lock_guard<std::mutex> lock(item->mu);
    item->status = std::move(status);
    item->phase = Phase::kDone;
  }
  item->cv.notify_all();
}

void IssuanceSequencer::loop() {
  for (;;) {
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and drained
      const size_t n = std::min(queue_.size(), options_.max_batch);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    runBatch(batch);
  }
  conn_.reset();
}

void IssuanceSequencer::prepareStatements() {
  conn_->prepare("issue_lock_keys", kLockKeys);
  conn_->prepare("issue_existing", kExisting);
  conn_->prepare("issue_seals", kSeals);
  conn_->prepare("issue_holders", kHolders);
  conn_->prepare("issue_current", kCurrent);
  conn_->prepare("issue_superseded", kSuperseded);
  conn_->prepare("issue_departments", kDepartments);
  conn_->prepare("issue_serials", kSerials);
  conn_->prepare("issue_serial_set", kSerialSet);
  conn_->prepare("issue_serial_drop", kSerialDrop);
  conn_->prepare("issue_write", kWrite);
  log_.prepare(*conn_);
}

// One batch in its transaction, handed from step to step.
struct IssuanceSequencer::Run {
  Batch& batch;
  pqxx::work& tx;
  std::vector<bool>& finished;  // done, or back in the queue: later steps skip it
  // What is left after the checks: issuances by (issuer, year of issue), and corrections (their
  // serial is the old version's), in queue order.
  std::map<std::pair<std::string, int>, std::vector<size_t>> groups;
  std::vector<size_t> corrections;
  std::map<std::pair<std::string, int>, int64_t> bases;  // each group's last serial before
  std::vector<size_t> order;                             // signed: what is written, queue order
};

void IssuanceSequencer::done(Run& run, size_t i, Status status) {
  run.finished[i] = true;
  finish(run.batch[i], std::move(status));
}

void IssuanceSequencer::runBatch(Batch& batch) {
  if (!connect(batch)) return;
  std::vector<bool> finished(batch.size(), false);
  try {
    pqxx::work tx(*conn_);
    Run run{batch, tx, finished, {}, {}, {}, {}};
    if (check(run) && sign(run)) {
      write(run);
    } else {
      tx.commit();  // nothing to write; releases the locks
    }
  } catch (const pqxx::sql_error& e) {
    // The database refused a statement of the batch (a value it cannot store, a constraint, a
    // deadlock...). One bad issuance must not fail the others (invariant 5): re-run each
    // unfinished one in a batch of its own; only the culprit fails then. (Not for a lost
    // connection or a COMMIT whose outcome is unknown: those are not sql_errors.)
    conn_.reset();
    log_.forget();
    ++failed_batches_;
    std::vector<size_t> unfinished;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!finished[i]) unfinished.push_back(i);
    }
    if (unfinished.size() > 1) {
      for (size_t i : unfinished) {
        Batch one{batch[i]};
        runBatch(one);
      }
      return;
    }
    const std::string state = e.sqlstate();
    for (size_t i : unfinished) {
      if (state.rfind("22", 0) == 0) {  // data exception: this issuance's content
        finish(batch[i], Status::invalid("body", std::string("the certificate store refused this "
                                                             "certificate's data: ") +
                                                     e.what()));
      } else if (state.rfind("23", 0) == 0) {  // integrity constraint
        finish(batch[i],
               Status(ErrorCode::kConflict,
                      std::string("the certificate store refused this certificate: ") + e.what()));
      } else {
        finish(batch[i], Status::unavailable("issuing a certificate failed (retry with the same "
                                             "Idempotency-Key): " +
                                             std::string(e.what())));
      }
    }
  } catch (const std::exception& e) {
    // Whatever happened, the database is the truth: reconnect and re-read the frontier next time.
    conn_.reset();
    log_.forget();
    ++failed_batches_;
    const std::string message =
        "issuing a batch of " + std::to_string(batch.size()) +
        " certificates failed (retry with the same Idempotency-Key): " + e.what();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!finished[i]) finish(batch[i], Status::unavailable(message));
    }
  }
}

// Phase 1: keys, superseded versions, replays, seals, holders, uniqueness, issuers, serials.
bool IssuanceSequencer::check(Run& run) {
  const auto start = std::chrono::steady_clock::now();
  lockKeys(run);
  checkSupersededVersions(run);
  findReplays(run);
  checkSeals(run);
  checkHolders(run);
  checkUniqueHolders(run);
  nameIssuers(run);
  if (run.groups.empty() && run.corrections.empty()) return false;
  if (!run.groups.empty()) allocateSerials(run);
  lookup_us_ += elapsedMicros(start);
  return true;
}

// Phase 2: the request threads sign; a failed signature leaves no serial gap.
bool IssuanceSequencer::sign(Run& run) {
  const auto start = std::chrono::steady_clock::now();
  signInRequestThreads(run);
  closeSerialGaps(run);
  if (run.order.empty()) return false;
  sign_wait_us_ += elapsedMicros(start);
  return true;
}

bool IssuanceSequencer::connect(Batch& batch) {
  if (conn_) return true;
  try {
    conn_ = std::make_unique<pqxx::connection>(options_.conninfo);
    prepareStatements();
    return true;
  } catch (const std::exception& e) {
    conn_.reset();
    for (const auto& item : batch) {
      finish(item, Status::unavailable(std::string("issuing certificates: database: ") + e.what()));
    }
    return false;
  }
}

// The advisory locks on the batch's keys and on the holders of unique types being issued.
void IssuanceSequencer::lockKeys(Run& run) {
  std::string lock_keys = "{";
  for (const auto& p : run.batch) {
    db::appendArrayElement(lock_keys, p->issuer_code + "\n" + p->idempotency_key);
    // Issuers of one unique type to one holder serialise here, across processes too.
    if (p->type->unique_per_holder && !p->isCorrection()) {
      db::appendArrayElement(lock_keys, uniqueKey(*p));
    }
  }
  lock_keys += "}";
  run.tx.exec_prepared("issue_lock_keys", lock_keys);
}

// Corrections: the version each supersedes, locked, must be current (valid or suspended).
void IssuanceSequencer::checkSupersededVersions(Run& run) {
  std::string ids = "{";
  for (const auto& p : run.batch) {
    if (p->isCorrection()) db::appendArrayElement(ids, p->supersedes);
  }
  if (ids.size() == 1) return;
  ids += "}";
  std::map<std::string, std::string> statuses;
  for (const auto& row : run.tx.exec_prepared("issue_superseded", ids)) {
    statuses[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  for (size_t i = 0; i < run.batch.size(); ++i) {
    PendingIssuance& p = *run.batch[i];
    if (!p.isCorrection()) continue;
    auto it = statuses.find(p.supersedes);
    if (it == statuses.end()) {
      done(run, i, Status::notFound("no certificate " + p.supersedes));
    } else if (it->second != statusName(CertificateStatus::kValid) &&
               it->second != statusName(CertificateStatus::kSuspended)) {
      done(run, i, conflict("cannot correct a certificate that is " + it->second));
    } else {
      p.superseded_status = it->second;
    }
  }
}

// The retries of committed issuances: a replay, or a conflict for a different request. A
// correction's key names the version it supersedes, which is then no longer current: its key is
// never found here unless an issuance used it.
void IssuanceSequencer::findReplays(Run& run) {
  std::string issuers = "{", keys = "{";
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i]) continue;
    db::appendArrayElement(issuers, run.batch[i]->issuer_code);
    db::appendArrayElement(keys, run.batch[i]->idempotency_key);
  }
  issuers += "}";
  keys += "}";
  std::map<std::string, std::pair<std::string, std::string>> existing;  // -> (id, digest)
  for (const auto& row : run.tx.exec_prepared("issue_existing", issuers, keys)) {
    existing[row[0].as<std::string>() + "\n" + row[1].as<std::string>()] = {
        row[2].as<std::string>(), fromBytea(row[3])};
  }
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i]) continue;
    PendingIssuance& p = *run.batch[i];
    auto it = existing.find(p.issuer_code + "\n" + p.idempotency_key);
    if (it == existing.end()) continue;
    if (it->second.second != p.request_digest || p.isCorrection()) {
      done(run, i,
           conflict("Idempotency-Key " + p.idempotency_key +
                        " was used for a different request (certificate " + it->second.first + ")",
                    "idempotency_key"));
    } else {
      p.existing_id = it->second.first;
      done(run, i, Status());
    }
  }
}

// The seals FOR SHARE (issuance_checks.h), their signers and certificate serials.
void IssuanceSequencer::checkSeals(Run& run) {
  std::map<std::string, SealRow> seal_rows;
  std::string ids = "{";
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (!run.finished[i]) db::appendArrayElement(ids, run.batch[i]->seal_id);
  }
  ids += "}";
  for (const auto& row : run.tx.exec_prepared("issue_seals", ids)) {
    SealRow s;
    s.owner_code = row[1].as<std::string>();
    s.name = row[2].as<std::string>();
    s.status = row[3].as<std::string>();
    s.key_id = row[4].as<std::string>();
    s.algorithm = parseAlgorithm(row[5].as<std::string>()).value();
    s.certificate_pem = row[6].as<std::string>();
    s.valid_from_micros = row[7].as<int64_t>();
    s.valid_to_micros = row[8].as<int64_t>();
    seal_rows.emplace(row[0].as<std::string>(), std::move(s));
  }
  std::map<std::string, Result<std::shared_ptr<const Signer>>> signers;
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i]) continue;
    PendingIssuance& p = *run.batch[i];
    auto it = seal_rows.find(p.seal_id);
    if (it == seal_rows.end()) {
      done(run, i, Status::invalid("seal_id", "no seal " + p.seal_id));
      continue;
    }
    const SealRow& seal = it->second;
    if (Status s = checkSeal(p.seal_id, p.issuer_code,
                             {seal.owner_code, seal.status,
                              seal.valid_from_micros <= p.issued_at_micros &&
                                  seal.valid_to_micros > p.issued_at_micros});
        !s) {
      done(run, i, std::move(s));
      continue;
    }
    auto signer = signers.find(seal.key_id);
    if (signer == signers.end()) {
      signer = signers.emplace(seal.key_id, seals_.signerForKey(seal.key_id)).first;
    }
    if (!signer->second) {
      done(run, i, signer->second.status());
      continue;
    }
    auto serial = certificate_serials_.find(seal.certificate_pem);
    if (serial == certificate_serials_.end()) {
      Result<X509Ptr> certificate = parseCertificatePem(seal.certificate_pem);
      if (!certificate) {
        done(run, i, certificate.status());
        continue;
      }
      serial =
          certificate_serials_.emplace(seal.certificate_pem, serialHex(certificate->get())).first;
    }
    p.seal_name = seal.name;
    p.algorithm = seal.algorithm;
    p.signer = *signer->second;
    p.seal_certificate_serial = serial->second;
  }
}

// The holders of types with holder_check in their registries (issuance_checks.h).
void IssuanceSequencer::checkHolders(Run& run) {
  std::string persons = "{", entities = "{";
  bool any = false;
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i] || !run.batch[i]->type->holder_check) continue;
    any = true;
    db::appendArrayElement(
        run.batch[i]->type->holder_kind == HolderKind::kPerson ? persons : entities,
        run.batch[i]->holder_code);
  }
  if (!any) return;
  persons += "}";
  entities += "}";
  std::map<std::string, HolderRecord> holders;  // kind + "\n" + code
  for (const auto& row : run.tx.exec_prepared("issue_holders", persons, entities)) {
    holders[row[0].as<std::string>() + "\n" + row[1].as<std::string>()] = {
        row[2].as<std::string>(), row[3].as<std::string>()};
  }
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i] || !run.batch[i]->type->holder_check) continue;
    const PendingIssuance& p = *run.batch[i];
    const bool person = p.type->holder_kind == HolderKind::kPerson;
    auto it = holders.find((person ? "person\n" : "entity\n") + p.holder_code);
    if (Status s = checkHolder(*p.type, p.holder_code, p.holder_name,
                               it == holders.end() ? nullptr : &it->second);
        !s) {
      done(run, i, std::move(s));
    }
  }
}

// Types unique per holder: a holder's current certificate of the type refuses the issuance (409
// naming it). Two of the batch for one holder: the first in queue order goes on, the later ones
// wait for the next batch, which finds the first committed (or failed).
void IssuanceSequencer::checkUniqueHolders(Run& run) {
  std::string types = "{", holders = "{";
  bool any = false;
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i] || !run.batch[i]->type->unique_per_holder) continue;
    if (run.batch[i]->isCorrection()) continue;  // it replaces the holder's current one
    any = true;
    db::appendArrayElement(types, run.batch[i]->type->code);
    db::appendArrayElement(holders, run.batch[i]->holder_code);
  }
  if (!any) return;
  types += "}";
  holders += "}";
  std::map<std::string, std::string> current;  // type + "\n" + holder -> certificate id
  for (const auto& row : run.tx.exec_prepared("issue_current", types, holders)) {
    current[row[0].as<std::string>() + "\n" + row[1].as<std::string>()] = row[2].as<std::string>();
  }
  std::set<std::string> taken;
  Batch deferred;
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i] || !run.batch[i]->type->unique_per_holder) continue;
    if (run.batch[i]->isCorrection()) continue;
    const PendingIssuance& p = *run.batch[i];
    const std::string key = p.type->code + "\n" + p.holder_code;
    if (auto it = current.find(key); it != current.end()) {
      done(run, i,
           conflict("holder " + p.holder_code + " already holds a current " + p.type->name +
                        ", certificate " + it->second +
                        "; a change is a correction of that certificate",
                    "holder.code"));
    } else if (!taken.insert(key).second) {
      run.finished[i] = true;  // not done: back to the queue, still in flight
      deferred.push_back(run.batch[i]);
    }
  }
  if (!deferred.empty()) {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.insert(queue_.begin(), deferred.begin(), deferred.end());
  }
}

// The issuers' names; what is left forms the serial groups, in queue order per issuer and year.
void IssuanceSequencer::nameIssuers(Run& run) {
  std::string codes = "{";
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (!run.finished[i]) db::appendArrayElement(codes, run.batch[i]->issuer_code);
  }
  codes += "}";
  std::map<std::string, std::string> names;
  if (codes.size() > 2) {
    for (const auto& row : run.tx.exec_prepared("issue_departments", codes)) {
      names[row[0].as<std::string>()] = row[1].as<std::string>();
    }
  }
  for (size_t i = 0; i < run.batch.size(); ++i) {
    if (run.finished[i]) continue;
    PendingIssuance& p = *run.batch[i];
    auto it = names.find(p.issuer_code);
    if (it == names.end()) {
      done(run, i, Status::notFound("no department " + p.issuer_code));
      continue;
    }
    p.issuer_name = it->second;
    if (p.isCorrection()) {
      run.corrections.push_back(i);
    } else {
      run.groups[{p.issuer_code, p.year}].push_back(i);
    }
  }
}

// Reserves each group's serials in one upsert (row locks held to COMMIT) and numbers the group.
void IssuanceSequencer::allocateSerials(Run& run) {
  std::string issuers = "{", years = "{", counts = "{";
  for (const auto& [group, members] : run.groups) {
    db::appendArrayElement(issuers, group.first);
    db::appendArrayElement(years, std::to_string(group.second));
    db::appendArrayElement(counts, std::to_string(members.size()));
  }
  issuers += "}";
  years += "}";
  counts += "}";
  for (const auto& row : run.tx.exec_prepared("issue_serials", issuers, years, counts)) {
    const std::pair<std::string, int> group{row[0].as<std::string>(), row[1].as<int>()};
    run.bases[group] = row[2].as<int64_t>() - static_cast<int64_t>(run.groups.at(group).size());
  }
  for (const auto& [group, members] : run.groups) {
    int64_t n = run.bases.at(group);
    for (size_t i : members) assignSerial(*run.batch[i], ++n);
  }
}

// Invariant 4: every item is handed out once, and the sequencer waits for all of them.
void IssuanceSequencer::signInRequestThreads(Run& run) {
  std::vector<size_t> items = run.corrections;
  for (const auto& [group, members] : run.groups) {
    items.insert(items.end(), members.begin(), members.end());
  }
  // An item that signed already, in a batch that failed and is now re-run one by one
  // (runBatch), is re-signed here with its new serial: its request thread is past phase 2.
  std::vector<size_t> handed, resign;
  for (size_t i : items) {
    PendingIssuance& p = *run.batch[i];
    std::lock_guard<std::mutex> lock(p.mu);
    (p.phase == Phase::kSigned ? resign : handed).push_back(i);
  }
  auto barrier = std::make_shared<SignBarrier>();
  barrier->remaining = handed.size();
  for (size_t i : handed) {
    PendingIssuance& p = *run.batch[i];
    {
      std::lock_guard<std::mutex> lock(p.mu);
      p.barrier = barrier;
      p.phase = Phase::kSign;
    }
    p.cv.notify_all();
  }
  for (size_t i : resign) run.batch[i]->sign_status = signIssuance(*run.batch[i]);
  std::unique_lock<std::mutex> lock(barrier->mu);
  barrier->cv.wait(lock, [&] { return barrier->remaining == 0; });
}

// A failed signature leaves no hole: later serials of its group move down and are re-signed here
// (rare: a signer fails only when its key store or hardware does). Invariant 2.
void IssuanceSequencer::closeSerialGaps(Run& run) {
  for (size_t i : run.corrections) {
    if (!run.batch[i]->sign_status) {
      done(run, i, run.batch[i]->sign_status);
    } else {
      run.order.push_back(i);
    }
  }
  for (const auto& [group, members] : run.groups) {
    const int64_t reserved = run.bases.at(group) + static_cast<int64_t>(members.size());
    int64_t n = run.bases.at(group);
    for (size_t i : members) {
      PendingIssuance& p = *run.batch[i];
      if (p.sign_status && p.serial_number != n + 1) {
        assignSerial(p, n + 1);
        p.sign_status = signIssuance(p);
      }
      if (!p.sign_status) {
        done(run, i, p.sign_status);
        continue;
      }
      ++n;
      run.order.push_back(i);
    }
    if (n != reserved) {
      if (n == 0) {
        run.tx.exec_prepared("issue_serial_drop", group.first, group.second);
      } else {
        run.tx.exec_prepared("issue_serial_set", group.first, group.second, n);
      }
    }
  }
  std::sort(run.order.begin(), run.order.end());  // queue order
}

// Phase 3: the log, then every row in one statement, then COMMIT; wakes the waiters.
void IssuanceSequencer::write(Run& run) {
  auto mark = std::chrono::steady_clock::now();
  std::vector<LogBatchAppender::Leaf> leaves;
  leaves.reserve(run.order.size());
  for (size_t i : run.order) {
    const PendingIssuance& p = *run.batch[i];
    leaves.push_back({p.leaf_hash, p.leaf_hex});
    if (p.isCorrection()) leaves.push_back({p.supersede_leaf_hash, p.supersede_leaf_hex});
  }
  uint64_t index = log_.append(run.tx, leaves);

  std::vector<std::string> columns(23, "{"), superseded(7, "{");
  for (size_t i : run.order) {
    PendingIssuance& p = *run.batch[i];
    p.log_index = index++;
    if (p.isCorrection()) {
      p.supersede_log_index = index++;
      db::appendArrayElement(superseded[0], p.supersedes);
      db::appendArrayElement(superseded[1], p.certificate_id);
      db::appendArrayElement(superseded[2], p.superseded_status);
      db::appendArrayElement(superseded[3], p.supersede_reason);
      db::appendArrayElement(superseded[4], p.issued_at);
      db::appendArrayElement(superseded[5], p.actor);
      db::appendArrayElement(superseded[6], std::to_string(p.supersede_log_index));
    }
    db::appendArrayElement(columns[0], p.certificate_id);
    db::appendArrayElement(columns[1], p.type->code);
    db::appendArrayElement(columns[2], p.issuer_code);
    db::appendArrayElement(columns[3], p.serial);
    db::appendArrayElement(columns[4], p.number.empty() ? p.serial : p.number);
    db::appendArrayElement(columns[5], p.holder_name);
    db::appendArrayElement(columns[6], p.holder_code);
    db::appendArrayElement(columns[7], p.holder_code_type);
    db::appendArrayElement(columns[8], p.surface_text);
    db::appendArrayElement(columns[9], p.payload_hex);
    db::appendArrayElement(columns[10], p.signature_hex);
    db::appendArrayElement(columns[11], algorithmName(p.algorithm));
    db::appendArrayElement(columns[12], p.seal_id);
    db::appendArrayElement(columns[13], p.issued_at);
    db::appendArrayElement(columns[14], p.issue_date);
    db::appendArrayElement(columns[15], p.valid_from);
    if (p.valid_to.empty()) {
      db::appendArrayNull(columns[16]);
    } else {
      db::appendArrayElement(columns[16], p.valid_to);
    }
    db::appendArrayElement(columns[17], p.idempotency_key);
    db::appendArrayElement(columns[18], hexEncode(p.request_digest));
    db::appendArrayElement(columns[19], std::to_string(p.log_index));
    db::appendArrayElement(columns[20], p.actor);
    db::appendArrayElement(columns[21], std::to_string(p.version));
    db::appendArrayElement(columns[22], p.supersedes);
  }
  for (std::string& c : columns) c += "}";
  for (std::string& c : superseded) c += "}";
  run.tx.exec_prepared("issue_write", columns[0], columns[1], columns[2], columns[3], columns[4],
                       columns[5], columns[6], columns[7], columns[8], columns[9], columns[10],
                       columns[11], columns[12], columns[13], columns[14], columns[15], columns[16],
                       columns[17], columns[18], columns[19], columns[20], columns[21], columns[22],
                       superseded[0], superseded[1], superseded[2], superseded[3], superseded[4],
                       superseded[5], superseded[6]);
  write_us_ += elapsedMicros(mark);
  mark = std::chrono::steady_clock::now();
  run.tx.commit();
  commit_us_ += elapsedMicros(mark);
  log_.committed();  // invariant 3: the frontier moves only after COMMIT
  issued_ += run.order.size();
  ++batches_;
  if (run.order.size() > largest_batch_) largest_batch_ = run.order.size();
  for (size_t i : run.order) done(run, i, Status());
}

}  // namespace tongban::certs::internal
