// A bundle produced by the hub, checked with nothing but the `openssl` command-line tool (the
// commands of docs/certificates.md), and with tongban-verify.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hub_fixture.h"
#include "support/test_env.h"
#include "tongban/certs/jcs.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/common/encoding.h"

namespace tongban::certs {
namespace {

using namespace tongban::certs::testing;
using tongban::testing::runCommand;

void writeFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string verifyTool() { return tongban::testing::binaryDir() + "/certs/tongban-verify"; }

// Writes the pieces of a bundle as files, the way docs/certificates.md tells a verifier to.
void exportBundle(const std::string& bundle, const std::string& dir) {
  rapidjson::Document doc;
  doc.Parse(bundle.c_str());
  writeFile(dir + "/payload.bin", *base64Decode(doc["payload"].GetString()));
  writeFile(dir + "/signature.der", *base64Decode(doc["signature"].GetString()));
  writeFile(dir + "/signer.pem", doc["signer_certificate"].GetString());
  std::string chain;
  for (const auto& pem : doc["chain"].GetArray()) chain += pem.GetString();
  writeFile(dir + "/chain.pem", chain);
}

TEST(CertsOpensslCli, VerifiesABundleWithOnlyOpenssl) {
  Hub hub("certs_cli");
  writeFile(hub.dir + "/root.pem", hub.root_pem);
  for (SignatureAlgorithm algorithm :
       {SignatureAlgorithm::kSm2Sm3, SignatureAlgorithm::kEcdsaP256Sha256}) {
    SCOPED_TRACE(algorithmName(algorithm));
    Seal seal = hub.makeSeal(kSamr, algorithm);
    auto issued = hub.certs->issue(hub.businessLicence(seal.seal_id, algorithmName(algorithm)));
    ASSERT_TRUE(issued) << issued.status().toString();
    const std::string bundle = *hub.certs->bundle(issued->certificate.certificate_id);
    exportBundle(bundle, hub.dir);
    const std::string d = hub.dir;

    auto chain = runCommand("openssl verify -CAfile " + d + "/root.pem -untrusted " + d +
                            "/chain.pem " + d + "/signer.pem");
    EXPECT_EQ(chain.exit_code, 0) << chain.output;
    EXPECT_NE(chain.output.find(": OK"), std::string::npos) << chain.output;

    const std::string signature_check =
        algorithm == SignatureAlgorithm::kSm2Sm3
            ? "openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 "
              "-certin -inkey " +
                  d + "/signer.pem -in " + d + "/payload.bin -sigfile " + d + "/signature.der"
            : "openssl x509 -in " + d + "/signer.pem -pubkey -noout > " + d +
                  "/signer.pub && openssl dgst -sha256 -verify " + d + "/signer.pub -signature " +
                  d + "/signature.der " + d + "/payload.bin";
    auto signature = runCommand(signature_check);
    EXPECT_EQ(signature.exit_code, 0) << signature.output;
    EXPECT_NE(signature.output.find("Verified"), std::string::npos) << signature.output;

    // A changed payload fails the same command.
    std::string payload = *base64Decode([&] {
      rapidjson::Document doc;
      doc.Parse(bundle.c_str());
      return std::string(doc["payload"].GetString());
    }());
    payload[payload.size() / 2] ^= 0x01;
    writeFile(d + "/payload.bin", payload);
    EXPECT_NE(runCommand(signature_check).exit_code, 0);

    // tongban-verify: valid bundle exits 0; a changed one exits 1 with its reason.
    writeFile(d + "/bundle.json", bundle);
    auto ok = runCommand(verifyTool() + " " + d + "/bundle.json --root " + d + "/root.pem");
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("OK"), std::string::npos);
    writeFile(d + "/other-root.pem", hub.hub.chain_pem[0]);  // the intermediate is not a root
    auto wrong =
        runCommand(verifyTool() + " " + d + "/bundle.json --root " + d + "/other-root.pem");
    EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
    EXPECT_NE(wrong.output.find("INVALID"), std::string::npos) << wrong.output;
  }
  auto usage = runCommand(verifyTool());
  EXPECT_EQ(usage.exit_code, 2);
}

// The ```sh block of docs/certificates.md that starts with "# openssl-recipe".
std::string docsRecipe() {
  std::ifstream in(std::string(TONGBAN_SOURCE_DIR) + "/docs/certificates.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const size_t start = doc.find("```sh\n# openssl-recipe");
  EXPECT_NE(start, std::string::npos) << "docs/certificates.md lost its openssl recipe";
  if (start == std::string::npos) return "exit 99\n";
  const size_t body = start + 6;
  return doc.substr(body, doc.find("\n```", body) - body + 1);
}

// Runs the recipe with /bin/sh in `dir` (bundle.json and root.pem there).
tongban::testing::CommandResult runRecipe(const std::string& dir, const std::string& bundle) {
  writeFile(dir + "/bundle.json", bundle);
  writeFile(dir + "/recipe.sh", docsRecipe());
  return runCommand("cd " + dir + " && /bin/sh recipe.sh 2>&1");
}

std::string resigned(const std::string& bundle, const char* object, const Signer& signer) {
  rapidjson::Document doc;
  doc.Parse(bundle.c_str());
  auto& a = doc.GetAllocator();
  rapidjson::Value* target = std::string(object) == "tree_head" ? &doc["transparency"]["tree_head"]
                                                                : &doc["status_statement"];
  std::string bytes;
  if (std::string(object) == "tree_head") {
    auto root = parseHashHex((*target)["root_hash"].GetString(), "root_hash");
    bytes = treeHeadSignedBytes((*target)["tree_size"].GetUint64(),
                                (*target)["timestamp"].GetInt64(), *root);
  } else {
    bytes = *base64Decode((*target)["statement"].GetString());
  }
  (*target)["signature"].SetString(base64Encode(*signer.sign(bytes)).c_str(), a);
  (*target)["algorithm"].SetString(algorithmName(signer.algorithm()), a);
  (*target)["signer_certificate"].SetString(signer.certificatePem().c_str(), a);
  return *canonicalJson(doc);
}

// Issue 7, holes 4 and 5, in the openssl recipe of the docs: it accepts what the hub made, for
// both algorithms, and refuses a tree head or status statement signed by a seal key, a stripped
// revocation, and an old statement of a since-revoked certificate.
TEST(CertsOpensslCli, RecipeOfTheDocsChecksWhatTongbanVerifyChecks) {
  if (runCommand("command -v jq").exit_code != 0) GTEST_SKIP() << "jq is not installed";
  Hub hub("certs_recipe");
  writeFile(hub.dir + "/root.pem", hub.root_pem);
  for (SignatureAlgorithm algorithm :
       {SignatureAlgorithm::kSm2Sm3, SignatureAlgorithm::kEcdsaP256Sha256}) {
    SCOPED_TRACE(algorithmName(algorithm));
    Seal seal = hub.makeSeal(kSamr, algorithm);
    auto issued = hub.certs->issue(
        hub.businessLicence(seal.seal_id, std::string("r-") + algorithmName(algorithm)));
    ASSERT_TRUE(issued) << issued.status().toString();
    const std::string id = issued->certificate.certificate_id;
    const std::string bundle = *hub.certs->bundle(id);
    auto ok = runRecipe(hub.dir, bundle);
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("bundle checks out"), std::string::npos) << ok.output;

    auto seal_signer = hub.key_store->signer(seal.key_id);
    ASSERT_TRUE(seal_signer);
    auto forged_head = runRecipe(hub.dir, resigned(bundle, "tree_head", **seal_signer));
    EXPECT_NE(forged_head.exit_code, 0) << forged_head.output;
    auto forged_status = runRecipe(hub.dir, resigned(bundle, "status", **seal_signer));
    EXPECT_NE(forged_status.exit_code, 0) << forged_status.output;

    // Revoked, then the holder strips the revocation and keeps the new statement, or keeps the
    // statement of the old bundle: both refused.
    ASSERT_TRUE(hub.certs->revoke(id, kSamr, "penalty", "违法经营", "x"));
    rapidjson::Document stripped;
    stripped.Parse(hub.certs->bundle(id)->c_str());
    auto& entries = stripped["transparency"]["entries"];
    for (auto it = entries.Begin(); it != entries.End(); ++it) {
      if (std::string((*it)["role"].GetString()) == "certificate_status") {
        entries.Erase(it);
        break;
      }
    }
    auto strip = runRecipe(hub.dir, *canonicalJson(stripped));
    EXPECT_NE(strip.exit_code, 0) << strip.output;
  }
  // tongban-verify: an unknown flag is refused, naming it; --max-age refuses an old statement.
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  auto issued = hub.certs->issue(hub.businessLicence(seal.seal_id, "r-age"));
  ASSERT_TRUE(issued);
  writeFile(hub.dir + "/bundle.json", *hub.certs->bundle(issued->certificate.certificate_id));
  const std::string verify =
      verifyTool() + " " + hub.dir + "/bundle.json --root " + hub.dir + "/root.pem";
  const std::string later = std::to_string(std::time(nullptr) + 3600);
  EXPECT_EQ(runCommand(verify + " --at " + later).exit_code, 0);
  auto stale = runCommand(verify + " --at " + later + " --max-age 600");
  EXPECT_EQ(stale.exit_code, 1) << stale.output;
  EXPECT_NE(stale.output.find("stale_status"), std::string::npos) << stale.output;
  auto unknown = runCommand(verify + " --max-ag 0 2>&1");
  EXPECT_EQ(unknown.exit_code, 64) << unknown.output;
  EXPECT_NE(unknown.output.find("--max-ag"), std::string::npos) << unknown.output;
  auto unknown_proof = runCommand(verifyTool() + " inclusion --leaf-hash x --sizes 3 2>&1");
  EXPECT_EQ(unknown_proof.exit_code, 64) << unknown_proof.output;
}

TEST(CertsOpensslCli, TongbanVerifyChecksProofs) {
  // RFC 6962 reference tree of 8 leaves (as merkle_test.cc); proofs from InMemoryMerkleTree.
  InMemoryMerkleTree tree;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    tree.append(*hexDecode(hex));
  }
  auto join = [](const std::vector<MerkleHash>& proof) {
    std::string out;
    for (const auto& h : proof) out += (out.empty() ? "" : ",") + toHex(h);
    return out;
  };
  const std::string root = toHex(tree.root());
  EXPECT_EQ(root, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  for (uint64_t i = 0; i < 8; ++i) {
    const std::string args = " --leaf-hash " + toHex(*tree.leafHash(i)) + " --index " +
                             std::to_string(i) + " --size 8 --root " + root + " --proof '" +
                             join(*inclusionProof(tree, i, 8)) + "'";
    auto ok = runCommand(verifyTool() + " inclusion" + args);
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    auto bad = runCommand(verifyTool() + " inclusion" + args.substr(0, args.find(" --index")) +
                          " --index " + std::to_string((i + 1) % 8) + " --size 8 --root " + root +
                          " --proof '" + join(*inclusionProof(tree, i, 8)) + "'");
    EXPECT_EQ(bad.exit_code, 1) << bad.output;
  }
  for (uint64_t m = 1; m <= 8; ++m) {
    const std::string old_root = toHex(*treeRoot(tree, m));
    const std::string proof = join(*consistencyProof(tree, m, 8));
    auto ok = runCommand(verifyTool() + " consistency --old-size " + std::to_string(m) +
                         " --new-size 8 --old-root " + old_root + " --new-root " + root +
                         " --proof '" + proof + "'");
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    auto bad = runCommand(verifyTool() + " consistency --old-size " + std::to_string(m) +
                          " --new-size 8 --old-root " + root + " --new-root " + old_root +
                          " --proof '" + proof + "'");
    EXPECT_EQ(bad.exit_code, m == 8 ? 0 : 1) << bad.output;
  }
  EXPECT_EQ(runCommand(verifyTool() + " inclusion --index x").exit_code, 2);
}

}  // namespace
}  // namespace tongban::certs
