// Attacks on the exchange's edge, each the way issue 7 describes it: unauthenticated floods
// (hole 8), routes that are public by default and citizen ids in the access log (hole 10), and
// connection exhaustion through the nginx front door (hole 6, front_door_test.cc).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include "exchange/exchange_env.h"
#include "support/test_env.h"
#include "tongban/audit/verify.h"
#include "tongban/common/log.h"
#include "tongban/exchange/exchange_client.h"
#include "tongban/exchange/http.h"

namespace tongban::exchange {
namespace {

using testenv::ExchangeEnv;

// The value of one sample in the /metrics text, or -1.
double metric(const std::string& text, const std::string& sample) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, sample.size() + 1, sample + " ") == 0) {
      return std::stod(line.substr(sample.size() + 1));
    }
  }
  return -1;
}

std::string metricsText(uint16_t port) {
  ExchangeClient c("127.0.0.1", port, Credentials{});
  auto r = c.call("GET", "/metrics");
  EXPECT_TRUE(r) << r.status().toString();
  return r ? r->body : "";
}

// Sends `bytes` and reads until the response's headers and `Content-Length` bytes of body have
// come, the server closes, or `timeout_s` passes.
std::string rawCall(uint16_t port, const std::string& bytes, int timeout_s = 5) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.setReceiveTimeout(Poco::Timespan(timeout_s, 0));
  s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  char buf[4096];
  try {
    int n;
    while ((n = s.receiveBytes(buf, sizeof buf)) > 0) {
      out.append(buf, n);
      size_t end = out.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      std::smatch m;
      std::string head = out.substr(0, end);
      if (std::regex_search(head, m, std::regex("Content-Length: *([0-9]+)", std::regex::icase)) &&
          out.size() >= end + 4 + std::stoul(m[1].str())) {
        break;
      }
    }
  } catch (const Poco::Exception&) {
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hole 10: deny by default

TEST(Router, ARouteAddedWithoutMarkingRequiresASignature) {
  Router r;
  r.add("GET", "/v1/new-thing",
        [](HttpRequest&) -> Result<HttpResponse> { return HttpResponse::json("{}"); });
  r.add("GET", "/healthz", [](HttpRequest&) -> Result<HttpResponse> {
     return HttpResponse::json("{}");
   }).access = Access::kPublic;
  Router::Match m = r.match("GET", "/v1/new-thing");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->access, Access::kSigned);
  EXPECT_EQ(r.match("GET", "/healthz").route->access, Access::kPublic);
}

TEST(AccessLogMasking, CitizenIdsInPathsAreMasked) {
  EXPECT_EQ(maskCitizenIds("/v1/registry/persons/11010519491231002X"),
            "/v1/registry/persons/110105********002X");
  EXPECT_EQ(maskCitizenIds("/v1/holders/persons/110101199003070011/access-log"),
            "/v1/holders/persons/110101********0011/access-log");
  EXPECT_EQ(maskCitizenIds("/v1/x?id=11010519491231002x&n=1"), "/v1/x?id=110105********002x&n=1");
  // Not shaped like a citizen id: a credit code, a longer number, a shorter one.
  EXPECT_EQ(maskCitizenIds("/v1/registry/entities/91350100M000100Y43"),
            "/v1/registry/entities/91350100M000100Y43");
  EXPECT_EQ(maskCitizenIds("/a/1101051949123100211"), "/a/1101051949123100211");
  EXPECT_EQ(maskCitizenIds("/a/11010519491231002"), "/a/11010519491231002");
}

class EdgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new ExchangeEnv("edge", [](ExchangeConfig& c) {
      c.max_body_bytes = 2 << 20;       // a 1 MiB body is allowed, so only auth can stop it
      c.unknown_key_cache_ms = 600000;  // remembered for the whole test
    });
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  static ExchangeEnv* env_;
};

ExchangeEnv* EdgeTest::env_ = nullptr;

