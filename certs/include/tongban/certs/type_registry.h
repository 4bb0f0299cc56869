// Certificate types in PostgreSQL (certs.certificate_types, certs.type_issuers), with their
// compiled surface schemas cached in memory.
//
// Cached entries are reloaded after `cache_ttl` so that a type or an issuer grant changed by
// another node is seen within that time; changes made through this object are seen at once.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tongban/certs/certificate_type.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::certs {

class CertificateTypeRegistry {
 public:
  explicit CertificateTypeRegistry(db::ConnectionPool& pool,
                                   std::chrono::seconds cache_ttl = std::chrono::seconds(30));

  // The type with this code. InvalidArgument (field "type_code") for a malformed code, NotFound
  // for an unknown one.
  Result<std::shared_ptr<const CertificateType>> get(const std::string& code);

  // Every type, by code.
  Result<std::vector<CertificateType>> list();

  // Defines a new type (code, name, holder kind, schema, validity; issuer_codes are granted too).
  // InvalidArgument for a bad code or schema, Conflict when the code or name exists.
  Status define(const CertificateType& type);

  // Lets `department_code` issue `type_code`. NotFound for an unknown type or department.
  Status authorizeIssuer(const std::string& type_code, const std::string& department_code);

 private:
  db::ConnectionPool& pool_;
  const std::chrono::seconds cache_ttl_;
  struct Cached {
    std::shared_ptr<const CertificateType> type;
    std::chrono::steady_clock::time_point loaded;
  };
  std::mutex cache_mutex_;  // guards cache_
  std::map<std::string, Cached> cache_;
};

}  // namespace tongban::certs
