// The verification Thrift service (idl/verification.thrift) end to end: signed batches from the
// generated C++ client and from Python's thrift package, typed errors, replays, the audit record;
// and hostile bytes on raw sockets (huge, negative, truncated and garbage frames, a 2 GB string
// length, an unknown method) that must close only their own connection, never crash or stall the
// server.
#include <poll.h>

#include <chrono>
#include <cstring>

#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

#include "gen-cpp/Verification.h"
#include "support/test_env.h"
#include "tongban/certs/merkle.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/verification.h"
#include "tongban/exchange/request_signing.h"
#include "tongban/verification/receipt.h"
#include "verification/serve_env.h"

namespace tongban::exchange {
namespace {

namespace at = ::apache::thrift;
namespace vt = ::tongban::verification::thrift;
using testenv::App;
using testenv::ExchangeEnv;
using namespace verifytest;

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string serializeBatch(const vt::CheckBatch& batch) {
  auto buffer = std::make_shared<at::transport::TMemoryBuffer>();
  at::protocol::TBinaryProtocol protocol(buffer);
  batch.write(&protocol);
  return buffer->getBufferAsString();
}

vt::SignedBatch sign(const Credentials& credentials, const std::string& bytes) {
  vt::SignedBatch s;
  s.batch = bytes;
  s.authorization =
      authorizationHeader(credentials, SignedRequest{"THRIFT", "", "verifyBatch", "", "", bytes},
                          unixNow(), newNonce());
  return s;
}

vt::Check check(const std::string& kind, const std::string& subject) {
  vt::Check c;
  c.kind = kind;
  c.subject = subject;
  return c;
}

vt::CheckBatch batchOf(std::vector<vt::Check> checks, const std::string& matter = kMatter) {
  vt::CheckBatch b;
  b.matter_code = matter;
  b.case_id = "T-1";
  b.checks = std::move(checks);
  return b;
}

class ThriftClient {
 public:
  explicit ThriftClient(uint16_t port) {
    auto socket = std::make_shared<at::transport::TSocket>("127.0.0.1", port);
    socket->setRecvTimeout(10000);
    transport_ = std::make_shared<at::transport::TFramedTransport>(socket);
    client_ = std::make_unique<vt::VerificationClient>(
        std::make_shared<at::protocol::TBinaryProtocol>(transport_));
    transport_->open();
  }
  ~ThriftClient() { transport_->close(); }
  vt::VerificationClient* operator->() { return client_.get(); }

 private:
  std::shared_ptr<at::transport::TTransport> transport_;
  std::unique_ptr<vt::VerificationClient> client_;
};

// Sends `bytes` on a fresh connection, then waits (up to 20 s: the idle timeout is 5 s) for the
// server to close it or answer. Returns what was read before the close; "TIMEOUT" when neither
// happened.
std::string rawExchange(uint16_t port, const std::string& bytes, bool half_close = false) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  if (half_close) s.shutdownSend();
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{s.impl()->sockfd(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    int n = 0;
    try {
      n = s.receiveBytes(buf, sizeof buf);
    } catch (const Poco::Exception&) {
      return got;  // reset by the server: closed
    }
    if (n <= 0) return got;
    got.append(buf, static_cast<size_t>(n));
  }
  return "TIMEOUT";
}

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

// A binary-protocol call header (strict: version | CALL, name, seqid).
std::string callHeader(const std::string& name) {
  return be32(0x80010001u) + be32(static_cast<uint32_t>(name.size())) + name + be32(1);
}

class VerifyThriftTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = startVerifyEnv("verify_thrift");
    verifier_ = new App(env_->makeApp(testenv::kTaxBureau, "审批系统", "consumer"));
    env_->grant(*verifier_, "VERIFY-PERSON", {"status"}, {kMatter});
    env_->grant(*verifier_, std::string("CERT-") + kType, {"certificate_id"}, {kMatter});
  }
  static void TearDownTestSuite() {
    delete verifier_;
    delete env_;
  }
  // A good call still answers: the server neither crashed nor stalled.
  static void expectServing() {
    ThriftClient c(env_->server().thriftPort());
    vt::BatchResult r;
    c->verifyBatch(
        r, sign(verifier_->credentials, serializeBatch(batchOf({check("person_alive", kLiving)}))));
    ASSERT_EQ(r.answers.size(), 1u);
    EXPECT_EQ(r.answers[0].verdict, vt::Verdict::VERDICT_TRUE);
  }
  static ExchangeEnv* env_;
  static App* verifier_;
};
ExchangeEnv* VerifyThriftTest::env_ = nullptr;
App* VerifyThriftTest::verifier_ = nullptr;

