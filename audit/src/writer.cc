// AuditWriter: the group-committing writer of exchange.audit_log. Format and rationale:
// docs/audit-log.md.
//
// Work split: the calling thread normalises its entry and renders everything that does not depend
// on its position in the chain (the tail of the canonical encoding and of the row's COPY text);
// the writer thread only assigns seq and `at`, hashes (one SHA-256 over a few hundred bytes) and
// sends the batch. One transaction per batch, so one WAL flush covers every entry of it.
#include "tongban/audit/writer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <pqxx/tablewriter>

#include "checkpoint_impl.h"
#include "encoding_impl.h"
#include "pg_rows_impl.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/pg_copy.h"
#include "tongban/common/time_format.h"

namespace tongban::audit {
namespace {

using internal::CheckpointRow;
using internal::dbError;
using internal::encodeHead;
using internal::encodeTail;
using internal::fromHex;
using internal::toHex;

// Longest string kept per column; longer values (a hostile path, say) are cut at a character
// boundary. Keeps one request from bloating a batch.
constexpr size_t kMaxValueBytes = 4096;
constexpr size_t kMaxArrayItems = 256;

// ---- text helpers ----------------------------------------------------------------------------

// Replaces invalid UTF-8 and NUL (PostgreSQL text holds neither) with U+FFFD and cuts the value
// at kMaxValueBytes on a character boundary. Request paths and ids come from untrusted callers: a
// byte PostgreSQL refuses would otherwise fail a whole batch.
std::string cleanText(std::string_view in) {
  std::string out;
  out.reserve(std::min(in.size(), kMaxValueBytes));
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0x01 && c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    }
    bool valid = len > 0 && i + len <= in.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (valid && len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
    if (valid && len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) valid = false;
    const std::string_view piece = valid ? in.substr(i, len) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > kMaxValueBytes) break;
    out.append(piece.data(), piece.size());
    i += valid ? len : 1;
  }
  return out;
}

std::optional<std::string> optText(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return cleanText(s);
}

std::vector<std::string> cleanArray(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  out.reserve(std::min(items.size(), kMaxArrayItems));
  for (const auto& item : items) {
    if (out.size() == kMaxArrayItems) break;
    out.push_back(cleanText(item));
  }
  return out;
}

// COPY text format: backslash, newline, carriage return and tab escaped.
void appendCopyEscaped(std::string* out, std::string_view s) { db::appendCopyText(out, s); }

// Array literal whose elements may be NULL (for the unnest parameters).
std::string nullableArrayLiteral(const std::vector<const std::optional<std::string>*>& items) {
  std::string out = "{";
  for (const std::optional<std::string>* item : items) {
    if (*item) {
      db::appendArrayElement(out, **item);
    } else {
      db::appendArrayNull(out);
    }
  }
  return out + "}";
}

void appendCopyOpt(std::string* out, const std::optional<std::string>& s) {
  if (s) {
    appendCopyEscaped(out, *s);
  } else {
    out->append("\\N");
  }
}

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- the writer ------------------------------------------------------------------------------

const char kCopyColumns[] =
    "node_id,seq,at,prev_hash,hash,request_id,app_id,department_code,key_id,method,path,"
    "resource_code,fields,subject_keys,matter_code,case_id,result,http_status,reason";

const char kUnnestInsert[] =
    "INSERT INTO exchange.audit_log (node_id, seq, at, prev_hash, hash, request_id, app_id, "
    "department_code, key_id, method, path, resource_code, fields, subject_keys, matter_code, "
    "case_id, result, http_status, reason) "
    "SELECT $1, u.seq, timestamptz 'epoch' + u.at * interval '1 microsecond', "
    "decode(u.prev_hash, 'hex'), decode(u.hash, 'hex'), u.request_id, u.app_id, "
    "u.department_code, u.key_id, u.method, u.path, u.resource_code, u.fields::text[], "
    "u.subject_keys::text[], u.matter_code, u.case_id, u.result, u.http_status, u.reason "
    "FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], "
    "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], "
    "$15::text[], $16::text[], $17::text[], $18::int[], $19::text[]) "
    "AS u(seq, at, prev_hash, hash, request_id, app_id, department_code, key_id, method, path, "
    "resource_code, fields, subject_keys, matter_code, case_id, result, http_status, reason)";

