// End-to-end tests of the exchange: a real server on port 0, a real PostgreSQL, real sockets.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include "exchange/exchange_env.h"
#include "support/test_db.h"
#include "support/test_env.h"
#include "tongban/common/log.h"
#include "tongban/common/migrations.h"
#include "tongban/exchange/server.h"

namespace tongban::exchange {
namespace {

using testing::TestDatabase;

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string allow;
  rapidjson::Document json() const {
    rapidjson::Document d;
    d.Parse(body.c_str());
    EXPECT_FALSE(d.HasParseError()) << body;
    return d;
  }
};

Reply request(uint16_t port, const std::string& method, const std::string& path,
              const std::string& body = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!body.empty()) req.setContentLength64(static_cast<int64_t>(body.size()));
  std::ostream& out = session.sendRequest(req);
  out << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply r;
  r.status = resp.getStatus();
  r.content_type = resp.getContentType();
  r.allow = resp.get("Allow", "");
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

// Sends raw bytes and returns the whole response text (the server closes or we time out).
std::string rawExchange(uint16_t port, const std::string& bytes) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.setReceiveTimeout(Poco::Timespan(3, 0));
  s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  char buf[4096];
  try {
    int n;
    while ((n = s.receiveBytes(buf, sizeof buf)) > 0) {
      out.append(buf, n);
      if (out.find("\r\n\r\n") != std::string::npos && out.find("}") != std::string::npos) break;
    }
  } catch (const Poco::Exception&) {
  }
  return out;
}

using testenv::kEntityCode;
using testenv::kPersonId;

constexpr const char* kPurpose = "?matter_code=11110000000010014U4000117&case_id=CASE-2026-0001";

class ExchangeServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new testenv::ExchangeEnv("exchange", [](ExchangeConfig& c) { c.max_body_bytes = 4096; });
    consumer_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "税务征管系统", "consumer"));
    env_->grant(*consumer_, "POP-PERSON-BASIC",
                {"citizen_id", "name", "sex", "birth_date", "region_code", "status"},
                {"11110000000010014U4000117"}, 6000, {"citizen_id", "name"});
    env_->grant(*consumer_, "LE-ENTITY-BASIC",
                {"credit_code", "name", "entity_type", "legal_rep_citizen_id", "registered_capital",
                 "status"},
                {"11110000000010014U4000117"});
  }
  static void TearDownTestSuite() {
    delete consumer_;
    delete env_;
  }
  uint16_t port() const { return env_->port(); }
  testenv::Reply get(const std::string& target) {
    testenv::Client c = env_->client(*consumer_);
    return c.call("GET", target);
  }

  static testenv::ExchangeEnv* env_;
  static testenv::App* consumer_;
};

testenv::ExchangeEnv* ExchangeServerTest::env_ = nullptr;
testenv::App* ExchangeServerTest::consumer_ = nullptr;

TEST_F(ExchangeServerTest, HealthAndReadiness) {
  Reply h = request(port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json()["status"].GetString(), std::string("ok"));
  Reply r = request(port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ExchangeServerTest, PersonLookupReturnsGrantedFieldsOnly) {
  auto r = get(std::string("/v1/registry/persons/") + kPersonId + kPurpose);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto d = r.json();
  EXPECT_EQ(std::string(d["citizen_id"].GetString()), kPersonId);  // masking lifted by the grant
  EXPECT_EQ(std::string(d["name"].GetString()), "张秀英");
  EXPECT_EQ(std::string(d["sex"].GetString()), "F");
  EXPECT_EQ(std::string(d["birth_date"].GetString()), "1949-**-**");  // masked: date rule
  EXPECT_EQ(std::string(d["region_code"].GetString()), "110105");
  EXPECT_EQ(std::string(d["status"].GetString()), "living");
  EXPECT_FALSE(d.HasMember("address"));  // not granted
  EXPECT_FALSE(d.HasMember("ethnicity"));
}

TEST_F(ExchangeServerTest, PersonLookupNormalisesLowerCaseX) {
  auto r = get(std::string("/v1/registry/persons/11010519491231002x") + kPurpose);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::string(r.json()["citizen_id"].GetString()), kPersonId);
}

TEST_F(ExchangeServerTest, EntityLookup) {
  auto r = get(std::string("/v1/registry/entities/") + kEntityCode + kPurpose);
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  EXPECT_EQ(std::string(d["credit_code"].GetString()), kEntityCode);
  EXPECT_EQ(std::string(d["entity_type"].GetString()), "llc");
  EXPECT_EQ(std::string(d["legal_rep_citizen_id"].GetString()), "110105********002X");
  EXPECT_EQ(std::string(d["registered_capital"].GetString()), "5000000.00");
  EXPECT_EQ(std::string(d["status"].GetString()), "in_business");
  EXPECT_FALSE(d.HasMember("address"));
}