TEST_F(VerifyThriftTest, SignedBatchFromTheCppClientIsAnsweredAndAudited) {
  ASSERT_NE(env_->server().thriftPort(), 0);
  ThriftClient c(env_->server().thriftPort());
  const Seeded& s = seeded();
  vt::BatchResult r;
  c->verifyBatch(r, sign(verifier_->credentials,
                         serializeBatch(batchOf({check("person_alive", kLiving),
                                                 check("person_alive", s.deceased),
                                                 check("certificate_valid", s.revoked),
                                                 check("certificate_valid", s.unknown)}))));
  ASSERT_EQ(r.answers.size(), 4u);
  EXPECT_EQ(r.answers[0].verdict, vt::Verdict::VERDICT_TRUE);
  EXPECT_EQ(r.answers[1].verdict, vt::Verdict::VERDICT_FALSE);
  EXPECT_EQ(r.answers[1].reason, "deceased");
  EXPECT_EQ(r.answers[2].reason, "revoked");
  EXPECT_EQ(r.answers[3].verdict, vt::Verdict::VERDICT_UNKNOWN);
  EXPECT_EQ(r.as_of.certs_seq, 5);
  EXPECT_EQ(r.as_of.at.back(), 'Z') << r.as_of.at;
  auto rows = env_->sql(
      "SELECT app_id, method, matter_code, subject_keys::text, fields[2], result FROM "
      "exchange.audit_log WHERE request_id = '" +
      r.request_id + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), verifier_->app_id);
  EXPECT_EQ(rows[0][1].as<std::string>(), "THRIFT");
  EXPECT_EQ(rows[0][2].as<std::string>(), kMatter);
  EXPECT_EQ(rows[0][3].as<std::string>(), std::string("{") + kLiving + "," + s.deceased + "," +
                                              s.revoked + "," + s.unknown + "}");
  EXPECT_EQ(rows[0][4].as<std::string>(), "person_alive -> false deceased");
  EXPECT_EQ(rows[0][5].as<std::string>(), "allowed");
  // Counted in /metrics.
  Poco::Net::StreamSocket http(Poco::Net::SocketAddress("127.0.0.1", env_->port()));
  const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  http.sendBytes(get.data(), static_cast<int>(get.size()));
  std::string metrics;
  char buf[4096];
  for (int n; (n = http.receiveBytes(buf, sizeof buf)) > 0;) metrics.append(buf, n);
  EXPECT_NE(metrics.find("tongban_verification_checks_total{transport=\"thrift\"} "),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("tongban_verification_checks_total{transport=\"thrift\"} 0\n"),
            std::string::npos);
}