TEST_F(EdgeTest, AccessLogWritesNoCitizenIdFromTheRequestPath) {
  const std::string path = testing::binaryDir() + "/edge_access.log";
  std::remove(path.c_str());
  ASSERT_TRUE(configureLogging("info", path, false));
  // Access logging is off in ExchangeEnv; this test runs its own server with it on.
  ExchangeConfig config = env_->config();
  config.access_log = true;
  config.port = 0;
  config.audit_node_id = "edge-access-log";
  auto server = ExchangeServer::start(config);
  ASSERT_TRUE(server) << server.status().toString();
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "访问日志测试", "consumer");
  ExchangeClient signed_client("127.0.0.1", (*server)->port(), app.credentials);
  auto r1 = signed_client.call("GET", std::string("/v1/registry/persons/") + testenv::kPersonId);
  ASSERT_TRUE(r1);
  auto r2 = signed_client.call("GET", "/v1/holders/persons/110101199003070011/access-log");
  ASSERT_TRUE(r2);
  (*server)->stop();
  ASSERT_TRUE(configureLogging("warning", "stderr", false));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string log = text.str();
  EXPECT_NE(log.find("\"logger\":\"access\""), std::string::npos) << log;
  EXPECT_EQ(log.find(testenv::kPersonId), std::string::npos) << log;
  EXPECT_EQ(log.find("110101199003070011"), std::string::npos) << log;
  EXPECT_NE(log.find("/v1/registry/persons/110105********002X"), std::string::npos) << log;
}

TEST_F(EdgeTest, AFloodWithAnUnknownKeyIsCountedNotAuditedOneByOne) {
  const std::string key = "key_f100dedf100dedf1";
  ExchangeClient flood("127.0.0.1", env_->port(), Credentials{key, "tbs_not-a-real-secret"});
  const double before =
      metric(metricsText(env_->port()), "tongban_auth_refusals_total{reason=\"unknown_key\"}");
  const double hits_before =
      metric(metricsText(env_->port()), "tongban_auth_unknown_key_cache_hits_total");
  constexpr int kFlood = 300;
  for (int i = 0; i < kFlood; ++i) {
    auto r = flood.call("GET", "/v1/catalog/resources");
    ASSERT_TRUE(r) << r.status().toString();
    ASSERT_EQ(r->status, 401) << r->body;
  }
  const std::string text = metricsText(env_->port());
  EXPECT_EQ(metric(text, "tongban_auth_refusals_total{reason=\"unknown_key\"}") - before, kFlood)
      << text;
  // One database query for the key id; the rest from the negative cache.
  EXPECT_GE(metric(text, "tongban_auth_unknown_key_cache_hits_total") - hits_before, kFlood - 1);
  // The first refusal of the minute is audited in full, the rest are counted (a summary row when
  // the minute is over): a flood that crosses a minute boundary gives at most 3 rows here.
  auto rows = env_->sql("SELECT count(*) FROM exchange.audit_log WHERE key_id = '" + key + "'");
  EXPECT_GE(rows[0][0].as<int>(), 1);
  EXPECT_LE(rows[0][0].as<int>(), 3);
}