constexpr const char* kReplayReason = "nonce already used: replayed request";
// The shared replay guard's claim (nonce_store.cc has the same statement for requests that cannot
// wait for their audit entry): a pair is stored once while its window is open.
constexpr const char* kClaimNonces =
    "INSERT INTO exchange.request_nonces AS n (key_id, nonce, expires_at) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) "
    "ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at "
    "WHERE n.expires_at < $4 RETURNING n.key_id, n.nonce";

struct Pending {
  AuditRecord record;         // normalised; seq, at and hashes filled by the writer
  std::string tail_encoding;  // encodeTail(record)
  std::string copy_tail;      // COPY text of request_id..reason, tab-led
  std::promise<Result<int64_t>> done;
  std::optional<AuditEntry::NonceClaim> nonce_claim;
  bool replayed = false;  // its nonce was taken: stored as a refusal, answered kUnauthenticated
};

class AuditWriterImpl final : public AuditWriter {
 public:
  explicit AuditWriterImpl(Options options) : options_(std::move(options)) {}
  ~AuditWriterImpl() override { close(); }

  // Connects and reads the head; on success starts the writer thread.
  Status start() {
    Status s = connect();
    if (!s) return s;
    writer_ = std::thread([this] { writerLoop(); });
    return Status::ok();
  }