// Each answer carries its receipt (leaf, index, path) and the result the signed root once: the
// signature verifies with the hub's verification certificate, which chains to the hub's root,
// every leaf is in the signed tree and says what the answer says; the audit record names the root.
TEST_F(VerifyThriftTest, AnswersCarryReceiptsUnderOneSignedRoot) {
  ThriftClient c(env_->server().thriftPort());
  const Seeded& s = seeded();
  vt::BatchResult r;
  c->verifyBatch(r, sign(verifier_->credentials,
                         serializeBatch(batchOf({check("person_alive", kLiving),
                                                 check("certificate_valid", s.revoked),
                                                 check("certificate_valid", s.valid)}))));
  ASSERT_EQ(r.answers.size(), 3u);
  ASSERT_TRUE(r.__isset.signed_root);
  auto root = verification::parseSignedRootBytes(r.signed_root.signed_bytes);
  ASSERT_TRUE(root) << root.status().toString();
  EXPECT_EQ(root->tree_size, 3u);
  EXPECT_EQ(root->as_of.certs_seq, static_cast<uint64_t>(r.as_of.certs_seq));
  auto algorithm = certs::parseAlgorithm(r.signed_root.algorithm);
  ASSERT_TRUE(algorithm);
  EXPECT_TRUE(certs::verifySignature(r.signed_root.signer_certificate, *algorithm,
                                     r.signed_root.signed_bytes, r.signed_root.signature));
  {
    std::string forged = r.signed_root.signed_bytes;
    forged[12] = static_cast<char>(forged[12] ^ 1);
    EXPECT_FALSE(certs::verifySignature(r.signed_root.signer_certificate, *algorithm, forged,
                                        r.signed_root.signature));
  }
  auto signer = certs::parseCertificatePem(r.signed_root.signer_certificate);
  ASSERT_TRUE(signer);
  std::vector<certs::X509Ptr> roots;
  roots.push_back(std::move(*certs::parseCertificatePem(
      tongban::testing::runCommand("cat " + pkiDir() + "/root.pem").output)));
  EXPECT_TRUE(certs::verifyChain(signer->get(), {}, roots, root->signed_at_micros / 1000000,
                                 certs::KeyRole::kVerificationReceipt));
  for (size_t i = 0; i < r.answers.size(); ++i) {
    const vt::Answer& a = r.answers[i];
    ASSERT_TRUE(a.__isset.receipt) << "answer " << i;
    EXPECT_EQ(a.receipt.leaf_index, static_cast<int64_t>(i));
    std::vector<certs::MerkleHash> path;
    for (const auto& h : a.receipt.path) {
      ASSERT_EQ(h.size(), 32u);
      certs::MerkleHash hash;
      std::memcpy(hash.data(), h.data(), 32);
      path.push_back(hash);
    }
    EXPECT_TRUE(certs::verifyInclusion(i, root->tree_size, certs::hashLeaf(a.receipt.leaf), path,
                                       root->root))
        << "answer " << i;
    auto leaf = verification::parseReceiptLeaf(a.receipt.leaf);
    ASSERT_TRUE(leaf);
    EXPECT_EQ(static_cast<int>(leaf->answer.verdict), static_cast<int>(a.verdict));
    EXPECT_EQ(verification::reasonName(leaf->answer.reason), a.reason);
    EXPECT_EQ(leaf->requester, verifier_->app_id);
    // Another answer's leaf at this index does not lead to the root.
    const std::string& other = r.answers[(i + 1) % 3].receipt.leaf;
    EXPECT_FALSE(
        certs::verifyInclusion(i, root->tree_size, certs::hashLeaf(other), path, root->root));
  }
  auto rows =
      env_->sql("SELECT reason FROM exchange.audit_log WHERE request_id = '" + r.request_id + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(),
            "receipt root=" + certs::toHex(root->root) + " tree_size=3 leaf=0");
}

TEST_F(VerifyThriftTest, ALongLivedConnectionCarriesManyFullBatches) {
  // Together far more bytes than one frame may hold: the limits are per message, not per
  // connection (found by bench/verification.sh: connections died after a few megabytes).
  ThriftClient c(env_->server().thriftPort());
  std::vector<vt::Check> full(kMaxBatch, check("person_alive", kLiving));
  const std::string bytes = serializeBatch(batchOf(full));
  const size_t calls = 3 * 256 * 1024 / bytes.size() + 1;
  for (size_t i = 0; i < calls; ++i) {
    vt::BatchResult r;
    ASSERT_NO_THROW(c->verifyBatch(r, sign(verifier_->credentials, bytes))) << "call " << i;
    ASSERT_EQ(r.answers.size(), static_cast<size_t>(kMaxBatch));
  }
}

