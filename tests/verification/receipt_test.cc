// Verification receipts (issue 9, part 4): every answer of a sealed batch verifies offline against
// the root signed by the hub's verification key; each kind of tampering is refused with its own
// reason, by the library, by `tongban-verify receipt` and (for the signature) by `openssl`.
#include "tongban/verification/receipt.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include "support/test_env.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/common/encoding.h"

namespace tongban::verification {
namespace {

using tongban::testing::runCommand;

constexpr const char* kPassphrase = "receipt-test-passphrase";

struct Pki {
  std::string dir;
  certs::HubIdentity hub;
  std::string root_pem;
  std::vector<certs::X509Ptr> roots;
  Pki() {
    std::string pattern = tongban::testing::binaryDir() + "/receipt_test_XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    Status init = certs::initHubPki(dir + "/pki", kPassphrase);
    EXPECT_TRUE(init) << init.toString();
    Result<certs::HubIdentity> loaded = certs::loadHubIdentity(dir + "/pki", kPassphrase);
    EXPECT_TRUE(loaded) << loaded.status().toString();
    hub = std::move(*loaded);
    root_pem = hub.chain_pem.back();
    roots = std::move(*certs::parseCertificateChainPem(root_pem));
  }
  ~Pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Pki& pki() {
  static Pki shared;  // one PKI for the suite, removed at exit
  return shared;
}

AsOf asOf(uint64_t seq) {
  AsOf a;
  a.certs_seq = seq;
  a.population_seq = 7;
  a.legal_entity_seq = 9;
  a.at_micros = 1'780'000'000'000'000 + static_cast<int64_t>(seq);
  return a;
}

std::string leafFor(int i, const AsOf& as_of) {
  Check check;
  check.kind = i % 2 == 0 ? CheckKind::kCertificateValid : CheckKind::kPersonAgeAtLeast;
  if (check.kind == CheckKind::kCertificateValid) {
    check.subject = "1.2.156.3005.2.11100000MB0143028R001.11110000MB01832653.2026000" +
                    std::to_string(100 + i) + ".001.X";
  } else {
    check.subject = "110108199003070016";
    check.min_age = 18 + i;
  }
  Answer answer{i % 3 == 0 ? Verdict::kFalse : Verdict::kTrue,
                i % 3 == 0 ? Reason::kRevoked : Reason::kOk};
  return receiptLeaf(check, answer, as_of, "app_0123456789abcdef", "11110000MB01832653A0001",
                     randomSalts(1)[0]);
}

std::shared_ptr<const SealedBatch> sealBatch(size_t n) {
  ReceiptSigner signer(pki().hub.verification_signer);
  std::vector<std::string> leaves;
  for (size_t i = 0; i < n; ++i) leaves.push_back(leafFor(static_cast<int>(i), asOf(42)));
  auto batch = signer.seal(std::move(leaves), asOf(42));
  EXPECT_TRUE(batch) << batch.status().toString();
  return *batch;
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return doc;
}

std::string text(const rapidjson::Value& doc) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  doc.Accept(w);
  return buffer.GetString();
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Receipt, LeafRoundTripsAndRefusesTruncationAndTrailingBytes) {
  const std::string leaf = leafFor(1, asOf(3));
  Result<ReceiptLeaf> parsed = parseReceiptLeaf(leaf);
  ASSERT_TRUE(parsed) << parsed.status().toString();
  EXPECT_EQ(parsed->check.kind, CheckKind::kPersonAgeAtLeast);
  EXPECT_EQ(parsed->check.subject, "110108199003070016");
  EXPECT_EQ(parsed->check.min_age, 19);
  EXPECT_EQ(parsed->answer.verdict, Verdict::kTrue);
  EXPECT_EQ(parsed->as_of.certs_seq, 3u);
  EXPECT_EQ(parsed->requester, "app_0123456789abcdef");
  EXPECT_EQ(parsed->matter, "11110000MB01832653A0001");
  for (size_t cut = 0; cut < leaf.size(); ++cut) {
    Result<ReceiptLeaf> truncated = parseReceiptLeaf(leaf.substr(0, cut));
    ASSERT_FALSE(truncated) << cut;
    EXPECT_EQ(truncated.status().field(), "leaf");
  }
  EXPECT_FALSE(parseReceiptLeaf(leaf + "x"));
  // A length prefix of 4 GB is refused, not allocated.
  std::string huge = leaf;
  huge[7] = '\xff';
  EXPECT_FALSE(parseReceiptLeaf(huge));
  // Two salts make two different leaves for the same answer.
  EXPECT_NE(leafFor(1, asOf(3)), leaf);
}

TEST(Receipt, EveryAnswerOfABatchVerifiesOffline) {
  for (size_t n : {size_t{1}, size_t{2}, size_t{7}, size_t{100}}) {
    auto batch = sealBatch(n);
    ASSERT_EQ(batch->size(), n);
    EXPECT_EQ(batch->root().tree_size, n);
    for (size_t i = 0; i < n; ++i) {
      ReceiptVerification v = verifyReceipt(batch->receiptJson(i), pki().roots);
      ASSERT_TRUE(v.ok()) << n << "/" << i << ": " << v.reason << " " << v.message;
      EXPECT_EQ(v.leaf_index, i);
      EXPECT_EQ(v.leaf.as_of.certs_seq, 42u);
      EXPECT_EQ(v.root.as_of.legal_entity_seq, 9u);
    }
  }
}

// The batch tree (bottom-up, lone nodes promoted) is RFC 6962's: the same root and the same audit
// paths as certs' reference implementation for every size up to 70 and a few larger ones.
TEST(Receipt, BatchTreeIsRfc6962) {
  ReceiptSigner signer(pki().hub.verification_signer);
  std::vector<size_t> sizes;
  for (size_t n = 1; n <= 70; ++n) sizes.push_back(n);
  for (size_t n : {127, 128, 129, 1000, 1025}) sizes.push_back(n);
  for (size_t n : sizes) {
    std::vector<std::string> leaves;
    certs::InMemoryMerkleTree reference;
    for (size_t i = 0; i < n; ++i) {
      leaves.push_back(std::string(n % 3, '+') + "leaf " + std::to_string(i));
      reference.append(leaves.back());
    }
    auto batch = signer.seal(leaves, asOf(1));
    ASSERT_TRUE(batch);
    ASSERT_EQ((*batch)->root().root, reference.root()) << n;
    for (size_t i = 0; i < n; ++i) {
      auto expected = certs::inclusionProof(reference, i, n);
      ASSERT_TRUE(expected);
      ASSERT_EQ((*batch)->path(i), *expected) << n << "/" << i;
      if (n <= 3) {  // the leaf in base64, for leaves of every length mod 3
        rapidjson::Document proof = parse((*batch)->proofJson(i));
        ASSERT_EQ(*base64Decode(proof["leaf"].GetString()), leaves[i]) << n << "/" << i;
      }
    }
  }
}

// The serving paths' one call: checks and answers in, a sealed batch whose leaf i is answer i.
TEST(Receipt, SealAnswersIsOneCallForABatch) {
  ReceiptSigner signer(pki().hub.verification_signer);
  std::vector<Check> checks(3);
  std::vector<Answer> answers(3);
  for (size_t i = 0; i < 3; ++i) {
    checks[i].kind = CheckKind::kEntityInBusiness;
    checks[i].subject = "91110108MA01ABCD5T";
    answers[i] = {i == 1 ? Verdict::kFalse : Verdict::kTrue,
                  i == 1 ? Reason::kAbnormalOperation : Reason::kOk};
  }
  auto batch = sealAnswers(signer, checks.data(), answers.data(), 3, asOf(5), "app_x", "M1");
  ASSERT_TRUE(batch) << batch.status().toString();
  for (size_t i = 0; i < 3; ++i) {
    ReceiptVerification v = verifyReceipt((*batch)->receiptJson(i), pki().roots);
    ASSERT_TRUE(v.ok()) << v.reason << " " << v.message;
    EXPECT_EQ(v.leaf.answer.reason, answers[i].reason);
    EXPECT_EQ(v.leaf.check.kind, CheckKind::kEntityInBusiness);
    EXPECT_EQ(v.leaf.requester, "app_x");
  }
}

// Each member of a receipt, changed, gets its own reason.
TEST(Receipt, TamperingIsRefused) {
  auto batch = sealBatch(9);
  const std::string good = batch->receiptJson(3);
  ASSERT_TRUE(verifyReceipt(good, pki().roots).ok());

  auto expectRefused = [&](const std::string& json, const std::string& reason,
                           const std::string& what) {
    ReceiptVerification v = verifyReceipt(json, pki().roots);
    EXPECT_EQ(v.reason, reason) << what << ": " << v.message;
  };

  {  // The readable answer says true where the leaf says false (leaf 3: revoked).
    rapidjson::Document d = parse(good);
    d["answer"]["verdict"].SetString("true");
    expectRefused(text(d), "answer_mismatch", "answer");
  }
  {  // The leaf itself: verdict byte flipped.
    rapidjson::Document d = parse(good);
    std::string leaf = *base64Decode(d["leaf"].GetString());
    Result<ReceiptLeaf> parsed = parseReceiptLeaf(leaf);
    ASSERT_TRUE(parsed);
    Check check = parsed->check;
    std::string forged = receiptLeaf(check, Answer{Verdict::kTrue, Reason::kOk}, parsed->as_of,
                                     parsed->requester, parsed->matter, parsed->salt);
    const std::string encoded = base64Encode(forged);
    d["leaf"].SetString(encoded.c_str(), d.GetAllocator());
    d.RemoveMember("answer");
    expectRefused(text(d), "bad_inclusion_proof", "leaf");
  }
  {  // A path hash changed.
    rapidjson::Document d = parse(good);
    std::string hash = d["path"][0].GetString();
    hash[0] = hash[0] == '0' ? '1' : '0';
    d["path"][0].SetString(hash.c_str(), d.GetAllocator());
    expectRefused(text(d), "bad_inclusion_proof", "path");
  }
  {  // A path hash dropped.
    rapidjson::Document d = parse(good);
    d["path"].PopBack();
    expectRefused(text(d), "bad_inclusion_proof", "short path");
  }
  {  // Another index.
    rapidjson::Document d = parse(good);
    d["leaf_index"].SetUint64(4);
    expectRefused(text(d), "bad_inclusion_proof", "index");
    d["leaf_index"].SetUint64(9);
    expectRefused(text(d), "bad_inclusion_proof", "index past the tree");
  }
  {  // The signature: one byte of the DER changed.
    rapidjson::Document d = parse(good);
    std::string sig = *base64Decode(d["signed_root"]["signature"].GetString());
    sig[sig.size() - 2] = static_cast<char>(sig[sig.size() - 2] ^ 0x01);
    const std::string encoded = base64Encode(sig);
    d["signed_root"]["signature"].SetString(encoded.c_str(), d.GetAllocator());
    ReceiptVerification v = verifyReceipt(text(d), pki().roots);
    EXPECT_TRUE(v.reason == "bad_signature" || v.reason == "malformed_signature") << v.reason;
  }
  {  // The signed bytes: another root hash (and the readable one changed to match).
    rapidjson::Document d = parse(good);
    std::string signed_bytes = *base64Decode(d["signed_root"]["signed"].GetString());
    signed_bytes[20] = static_cast<char>(signed_bytes[20] ^ 0x80);
    const std::string encoded = base64Encode(signed_bytes);
    d["signed_root"]["signed"].SetString(encoded.c_str(), d.GetAllocator());
    Result<SignedRoot> parsed = parseSignedRootBytes(signed_bytes);
    ASSERT_TRUE(parsed);
    const std::string hex = certs::toHex(parsed->root);
    d["signed_root"]["root_hash"].SetString(hex.c_str(), d.GetAllocator());
    expectRefused(text(d), "bad_signature", "signed bytes");
  }
  {  // The readable tree size disagrees with the signed one.
    rapidjson::Document d = parse(good);
    d["signed_root"]["tree_size"].SetUint64(10);
    expectRefused(text(d), "root_mismatch", "tree_size");
    d = parse(good);
    d["signed_root"]["as_of"]["stale"].SetBool(true);
    expectRefused(text(d), "root_mismatch", "stale");
  }
  // Not JSON, cut short, or empty.
  expectRefused(good.substr(0, good.size() / 2), "malformed_receipt", "truncated");
  expectRefused("", "malformed_receipt", "empty");
  expectRefused("[]", "malformed_receipt", "array");
  // Another hub's root does not vouch for this key.
  Pki other;
  ReceiptVerification untrusted = verifyReceipt(good, other.roots);
  EXPECT_EQ(untrusted.reason, "untrusted_root") << untrusted.message;
}

// Random byte changes anywhere in a receipt: never a crash, and whatever still verifies proves
// the same leaf at the same index under the same signed root (JSON whitespace and the like).
TEST(Receipt, RandomMutationsNeverVerifySomethingElse) {
  auto batch = sealBatch(6);
  const std::string good = batch->receiptJson(4);
  const ReceiptVerification original = verifyReceipt(good, pki().roots);
  ASSERT_TRUE(original.ok());
  const std::string original_leaf = batch->leaf(4);
  std::mt19937 random(2026);
  int still_ok = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = good;
    const int changes = 1 + static_cast<int>(random() % 3);
    for (int c = 0; c < changes; ++c) {
      mutated[random() % mutated.size()] = static_cast<char>(random() % 128);
    }
    ReceiptVerification v = verifyReceipt(mutated, pki().roots);
    if (v.ok()) {
      ++still_ok;
      EXPECT_EQ(v.leaf_index, 4u);
      EXPECT_EQ(v.root.signed_bytes, original.root.signed_bytes);
      EXPECT_EQ(receiptLeaf(v.leaf.check, v.leaf.answer, v.leaf.as_of, v.leaf.requester,
                            v.leaf.matter, v.leaf.salt),
                original_leaf);
    }
  }
  EXPECT_LT(still_ok, 300) << "almost every change is caught";
}

// A root signed by a key of another role (the status key) is refused even though it chains.
TEST(Receipt, KeyOutsideItsRoleIsRefused) {
  ReceiptSigner wrong(pki().hub.status_signer);
  auto batch = wrong.seal({leafFor(0, asOf(1))}, asOf(1));
  ASSERT_TRUE(batch);
  ReceiptVerification v = verifyReceipt((*batch)->receiptJson(0), pki().roots);
  EXPECT_EQ(v.reason, "not_authorized") << v.message;
}

TEST(Receipt, EmptyBatchAndMissingKeyAreErrors) {
  ReceiptSigner signer(pki().hub.verification_signer);
  auto empty = signer.seal({}, asOf(1));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.status().field(), "leaves");
  ReceiptSigner none(nullptr);
  auto unavailable = none.seal({"x"}, asOf(1));
  ASSERT_FALSE(unavailable);
  EXPECT_EQ(unavailable.status().code(), ErrorCode::kUnavailable);
}

