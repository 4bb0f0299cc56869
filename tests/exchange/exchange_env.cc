#include "exchange/exchange_env.h"

#include <gtest/gtest.h>

#include "tongban/catalog/model.h"
#include "tongban/common/log.h"
#include "tongban/common/time_format.h"

namespace tongban::exchange::testenv {

rapidjson::Document Reply::json() const {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

std::string Reply::str(const char* member) const {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(member) || !d[member].IsString())
    return "";
  return d[member].GetString();
}

Client::Client(uint16_t port, Credentials credentials)
    : credentials_(credentials), client_("127.0.0.1", port, credentials) {}

Reply Client::call(const std::string& method, const std::string& target, const std::string& body) {
  auto r = client_.call(method, target, body);
  EXPECT_TRUE(r) << r.status().toString();
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.content_type = r->content_type;
  out.body = r->body;
  out.retry_after = r->retry_after;
  return out;
}

ExchangeEnv::ExchangeEnv(const std::string& tag, void (*configure)(ExchangeConfig&)) : db_(tag) {
  EXPECT_TRUE(configureLogging("warning", "stderr", false));
  db_.migrate();
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, address) "
        "VALUES ('11010519491231002X', '张秀英', 'F', '1949-12-31', '110105', "
        "'北京市朝阳区建国路88号'), "
        "('110101199003070011', '李建国', 'M', '1990-03-07', '110101', "
        "'北京市东城区东四十条12号')");
    tx.exec(
        "INSERT INTO legal_entity.entities (credit_code, name, entity_type, legal_rep_citizen_id, "
        "registered_capital, established_on, region_code, address, business_scope) VALUES "
        "('91350100M000100Y43', '福州闽江软件有限公司', 'llc', '11010519491231002X', 5000000, "
        "'2008-06-18', '350102', '福建省福州市鼓楼区五四路100号', '软件开发；信息技术咨询服务')");
    tx.commit();
  }
  config_.port = 0;
  // The exchange runs as the runtime role, as deployed (0012_roles.sql); the env's own helpers
  // below (and sql()) use the owner's connection, as tongban-admin does.
  config_.database_url = db_.runtimeConninfo();
  config_.pool_size = 4;
  config_.max_body_bytes = 64 * 1024;
  config_.access_log = false;
  config_.master_key = kMasterKey;
  config_.key_cache_ms = 0;  // tests change keys and grants and expect the change at once
  config_.grant_cache_ms = 0;
  if (configure) configure(config_);
  pool_ = std::make_unique<db::ConnectionPool>(
      db::PoolOptions{db_.conninfo(), 2, std::chrono::milliseconds(5000), nullptr});
  auto box = directory::SecretBox::fromBase64(kMasterKey);
  registry_ = std::make_unique<directory::AppRegistry>(*pool_, std::move(*box));
  for (auto [code, name, region] : {std::tuple{kCivilAffairs, "市民政局", "110000"},
                                    std::tuple{kTaxBureau, "杭州市税务局", "330100"}}) {
    auto d = registry_->createDepartment(code, name, region, "test");
    if (!d) ADD_FAILURE() << d.status().toString();
  }
  admin_ = makeApp(kCivilAffairs, "数据管理平台", "admin");
  auto server = ExchangeServer::start(config_);
  if (!server) {
    ADD_FAILURE() << server.status().toString();
    throw std::runtime_error("exchange did not start");
  }
  server_ = std::move(*server);
}

ExchangeEnv::~ExchangeEnv() {
  if (server_) server_->stop();
}

App ExchangeEnv::makeApp(const std::string& department, const std::string& name,
                         const std::string& role) {
  auto k = registry_->createApplication(department, name, role, "test");
  if (!k) {
    ADD_FAILURE() << k.status().toString();
    return {};
  }
  return App{k->app_id, Credentials{k->key_id, k->secret}};
}

int64_t ExchangeEnv::grant(const App& app, const std::string& resource,
                           const std::vector<std::string>& fields,
                           const std::vector<std::string>& matters, int rate_per_minute,
                           const std::vector<std::string>& unmask) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ",\"" : "\"") + v[i] + "\"";
    return s + "]";
  };
  Client c = client(app);
  Reply r = c.call(
      "POST", "/v1/access-requests",
      "{\"resource_code\":\"" + resource + "\",\"fields\":" + list(fields) +
          ",\"purpose\":\"办理业务时核验申请人信息\",\"legal_basis\":\"《政务数据共享管理办法》\","
          "\"matter_codes\":" +
          list(matters) + ",\"valid_to\":\"" +
          formatRfc3339Seconds(std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) +
          "\",\"rate_per_minute\":" + std::to_string(rate_per_minute) + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  auto d = r.json();
  if (!d.IsObject() || !d.HasMember("id")) return 0;
  if (d.HasMember("grant_id") && d["grant_id"].IsInt64()) return d["grant_id"].GetInt64();
  Client a = client(admin_);
  Reply ok =
      a.call("POST", "/v1/admin/access-requests/" + std::to_string(d["id"].GetInt64()) + "/approve",
             unmask.empty() ? "" : "{\"unmasked_fields\":" + list(unmask) + "}");
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto g = ok.json();
  if (!g.IsObject() || !g.HasMember("grant")) return 0;
  return g["grant"]["id"].GetInt64();
}

pqxx::result ExchangeEnv::sql(const std::string& query) {
  pqxx::connection c(db_.conninfo());
  pqxx::nontransaction tx(c);
  return tx.exec(query);
}

}  // namespace tongban::exchange::testenv
