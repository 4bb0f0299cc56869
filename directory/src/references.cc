#include "tongban/directory/references.h"

namespace tongban::directory {

bool departmentExists(pqxx::transaction_base& tx, const std::string& code) {
  return !tx.exec_params("SELECT 1 FROM directory.departments WHERE code = $1", code).empty();
}

std::optional<std::string> departmentName(pqxx::transaction_base& tx, const std::string& code) {
  const pqxx::result r =
      tx.exec_params("SELECT name FROM directory.departments WHERE code = $1", code);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<std::string> applicationStatus(pqxx::transaction_base& tx,
                                             const std::string& app_id) {
  const pqxx::result r =
      tx.exec_params("SELECT status FROM directory.applications WHERE app_id = $1", app_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace tongban::directory
