// Read-only lookups in the base registries (population, legal entities).
#pragma once

#include <pqxx/pqxx>

#include "tongban/common/db_pool.h"
#include "tongban/exchange/http.h"

namespace tongban::exchange {

// Prepares the statements the handlers use; run once per pooled connection.
void prepareRegistryStatements(pqxx::connection& conn);

// GET /v1/registry/persons/{citizen_id} and GET /v1/registry/entities/{credit_code}.
// `pool` must outlive the router.
void addRegistryRoutes(Router& router, db::ConnectionPool& pool);

}  // namespace tongban::exchange