TEST_F(VerifyThriftTest, TypedErrors) {
  ThriftClient c(env_->server().thriftPort());
  vt::BatchResult r;
  const std::string good = serializeBatch(batchOf({check("person_alive", kLiving)}));
  // Unknown kind, malformed subject: InvalidRequest naming the field.
  try {
    c->verifyBatch(
        r, sign(verifier_->credentials, serializeBatch(batchOf({check("person_alive", kLiving),
                                                                check("person_alive", "123")}))));
    ADD_FAILURE() << "no error";
  } catch (const vt::InvalidRequest& e) {
    EXPECT_EQ(e.field, "checks[1].subject");
  }
  try {
    c->verifyBatch(
        r, sign(verifier_->credentials, serializeBatch(batchOf({check("nonsense", kLiving)}))));
    ADD_FAILURE() << "no error";
  } catch (const vt::InvalidRequest& e) {
    EXPECT_EQ(e.field, "checks[0].kind");
  }
  // Not a CheckBatch at all, and trailing bytes after one.
  try {
    c->verifyBatch(r, sign(verifier_->credentials, "\x0b\x00\x01\x7f\xff\xff\xff"));
    ADD_FAILURE() << "no error";
  } catch (const vt::InvalidRequest& e) {
    EXPECT_EQ(e.field, "batch");
  }
  try {
    c->verifyBatch(r, sign(verifier_->credentials, good + "x"));
    ADD_FAILURE() << "no error";
  } catch (const vt::InvalidRequest& e) {
    EXPECT_EQ(e.field, "batch");
  }
  // Over the batch limit.
  std::vector<vt::Check> many(kMaxBatch + 1, check("person_alive", kLiving));
  try {
    c->verifyBatch(r, sign(verifier_->credentials, serializeBatch(batchOf(many))));
    ADD_FAILURE() << "no error";
  } catch (const vt::InvalidRequest& e) {
    EXPECT_EQ(e.field, "checks");
  }
  // Ungranted kind and type.
  try {
    vt::Check region = check("person_registered_in", kLiving);
    region.__set_region("11");
    c->verifyBatch(r, sign(verifier_->credentials, serializeBatch(batchOf({region}))));
    ADD_FAILURE() << "no error";
  } catch (const vt::Forbidden& e) {
    EXPECT_EQ(e.field, "checks[0].kind");
  }
  try {
    vt::Check holds = check("holds_certificate", kEntity);
    holds.__set_type_code(kOtherType);
    c->verifyBatch(r, sign(verifier_->credentials, serializeBatch(batchOf({holds}))));
    ADD_FAILURE() << "no error";
  } catch (const vt::Forbidden& e) {
    EXPECT_EQ(e.field, "checks[0].type_code");
  }
  // A signature over other bytes, a wrong secret, a replay.
  vt::SignedBatch signed_batch = sign(verifier_->credentials, good);
  vt::SignedBatch tampered = signed_batch;
  tampered.batch = serializeBatch(batchOf({check("person_alive", seeded().deceased)}));
  EXPECT_THROW(c->verifyBatch(r, tampered), vt::Unauthenticated);
  EXPECT_THROW(c->verifyBatch(r, sign(Credentials{verifier_->credentials.key_id, "x"}, good)),
               vt::Unauthenticated);
  c->verifyBatch(r, signed_batch);
  EXPECT_EQ(r.answers.size(), 1u);
  EXPECT_THROW(c->verifyBatch(r, signed_batch), vt::Unauthenticated);
  // The connection survives typed errors.
  c->verifyBatch(r, sign(verifier_->credentials, good));
  EXPECT_EQ(r.answers.size(), 1u);
}

