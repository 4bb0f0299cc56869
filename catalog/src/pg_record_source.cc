// Record sources over the hub's PostgreSQL registries (population.persons, legal_entity.entities).
//
// Every query is a statement prepared once per pooled connection (preparePgRecordSources, run by
// the pool's on_connect), selecting all the source's columns as text; a lookup copies out only the
// fields asked for. The SQL is built only from the identifiers in sources.h, never from text
// stored in the catalog or sent by a caller.
#include "pg_record_source.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tongban/catalog/sources.h"

namespace tongban::catalog {

namespace {

std::string statementName(const Source& s) {
  return std::string("src_") + s.schema + "_" + s.table;
}

std::string statementName(const Source& s, const SourceColumn& by) {
  return statementName(s) + "_by_" + by.name;
}

const SourceColumn* primaryKey(const Source& s) {
  for (const auto& c : s.columns) {
    if (c.key) return &c;
  }
  return nullptr;
}

std::string selectList(const Source& s) {
  std::string cols;
  for (const auto& c : s.columns) {
    if (!cols.empty()) cols += ", ";
    cols += std::string(c.name) + "::text";
  }
  return cols;
}

class PgRecordSource : public RecordSource {
 public:
  // Precondition: `source` has a primary key column.
  PgRecordSource(const Source& source, const SourceColumn& key, db::ConnectionPool& pool)
      : source_(source),
        name_(source.name),
        key_(key.name),
        statement_(statementName(source)),
        pool_(pool) {
    by_statements_.reserve(source.columns.size());
    for (const SourceColumn& c : source.columns) {
      by_statements_.push_back(c.lookup && !c.key ? statementName(source, c) : std::string());
    }
  }

  // RecordSource
  const std::string& name() const override { return name_; }
  const std::string& keyField() const override { return key_; }

  Result<std::optional<Record>> lookup(const std::string& key,
                                       const std::vector<std::string>& fields) const override {
    auto columns = columnsOf(fields);
    if (!columns) return columns.status();
    return db::withConnection(pool_, [&](pqxx::connection& c) -> Result<std::optional<Record>> {
      pqxx::nontransaction tx(c);
      pqxx::result r = tx.exec_prepared(statement_, key);
      if (r.empty()) return std::optional<Record>();
      return std::optional<Record>(toRecord(r[0], *columns));
    });
  }

  Result<std::vector<Record>> lookupBy(std::string_view field, const std::string& value,
                                       const std::vector<std::string>& fields,
                                       size_t limit) const override {
    const SourceColumn* by = source_.column(field);
    if (by == nullptr || !by->lookup) {
      return Status::invalid("field",
                             "'" + std::string(field) + "' is not a lookup field of " + name_);
    }
    auto columns = columnsOf(fields);
    if (!columns) return columns.status();
    const std::string& statement =
        by->key ? statement_ : by_statements_[static_cast<size_t>(by - source_.columns.data())];
    return db::withConnection(pool_, [&](pqxx::connection& c) -> Result<std::vector<Record>> {
      pqxx::nontransaction tx(c);
      std::vector<Record> out;
      const pqxx::result r = by->key ? tx.exec_prepared(statement, value)
                                     : tx.exec_prepared(statement, value, static_cast<long>(limit));
      out.reserve(std::min(r.size(), limit));
      for (const auto& row : r) {
        if (out.size() >= limit) break;
        out.push_back(toRecord(row, *columns));
      }
      return out;
    });
  }

 private:
  // The index in the select list of each field, in order.
  Result<std::vector<int>> columnsOf(const std::vector<std::string>& fields) const {
    std::vector<int> out;
    out.reserve(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      const SourceColumn* c = source_.column(fields[i]);
      if (c == nullptr) {
        return Status::invalid("fields[" + std::to_string(i) + "]",
                               "'" + fields[i] + "' is not a field of " + name_);
      }
      out.push_back(static_cast<int>(c - source_.columns.data()));
    }
    return out;
  }

  Record toRecord(const pqxx::row& row, const std::vector<int>& columns) const {
    Record record;
    record.reserve(columns.size());
    for (int i : columns) {
      const pqxx::field f = row[i];
      record.add(source_.columns[static_cast<size_t>(i)].name,
                 f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str()));
    }
    return record;
  }

  const Source& source_;
  const std::string name_;
  const std::string key_;
  const std::string statement_;
  std::vector<std::string> by_statements_;  // per column: its lookup statement, or empty
  db::ConnectionPool& pool_;
};

class PgRecordSourceFactory : public RecordSourceFactory {
 public:
  std::string kind() const override { return "pg"; }

  Result<std::unique_ptr<RecordSource>> create(const RecordSourceConfig& config) const override {
    const Source* source = findSource(config.name);
    if (source == nullptr) {
      return Status::invalid("name", "'" + config.name + "' is not a registry of this hub");
    }
    const SourceColumn* key = primaryKey(*source);
    if (key == nullptr) return Status::internal("registry " + config.name + " has no key column");
    if (config.pool == nullptr) return Status::invalid("pool", "a \"pg\" source needs the pool");
    if (!config.settings.empty()) {
      return Status::invalid("settings." + config.settings.begin()->first,
                             "a \"pg\" source takes no settings");
    }
    return std::unique_ptr<RecordSource>(
        std::make_unique<PgRecordSource>(*source, *key, *config.pool));
  }
};

}  // namespace

std::unique_ptr<RecordSourceFactory> makePgRecordSourceFactory() {
  return std::make_unique<PgRecordSourceFactory>();
}

void preparePgRecordSources(pqxx::connection& conn) {
  for (const auto& s : registrySources()) {
    const SourceColumn* pk = primaryKey(s);
    if (!pk) continue;
    const std::string select = "SELECT " + selectList(s) + " FROM " + s.schema + "." + s.table;
    conn.prepare(statementName(s), select + " WHERE " + pk->name + " = $1");
    for (const auto& c : s.columns) {
      if (!c.lookup || c.key) continue;
      conn.prepare(statementName(s, c),
                   select + " WHERE " + c.name + " = $1 ORDER BY " + pk->name + " LIMIT $2");
    }
  }
}

}  // namespace tongban::catalog
