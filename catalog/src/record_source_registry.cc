// RecordSourceRegistry: factories by kind, sources by name (record_source_registry.h).
#include "tongban/catalog/record_source_registry.h"

#include "pg_record_source.h"
#include "tongban/catalog/sources.h"

namespace tongban::catalog {

RecordSourceRegistry::RecordSourceRegistry() {
  Status s = registerFactory(makePgRecordSourceFactory());
  (void)s;  // the registry is empty: it cannot conflict
}

Status RecordSourceRegistry::registerFactory(std::unique_ptr<RecordSourceFactory> factory) {
  std::string kind = factory->kind();
  if (factories_.count(kind)) {
    return Status(ErrorCode::kConflict, "a record source factory \"" + kind + "\" exists already",
                  "kind");
  }
  factories_.emplace(std::move(kind), std::move(factory));
  return Status::ok();
}

const RecordSourceFactory* RecordSourceRegistry::factory(std::string_view kind) const {
  auto it = factories_.find(kind);
  return it == factories_.end() ? nullptr : it->second.get();
}

Status RecordSourceRegistry::add(std::string_view kind, const RecordSourceConfig& config) {
  const RecordSourceFactory* f = factory(kind);
  if (f == nullptr) {
    return Status(ErrorCode::kNotFound, "no record source factory \"" + std::string(kind) + "\"",
                  "kind");
  }
  if (sources_.count(config.name)) {
    return Status(ErrorCode::kConflict, "a record source \"" + config.name + "\" exists already",
                  "name");
  }
  auto source = f->create(config);
  if (!source) return source.status();
  sources_.emplace(config.name, std::move(*source));
  return Status::ok();
}

const RecordSource* RecordSourceRegistry::find(std::string_view name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : it->second.get();
}

Result<std::unique_ptr<RecordSourceRegistry>> localRecordSources(db::ConnectionPool& pool) {
  auto registry = std::make_unique<RecordSourceRegistry>();
  for (const Source& s : registrySources()) {
    RecordSourceConfig config;
    config.name = s.name;
    config.pool = &pool;
    if (Status st = registry->add("pg", config); !st) return st;
  }
  return registry;
}

}  // namespace tongban::catalog