  // AuditAppender
  Result<int64_t> append(AuditEntry entry) override {
    if (entry.result != "allowed" && entry.result != "denied" && entry.result != "error") {
      return Status::invalid("result", "audit result must be allowed, denied or error, not '" +
                                           cleanText(entry.result) + "'");
    }
    auto p = std::make_unique<Pending>();
    AuditRecord& r = p->record;
    r.node_id = options_.node_id;
    r.request_id = optText(entry.request_id);
    r.app_id = optText(entry.app_id);
    r.department_code = optText(entry.department_code);
    r.key_id = optText(entry.key_id);
    r.method = optText(entry.method);
    r.path = optText(entry.path);
    r.resource_code = optText(entry.resource_code);
    r.fields = cleanArray(entry.fields);
    r.subject_keys = cleanArray(entry.subject_keys);
    r.matter_code = optText(entry.matter_code);
    r.case_id = optText(entry.case_id);
    r.result = entry.result;
    if (entry.http_status != 0) r.http_status = entry.http_status;
    r.reason = optText(entry.reason);
    encodeTail(&p->tail_encoding, r);
    if (options_.write_method != Options::WriteMethod::kUnnest) renderCopyTail(r, &p->copy_tail);
    p->nonce_claim = std::move(entry.nonce_claim);

    std::future<Result<int64_t>> result = p->done.get_future();
    size_t queued;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (stopping_) return Status::unavailable("audit log is closed");
      queue_.push_back(std::move(p));
      queued = queue_.size();
    }
    // With a commit delay the writer lingers for a fuller batch: wake it for the first entry
    // and when the batch is full enough, not for every entry in between.
    if (options_.commit_delay_us == 0 || queued == 1 ||
        queued >= std::max<size_t>(1, static_cast<size_t>(options_.max_batch) / 8)) {
      queue_cv_.notify_one();
    }
    return result.get();
  }

  void close() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    std::lock_guard<std::mutex> join_lock(join_mu_);
    if (writer_.joinable()) writer_.join();
  }

  Stats stats() const override {
    Stats s;
    s.appended = appended_.load(std::memory_order_relaxed);
    s.batches = batches_.load(std::memory_order_relaxed);
    s.last_batch_size = last_batch_size_.load(std::memory_order_relaxed);
    s.failed_entries = failed_entries_.load(std::memory_order_relaxed);
    s.failed_batches = failed_batches_.load(std::memory_order_relaxed);
    s.checkpoints = checkpoints_.load(std::memory_order_relaxed);
    s.head_seq = head_seq_public_.load(std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(queue_mu_);
    s.queued = queue_.size();
    return s;
  }

  const std::string& nodeId() const override { return options_.node_id; }

 private:
  static void renderCopyTail(const AuditRecord& r, std::string* out) {
    for (const auto* s : {&r.request_id, &r.app_id, &r.department_code, &r.key_id, &r.method,
                          &r.path, &r.resource_code}) {
      out->push_back('\t');
      appendCopyOpt(out, *s);
    }
    out->push_back('\t');
    appendCopyEscaped(out, db::arrayLiteral(r.fields));
    out->push_back('\t');
    appendCopyEscaped(out, db::arrayLiteral(r.subject_keys));
    for (const auto* s : {&r.matter_code, &r.case_id}) {
      out->push_back('\t');
      appendCopyOpt(out, *s);
    }
    out->push_back('\t');
    appendCopyEscaped(out, r.result);
    out->push_back('\t');
    if (r.http_status) {
      out->append(std::to_string(*r.http_status));
    } else {
      out->append("\\N");
    }
    out->push_back('\t');
    appendCopyOpt(out, r.reason);
  }

  // Writer thread only (and start(), before the thread exists).
  Status connect() {
    conn_.reset();
    try {
      auto conn = std::make_unique<pqxx::connection>(db::withConnectTimeout(options_.conninfo, 5));
      pqxx::nontransaction tx(*conn);
      const pqxx::row locked = tx.exec_params1(
          "SELECT pg_try_advisory_lock(hashtextextended('tongban.audit_log:' || $1, 0))",
          options_.node_id);
      if (!locked[0].as<bool>()) {
        return Status(ErrorCode::kConflict, "audit log of node '" + options_.node_id +
                                                "' is being written by another process");
      }
      const pqxx::result head = tx.exec_params(
          "SELECT seq, encode(hash, 'hex'), (extract(epoch FROM at) * 1000000)::bigint "
          "FROM exchange.audit_log WHERE node_id = $1 ORDER BY seq DESC LIMIT 1",
          options_.node_id);
      int64_t seq = 0, at = 0;
      std::string hash(kAuditHashSize, '\0');
      if (!head.empty()) {
        seq = head[0][0].as<int64_t>();
        if (!fromHex(head[0][1].as<std::string>(), &hash) || hash.size() != kAuditHashSize) {
          return Status::internal("audit log head of node '" + options_.node_id +
                                  "' has a malformed hash");
        }
        at = head[0][2].as<int64_t>();
      }
      const pqxx::row cp = tx.exec_params1(
          "SELECT coalesce(max(seq), 0) FROM exchange.audit_checkpoints WHERE node_id = $1",
          options_.node_id);
      conn->prepare("audit_claim_nonces", kClaimNonces);
      if (options_.write_method != Options::WriteMethod::kCopy) {
        conn->prepare("audit_insert", kUnnestInsert);
      }
      internal::prepareCheckpointInsert(*conn);
      head_seq_ = seq;
      head_hash_ = hash;
      last_at_ = at;
      checkpoint_seq_ = cp[0].as<int64_t>();
      head_seq_public_.store(seq, std::memory_order_relaxed);
      conn_ = std::move(conn);
      return Status::ok();
    } catch (const std::exception& e) {
      return dbError(e, "audit log: connecting");
    }
  }

  bool wantsCheckpoint(int64_t head_seq, std::chrono::steady_clock::time_point now) const {
    if (!options_.checkpoint_signer || head_seq <= checkpoint_seq_) return false;
    return head_seq - checkpoint_seq_ >= options_.checkpoint_every_entries ||
           now - last_checkpoint_time_ >= std::chrono::seconds(options_.checkpoint_every_seconds);
  }

  // Signs (node, seq, hash) now; nullopt (and the chain goes on unsigned) if the signer fails.
  std::optional<CheckpointRow> signCheckpoint(int64_t seq, const std::string& hash) {
    return internal::signCheckpoint(*options_.checkpoint_signer, options_.node_id, seq, hash,
                                    nowMicros());
  }

  void insertCheckpoint(pqxx::transaction_base& tx, const CheckpointRow& cp) {
    internal::insertCheckpoint(tx, options_.node_id, *options_.checkpoint_signer, cp);
  }

  void noteCheckpoint(const CheckpointRow& cp) {
    checkpoint_seq_ = cp.seq;
    last_checkpoint_time_ = std::chrono::steady_clock::now();
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
  }

  void writerLoop() {
    last_checkpoint_time_ = std::chrono::steady_clock::now();
    for (;;) {
      std::vector<std::unique_ptr<Pending>> batch;
      bool stop = false;
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        while (queue_.empty() && !stopping_) {
          if (options_.checkpoint_signer && head_seq_ > checkpoint_seq_ && conn_) {
            const auto deadline =
                last_checkpoint_time_ + std::chrono::seconds(options_.checkpoint_every_seconds);
            if (queue_cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
          } else {
            queue_cv_.wait(lock);
          }
        }
        if (options_.commit_delay_us > 0 && !queue_.empty() && !stopping_) {
          const size_t enough = std::max<size_t>(1, static_cast<size_t>(options_.max_batch) / 8);
          queue_cv_.wait_for(lock, std::chrono::microseconds(options_.commit_delay_us),
                             [&] { return queue_.size() >= enough || stopping_; });
        }
        const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        stop = stopping_ && queue_.empty();
      }
      if (!batch.empty()) {
        writeBatch(batch);
      } else if (!stop && wantsCheckpoint(head_seq_, std::chrono::steady_clock::now())) {
        writeCheckpointAlone();
      }
      if (stop) {
        // Drained: sign what is left so that a clean shutdown leaves a covered head.
        if (options_.checkpoint_signer && head_seq_ > checkpoint_seq_ && conn_) {
          writeCheckpointAlone();
        }
        conn_.reset();
        return;
      }
    }
  }

  void failBatch(std::vector<std::unique_ptr<Pending>>& batch, const Status& status) {
    failed_batches_.fetch_add(1, std::memory_order_relaxed);
    failed_entries_.fetch_add(batch.size(), std::memory_order_relaxed);
    for (auto& p : batch) p->done.set_value(status);
  }

  void writeBatch(std::vector<std::unique_ptr<Pending>>& batch) {
    if (!conn_) {
      Status s = connect();
      if (!s) {
        failBatch(batch, Status::unavailable(s.message()));
        return;
      }
    }
    if (!claimNonces(batch)) return;
    // Chain the batch on copies of the head; the head moves only after COMMIT (invariant 3).
    int64_t seq = head_seq_;
    std::string prev = head_hash_;
    const int64_t at = std::max(nowMicros(), last_at_);
    std::string head_enc;
    for (auto& p : batch) {
      AuditRecord& r = p->record;
      r.seq = ++seq;
      r.at_micros = at;
      r.prev_hash = prev;
      head_enc.clear();
      encodeHead(&head_enc, r.node_id, r.seq, r.at_micros);
      r.hash = internal::sha256Of(prev, head_enc, p->tail_encoding);
      prev = r.hash;
    }
    std::optional<CheckpointRow> checkpoint;
    if (wantsCheckpoint(seq, std::chrono::steady_clock::now())) {
      checkpoint = signCheckpoint(seq, prev);
    }
    try {
      const bool copy = options_.write_method == Options::WriteMethod::kCopy ||
                        (options_.write_method == Options::WriteMethod::kAuto &&
                         batch.size() > Options::kAutoCopyThreshold);
      if (copy) {
        writeWithCopy(batch, checkpoint);
      } else {
        writeWithUnnest(batch, checkpoint);
      }
    } catch (const std::exception& e) {
      // Whatever happened, the database is the truth: reconnect (and re-read the head) next time.
      conn_.reset();
      failBatch(batch, dbError(e, "audit log: writing a batch of " + std::to_string(batch.size())));
      return;
    }
    head_seq_ = seq;
    head_hash_ = prev;
    last_at_ = at;
    head_seq_public_.store(seq, std::memory_order_relaxed);
    if (checkpoint) noteCheckpoint(*checkpoint);
    appended_.fetch_add(batch.size(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    last_batch_size_.store(batch.size(), std::memory_order_relaxed);
    for (auto& p : batch) {
      if (p->replayed) {
        p->done.set_value(Status(ErrorCode::kUnauthenticated, kReplayReason, "Authorization"));
      } else {
        p->done.set_value(p->record.seq);
      }
    }
  }

  // The batch's nonce claims in one statement on the writer's connection (autocommit: the table
  // is unlogged). An entry whose pair is taken, by an earlier request or by another entry of this
  // batch, becomes the refusal of a replay before it is chained. False (the batch failed) when
  // the statement did.
  bool claimNonces(std::vector<std::unique_ptr<Pending>>& batch) {
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<Pending*> sent;
    std::string keys = "{", nonces = "{", expiries = "{";
    int64_t now = 0;
    for (auto& p : batch) {
      if (!p->nonce_claim) continue;
      const AuditEntry::NonceClaim& c = *p->nonce_claim;
      if (!seen.emplace(c.key_id, c.nonce).second) {
        markReplayed(*p);
        continue;
      }
      sent.push_back(p.get());
      db::appendArrayElement(keys, c.key_id);
      db::appendArrayElement(nonces, c.nonce);
      db::appendArrayElement(expiries, std::to_string(c.expires_at));
      now = now == 0 ? c.now : std::min(now, c.now);
    }
    if (sent.empty()) return true;
    keys += "}";
    nonces += "}";
    expiries += "}";
    std::set<std::pair<std::string, std::string>> stored;
    try {
      pqxx::nontransaction tx(*conn_);
      for (const auto& row : tx.exec_prepared("audit_claim_nonces", keys, nonces, expiries, now)) {
        stored.emplace(row[0].as<std::string>(), row[1].as<std::string>());
      }
    } catch (const std::exception& e) {
      conn_.reset();
      failBatch(batch, dbError(e, "audit log: claiming the request nonces of a batch"));
      return false;
    }
    for (Pending* p : sent) {
      if (stored.count({p->nonce_claim->key_id, p->nonce_claim->nonce}) == 0) markReplayed(*p);
    }
    return true;
  }

  void markReplayed(Pending& p) {
    p.replayed = true;
    AuditRecord& r = p.record;
    r.result = "denied";
    r.http_status = 401;
    r.reason = std::string(kReplayReason);
    p.tail_encoding.clear();
    encodeTail(&p.tail_encoding, r);
    p.copy_tail.clear();
    if (options_.write_method != Options::WriteMethod::kUnnest) renderCopyTail(r, &p.copy_tail);
  }

  void writeWithCopy(const std::vector<std::unique_ptr<Pending>>& batch,
                     const std::optional<CheckpointRow>& checkpoint) {
    std::string buf;
    buf.reserve(batch.size() * 400);
    std::string node_copy;
    appendCopyEscaped(&node_copy, options_.node_id);
    const std::string at_text = formatRfc3339Micros(batch.front()->record.at_micros);
    for (const auto& p : batch) {
      const AuditRecord& r = p->record;
      buf.append(node_copy);
      buf.push_back('\t');
      buf.append(std::to_string(r.seq));
      buf.push_back('\t');
      buf.append(at_text);
      buf.append("\t\\\\x");
      buf.append(toHex(r.prev_hash));
      buf.append("\t\\\\x");
      buf.append(toHex(r.hash));
      buf.append(p->copy_tail);
      buf.push_back('\n');
    }
    buf.pop_back();  // write_raw_line adds the last newline
    pqxx::work tx(*conn_);
    {
      // tablewriter::write_raw_line hands the whole, already-escaped batch to libpq at once;
      // deprecated only in favour of stream_to, which converts and sends row by row (see
      // admin/src/seed.cc for the measurement).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      static const std::vector<std::string> kColumns = [] {
        std::vector<std::string> cols;
        std::string all = kCopyColumns;
        size_t start = 0;
        for (;;) {
          const size_t comma = all.find(',', start);
          cols.push_back(all.substr(start, comma == std::string::npos ? comma : comma - start));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        return cols;
      }();
      pqxx::tablewriter writer(tx, "exchange.audit_log", kColumns.begin(), kColumns.end());
      writer.write_raw_line(buf);
      writer.complete();
#pragma GCC diagnostic pop
    }
    if (checkpoint) insertCheckpoint(tx, *checkpoint);
    tx.commit();
  }

  void writeWithUnnest(const std::vector<std::unique_ptr<Pending>>& batch,
                       const std::optional<CheckpointRow>& checkpoint) {
    std::vector<std::string> seqs, ats, prevs, hashes, fields, subjects, results, statuses;
    std::vector<std::vector<const std::optional<std::string>*>> opt(10);
    for (const auto& p : batch) {
      const AuditRecord& r = p->record;
      seqs.push_back(std::to_string(r.seq));
      ats.push_back(std::to_string(r.at_micros));
      prevs.push_back(toHex(r.prev_hash));
      hashes.push_back(toHex(r.hash));
      fields.push_back(db::arrayLiteral(r.fields));
      subjects.push_back(db::arrayLiteral(r.subject_keys));
      results.push_back(r.result);
      statuses.push_back(r.http_status ? std::to_string(*r.http_status) : "");
      const std::optional<std::string>* cols[] = {
          &r.request_id, &r.app_id,        &r.department_code, &r.key_id,  &r.method,
          &r.path,       &r.resource_code, &r.matter_code,     &r.case_id, &r.reason};
      for (size_t i = 0; i < 10; ++i) opt[i].push_back(cols[i]);
    }
    auto plain = [](const std::vector<std::string>& items) {
      std::string out = "{";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out.push_back(',');
        out.append(items[i].empty() ? "NULL" : items[i]);
      }
      return out + "}";
    };
    // Without a checkpoint the batch is one statement, committed on its own (autocommit): one
    // round trip instead of BEGIN / INSERT / COMMIT.
    std::unique_ptr<pqxx::transaction_base> tx;
    if (checkpoint) {
      tx = std::make_unique<pqxx::work>(*conn_);
    } else {
      tx = std::make_unique<pqxx::nontransaction>(*conn_);
    }
    tx->exec_prepared(
        "audit_insert", options_.node_id, plain(seqs), plain(ats), plain(prevs), plain(hashes),
        nullableArrayLiteral(opt[0]), nullableArrayLiteral(opt[1]), nullableArrayLiteral(opt[2]),
        nullableArrayLiteral(opt[3]), nullableArrayLiteral(opt[4]), nullableArrayLiteral(opt[5]),
        nullableArrayLiteral(opt[6]), db::arrayLiteral(fields), db::arrayLiteral(subjects),
        nullableArrayLiteral(opt[7]), nullableArrayLiteral(opt[8]), db::arrayLiteral(results),
        plain(statuses), nullableArrayLiteral(opt[9]));
    if (checkpoint) insertCheckpoint(*tx, *checkpoint);
    tx->commit();
  }

  void writeCheckpointAlone() {
    std::optional<CheckpointRow> cp = signCheckpoint(head_seq_, head_hash_);
    if (!cp) {
      last_checkpoint_time_ = std::chrono::steady_clock::now();  // retry after another period
      return;
    }
    try {
      pqxx::work tx(*conn_);
      insertCheckpoint(tx, *cp);
      tx.commit();
      noteCheckpoint(*cp);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "audit log: writing a checkpoint failed: %s\n", e.what());
      conn_.reset();
      last_checkpoint_time_ = std::chrono::steady_clock::now();
    }
  }

  const Options options_;

  mutable std::mutex queue_mu_;  // guards queue_ and stopping_
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;

  std::mutex join_mu_;  // serialises close() callers around join()
  std::thread writer_;

  // Writer thread only.
  std::unique_ptr<pqxx::connection> conn_;
  int64_t head_seq_ = 0;
  std::string head_hash_;
  int64_t last_at_ = 0;
  int64_t checkpoint_seq_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_time_;

  std::atomic<uint64_t> appended_{0}, batches_{0}, last_batch_size_{0}, failed_entries_{0},
      failed_batches_{0}, checkpoints_{0};
  std::atomic<int64_t> head_seq_public_{0};
};

}  // namespace

Result<std::unique_ptr<AuditWriter>> AuditWriter::open(Options options) {
  if (options.conninfo.empty()) return Status::invalid("conninfo", "audit log needs a database");
  if (options.node_id.empty() || options.node_id.size() > 64 ||
      cleanText(options.node_id) != options.node_id) {
    return Status::invalid("node_id", "node id must be 1 to 64 bytes of UTF-8");
  }
  if (options.max_batch < 1 || options.max_batch > 100000) {
    return Status::invalid("max_batch", "max_batch must be from 1 to 100000");
  }
  if (options.checkpoint_every_entries < 1) {
    return Status::invalid("checkpoint_every_entries", "must be at least 1");
  }
  if (options.checkpoint_every_seconds < 1) {
    return Status::invalid("checkpoint_every_seconds", "must be at least 1");
  }
  auto log = std::make_unique<AuditWriterImpl>(std::move(options));
  Status s = log->start();
  if (!s) return s;
  return std::unique_ptr<AuditWriter>(std::move(log));
}

}  // namespace tongban::audit
