#include "batched_lookup.h"

#include <algorithm>

namespace tongban::exchange {

namespace {

const catalog::SourceColumn* primaryKeyOf(const catalog::Source& s) {
  for (const auto& c : s.columns) {
    if (c.key) return &c;
  }
  return nullptr;
}

}  // namespace

std::string BatchedLookup::statementName(const catalog::Source& s) {
  return std::string("src_") + s.schema + "_" + s.table + "_any";
}

void BatchedLookup::prepareStatement(pqxx::connection& conn, const catalog::Source& s) {
  const catalog::SourceColumn* pk = primaryKeyOf(s);
  if (!pk) return;
  std::string cols;
  for (const auto& c : s.columns) {
    if (!cols.empty()) cols += ", ";
    cols += std::string(c.name) + "::text";
  }
  // The keys are validated identifiers (GB 11643 / GB 32100 alphabets): no quoting is needed in
  // the array literal, and the column's own type keeps the primary-key index in use.
  conn.prepare(statementName(s), "SELECT " + cols + " FROM " + s.schema + "." + s.table +
                                     " WHERE " + pk->name + " = ANY($1::" + pk->sql_type + "[])");
}

BatchedLookup::BatchedLookup(db::ConnectionPool& pool, const catalog::Source& source,
                             size_t max_batch, size_t max_leaders)
    : pool_(pool),
      source_(source),
      pk_(primaryKeyOf(source)),
      max_batch_(max_batch),
      max_leaders_(max_leaders) {}

Result<std::optional<Row>> BatchedLookup::get(const std::string& key) {
  if (!pk_) return Status::internal(std::string("source ") + source_.name + " has no primary key");
  Slot self;
  self.key = key;
  std::unique_lock<std::mutex> lock(mutex_);
  ++stats_.lookups;
  pending_.push_back(&self);
  for (;;) {
    if (self.done) return std::move(self.result);
    if (!self.taken && in_flight_ < max_leaders_) {
      // Lead: this slot and as many queued ones as fit, oldest first.
      std::vector<Slot*> batch{&self};
      self.taken = true;
      pending_.erase(std::find(pending_.begin(), pending_.end(), &self));
      while (!pending_.empty() && batch.size() < max_batch_) {
        Slot* s = pending_.front();
        pending_.pop_front();
        s->taken = true;
        batch.push_back(s);
      }
      ++in_flight_;
      ++stats_.queries;
      lock.unlock();
      runBatch(batch);
      lock.lock();
      --in_flight_;
      for (Slot* s : batch) {
        s->done = true;
        if (s != &self) s->cv.notify_one();
      }
      // Hand the next batch to the oldest waiter, if any.
      if (!pending_.empty()) pending_.front()->cv.notify_one();
      continue;
    }
    self.cv.wait(lock);
  }
}

void BatchedLookup::runBatch(std::vector<Slot*>& batch) {
  std::string array = "{";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i) array += ",";
    array += batch[i]->key;
  }
  array += "}";
  // Nothing may escape: the waiters of this batch are woken whatever happens.
  auto query = [&](pqxx::connection& c) -> Result<std::map<std::string, Row>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared(statementName(source_), array);
    std::map<std::string, Row> out;
    size_t pk_index = 0;
    for (size_t i = 0; i < source_.columns.size(); ++i) {
      if (&source_.columns[i] == pk_) pk_index = i;
    }
    for (const auto& row : r) {
      Row values;
      for (size_t i = 0; i < source_.columns.size(); ++i) {
        const auto& f = row[static_cast<int>(i)];
        values[source_.columns[i].name] =
            f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str());
      }
      out[row[static_cast<int>(pk_index)].c_str()] = std::move(values);
    }
    return out;
  };
  Result<std::map<std::string, Row>> rows = Status::internal("lookup did not run");
  try {
    rows = db::withConnection(pool_, query);
  } catch (const std::exception& e) {
    rows = Status::internal(std::string("lookup failed: ") + e.what());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (Slot* s : batch) {
    if (!rows) {
      s->result = rows.status();
      continue;
    }
    auto it = rows->find(s->key);
    s->result = it == rows->end() ? std::optional<Row>() : std::optional<Row>(it->second);
  }
}

BatchedLookup::Stats BatchedLookup::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace tongban::exchange