// Singles share a signature: a window closes when full (no clock involved) or when its owner
// shuts down; every receipt verifies.
TEST(ReceiptWindowTest, SinglesShareOneSignedRoot) {
  auto signer = std::make_shared<ReceiptSigner>(pki().hub.verification_signer);
  ReceiptWindow::Options options;
  options.max_delay = std::chrono::hours(1);  // only fullness closes this window
  options.max_leaves = 8;
  std::vector<std::future<Result<Receipt>>> futures(8);
  {
    ReceiptWindow window(signer, options);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] { futures[i] = window.submit(leafFor(i, asOf(i)), asOf(i)); });
    }
    for (auto& t : threads) t.join();
    std::shared_ptr<const SealedBatch> first;
    for (auto& f : futures) {
      Result<Receipt> r = f.get();
      ASSERT_TRUE(r) << r.status().toString();
      if (!first) first = r->batch;
      EXPECT_EQ(r->batch, first) << "all eight share one batch";
      EXPECT_TRUE(verifyReceipt(r->batch->receiptJson(r->index), pki().roots).ok());
    }
    EXPECT_EQ(first->size(), 8u);
    EXPECT_EQ(first->root().as_of.certs_seq, 7u) << "the root carries the newest as_of";

    // Three more, then the window's owner shuts down: they are sealed, not dropped.
    for (int i = 0; i < 3; ++i) futures[i] = window.submit(leafFor(i, asOf(50)), asOf(50));
  }
  for (int i = 0; i < 3; ++i) {
    Result<Receipt> r = futures[i].get();
    ASSERT_TRUE(r) << r.status().toString();
    EXPECT_EQ(r->batch->size(), 3u);
    EXPECT_TRUE(verifyReceipt(r->batch->receiptJson(r->index), pki().roots).ok());
  }
}