TEST_F(ExchangeServerTest, InvalidCitizenIdIsA400NamingTheProblem) {
  // Right shape, wrong check character (the valid one is X).
  auto r = get(std::string("/v1/registry/persons/110105194912310021") + kPurpose);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto d = r.json();
  EXPECT_EQ(std::string(d["type"].GetString()), "urn:tongban:problem:invalid_argument");
  EXPECT_EQ(d["status"].GetInt(), 400);
  EXPECT_EQ(std::string(d["field"].GetString()), "citizen_id");
  EXPECT_NE(std::string(d["detail"].GetString()).find("check"), std::string::npos)
      << d["detail"].GetString();
  for (const char* bad : {"123", "1101051949123100XX", "11010519491331002X", "%E5%BC%A0%E4%B8%89",
                          "11010519491231002X11010519491231002X", "'%20OR%201=1--"}) {
    auto b = get(std::string("/v1/registry/persons/") + bad + kPurpose);
    EXPECT_EQ(b.status, 400) << bad << " -> " << b.body;
    EXPECT_EQ(b.content_type, "application/problem+json") << bad;
  }
}

TEST_F(ExchangeServerTest, InvalidCreditCodeIsA400) {
  auto r = get(std::string("/v1/registry/entities/91350100M000100Y44") + kPurpose);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(std::string(r.json()["field"].GetString()), "credit_code");
  auto s = get(std::string("/v1/registry/entities/91350100I000100Y43") + kPurpose);
  EXPECT_EQ(s.status, 400) << s.body;
}

TEST_F(ExchangeServerTest, PurposeIsRequired) {
  auto r = get(std::string("/v1/registry/persons/") + kPersonId);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.str("field"), "matter_code");
  auto c = get(std::string("/v1/registry/persons/") + kPersonId +
               "?matter_code=11110000000010014U4000117");
  EXPECT_EQ(c.status, 400) << c.body;
  EXPECT_EQ(c.str("field"), "case_id");
}

TEST_F(ExchangeServerTest, UnknownIdsAre404) {
  // Valid, but not in the registry.
  auto r = get(std::string("/v1/registry/persons/110101199003070038") + kPurpose);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.str("type"), "urn:tongban:problem:not_found");
}

TEST_F(ExchangeServerTest, UnsignedRequestsAre401) {
  Reply r = request(port(), "GET", std::string("/v1/registry/persons/") + kPersonId + kPurpose);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
}

