// Checks that other modules make on directory records inside their own transactions: catalog
// (a resource's provider department, a source's owner, the application that applies for access)
// and certs (a seal's owner, a certificate type's issuers). Running in the caller's transaction
// keeps the check and the caller's write atomic; the foreign keys into the directory schema
// (deploy/sql/0013_directory.sql) are the last line behind them.
//
// Each is one indexed read; a database error propagates as the libpqxx exception, as it does for
// the caller's own statements.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace tongban::directory {

// True when a department with this unified social credit code exists.
bool departmentExists(pqxx::transaction_base& tx, const std::string& code);

// The department's name, or nullopt when there is none with this code.
std::optional<std::string> departmentName(pqxx::transaction_base& tx, const std::string& code);

// The application's status ("active" or "disabled"), or nullopt for an unknown app_id.
std::optional<std::string> applicationStatus(pqxx::transaction_base& tx, const std::string& app_id);

}  // namespace tongban::directory
