// Group commit of certificate issuance: see issuance_sequencer.h.
#include "issuance_sequencer.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "certs_internal.h"
#include "tongban/certs/certificate.h"
#include "tongban/certs/pki.h"
#include "tongban/common/encoding.h"

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

constexpr const char* kDepartments =
    "SELECT code::text, name FROM exchange.departments WHERE code = ANY($1::bpchar[])";

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

// The log lock (0006_certs.sql): appenders serialise on this row, so indexes are gap-free and
// the change feed's seq order is commit order.
constexpr const char* kLogSize = "UPDATE certs.log_state SET size = size + $1 RETURNING size - $1";

constexpr const char* kFrontier =
    "SELECT 0, leaf_index, leaf_hash FROM certs.log_leaves WHERE leaf_index = $1 "
    "UNION ALL SELECT u.level, u.idx, n.hash FROM unnest($2::smallint[], $3::bigint[]) "
    "AS u(level, idx) CROSS JOIN LATERAL (SELECT hash FROM certs.log_nodes n "
    "WHERE n.level = u.level AND n.idx = u.idx LIMIT 1) AS n";

// Leaves, complete subtrees, certificates, status events and change-feed rows of a batch in one
// statement (foreign keys are checked at its end). Change-feed rows in log order.
constexpr const char* kWrite =
    "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], "
    "$13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], "
    "$20::bigint[], $21::text[], $22::text[], $23::text[]) AS u(certificate_id, type_code, "
    "issuer_code, serial, number, holder_name, holder_code, holder_code_type, surface, payload, "
    "signature, algorithm, seal_id, issued_at, issue_date, valid_from, valid_to, idempotency_key, "
    "request_digest, log_index, actor, leaf_hash, leaf)), "
    "leaves AS (INSERT INTO certs.log_leaves (leaf_index, leaf_hash, leaf_data) "
    "SELECT log_index, decode(leaf_hash, 'hex'), decode(leaf, 'hex') FROM u), "
    "nodes AS (INSERT INTO certs.log_nodes (level, idx, hash) "
    "SELECT n.level, n.idx, decode(n.hash, 'hex') "
    "FROM unnest($24::smallint[], $25::bigint[], $26::text[]) AS n(level, idx, hash)), "
    "certificates AS (INSERT INTO certs.certificates (certificate_id, type_code, issuer_code, "
    "serial, version, number, holder_name, holder_code, holder_code_type, surface, payload, "
    "signature, algorithm, seal_id, issued_at, issue_date, valid_from, valid_to, "
    "status_changed_at, idempotency_key, request_digest, log_index) "
    "SELECT certificate_id, type_code, issuer_code, serial, 1, number, holder_name, holder_code, "
    "holder_code_type, surface::jsonb, decode(payload, 'hex'), decode(signature, 'hex'), "
    "algorithm, seal_id, issued_at::timestamptz, issue_date::date, valid_from::date, "
    "valid_to::date, issued_at::timestamptz, idempotency_key, decode(request_digest, 'hex'), "
    "log_index FROM u), "
    "events AS (INSERT INTO certs.status_events (certificate_id, at, action, to_status, actor, "
    "log_index) SELECT certificate_id, issued_at::timestamptz, 'issue', 'valid', actor, "
    "log_index FROM u ORDER BY log_index) "
    "INSERT INTO certs.changes (certificate_id, event, status, type_code, issuer_code, "
    "holder_code_type, holder_code, valid_from, valid_to, open_objections) "
    "SELECT certificate_id, 'issue', 'valid', type_code, issuer_code, holder_code_type, "
    "holder_code, valid_from::date, valid_to::date, 0 FROM u ORDER BY log_index";

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

struct HolderRow {
  std::string name;
  std::string status;
};

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
  f.version = 1;
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
                           p.issued_at, *payload, *signature, 0, "");
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
  conn_->prepare("issue_departments", kDepartments);
  conn_->prepare("issue_serials", kSerials);
  conn_->prepare("issue_serial_set", kSerialSet);
  conn_->prepare("issue_serial_drop", kSerialDrop);
  conn_->prepare("issue_log_size", kLogSize);
  conn_->prepare("issue_frontier", kFrontier);
  conn_->prepare("issue_write", kWrite);
}

