#include "tongban/exchange/nonce_store.h"

#include <algorithm>
#include <set>
#include <utility>

#include "tongban/common/pg_copy.h"

namespace tongban::exchange {

struct PgNonceStore::Claim {
  std::string key_id;
  std::string nonce;
  int64_t expires_at = 0;
  int64_t now = 0;
  Result<bool> fresh = false;  // written by the store's thread before `answered`
  std::mutex mu;               // guards answered
  std::condition_variable cv;
  bool answered = false;
};

PgNonceStore::PgNonceStore(db::ConnectionPool& pool, std::string conninfo)
    : pool_(pool), conninfo_(std::move(conninfo)) {
  thread_ = std::thread([this] { run(); });
}

PgNonceStore::~PgNonceStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<bool> PgNonceStore::claim(const std::string& key_id, const std::string& nonce,
                                 int64_t expires_at, int64_t now) {
  auto c = std::make_shared<Claim>();
  c->key_id = key_id;
  c->nonce = nonce;
  c->expires_at = expires_at;
  c->now = now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::unavailable("the replay guard is shutting down");
    queue_.push_back(c);
  }
  cv_.notify_one();  // only the store's thread waits on cv_
  std::unique_lock<std::mutex> lock(c->mu);
  c->cv.wait(lock, [&] { return c->answered; });
  return c->fresh;
}

void PgNonceStore::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<std::shared_ptr<Claim>> batch;
    batch.swap(queue_);
    const bool stopping = stopping_;
    lock.unlock();
    if (stopping) {
      for (auto& c : batch) c->fresh = Status::unavailable("the replay guard is shutting down");
    } else {
      claimBatch(batch);
    }
    for (auto& c : batch) {
      {
        std::lock_guard<std::mutex> answered(c->mu);
        c->answered = true;
      }
      c->cv.notify_one();
    }
    lock.lock();
  }
}

void PgNonceStore::claimBatch(std::deque<std::shared_ptr<Claim>>& batch) {
  // The same pair twice in one batch: only the first reaches the database (invariant 1).
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<Claim*> sent;
  std::string keys = "{", nonces = "{", expiries = "{";
  int64_t now = batch.front()->now;
  for (auto& c : batch) {
    if (!seen.emplace(c->key_id, c->nonce).second) {
      c->fresh = false;
      continue;
    }
    sent.push_back(c.get());
    db::appendArrayElement(keys, c->key_id);
    db::appendArrayElement(nonces, c->nonce);
    db::appendArrayElement(expiries, std::to_string(c->expires_at));
    now = std::min(now, c->now);  // renew an expired row only if expired for every claimant
  }
  keys += "}";
  nonces += "}";
  expiries += "}";
  Result<std::set<std::pair<std::string, std::string>>> stored =
      std::set<std::pair<std::string, std::string>>();
  try {
    if (!conn_) {
      conn_ = std::make_unique<pqxx::connection>(conninfo_);
      // One autocommit statement: the table is unlogged, so the commit waits for no WAL flush.
      // An existing row blocks the insert unless its window is over (then it is renewed).
      conn_->prepare("claim_nonces",
                     "INSERT INTO exchange.request_nonces AS n (key_id, nonce, expires_at) "
                     "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) "
                     "ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at "
                     "WHERE n.expires_at < $4 RETURNING n.key_id, n.nonce");
    }
    pqxx::nontransaction tx(*conn_);
    auto rows = tx.exec_prepared("claim_nonces", keys, nonces, expiries, now);
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& row : rows) out.emplace(row[0].as<std::string>(), row[1].as<std::string>());
    stored = std::move(out);
  } catch (const std::exception& e) {
    conn_.reset();  // reopened for the next batch
    stored = Status::unavailable(std::string("replay guard: database: ") + e.what());
  }
  for (Claim* c : sent) {
    if (!stored) {
      c->fresh = Status::unavailable(stored.status().message());
    } else {
      c->fresh = stored->count({c->key_id, c->nonce}) == 1;
    }
  }
}

Result<int64_t> PgNonceStore::purgeExpired(int64_t now) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<int64_t> {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params("DELETE FROM exchange.request_nonces WHERE expires_at < $1", now);
    return static_cast<int64_t>(r.affected_rows());
  });
}

}  // namespace tongban::exchange
