// Signed requests end to end: every way a signature can be wrong is refused with 401 and a
// problem document, and every refusal is in the audit log.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include "exchange/exchange_env.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/exchange/rate_limiter.h"
#include "tongban/exchange/request_auth.h"

namespace tongban::exchange {
namespace {

using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;

constexpr const char* kMatter = "11110000000010014U4000117";
constexpr const char* kTarget =
    "/v1/registry/entities/91350100M000100Y43?matter_code=11110000000010014U4000117&case_id=C1";

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sends exactly these bytes and returns the status code of the reply.
// `extra_headers`: more "Name: value\r\n" lines.
int rawStatus(uint16_t port, const std::string& method, const std::string& target,
              const std::string& authorization, const std::string& body = "",
              const std::string& host = "x", const std::string& extra_headers = "") {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host +
                    "\r\nConnection: close\r\n" + extra_headers;
  if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  s.sendBytes(req.data(), static_cast<int>(req.size()));
  std::string resp;
  char buf[4096];
  int n;
  try {
    while ((n = s.receiveBytes(buf, sizeof buf)) > 0) resp.append(buf, n);
  } catch (const Poco::Exception&) {
  }
  if (resp.size() < 12) return 0;
  return std::stoi(resp.substr(9, 3));
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new ExchangeEnv("auth");
    app_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "征管系统", "consumer"));
    env_->grant(*app_, "LE-ENTITY-BASIC", {"credit_code", "name"}, {kMatter});
  }
  static void TearDownTestSuite() {
    delete app_;
    delete env_;
  }
  std::string sign(const std::string& method, const std::string& path, const std::string& query,
                   const std::string& body, int64_t ts, const std::string& nonce,
                   const Credentials* creds = nullptr, const std::string& host = "x",
                   const std::string& idempotency_key = "") {
    return authorizationHeader(creds ? *creds : app_->credentials,
                               SignedRequest{method, host, path, query, idempotency_key, body}, ts,
                               nonce);
  }
  int deniedCount(const std::string& key_id) {
    return env_
        ->sql("SELECT count(*) FROM exchange.audit_log WHERE key_id = '" + key_id +
              "' AND result = 'denied' AND http_status = 401")[0][0]
        .as<int>();
  }

  static ExchangeEnv* env_;
  static testenv::App* app_;
};

ExchangeEnv* AuthTest::env_ = nullptr;
testenv::App* AuthTest::app_ = nullptr;

const std::string kPath = "/v1/registry/entities/91350100M000100Y43";
const std::string kQuery = "matter_code=11110000000010014U4000117&case_id=C1";

TEST_F(AuthTest, AValidSignatureIsAccepted) {
  EXPECT_EQ(
      rawStatus(env_->port(), "GET", kTarget, sign("GET", kPath, kQuery, "", now(), newNonce())),
      200);
  Client c = env_->client(*app_);
  EXPECT_EQ(c.call("GET", kTarget).status, 200);
}

TEST_F(AuthTest, TamperedPathQueryBodyMethodAreRefused) {
  int before = deniedCount(app_->credentials.key_id);
  std::string auth = sign("GET", kPath, kQuery, "", now(), newNonce());
  // Another path, another query, a body, another method — all with the same header.
  EXPECT_EQ(
      rawStatus(env_->port(), "GET", "/v1/registry/entities/91110000600037341L?" + kQuery, auth),
      401);
  EXPECT_EQ(rawStatus(env_->port(), "GET", kPath + "?" + kQuery + "&x=1",
                      sign("GET", kPath, kQuery, "", now(), newNonce())),
            401);
  std::string body_auth =
      sign("POST", "/v1/query/LE-ENTITY-BASIC", "", "{\"a\":1}", now(), newNonce());
  EXPECT_EQ(rawStatus(env_->port(), "POST", "/v1/query/LE-ENTITY-BASIC", body_auth, "{\"a\":2}"),
            401);
  EXPECT_EQ(
      rawStatus(env_->port(), "DELETE", kTarget, sign("GET", kPath, kQuery, "", now(), newNonce())),
      405);  // no such route for DELETE: refused before authentication
  EXPECT_EQ(deniedCount(app_->credentials.key_id), before + 3);
}

