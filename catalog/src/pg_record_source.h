// The "pg" record source kind: a registry table in the hub's own PostgreSQL (sources.h describes
// the tables). Internal to the catalog module; others reach it through record_source_registry.h.
#pragma once

#include <memory>

#include "tongban/catalog/record_source_registry.h"

namespace tongban::catalog {

// The factory of "pg" sources: config.name must be one of registrySources() and config.pool set.
std::unique_ptr<RecordSourceFactory> makePgRecordSourceFactory();

}  // namespace tongban::catalog