// The signed root verifies with nothing but `openssl`, as docs/receipts.md shows; and
// `tongban-verify receipt` accepts a receipt and refuses a tampered one with a non-zero exit.
TEST(ReceiptCli, OpensslAndTongbanVerify) {
  auto batch = sealBatch(5);
  const std::string dir = pki().dir;
  writeFile(dir + "/receipt.json", batch->receiptJson(2));
  writeFile(dir + "/root.pem", pki().root_pem);
  // As docs/receipts.md says (there with jq and base64 -d): the signed bytes, the signature and
  // the certificate out of the JSON, the key out of the certificate, then openssl dgst.
  rapidjson::Document receipt = parse(batch->receiptJson(2));
  const rapidjson::Value& root = receipt["signed_root"];
  writeFile(dir + "/signed.bin", *base64Decode(root["signed"].GetString()));
  writeFile(dir + "/signature.der", *base64Decode(root["signature"].GetString()));
  writeFile(dir + "/verification.pem", root["signer_certificate"].GetString());
  auto ex = runCommand(
      "cd " + dir + " && openssl x509 -in verification.pem -pubkey -noout > verification-pub.pem");
  ASSERT_EQ(ex.exit_code, 0) << ex.output;
  auto ok = runCommand("cd " + dir +
                       " && openssl dgst -sha256 -verify verification-pub.pem -signature "
                       "signature.der signed.bin");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Verified OK"), std::string::npos) << ok.output;
  auto chain = runCommand("cd " + dir + " && openssl verify -CAfile root.pem verification.pem");
  EXPECT_EQ(chain.exit_code, 0) << chain.output;
  // One bit of the signed bytes changed: openssl refuses too.
  std::string signed_bytes =
      *base64Decode(parse(batch->receiptJson(2))["signed_root"]["signed"].GetString());
  signed_bytes[10] = static_cast<char>(signed_bytes[10] ^ 1);
  writeFile(dir + "/signed.bin", signed_bytes);
  auto bad = runCommand("cd " + dir +
                        " && openssl dgst -sha256 -verify verification-pub.pem -signature "
                        "signature.der signed.bin");
  EXPECT_NE(bad.exit_code, 0) << bad.output;

  const std::string tool = tongban::testing::binaryDir() + "/certs/tongban-verify";
  auto good = runCommand(tool + " receipt " + dir + "/receipt.json --root " + dir + "/root.pem");
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("OK: leaf 2 of a signed tree of 5"), std::string::npos) << good.output;
  rapidjson::Document d = parse(batch->receiptJson(2));
  d["leaf_index"].SetUint64(1);
  writeFile(dir + "/tampered.json", text(d));
  auto tampered =
      runCommand(tool + " receipt " + dir + "/tampered.json --root " + dir + "/root.pem");
  EXPECT_EQ(tampered.exit_code, 1) << tampered.output;
  EXPECT_NE(tampered.output.find("INVALID (bad_inclusion_proof)"), std::string::npos)
      << tampered.output;
  auto unknown =
      runCommand(tool + " receipt " + dir + "/receipt.json --root " + dir + "/root.pem --bogus 1");
  EXPECT_EQ(unknown.exit_code, 64) << unknown.output;
  EXPECT_NE(unknown.output.find("--bogus"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace tongban::verification