TEST_F(AuthTest, TamperedTimestampAndSkewAreRefused) {
  std::string nonce = newNonce();
  std::string auth = sign("GET", kPath, kQuery, "", now(), nonce);
  // Claim another timestamp than the one signed.
  std::string forged = auth;
  std::string ts = std::to_string(now());
  forged.replace(forged.find(ts), ts.size(), std::to_string(now() - 10));
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget, forged), 401);
  // Honestly signed, but the client clock is off by more than 5 minutes, either way (by a minute
  // more: the server reads its clock after the test, possibly a second later).
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now() - 360, newNonce())),
            401);
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now() + 360, newNonce())),
            401);
  // Within the window is fine.
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now() - 200, newNonce())),
            200);
  Client c = env_->client(*app_);
  c.raw().setClockOffset(-400);
  Reply r = c.call("GET", kTarget);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("behind the server clock"), std::string::npos) << r.body;
}

TEST_F(AuthTest, ReplayIsRefused) {
  std::string auth = sign("GET", kPath, kQuery, "", now(), newNonce());
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget, auth), 200);
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget, auth), 401);
  auto rows = env_->sql("SELECT reason FROM exchange.audit_log WHERE key_id = '" +
                        app_->credentials.key_id + "' ORDER BY seq DESC LIMIT 1");
  EXPECT_NE(rows[0][0].as<std::string>().find("replay"), std::string::npos);
}

// The Host and Idempotency-Key headers are signed: a request cannot be redirected to another
// host name, nor given another (or a first) Idempotency-Key by whoever relays it.
TEST_F(AuthTest, HostAndIdempotencyKeyAreSigned) {
  int before = deniedCount(app_->credentials.key_id);
  EXPECT_EQ(
      rawStatus(env_->port(), "GET", kTarget,
                sign("GET", kPath, kQuery, "", now(), newNonce(), nullptr, "hub-a"), "", "hub-b"),
      401);
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now(), newNonce(), nullptr, "hub-a", "k-1"),
                      "", "hub-a", "Idempotency-Key: k-2\r\n"),
            401);
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now(), newNonce(), nullptr, "hub-a"), "",
                      "hub-a", "Idempotency-Key: k-1\r\n"),
            401);
  EXPECT_EQ(deniedCount(app_->credentials.key_id), before + 3);
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now(), newNonce(), nullptr, "hub-a", "k-1"),
                      "", "hub-a", "Idempotency-Key: k-1\r\n"),
            200);
}

// Issue 7, hole 7: a signed key-rotation request replayed to another exchange node on the same
// database, or to a node restarted since, must not hand the replayer a fresh secret.
TEST(ReplayAcrossNodes, ARequestAcceptedByOneNodeIsRefusedByAnotherAndAfterARestart) {
  ExchangeEnv env("replay");  // node A
  testenv::App app = env.makeApp(testenv::kTaxBureau, "轮换系统", "consumer");
  ExchangeConfig config_b = env.config();
  config_b.audit_node_id = "node-b";  // one audit chain per node
  auto node_b = ExchangeServer::start(config_b);
  ASSERT_TRUE(node_b) << node_b.status().toString();

  const Credentials& admin = env.admin().credentials;
  const std::string path = "/v1/admin/applications/" + app.app_id + "/keys";
  const std::string body = "{\"overlap_seconds\":60}";
  const std::string auth =
      authorizationHeader(admin, SignedRequest{"POST", "x", path, "", "", body}, now(), newNonce());
  auto keys = [&] {
    return env
        .sql("SELECT count(*) FROM directory.app_keys WHERE app_id = '" + app.app_id + "'")[0][0]
        .as<int>();
  };
  ASSERT_EQ(keys(), 1);
  EXPECT_EQ(rawStatus(env.port(), "POST", path, auth, body), 201);
  EXPECT_EQ(keys(), 2);
  EXPECT_EQ(rawStatus((*node_b)->port(), "POST", path, auth, body), 401);  // another node
  EXPECT_EQ(keys(), 2);
  // A read (a safe method: its handler runs while the claim travels) replayed to another node is
  // refused too, and its answer never leaves.
  const std::string read_auth = authorizationHeader(
      admin, SignedRequest{"GET", "x", "/v1/admin/applications", "", "", ""}, now(), newNonce());
  EXPECT_EQ(rawStatus(env.port(), "GET", "/v1/admin/applications", read_auth), 200);
  EXPECT_EQ(rawStatus((*node_b)->port(), "GET", "/v1/admin/applications", read_auth), 401);

  (*node_b)->stop();  // node B restarts: its memory of nonces is gone
  node_b->reset();
  auto restarted = ExchangeServer::start(config_b);
  ASSERT_TRUE(restarted) << restarted.status().toString();
  EXPECT_EQ(rawStatus((*restarted)->port(), "POST", path, auth, body), 401);
  EXPECT_EQ(keys(), 2);
  auto reasons = env.sql(
      "SELECT count(*) FROM exchange.audit_log WHERE node_id = 'node-b' AND http_status = 401 "
      "AND reason LIKE '%replay%'");
  EXPECT_EQ(reasons[0][0].as<int>(), 3);
  (*restarted)->stop();
}