// Reads the complete subtrees that make up the log of `size` leaves, as `tx` sees it (under the
// log lock). Missing rows (none are expected) are recomputed from the leaves.
static std::vector<MerkleHash> readFrontier(pqxx::transaction_base& tx, uint64_t size) {
  std::vector<MerkleHash> frontier(64);
  std::vector<bool> found(64, false);
  std::string levels = "{", idxs = "{";
  int64_t leaf = -1;
  for (unsigned level = 0; level < 64; ++level) {
    if (!((size >> level) & 1)) continue;
    const uint64_t idx = (size >> level) - 1;
    if (level == 0) {
      leaf = static_cast<int64_t>(idx);
    } else {
      appendArrayElement(levels, std::to_string(level));
      appendArrayElement(idxs, std::to_string(idx));
    }
  }
  levels += "}";
  idxs += "}";
  for (const auto& row : tx.exec_prepared("issue_frontier", leaf, levels, idxs)) {
    const unsigned level = row[0].as<unsigned>();
    frontier[level] = toMerkleHash(fromBytea(row[2]));
    found[level] = true;
  }
  PgMerkleSource source(tx, size);
  for (unsigned level = 0; level < 64; ++level) {
    if (!((size >> level) & 1) || found[level]) continue;
    Result<MerkleHash> h = source.perfectSubtreeHash(level, (size >> level) - 1);
    if (!h) throw std::runtime_error("transparency log frontier: " + h.status().toString());
    frontier[level] = *h;
  }
  return frontier;
}