TEST_F(ExchangeServerTest, UnknownRouteWrongMethodTrailingSlash) {
  Reply r = request(port(), "GET", "/v1/nothing/here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  Reply m = request(port(), "DELETE", std::string("/v1/registry/persons/") + kPersonId);
  EXPECT_EQ(m.status, 405) << m.body;
  EXPECT_EQ(m.allow, "GET");
  EXPECT_EQ(m.content_type, "application/problem+json");
  Reply p = request(port(), "POST", "/healthz", "{}");
  EXPECT_EQ(p.status, 405);
  Reply t = request(port(), "GET", "/healthz/");
  EXPECT_EQ(t.status, 404);
}

TEST_F(ExchangeServerTest, OversizedBodyIs413) {
  Reply r = request(port(), "GET", "/healthz", std::string(5000, 'a'));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  // Chunked, with no Content-Length to refuse up front: counted while reading.
  std::string chunked = "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) chunked += "400\r\n" + std::string(1024, 'b') + "\r\n";
  chunked += "0\r\n\r\n";
  std::string resp = rawExchange(port(), chunked);
  EXPECT_EQ(resp.rfind("HTTP/1.1 413", 0), 0u) << resp.substr(0, 200);
}

TEST_F(ExchangeServerTest, MalformedRequestsDoNotGet5xx) {
  std::string resp = rawExchange(port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(resp.find("HTTP/1.1 5"), std::string::npos) << resp;
  std::string bad_uri =
      rawExchange(port(), "GET /v1/registry/persons/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(bad_uri.rfind("HTTP/1.1 400", 0), 0u) << bad_uri;
  std::string no_slash = rawExchange(port(), "GET healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(no_slash.rfind("HTTP/1.1 4", 0), 0u) << no_slash;
  // The server still answers afterwards.
  EXPECT_EQ(request(port(), "GET", "/healthz").status, 200);
}

TEST_F(ExchangeServerTest, MetricsCountRequestsByRouteAndStatus) {
  get(std::string("/v1/registry/persons/") + kPersonId + kPurpose);
  get(std::string("/v1/registry/persons/123") + kPurpose);
  Reply m = request(port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << m.content_type;
  EXPECT_NE(m.body.find("tongban_http_requests_total{route=\"/v1/registry/persons/{citizen_id}\","
                        "status=\"200\"}"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("tongban_http_requests_total{route=\"/v1/registry/persons/{citizen_id}\","
                        "status=\"400\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("tongban_http_request_duration_seconds_bucket{route=\"/v1/registry/persons/"
                        "{citizen_id}\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("tongban_db_pool_connections{state=\"open\"}"), std::string::npos);
  EXPECT_NE(m.body.find("tongban_audit_entries_total"), std::string::npos);
}

TEST_F(ExchangeServerTest, ConcurrentLookupsAllSucceed) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      testenv::Client c = env_->client(*consumer_);
      for (int i = 0; i < 25; ++i) {
        if (c.call("GET", std::string("/v1/registry/persons/") + kPersonId + kPurpose).status ==
            200) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);  // 8 threads over a pool of 4 connections
}

TEST(ExchangeReadiness, NotReadyWhenANewerBinaryMigrated) {
  testenv::ExchangeEnv env("readiness_newer");
  EXPECT_EQ(request(env.port(), "GET", "/readyz").status, 200);
  env.sql("INSERT INTO public.schema_migrations (name, checksum) VALUES ('9999_future.sql', 'x')");
  Reply r = request(env.port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("9999_future.sql"), std::string::npos) << r.body;
}

// A private cluster that this test stops and restarts under a running exchange.
TEST(ExchangeReadiness, FollowsTheDatabaseDownAndBackUp) {
  std::string dir = testing::binaryDir() + "/pg-readiness-test";
  std::string pg = testing::sourceDir() + "/deploy/pg.sh";
  // pg.sh's stdout is the conninfo and nothing else (its diagnostics go to stderr).
  auto started = testing::runCommandSplit(pg + " start " + dir);
  ASSERT_EQ(started.exit_code, 0) << started.err;
  std::string conninfo = started.out.substr(0, started.out.find('\n'));
  {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS readiness");
    tx.exec("CREATE DATABASE readiness");
  }
  conninfo.replace(conninfo.find("dbname=postgres"), 15, "dbname=readiness");
  {
    pqxx::connection c(conninfo);
    ASSERT_TRUE(db::migrate(c));
  }
  ExchangeConfig config;
  config.port = 0;
  config.database_url = conninfo;
  config.access_log = false;
  config.pool_acquire_timeout_ms = 500;
  config.master_key = testenv::kMasterKey;
  auto server = ExchangeServer::start(config);
  ASSERT_TRUE(server);
  uint16_t port = (*server)->port();
  EXPECT_EQ(request(port, "GET", "/readyz").status, 200);

  ASSERT_EQ(testing::runCommand(pg + " stop " + dir).exit_code, 0);
  Reply down = request(port, "GET", "/readyz");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.content_type, "application/problem+json");
  // Even a refusal must be audited; with the database down nothing can be, so nothing is served.
  Reply lookup = request(port, "GET", std::string("/v1/registry/persons/") + kPersonId + kPurpose);
  EXPECT_EQ(lookup.status, 503) << lookup.body;
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);  // alive, just not ready

  ASSERT_EQ(testing::runCommand(pg + " start " + dir).exit_code, 0);
  Reply up = request(port, "GET", "/readyz");
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(
      request(port, "GET", std::string("/v1/registry/persons/") + kPersonId + kPurpose).status,
      401);  // answered (and audited) again
  (*server)->stop();
  testing::runCommand(pg + " stop " + dir);
}

// The real binary: configuration errors, a database that is down, graceful SIGTERM.
class ExchangeBinaryTest : public ::testing::Test {
 protected:
  std::string exe() const { return testing::binaryDir() + "/exchange/tongban-exchange"; }
  std::string tmp(const std::string& name) const {
    return testing::binaryDir() + "/exchange-binary-test-" + name;
  }
};

TEST_F(ExchangeBinaryTest, BadConfigurationExitsWithTheReason) {
  auto missing = testing::runCommand(exe() + " serve --config /nonexistent/tongban.ini");
  EXPECT_EQ(missing.exit_code, 78) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/tongban.ini"), std::string::npos) << missing.output;

  std::string bad = tmp("bad.ini");
  std::ofstream(bad) << "[server]\nport = eighty\n[database]\nurl = host=127.0.0.1\n";
  auto port = testing::runCommand(exe() + " serve --config " + bad);
  EXPECT_EQ(port.exit_code, 78) << port.output;
  EXPECT_NE(port.output.find("server.port"), std::string::npos) << port.output;

  std::ofstream(bad) << "[server]\nthis line is wrong\n";
  auto syntax = testing::runCommand(exe() + " serve --config " + bad);
  EXPECT_EQ(syntax.exit_code, 78) << syntax.output;
  EXPECT_NE(syntax.output.find("line 2"), std::string::npos) << syntax.output;

  auto no_db = testing::runCommand("env -u TONGBAN_DATABASE_URL " + exe() + " serve");
  auto no_key = testing::runCommand(
      "env -u TONGBAN_SECURITY_MASTER_KEY TONGBAN_DATABASE_URL=host=x " + exe() + " serve");
  EXPECT_EQ(no_key.exit_code, 78) << no_key.output;
  EXPECT_NE(no_key.output.find("security.master_key"), std::string::npos) << no_key.output;
  EXPECT_EQ(no_db.exit_code, 78) << no_db.output;
  EXPECT_NE(no_db.output.find("database.url"), std::string::npos) << no_db.output;

  auto usage = testing::runCommand(exe() + " frobnicate");
  EXPECT_EQ(usage.exit_code, 64) << usage.output;
}

TEST_F(ExchangeBinaryTest, DatabaseDownAtStartExits69) {
  // Nothing listens on port 1.
  auto r = testing::runCommand(
      "TONGBAN_DATABASE_URL='host=127.0.0.1 port=1 user=postgres' "
      "TONGBAN_SECURITY_MASTER_KEY=" +
      std::string(testenv::kMasterKey) + " " + exe() + " serve");
  EXPECT_EQ(r.exit_code, 69) << r.output;
  EXPECT_NE(r.output.find("database unreachable"), std::string::npos) << r.output;
}

TEST_F(ExchangeBinaryTest, SigtermLetsTheRequestInFlightFinish) {
  TestDatabase db("sigterm");
  std::string port_file = tmp("port");
  std::string log_file = tmp("log");
  std::remove(port_file.c_str());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("TONGBAN_DATABASE_URL", db.conninfo().c_str(), 1);
    setenv("TONGBAN_SERVER_PORT", "0", 1);
    setenv("TONGBAN_SERVER_PORT_FILE", port_file.c_str(), 1);
    setenv("TONGBAN_LOG_PATH", log_file.c_str(), 1);
    setenv("TONGBAN_SECURITY_MASTER_KEY", testenv::kMasterKey, 1);
    execl(exe().c_str(), "tongban-exchange", "serve", static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::ifstream f(port_file);
    if (!(f >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(port, 0) << "server did not start";
  EXPECT_EQ(request(static_cast<uint16_t>(port), "GET", "/readyz").status, 200);

  // A request whose body is still arriving when SIGTERM lands.
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)));
  s.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  // The server is serving it (in flight: it and the metrics request asking) ...
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool serving = false;
  while (!serving && std::chrono::steady_clock::now() < deadline) {
    serving = request(static_cast<uint16_t>(port), "GET", "/metrics")
                  .body.find("\ntongban_http_inflight_requests 2\n") != std::string::npos;
  }
  ASSERT_TRUE(serving) << "the half-sent request never reached the handler";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  // ... and has taken the signal: it accepts no new connection.
  bool draining = false;
  while (!draining && std::chrono::steady_clock::now() < deadline) {
    try {
      Poco::Net::StreamSocket probe(
          Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)));
      probe.setReceiveTimeout(Poco::Timespan(1, 0));
      std::string ping = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      probe.sendBytes(ping.data(), static_cast<int>(ping.size()));
      char b[64];
      draining = probe.receiveBytes(b, sizeof b) <= 0;
    } catch (const Poco::Exception&) {
      draining = true;  // refused or reset: the listener is closed
    }
  }
  ASSERT_TRUE(draining) << "the server kept accepting connections after SIGTERM";
  s.sendBytes("67890", 5);
  std::string resp;
  char buf[1024];
  int n;
  try {
    while ((n = s.receiveBytes(buf, sizeof buf)) > 0) resp.append(buf, n);
  } catch (const Poco::Exception&) {
  }
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp;
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream log(log_file);
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"msg\":\"stopped\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"logger\":\"access\""), std::string::npos) << text;
}

}  // namespace
}  // namespace tongban::exchange