TEST_F(AuthTest, UnknownKeyAndWrongSecretAreRefused) {
  Credentials unknown{"key_0000000000000000", "tbs_whatever"};
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now(), newNonce(), &unknown)),
            401);
  EXPECT_EQ(deniedCount("key_0000000000000000"), 1);
  Credentials wrong{app_->credentials.key_id, app_->credentials.secret + "x"};
  EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget,
                      sign("GET", kPath, kQuery, "", now(), newNonce(), &wrong)),
            401);
}

TEST_F(AuthTest, MalformedHeadersAreRefused) {
  const std::string good = sign("GET", kPath, kQuery, "", now(), newNonce());
  for (const std::string& h :
       {std::string(""), std::string("Bearer abc"), std::string("TB1-HMAC-SHA256"),
        std::string("TB1-HMAC-SHA256 Credential=k"), good.substr(0, good.size() - 2),
        good + ", Extra=1",
        std::string("TB1-HMAC-SHA256 Credential=key_1, Timestamp=abc, "
                    "Nonce=0123456789abcdef, Signature=00"),
        std::string("TB1-HMAC-SHA256 Credential=key_1, Timestamp=1, Nonce=short, Signature=") +
            std::string(64, '0')}) {
    Poco::Net::StreamSocket s;
    EXPECT_EQ(rawStatus(env_->port(), "GET", kTarget, h), 401) << h;
  }
}

TEST_F(AuthTest, DisabledKeyAndApplicationAreRefused) {
  testenv::App other = env_->makeApp(testenv::kTaxBureau, "临时系统", "consumer");
  env_->grant(other, "LE-ENTITY-BASIC", {"credit_code"}, {kMatter});
  Client c = env_->client(other);
  EXPECT_EQ(c.call("GET", kTarget).status, 200);
  Client admin = env_->client(env_->admin());
  EXPECT_EQ(admin.call("POST", "/v1/admin/applications/" + other.app_id + "/disable").status, 200);
  Reply r = c.call("GET", kTarget);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("disabled"), std::string::npos) << r.body;
  EXPECT_EQ(admin.call("POST", "/v1/admin/applications/" + other.app_id + "/enable").status, 200);
  EXPECT_EQ(c.call("GET", kTarget).status, 200);
  EXPECT_EQ(admin.call("POST", "/v1/admin/keys/" + other.credentials.key_id + "/disable").status,
            200);
  EXPECT_EQ(c.call("GET", kTarget).status, 401);
}

TEST_F(AuthTest, RotatedKeyWorksUntilTheOverlapEnds) {
  testenv::App app = env_->makeApp(testenv::kTaxBureau, "轮换系统", "consumer");
  env_->grant(app, "LE-ENTITY-BASIC", {"credit_code"}, {kMatter});
  Client admin = env_->client(env_->admin());
  Reply rotated = admin.call("POST", "/v1/admin/applications/" + app.app_id + "/keys",
                             "{\"overlap_seconds\":3600}");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  Credentials fresh{rotated.str("key_id"), rotated.str("secret")};
  ASSERT_FALSE(fresh.secret.empty());
  Client old_client = env_->client(app);
  Client new_client(env_->port(), fresh);
  EXPECT_EQ(old_client.call("GET", kTarget).status, 200);  // inside the overlap window
  EXPECT_EQ(new_client.call("GET", kTarget).status, 200);
  // The window ends (as if an hour had passed).
  env_->sql(
      "UPDATE directory.app_keys SET not_after = now() - interval '1 second' WHERE key_id = '" +
      app.credentials.key_id + "'");
  Reply r = old_client.call("GET", kTarget);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("rotated"), std::string::npos) << r.body;
  EXPECT_EQ(new_client.call("GET", kTarget).status, 200);
}

TEST_F(AuthTest, SecretsAreStoredSealed) {
  auto rows =
      env_->sql("SELECT encode(secret_enc, 'escape') FROM directory.app_keys WHERE key_id = '" +
                app_->credentials.key_id + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>().find(app_->credentials.secret), std::string::npos);
}

