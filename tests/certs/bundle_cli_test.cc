// A bundle produced by the hub, checked with nothing but the `openssl` command-line tool (the
// commands of docs/certificates.md), and with tongban-verify.
#include <gtest/gtest.h>

#include <fstream>

#include "hub_fixture.h"
#include "support/test_env.h"
#include "tongban/certs/jcs.h"
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