TEST_F(VerifyThriftTest, AnApplicationBoundToAClientCertificateIsRefused) {
  // Only the HTTPS front door can present its certificate; Thrift has no such door.
  App bound = env_->makeApp(testenv::kTaxBureau, "绑定证书的系统", "consumer");
  env_->grant(bound, "VERIFY-PERSON", {"status"}, {kMatter});
  env_->sql(
      "UPDATE directory.applications SET client_cert_sha256 = repeat('ab', 32) WHERE app_id "
      "= '" +
      bound.app_id + "'");
  ThriftClient c(env_->server().thriftPort());
  vt::BatchResult r;
  EXPECT_THROW(c->verifyBatch(r, sign(bound.credentials,
                                      serializeBatch(batchOf({check("person_alive", kLiving)})))),
               vt::Unauthenticated);
  auto rows = env_->sql("SELECT result, http_status FROM exchange.audit_log WHERE app_id = '" +
                        bound.app_id + "' AND method = 'THRIFT'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "denied");
  EXPECT_EQ(rows[0][1].as<int>(), 401);
}

TEST_F(VerifyThriftTest, HostileFramesCloseOnlyTheirConnection) {
  const uint16_t port = env_->server().thriftPort();
  // A connection that sends half a frame and stays open does not hold up anyone else.
  Poco::Net::StreamSocket idle(Poco::Net::SocketAddress("127.0.0.1", port));
  idle.sendBytes(be32(100).data(), 4);
  expectServing();

  struct Case {
    const char* what;
    std::string bytes;
    bool half_close;
  };
  const std::string body = callHeader("verifyBatch");
  const std::vector<Case> cases = {
      {"2 GB frame length", be32(0x7fffffffu) + "abc", false},
      {"negative frame length", be32(0x80000000u) + "abc", false},
      {"frame over the limit", be32(512 * 1024) + std::string(1000, 'x'), false},
      {"truncated frame, then EOF", be32(100) + std::string(10, 'x'), true},
      {"truncated frame, then silence", be32(100) + std::string(10, 'x'), false},
      {"garbage", std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false},
      {"2 GB method-name length",
       [] {
         std::string m = be32(0x80010001u) + be32(0x7fffffffu) + "verifyBatch";
         return be32(static_cast<uint32_t>(m.size())) + m;
       }(),
       false},
      {"2 GB string length inside the request",
       [&] {
         // args struct: field 1 (SignedBatch) struct, its field 1 (authorization) string.
         std::string m =
             body + "\x0c\x00\x01" + std::string("\x0b\x00\x01", 3) + be32(0x7ffffff0u) + "abc";
         return be32(static_cast<uint32_t>(m.size())) + m;
       }(),
       false},
      {"2 GB binary length for the batch",
       [&] {
         std::string m = body + "\x0c\x00\x01" + std::string("\x0b\x00\x02", 3) + be32(0x7fffffffu);
         return be32(static_cast<uint32_t>(m.size())) + m;
       }(),
       false},
      {"an unknown field: a list of 2^31 structs",
       [&] {
         std::string m =
             body + "\x0c\x00\x01" + std::string("\x0f\x00\x03\x0c", 4) + be32(0x7fffffffu);
         return be32(static_cast<uint32_t>(m.size())) + m;
       }(),
       false},
  };
  for (const auto& k : cases) {
    const std::string got = rawExchange(port, k.bytes, k.half_close);
    EXPECT_NE(got, "TIMEOUT") << k.what << ": the server neither answered nor closed";
    expectServing();
  }
  // An unknown method gets a TApplicationException and the connection stays usable.
  {
    std::string m = callHeader("dropTables") + std::string(1, '\0');
    std::string got = rawExchange(port, be32(static_cast<uint32_t>(m.size())) + m, true);
    EXPECT_NE(got.find("Invalid method name"), std::string::npos) << got;
  }
  expectServing();
}

TEST_F(VerifyThriftTest, PythonClientFromTheGeneratedCode) {
  const std::string script =
      std::string(TONGBAN_SOURCE_DIR) + "/tests/verification/thrift_client.py";
  auto r = testing::runCommand(
      "/usr/bin/python3 " + script + " " + TONGBAN_THRIFT_PY_DIR + " " +
      std::to_string(env_->server().thriftPort()) + " " + verifier_->credentials.key_id + " '" +
      verifier_->credentials.secret + "' " + kMatter + " " + kLiving + " " + seeded().deceased);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "VERDICT_TRUE ok\nVERDICT_FALSE deceased\nas_of 5 False\n");
  // A typed error reaches Python as its exception class.
  r = testing::runCommand("/usr/bin/python3 " + script + " " + TONGBAN_THRIFT_PY_DIR + " " +
                          std::to_string(env_->server().thriftPort()) + " " +
                          verifier_->credentials.key_id + " '" + verifier_->credentials.secret +
                          "' " + kMatter + " 123");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("InvalidRequest checks[0].subject", 0), 0u) << r.output;
}

}  // namespace
}  // namespace tongban::exchange