void IssuanceSequencer::runBatch(Batch& batch) {
  std::vector<bool> finished(batch.size(), false);
  auto done = [&](size_t i, Status s) {
    finished[i] = true;
    finish(batch[i], std::move(s));
  };
  if (!conn_) {
    try {
      conn_ = std::make_unique<pqxx::connection>(options_.conninfo);
      prepareStatements();
      frontier_known_ = false;
    } catch (const std::exception& e) {
      conn_.reset();
      for (size_t i = 0; i < batch.size(); ++i) {
        done(i, Status::unavailable(std::string("issuing certificates: database: ") + e.what()));
      }
      return;
    }
  }
  auto mark = std::chrono::steady_clock::now();
  try {
    pqxx::work tx(*conn_);

    // ---- phase 1: keys, seals, holders, issuers, serials
    {
      std::string lock_keys = "{", issuers = "{", keys = "{";
      for (const auto& p : batch) {
        appendArrayElement(lock_keys, p->issuer_code + "\n" + p->idempotency_key);
        appendArrayElement(issuers, p->issuer_code);
        appendArrayElement(keys, p->idempotency_key);
      }
      lock_keys += "}";
      issuers += "}";
      keys += "}";
      tx.exec_prepared("issue_lock_keys", lock_keys);
      std::map<std::string, std::pair<std::string, std::string>> existing;  // -> (id, digest)
      for (const auto& row : tx.exec_prepared("issue_existing", issuers, keys)) {
        existing[row[0].as<std::string>() + "\n" + row[1].as<std::string>()] = {
            row[2].as<std::string>(), fromBytea(row[3])};
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        PendingIssuance& p = *batch[i];
        auto it = existing.find(p.issuer_code + "\n" + p.idempotency_key);
        if (it == existing.end()) continue;
        if (it->second.second != p.request_digest) {
          done(i, conflict("Idempotency-Key " + p.idempotency_key +
                               " was used for a different request (certificate " +
                               it->second.first + ")",
                           "idempotency_key"));
        } else {
          p.existing_id = it->second.first;
          done(i, Status());
        }
      }
    }
    std::map<std::string, SealRow> seal_rows;
    std::map<std::string, Result<std::shared_ptr<const Signer>>> signers;
    {
      std::string ids = "{";
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!finished[i]) appendArrayElement(ids, batch[i]->seal_id);
      }
      ids += "}";
      for (const auto& row : tx.exec_prepared("issue_seals", ids)) {
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
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (finished[i]) continue;
      PendingIssuance& p = *batch[i];
      auto it = seal_rows.find(p.seal_id);
      if (it == seal_rows.end()) {
        done(i, Status::invalid("seal_id", "no seal " + p.seal_id));
        continue;
      }
      const SealRow& seal = it->second;
      if (seal.owner_code != p.issuer_code) {
        done(i, Status(ErrorCode::kPermissionDenied,
                       "seal " + p.seal_id + " belongs to another department"));
        continue;
      }
      if (seal.status != "active") {
        done(i, conflict("seal " + p.seal_id + " is " + seal.status + "; it signs nothing",
                         "seal_id"));
        continue;
      }
      if (!(seal.valid_from_micros <= p.issued_at_micros &&
            seal.valid_to_micros > p.issued_at_micros)) {
        done(i, conflict("seal " + p.seal_id + " is outside its validity period", "seal_id"));
        continue;
      }
      auto signer = signers.find(seal.key_id);
      if (signer == signers.end()) {
        signer = signers.emplace(seal.key_id, seals_.signerForKey(seal.key_id)).first;
      }
      if (!signer->second) {
        done(i, signer->second.status());
        continue;
      }
      auto serial = certificate_serials_.find(seal.certificate_pem);
      if (serial == certificate_serials_.end()) {
        Result<X509Ptr> certificate = parseCertificatePem(seal.certificate_pem);
        if (!certificate) {
          done(i, certificate.status());
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
    {
      std::string persons = "{", entities = "{";
      bool any = false;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (finished[i] || !batch[i]->type->holder_check) continue;
        any = true;
        appendArrayElement(batch[i]->type->holder_kind == HolderKind::kPerson ? persons : entities,
                           batch[i]->holder_code);
      }
      persons += "}";
      entities += "}";
      std::map<std::string, HolderRow> holders;  // kind + "\n" + code
      if (any) {
        for (const auto& row : tx.exec_prepared("issue_holders", persons, entities)) {
          holders[row[0].as<std::string>() + "\n" + row[1].as<std::string>()] = {
              row[2].as<std::string>(), row[3].as<std::string>()};
        }
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (finished[i] || !batch[i]->type->holder_check) continue;
        const PendingIssuance& p = *batch[i];
        const bool person = p.type->holder_kind == HolderKind::kPerson;
        auto it = holders.find((person ? "person\n" : "entity\n") + p.holder_code);
        if (it == holders.end()) {
          done(i, Status::invalid("holder.code",
                                  std::string("no ") + (person ? "person" : "legal entity") + " " +
                                      p.holder_code + " in the " +
                                      (person ? "population" : "legal-entity") + " registry"));
          continue;
        }
        const std::string& status = it->second.status;
        if (person ? status != "living" : (status == "revoked" || status == "deregistered")) {
          done(i, Status::invalid("holder.code",
                                  "the registry records " + p.holder_code + " as " + status));
          continue;
        }
        if (p.holder_name != it->second.name) {
          done(i, Status::invalid("holder.name", "the registry's name for " + p.holder_code +
                                                     " is not " + p.holder_name));
        }
      }
    }
    // Issuers' names, then the serials of what is left, in queue order per issuer and year.
    std::map<std::pair<std::string, int>, std::vector<size_t>> groups;
    {
      std::string codes = "{";
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!finished[i]) appendArrayElement(codes, batch[i]->issuer_code);
      }
      codes += "}";
      std::map<std::string, std::string> names;
      if (codes.size() > 2) {
        for (const auto& row : tx.exec_prepared("issue_departments", codes)) {
          names[row[0].as<std::string>()] = row[1].as<std::string>();
        }
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (finished[i]) continue;
        PendingIssuance& p = *batch[i];
        auto it = names.find(p.issuer_code);
        if (it == names.end()) {
          done(i, Status::notFound("no department " + p.issuer_code));
          continue;
        }
        p.issuer_name = it->second;
        groups[{p.issuer_code, p.year}].push_back(i);
      }
    }
    if (groups.empty()) {
      tx.commit();  // nothing to write; releases the locks
      return;
    }
    std::map<std::pair<std::string, int>, int64_t> bases;  // last serial before this batch
    {
      std::string issuers = "{", years = "{", counts = "{";
      for (const auto& [group, members] : groups) {
        appendArrayElement(issuers, group.first);
        appendArrayElement(years, std::to_string(group.second));
        appendArrayElement(counts, std::to_string(members.size()));
      }
      issuers += "}";
      years += "}";
      counts += "}";
      for (const auto& row : tx.exec_prepared("issue_serials", issuers, years, counts)) {
        const std::pair<std::string, int> group{row[0].as<std::string>(), row[1].as<int>()};
        bases[group] = row[2].as<int64_t>() - static_cast<int64_t>(groups.at(group).size());
      }
    }
    for (const auto& [group, members] : groups) {
      int64_t n = bases.at(group);
      for (size_t i : members) assignSerial(*batch[i], ++n);
    }

    lookup_us_ += elapsedMicros(mark);
    mark = std::chrono::steady_clock::now();

    // ---- phase 2: the request threads sign (invariant 4); an item that signed already, in a
    // batch that failed and is now re-run one by one, is re-signed here with its new serial.
    {
      auto barrier = std::make_shared<SignBarrier>();
      std::vector<size_t> resign;
      {
        std::lock_guard<std::mutex> lock(barrier->mu);
        for (const auto& [group, members] : groups) {
          for (size_t i : members) {
            PendingIssuance& p = *batch[i];
            std::lock_guard<std::mutex> item_lock(p.mu);
            if (p.phase == Phase::kSigned) {
              resign.push_back(i);
              continue;
            }
            ++barrier->remaining;
            p.barrier = barrier;
            p.phase = Phase::kSign;
          }
        }
      }
      for (const auto& [group, members] : groups) {
        for (size_t i : members) batch[i]->cv.notify_all();
      }
      for (size_t i : resign) batch[i]->sign_status = signIssuance(*batch[i]);
      std::unique_lock<std::mutex> lock(barrier->mu);
      barrier->cv.wait(lock, [&] { return barrier->remaining == 0; });
    }

    // A failed signature leaves no hole: later serials of its group move down and are re-signed
    // here (rare: a signer fails only when its key store or hardware does). Invariant 2.
    std::vector<size_t> order;  // what is written, in log order
    for (const auto& [group, members] : groups) {
      const int64_t reserved = bases.at(group) + static_cast<int64_t>(members.size());
      int64_t n = bases.at(group);
      for (size_t i : members) {
        PendingIssuance& p = *batch[i];
        if (p.sign_status && p.serial_number != n + 1) {
          assignSerial(p, n + 1);
          p.sign_status = signIssuance(p);
        }
        if (!p.sign_status) {
          done(i, p.sign_status);
          continue;
        }
        ++n;
        order.push_back(i);
      }
      if (n != reserved) {
        if (n == 0) {
          tx.exec_prepared("issue_serial_drop", group.first, group.second);
        } else {
          tx.exec_prepared("issue_serial_set", group.first, group.second, n);
        }
      }
    }
    std::sort(order.begin(), order.end());  // queue order
    if (order.empty()) {
      tx.commit();
      return;
    }

    sign_wait_us_ += elapsedMicros(mark);
    mark = std::chrono::steady_clock::now();

    // ---- phase 3: the log, then everything in one statement, then COMMIT
    const uint64_t start =
        tx.exec_prepared1("issue_log_size", static_cast<int64_t>(order.size()))[0].as<uint64_t>();
    std::vector<MerkleHash> frontier =
        frontier_known_ && frontier_size_ == start ? frontier_ : readFrontier(tx, start);
    std::string node_levels = "{", node_idxs = "{", node_hashes = "{";
    std::vector<std::string> columns(23, "{");
    std::string& log_indexes = columns[19];
    uint64_t size = start;
    for (size_t i : order) {
      PendingIssuance& p = *batch[i];
      p.log_index = size;
      // Leaf `size` closes one complete subtree per trailing 1 bit of its index.
      MerkleHash hash = p.leaf_hash;
      uint64_t position = size;
      unsigned level = 0;
      while (position & 1) {
        hash = hashChildren(frontier[level], hash);
        position >>= 1;
        ++level;
        appendArrayElement(node_levels, std::to_string(level));
        appendArrayElement(node_idxs, std::to_string(position));
        appendArrayElement(node_hashes, toHex(hash));
      }
      frontier[level] = hash;
      ++size;

      appendArrayElement(columns[0], p.certificate_id);
      appendArrayElement(columns[1], p.type->code);
      appendArrayElement(columns[2], p.issuer_code);
      appendArrayElement(columns[3], p.serial);
      appendArrayElement(columns[4], p.number.empty() ? p.serial : p.number);
      appendArrayElement(columns[5], p.holder_name);
      appendArrayElement(columns[6], p.holder_code);
      appendArrayElement(columns[7], p.holder_code_type);
      appendArrayElement(columns[8], p.surface_text);
      appendArrayElement(columns[9], p.payload_hex);
      appendArrayElement(columns[10], p.signature_hex);
      appendArrayElement(columns[11], algorithmName(p.algorithm));
      appendArrayElement(columns[12], p.seal_id);
      appendArrayElement(columns[13], p.issued_at);
      appendArrayElement(columns[14], p.issue_date);
      appendArrayElement(columns[15], p.valid_from);
      if (p.valid_to.empty()) {
        appendArrayNull(columns[16]);
      } else {
        appendArrayElement(columns[16], p.valid_to);
      }
      appendArrayElement(columns[17], p.idempotency_key);
      appendArrayElement(columns[18], hexEncode(p.request_digest));
      appendArrayElement(log_indexes, std::to_string(p.log_index));
      appendArrayElement(columns[20], p.actor);
      appendArrayElement(columns[21], toHex(p.leaf_hash));
      appendArrayElement(columns[22], p.leaf_hex);
    }
    for (std::string& c : columns) c += "}";
    node_levels += "}";
    node_idxs += "}";
    node_hashes += "}";
    tx.exec_prepared("issue_write", columns[0], columns[1], columns[2], columns[3], columns[4],
                     columns[5], columns[6], columns[7], columns[8], columns[9], columns[10],
                     columns[11], columns[12], columns[13], columns[14], columns[15], columns[16],
                     columns[17], columns[18], columns[19], columns[20], columns[21], columns[22],
                     node_levels, node_idxs, node_hashes);
    write_us_ += elapsedMicros(mark);
    mark = std::chrono::steady_clock::now();
    tx.commit();
    commit_us_ += elapsedMicros(mark);
    issued_ += order.size();
    ++batches_;
    if (order.size() > largest_batch_) largest_batch_ = order.size();
    // Invariant 3: the frontier moves only after COMMIT.
    frontier_ = std::move(frontier);
    frontier_size_ = size;
    frontier_known_ = true;
    for (size_t i : order) done(i, Status());
  } catch (const pqxx::sql_error& e) {
    // The database refused a statement of the batch (a value it cannot store, a constraint, a
    // deadlock...). One bad issuance must not fail the others: re-run each unfinished one in a
    // batch of its own; only the culprit fails then. (Not for a lost connection or a COMMIT whose
    // outcome is unknown: those are not sql_errors and fail the batch below.)
    conn_.reset();
    frontier_known_ = false;
    ++failed_batches_;
    std::vector<size_t> unfinished;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!finished[i]) unfinished.push_back(i);
    }
    if (unfinished.size() > 1) {
      for (size_t i : unfinished) {
        Batch one{batch[i]};
        runBatch(one);
        finished[i] = true;
      }
      return;
    }
    const std::string state = e.sqlstate();
    for (size_t i : unfinished) {
      if (state.rfind("22", 0) == 0) {  // data exception: this issuance's content
        done(i, Status::invalid("body", std::string("the certificate store refused this "
                                                    "certificate's data: ") +
                                            e.what()));
      } else if (state.rfind("23", 0) == 0) {  // integrity constraint
        done(i,
             conflict(std::string("the certificate store refused this certificate: ") + e.what()));
      } else {
        done(i, Status::unavailable("issuing a certificate failed (retry with the same "
                                    "Idempotency-Key): " +
                                    std::string(e.what())));
      }
    }
  } catch (const std::exception& e) {
    // Whatever happened, the database is the truth: reconnect and re-read the frontier next time.
    conn_.reset();
    frontier_known_ = false;
    ++failed_batches_;
    const std::string message =
        "issuing a batch of " + std::to_string(batch.size()) +
        " certificates failed (retry with the same Idempotency-Key): " + e.what();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!finished[i]) done(i, Status::unavailable(message));
    }
  }
}

}  // namespace tongban::certs::internal
