// The directory's records as the other modules see them: departments (部门), their applications
// (the systems that call the exchange) and the applications' signing keys. Stored in the
// directory schema (deploy/sql/0003_exchange.sql, moved by 0013_directory.sql); written through
// AppRegistry (app_registry.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tongban::directory {

struct Department {
  std::string code;  // unified social credit code
  std::string name;
  std::string region_code;
  std::string created_at;
};

struct Application {
  std::string app_id;
  std::string department_code;
  std::string name;
  std::string role;    // consumer | provider | admin
  std::string status;  // active | disabled
  std::string created_at;
};

struct IssuedKey {
  std::string app_id;
  std::string key_id;
  std::string secret;  // shown once
};

// What the authenticator needs about a key.
struct KeyInfo {
  std::string key_id;
  std::string app_id;
  std::string department_code;
  std::string role;
  std::string secret;
  bool key_active = false;
  bool app_active = false;
  std::optional<int64_t> not_after_unix;  // end of a rotated key's overlap window
  std::string client_cert_sha256;  // hex SHA-256 of the application's client certificate, or ""
};

}  // namespace tongban::directory
