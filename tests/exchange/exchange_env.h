// A running exchange for end-to-end tests: a fresh migrated database with sample registry rows,
// the server on port 0, and helpers to make applications, apply for and approve access, and call
// the API with signed requests — all through the real HTTP API where the test is about it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include "support/test_db.h"
#include "tongban/directory/app_registry.h"
#include "tongban/exchange/exchange_client.h"
#include "tongban/exchange/server.h"

namespace tongban::exchange::testenv {

inline constexpr const char* kPersonId = "11010519491231002X";        // GB 11643's own example
inline constexpr const char* kEntityCode = "91350100M000100Y43";      // GB 32100's own example
inline constexpr const char* kPublicSecurity = "11110000000010014U";  // ships with 0004
inline constexpr const char* kMarketRegulation = "11110000000010022N";
inline constexpr const char* kCivilAffairs = "11110000000000019K";  // made by the env
inline constexpr const char* kTaxBureau = "1133010000002001XU";     // made by the env
inline constexpr const char* kMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string retry_after;
  rapidjson::Document json() const;
  std::string str(const char* member) const;  // a string member of the JSON body, or ""
};

class Client {
 public:
  Client(uint16_t port, Credentials credentials);
  Reply call(const std::string& method, const std::string& target, const std::string& body = "");
  ExchangeClient& raw() { return client_; }
  const Credentials& credentials() const { return credentials_; }

 private:
  Credentials credentials_;
  ExchangeClient client_;
};

struct App {
  std::string app_id;
  Credentials credentials;
};

class ExchangeEnv {
 public:
  // `configure` may change the config before the server starts.
  explicit ExchangeEnv(const std::string& tag, void (*configure)(ExchangeConfig&) = nullptr);
  ~ExchangeEnv();

  uint16_t port() const { return server_->port(); }
  const std::string& conninfo() const { return db_.conninfo(); }  // the owner's (superuser)
  const std::string& runtimeConninfo() const { return config_.database_url; }  // the exchange's
  ExchangeServer& server() { return *server_; }
  const ExchangeConfig& config() const { return config_; }

  // Applications made straight in the registry (what `tongban-admin app add` does).
  App makeApp(const std::string& department, const std::string& name, const std::string& role);
  Client client(const App& app) { return Client(port(), app.credentials); }

  // Applies for `resource` as `app` and, when the request is pending, approves it as the
  // admin (with `unmask`). Returns the grant id. Fails the test on any error.
  int64_t grant(const App& app, const std::string& resource, const std::vector<std::string>& fields,
                const std::vector<std::string>& matters, int rate_per_minute = 6000,
                const std::vector<std::string>& unmask = {});

  const App& admin() const { return admin_; }

  // Raw SQL for assertions.
  pqxx::result sql(const std::string& query);

 private:
  testing::TestDatabase db_;
  ExchangeConfig config_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<directory::AppRegistry> registry_;
  std::unique_ptr<ExchangeServer> server_;
  App admin_;
};

}  // namespace tongban::exchange::testenv