TEST(RequestSigning, StringToSignMatchesTheDocumentedExample) {
  // docs/request-signing.md, "Worked example".
  const SignedRequest request{"POST", "hub.example.gov.cn", "/v1/query/POP-PERSON-BASIC",
                              "",     "case-0001",          "{\"a\":1}"};
  std::string s = stringToSign(request, "1763856000", "8f14e45fceea167a5a36dedd4bea2543");
  EXPECT_EQ(s,
            "TB1-HMAC-SHA256\nPOST\nhub.example.gov.cn\n/v1/query/POP-PERSON-BASIC\n\n1763856000\n"
            "8f14e45fceea167a5a36dedd4bea2543\ncase-0001\n"
            "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  Credentials c{"key_0123456789abcdef", "tbs_example-secret"};
  std::string h = authorizationHeader(c, request, 1763856000, "8f14e45fceea167a5a36dedd4bea2543");
  EXPECT_EQ(h.rfind("TB1-HMAC-SHA256 Credential=key_0123456789abcdef, Timestamp=1763856000, "
                    "Nonce=8f14e45fceea167a5a36dedd4bea2543, Signature=",
                    0),
            0u);
  EXPECT_EQ(h.substr(h.size() - 64), hexEncode(hmacSha256(c.secret, s)));
  EXPECT_EQ(h.substr(h.size() - 64),
            "f3b4e34b064d9e071633f95a59545fcfe32c0da70d0c5f6d149be62b6aea7047");
}

// The shared nonce store, as the exchange's runtime role uses it.
TEST(PgNonceStore, ClaimsOnceUntilExpiryAndPurges) {
  ExchangeEnv env("nonces");
  db::ConnectionPool pool(
      db::PoolOptions{env.runtimeConninfo(), 1, std::chrono::milliseconds(5000), nullptr});
  PgNonceStore store(pool, env.runtimeConninfo());
  const std::string nonce = newNonce();
  EXPECT_TRUE(*store.claim("key_1", nonce, 1000, 500));
  EXPECT_FALSE(*store.claim("key_1", nonce, 1000, 600));   // a replay
  EXPECT_TRUE(*store.claim("key_2", nonce, 1000, 600));    // another key's nonce is its own
  EXPECT_TRUE(*store.claim("key_1", nonce, 1400, 1001));   // the first window is over
  EXPECT_FALSE(*store.claim("key_1", nonce, 1400, 1002));  // and the renewed one holds
  EXPECT_EQ(*store.purgeExpired(1001), 1);                 // key_2's row
  EXPECT_EQ(*store.purgeExpired(1401), 1);
  EXPECT_EQ(env.sql("SELECT count(*) FROM exchange.request_nonces WHERE expires_at <= 1400")[0][0]
                .as<int>(),
            0);
}

// Claims are group-committed: concurrent claims share a statement, and the same pair claimed by
// many threads at once (a burst of replays, several of them in one batch) is fresh exactly once.
TEST(PgNonceStore, ConcurrentClaimsOfOnePairWinOnceAndDistinctPairsAllWin) {
  ExchangeEnv env("nonces_concurrent");
  db::ConnectionPool pool(
      db::PoolOptions{env.runtimeConninfo(), 2, std::chrono::milliseconds(5000), nullptr});
  PgNonceStore store(pool, env.runtimeConninfo());
  constexpr int kThreads = 16, kEach = 20;
  const std::string shared = newNonce();
  std::atomic<int> shared_wins{0}, distinct_wins{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto a = store.claim("key_shared", shared, 1000, 500);
        auto b = store.claim("key_distinct", newNonce(), 1000, 500);
        if (!a || !b) {
          ++errors;
          continue;
        }
        shared_wins += *a ? 1 : 0;
        distinct_wins += *b ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(shared_wins.load(), 1);
  EXPECT_EQ(distinct_wins.load(), kThreads * kEach);
  EXPECT_EQ(env.sql("SELECT count(*) FROM exchange.request_nonces")[0][0].as<int>(),
            1 + kThreads * kEach);
}

TEST(NonceCache, ForgetsAfterExpiry) {
  NonceCache cache;
  EXPECT_TRUE(cache.insertIfNew("k:n", 100, 0));
  EXPECT_FALSE(cache.insertIfNew("k:n", 100, 50));
  EXPECT_TRUE(cache.insertIfNew("k:n", 300, 101));  // the first one's window is over
}

TEST(RateLimiter, BucketRefills) {
  RateLimiter limiter;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.acquire(1, 3, 0.0), 0);
  EXPECT_EQ(limiter.acquire(1, 3, 0.0), 20);  // 3 per minute: a token every 20 s
  EXPECT_EQ(limiter.acquire(1, 3, 20.0), 0);
  EXPECT_EQ(limiter.acquire(2, 3, 20.0), 0);  // grants are independent
}

}  // namespace
}  // namespace tongban::exchange
