// Record sources by name, made by named factories (Envoy's extension registry is the model).
//
// A factory knows one kind of source ("pg": a registry table in the hub's own PostgreSQL; the
// adapters add kinds that reach ministry systems) and makes a source from a per-instance
// configuration. The registry holds the factories by kind and the sources by the name resources
// cite; the exchange builds one at start-up (localRecordSources) and its handlers only ever call
// find().
//
// Thread safety: registerFactory() and add() are for start-up, before the registry is shared;
// after that, find() and factory() may be called from any number of threads at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "tongban/catalog/record_source.h"
#include "tongban/common/db_pool.h"

namespace tongban::catalog {

// What a factory is given to make one source.
struct RecordSourceConfig {
  std::string name;                             // as resources cite it: "population.persons"
  std::map<std::string, std::string> settings;  // kind-specific settings (none for "pg")
  db::ConnectionPool* pool = nullptr;           // the hub's database, for local sources
};

class RecordSourceFactory {
 public:
  virtual ~RecordSourceFactory() = default;
  // The kind this factory makes ("pg"); unique within a registry.
  virtual std::string kind() const = 0;
  // A source configured by `config`; kInvalidArgument naming the setting that is wrong.
  [[nodiscard]] virtual Result<std::unique_ptr<RecordSource>> create(
      const RecordSourceConfig& config) const = 0;
};

class RecordSourceRegistry {
 public:
  // A registry that knows the built-in kinds ("pg") and holds no source yet.
  RecordSourceRegistry();
  RecordSourceRegistry(const RecordSourceRegistry&) = delete;
  RecordSourceRegistry& operator=(const RecordSourceRegistry&) = delete;

  // kConflict when a factory of the same kind is registered already.
  Status registerFactory(std::unique_ptr<RecordSourceFactory> factory);
  // The factory of `kind`, or nullptr.
  const RecordSourceFactory* factory(std::string_view kind) const;

  // Makes a source with the factory of `kind` and holds it under config.name. kNotFound naming
  // "kind" for an unknown kind, kConflict when the name is taken, or the factory's error.
  Status add(std::string_view kind, const RecordSourceConfig& config);
  // The source called `name`, or nullptr. Valid for the registry's life.
  const RecordSource* find(std::string_view name) const;

 private:
  std::map<std::string, std::unique_ptr<RecordSourceFactory>, std::less<>> factories_;
  std::map<std::string, std::unique_ptr<RecordSource>, std::less<>> sources_;
};

// A registry holding a "pg" source, reading through `pool`, for each of the hub's registries
// (sources.h, registrySources()). The pool must prepare the sources' statements on each connection
// it opens: set PoolOptions::on_connect to (or make it call) preparePgRecordSources.
Result<std::unique_ptr<RecordSourceRegistry>> localRecordSources(db::ConnectionPool& pool);

// Prepares on `conn` the statements the "pg" sources run (may throw pqxx exceptions, as
// PoolOptions::on_connect may).
void preparePgRecordSources(pqxx::connection& conn);

}  // namespace tongban::catalog
