// Receipts on the served answers (docs/receipts.md, docs/verification-serving.md): every answer of
// POST /v1/verify/batch carries its leaf and audit path and the response the signed root once; a
// receipt made of them verifies with the real `tongban-verify receipt` binary against the hub's
// root, a tampered verdict is refused, the signed root verifies with `openssl dgst`; single checks
// (sealed through the shared window, concurrently) carry receipts too; and the audit record of
// the call names the receipt root.
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "support/test_env.h"
#include "tongban/certs/pki.h"
#include "tongban/common/encoding.h"
#include "tongban/verification/receipt.h"
#include "verification/serve_env.h"

namespace tongban::exchange {
namespace {

using testenv::App;
using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;
using tongban::testing::runCommand;
using namespace verifytest;

std::string purpose() {
  return std::string("\"purpose\":{\"matter_code\":\"") + kMatter + "\",\"case_id\":\"R-1\"}";
}

std::string kindOn(const std::string& kind, const std::string& subject) {
  return "{\"kind\":\"" + kind + "\",\"subject\":\"" + subject + "\"}";
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string text(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return b.GetString();
}

// A standalone tongban-receipt/1 document (docs/receipts.md) from one served answer: its
// "receipt" members, a readable "answer" and the response's "signed_root".
std::string receiptDocument(const rapidjson::Value& answer, const rapidjson::Value& signed_root,
                            const std::string& kind, const std::string& subject) {
  rapidjson::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("format", rapidjson::Value(verification::kReceiptFormat, a), a);
  const rapidjson::Value& r = answer["receipt"];
  for (auto it = r.MemberBegin(); it != r.MemberEnd(); ++it) {
    d.AddMember(rapidjson::Value(it->name, a), rapidjson::Value(it->value, a), a);
  }
  rapidjson::Value readable(rapidjson::kObjectType);
  readable.AddMember("kind", rapidjson::Value(kind.c_str(), a), a);
  readable.AddMember("subject", rapidjson::Value(subject.c_str(), a), a);
  readable.AddMember("verdict", rapidjson::Value(answer["verdict"], a), a);
  readable.AddMember("reason", rapidjson::Value(answer["reason"], a), a);
  d.AddMember("answer", readable, a);
  d.AddMember("signed_root", rapidjson::Value(signed_root, a), a);
  return text(d);
}

std::vector<certs::X509Ptr> roots() {
  std::ifstream in(pkiDir() + "/root.pem");
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<certs::X509Ptr> out;
  out.push_back(std::move(*certs::parseCertificatePem(pem)));
  return out;
}

class VerifyReceiptServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = startVerifyEnv("verify_receipts");
    verifier_ = new App(env_->makeApp(testenv::kTaxBureau, "审批系统", "consumer"));
    env_->grant(*verifier_, "VERIFY-PERSON", {"status"}, {kMatter});
    env_->grant(*verifier_, std::string("CERT-") + kType, {"certificate_id"}, {kMatter});
  }
  static void TearDownTestSuite() {
    delete verifier_;
    delete env_;
  }
  // The audit record's reason for request `id`.
  static std::string auditReason(const std::string& id) {
    auto rows = env_->sql("SELECT reason FROM exchange.audit_log WHERE request_id = '" + id + "'");
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? "" : rows[0][0].as<std::string>();
  }
  static ExchangeEnv* env_;
  static App* verifier_;
};
ExchangeEnv* VerifyReceiptServeTest::env_ = nullptr;
App* VerifyReceiptServeTest::verifier_ = nullptr;

TEST_F(VerifyReceiptServeTest, BatchAnswersVerifyOfflineWithTongbanVerifyAndOpenssl) {
  const Seeded& s = seeded();
  const std::vector<std::pair<std::string, std::string>> checks = {
      {"person_alive", kLiving}, {"certificate_valid", s.revoked}, {"certificate_valid", s.valid}};
  std::string body = "{" + purpose() + ",\"checks\":[";
  for (size_t i = 0; i < checks.size(); ++i) {
    body += (i ? "," : "") + kindOn(checks[i].first, checks[i].second);
  }
  body += "]}";
  Client c = env_->client(*verifier_);
  Reply r = c.call("POST", "/v1/verify/batch", body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json();
  ASSERT_TRUE(d.HasMember("signed_root")) << r.body;
  const rapidjson::Value& root = d["signed_root"];
  EXPECT_EQ(root["tree_size"].GetUint64(), 3u);
  const std::string root_hash = root["root_hash"].GetString();
  const auto& answers = d["answers"];
  ASSERT_EQ(answers.Size(), 3u);
  EXPECT_STREQ(answers[1]["verdict"].GetString(), "false");

  const std::string dir = pkiDir();
  const std::string tool = tongban::testing::binaryDir() + "/certs/tongban-verify";
  for (rapidjson::SizeType i = 0; i < answers.Size(); ++i) {
    ASSERT_TRUE(answers[i].HasMember("receipt")) << r.body;
    EXPECT_EQ(answers[i]["receipt"]["leaf_index"].GetUint64(), i);
    const std::string file = dir + "/served-receipt-" + std::to_string(i) + ".json";
    writeFile(file, receiptDocument(answers[i], root, checks[i].first, checks[i].second));
    auto ok = runCommand(tool + " receipt " + file + " --root " + dir + "/root.pem");
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("OK: leaf " + std::to_string(i) + " of a signed tree of 3"),
              std::string::npos)
        << ok.output;
  }
  // The revoked certificate's answer, its verdict turned to "true": refused.
  {
    rapidjson::Document forged;
    forged.Parse(receiptDocument(answers[1], root, checks[1].first, checks[1].second).c_str());
    forged["answer"]["verdict"].SetString("true");
    const std::string file = dir + "/served-receipt-forged.json";
    writeFile(file, text(forged));
    auto bad = runCommand(tool + " receipt " + file + " --root " + dir + "/root.pem");
    EXPECT_EQ(bad.exit_code, 1) << bad.output;
    EXPECT_NE(bad.output.find("INVALID (answer_mismatch)"), std::string::npos) << bad.output;
  }
  // Answer 0's receipt presented as answer 1's: the leaf is not the one at that index.
  {
    rapidjson::Document moved;
    moved.Parse(receiptDocument(answers[0], root, checks[0].first, checks[0].second).c_str());
    moved["leaf_index"].SetUint64(1);
    const std::string file = dir + "/served-receipt-moved.json";
    writeFile(file, text(moved));
    auto bad = runCommand(tool + " receipt " + file + " --root " + dir + "/root.pem");
    EXPECT_EQ(bad.exit_code, 1) << bad.output;
  }
  // The signed root with nothing but openssl.
  writeFile(dir + "/served-signed.bin", *base64Decode(root["signed"].GetString()));
  writeFile(dir + "/served-signature.der", *base64Decode(root["signature"].GetString()));
  writeFile(dir + "/served-verification.pem", root["signer_certificate"].GetString());
  auto ex = runCommand("cd " + dir +
                       " && openssl x509 -in served-verification.pem -pubkey -noout > "
                       "served-verification-pub.pem");
  ASSERT_EQ(ex.exit_code, 0) << ex.output;
  auto ok = runCommand("cd " + dir +
                       " && openssl dgst -sha256 -verify served-verification-pub.pem -signature "
                       "served-signature.der served-signed.bin");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Verified OK"), std::string::npos) << ok.output;

  // The audit record names the root, so a receipt leads to its audit entry.
  EXPECT_EQ(auditReason(d["request_id"].GetString()),
            "receipt root=" + root_hash + " tree_size=3 leaf=0");
}

TEST_F(VerifyReceiptServeTest, ConcurrentSinglesCarryReceiptsFromTheSharedWindow) {
  const Seeded& s = seeded();
  const std::vector<std::pair<std::string, std::string>> checks = {
      {"person_alive", kLiving},        {"person_alive", s.deceased},
      {"certificate_valid", s.valid},   {"certificate_valid", s.suspended},
      {"certificate_valid", s.unknown}, {"certificate_valid", s.expired}};
  std::vector<Reply> replies(checks.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < checks.size(); ++i) {
    threads.emplace_back([&, i] {
      Client c = env_->client(*verifier_);
      replies[i] =
          c.call("POST", "/v1/verify",
                 "{" + purpose() + ",\"check\":" + kindOn(checks[i].first, checks[i].second) + "}");
    });
  }
  for (auto& t : threads) t.join();
  const auto trusted = roots();
  for (size_t i = 0; i < checks.size(); ++i) {
    ASSERT_EQ(replies[i].status, 200) << replies[i].body;
    auto d = replies[i].json();
    ASSERT_TRUE(d.HasMember("receipt") && d.HasMember("signed_root")) << replies[i].body;
    const std::string doc = receiptDocument(d, d["signed_root"], checks[i].first, checks[i].second);
    verification::ReceiptVerification v = verification::verifyReceipt(doc, trusted);
    EXPECT_TRUE(v.ok()) << v.reason << ": " << v.message;
    EXPECT_EQ(v.leaf.requester, verifier_->app_id);
    EXPECT_EQ(v.leaf.matter, kMatter);
    EXPECT_EQ(v.leaf.check.subject, checks[i].second);
    EXPECT_EQ(auditReason(d["request_id"].GetString()),
              "receipt root=" + std::string(d["signed_root"]["root_hash"].GetString()) +
                  " tree_size=" + std::to_string(d["signed_root"]["tree_size"].GetUint64()) +
                  " leaf=" + std::to_string(d["receipt"]["leaf_index"].GetUint64()));
  }
}

}  // namespace
}  // namespace tongban::exchange