TEST_F(EdgeTest, RefusalSummariesAccountForEveryRefusal) {
  // A server of its own, so that stopping it writes the summary of the current minute.
  ExchangeConfig config = env_->config();
  config.port = 0;
  config.audit_node_id = "edge-summary";
  auto server = ExchangeServer::start(config);
  ASSERT_TRUE(server) << server.status().toString();
  const std::string key = "key_5u33a7e5u33a7e00";
  ExchangeClient flood("127.0.0.1", (*server)->port(), Credentials{key, "tbs_x"});
  ExchangeClient anonymous("127.0.0.1", (*server)->port(), Credentials{});
  constexpr int kFlood = 50;
  for (int i = 0; i < kFlood; ++i) {
    auto r = flood.call("POST", "/v1/query/POP-PERSON-BASIC", "{}");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 401);
    auto u = anonymous.call("GET", "/v1/grants");
    ASSERT_TRUE(u);
    ASSERT_EQ(u->status, 401);
  }
  (*server)->stop();
  for (const std::string& who : {"key_id = '" + key + "'", std::string("key_id IS NULL")}) {
    auto rows = env_->sql(
        "SELECT http_status, reason FROM exchange.audit_log WHERE node_id = 'edge-summary' AND " +
        who);
    int64_t accounted = 0;
    for (const auto& row : rows) {
      EXPECT_EQ(row[0].as<int>(), 401);
      std::smatch m;
      std::string reason = row[1].as<std::string>();
      if (std::regex_search(reason, m, std::regex("^([0-9]+) more unauthenticated"))) {
        accounted += std::stoll(m[1].str());
      } else {
        accounted += 1;
      }
    }
    EXPECT_LE(rows.size(), 3u) << who;
    EXPECT_EQ(accounted, kFlood) << who;
  }
  // Summary rows are ordinary links of the hash chain.
  pqxx::connection conn(env_->conninfo());
  auto report = audit::verifyAuditChain(conn);
  ASSERT_TRUE(report) << report.status().toString();
  EXPECT_TRUE(report->intact());
}

TEST_F(EdgeTest, AnUnknownKeyIsRefusedBeforeTheBodyIsSent) {
  // Headers announcing a 1 MiB body, and no body: the refusal must come without it.
  const std::string target = "/v1/query/POP-PERSON-BASIC";
  Credentials fake{"key_b0d1e5b0d1e5b0d1", "tbs_x"};
  std::string head =
      "POST " + target +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\nAuthorization: " +
      authorizationHeader(
          fake, SignedRequest{"POST", "127.0.0.1", target, "", "", std::string(1 << 20, ' ')},
          std::time(nullptr), newNonce()) +
      "\r\n\r\n";
  std::string reply = rawCall(env_->port(), head);
  ASSERT_EQ(reply.compare(0, 12, "HTTP/1.1 401"), 0) << reply;
  EXPECT_NE(reply.find("application/problem+json"), std::string::npos) << reply;
  EXPECT_NE(reply.find("unknown key"), std::string::npos) << reply;
  EXPECT_TRUE(std::regex_search(reply, std::regex("\r\nConnection: close\r\n", std::regex::icase)))
      << reply;
}

TEST_F(EdgeTest, TooManyOrTooLargeHeadersGetAProblemDocument) {
  std::string many = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 150; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  std::string reply = rawCall(env_->port(), many + "\r\n");
  ASSERT_EQ(reply.compare(0, 12, "HTTP/1.1 431"), 0) << reply;
  EXPECT_NE(reply.find("application/problem+json"), std::string::npos) << reply;
  EXPECT_NE(reply.find("urn:tongban:problem:headers_too_large"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"field\":\"headers\""), std::string::npos) << reply;
  reply = rawCall(env_->port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
                                    std::string(9000, 'a') + "\r\n\r\n");
  ASSERT_EQ(reply.compare(0, 12, "HTTP/1.1 431"), 0) << reply;
  reply = rawCall(env_->port(), "HELLO THERE FRIEND\r\n\r\n");
  ASSERT_EQ(reply.compare(0, 12, "HTTP/1.1 400"), 0) << reply;
  EXPECT_NE(reply.find("application/problem+json"), std::string::npos) << reply;
  // The server is still fine.
  EXPECT_EQ(rawCall(env_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .compare(0, 12, "HTTP/1.1 200"),
            0);
}

TEST_F(EdgeTest, AKnownKeyStillSendsItsBody) {
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "正文测试", "consumer");
  testenv::Client c = env_->client(app);
  testenv::Reply r = c.call("POST", "/v1/access-requests", "{\"resource_code\":1}");
  EXPECT_EQ(r.status, 400) << r.body;  // the body was read and checked after authentication
}

}  // namespace
}  // namespace tongban::exchange
