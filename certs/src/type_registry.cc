// Certificate types in PostgreSQL.
#include "tongban/certs/type_registry.h"

#include <regex>

#include "tongban/common/identifiers.h"
#include "tongban/directory/references.h"

namespace tongban::certs {
namespace {

Status checkTypeCode(const std::string& code) {
  if (code.size() != 21) {
    return Status::invalid("type_code", "must be 21 characters (a credit code and 3 digits)");
  }
  if (auto s = ids::normalizeCreditCode(code.substr(0, 18), "type_code"); !s) return s.status();
  for (size_t i = 18; i < 21; ++i) {
    if (code[i] < '0' || code[i] > '9') {
      return Status::invalid("type_code", "must end in 3 digits");
    }
  }
  return Status();
}

Result<CertificateType> typeFromRow(const pqxx::row& r) {
  CertificateType type;
  type.code = r["code"].c_str();
  type.name = r["name"].c_str();
  type.holder_kind =
      std::string(r["holder_kind"].c_str()) == "person" ? HolderKind::kPerson : HolderKind::kEntity;
  type.holder_check = r["holder_check"].as<bool>();
  type.unique_per_holder = r["unique_per_holder"].as<bool>();
  if (!r["default_validity_months"].is_null()) {
    type.default_validity_months = r["default_validity_months"].as<int>();
  }
  type.schema_json = r["surface_schema"].c_str();
  std::string issuers = r["issuers"].is_null() ? "" : r["issuers"].c_str();
  for (size_t start = 0; start < issuers.size();) {
    size_t comma = issuers.find(',', start);
    if (comma == std::string::npos) comma = issuers.size();
    type.issuer_codes.push_back(issuers.substr(start, comma - start));
    start = comma + 1;
  }
  Result<std::shared_ptr<const SurfaceSchema>> schema = SurfaceSchema::compile(type.schema_json);
  if (!schema) {
    return Status::internal("stored schema of type " + type.code +
                            " is bad: " + schema.status().toString());
  }
  type.schema = std::move(*schema);
  return type;
}

constexpr const char* kTypeSelect =
    "SELECT t.code, t.name, t.holder_kind, t.holder_check, t.unique_per_holder, "
    "t.default_validity_months, "
    "t.surface_schema::text AS surface_schema, "
    "(SELECT string_agg(department_code, ',' ORDER BY department_code) FROM certs.type_issuers i "
    " WHERE i.type_code = t.code) AS issuers FROM certs.certificate_types t";

}  // namespace

CertificateTypeRegistry::CertificateTypeRegistry(db::ConnectionPool& pool,
                                                 std::chrono::seconds cache_ttl)
    : pool_(pool), cache_ttl_(cache_ttl) {}

Result<std::shared_ptr<const CertificateType>> CertificateTypeRegistry::get(
    const std::string& code) {
  if (Status s = checkTypeCode(code); !s) return s;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(code);
    if (it != cache_.end() && now - it->second.loaded < cache_ttl_) return it->second.type;
  }
  auto loaded = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<CertificateType> {
    pqxx::read_transaction tx(conn);
    pqxx::result r = tx.exec_params(std::string(kTypeSelect) + " WHERE t.code = $1", code);
    if (r.empty()) return Status::notFound("no certificate type " + code);
    return typeFromRow(r[0]);
  });
  if (!loaded) return loaded.status();
  auto type = std::make_shared<const CertificateType>(std::move(*loaded));
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_[code] = Cached{type, now};
  return std::shared_ptr<const CertificateType>(type);
}

Result<std::vector<CertificateType>> CertificateTypeRegistry::list() {
  return db::withConnection(
      pool_, [&](pqxx::connection& conn) -> Result<std::vector<CertificateType>> {
        pqxx::read_transaction tx(conn);
        std::vector<CertificateType> out;
        for (const auto& row : tx.exec(std::string(kTypeSelect) + " ORDER BY t.code")) {
          Result<CertificateType> type = typeFromRow(row);
          if (!type) return type.status();
          out.push_back(std::move(*type));
        }
        return out;
      });
}

Status CertificateTypeRegistry::define(const CertificateType& type) {
  if (Status s = checkTypeCode(type.code); !s) return s;
  if (type.name.size() < 2) return Status::invalid("name", "is required");
  if (type.default_validity_months &&
      (*type.default_validity_months < 1 || *type.default_validity_months > 1200)) {
    return Status::invalid("default_validity_months", "must be 1..1200");
  }
  Result<std::shared_ptr<const SurfaceSchema>> schema = SurfaceSchema::compile(type.schema_json);
  if (!schema) return schema.status();
  auto done = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    if (!tx.exec_params("SELECT 1 FROM certs.certificate_types WHERE code = $1 OR name = $2",
                        type.code, type.name)
             .empty()) {
      return Status(ErrorCode::kConflict, "a certificate type with this code or name exists",
                    "code");
    }
    tx.exec_params(
        "INSERT INTO certs.certificate_types (code, name, holder_kind, holder_check, "
        "surface_schema, default_validity_months, unique_per_holder) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)",
        type.code, type.name, type.holder_kind == HolderKind::kPerson ? "person" : "entity",
        type.holder_check, type.schema_json,
        type.default_validity_months ? std::optional<int>(*type.default_validity_months)
                                     : std::optional<int>(),
        type.unique_per_holder);
    for (const std::string& issuer : type.issuer_codes) {
      if (!directory::departmentExists(tx, issuer)) {
        return Status::notFound("no department " + issuer);
      }
      tx.exec_params("INSERT INTO certs.type_issuers VALUES ($1, $2) ON CONFLICT DO NOTHING",
                     type.code, issuer);
    }
    tx.commit();
    return true;
  });
  if (!done) return done.status();
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.erase(type.code);
  return Status();
}

Status CertificateTypeRegistry::authorizeIssuer(const std::string& type_code,
                                                const std::string& department_code) {
  auto done = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    if (tx.exec_params("SELECT 1 FROM certs.certificate_types WHERE code = $1", type_code)
            .empty()) {
      return Status::notFound("no certificate type " + type_code);
    }
    if (!directory::departmentExists(tx, department_code)) {
      return Status::notFound("no department " + department_code);
    }
    tx.exec_params("INSERT INTO certs.type_issuers VALUES ($1, $2) ON CONFLICT DO NOTHING",
                   type_code, department_code);
    tx.commit();
    return true;
  });
  if (!done) return done.status();
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.erase(type_code);
  return Status();
}

}  // namespace tongban::certs
