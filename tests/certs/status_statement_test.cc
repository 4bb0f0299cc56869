// Issue 7, holes 4 and 5: a revoked certificate must not verify offline once its newest status
// event is stripped from the bundle, and keys sign only in their role. Each test attacks a bundle
// the hub made, the way a hostile holder or department would, and expects its own reason.
#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "tongban/certs/bundle.h"
#include "tongban/certs/jcs.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/common/encoding.h"

namespace tongban::certs {
namespace {

using namespace tongban::certs::testing;

std::vector<X509Ptr> roots(const Hub& hub) {
  return std::move(*parseCertificateChainPem(hub.root_pem));
}

BundleVerification verify(const Hub& hub, const std::string& bundle, int64_t seconds_later = 0,
                          int64_t max_age = kDefaultStatusMaxAgeSeconds) {
  const std::time_t now = std::chrono::system_clock::to_time_t(hub.now());
  return verifyBundle(bundle, roots(hub), now + seconds_later, max_age);
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return doc;
}

std::string text(const rapidjson::Document& doc) { return *canonicalJson(doc); }

std::string str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

struct Issued {
  Seal seal;
  std::string id;
};

Issued issueLicence(Hub& hub, const char* key) {
  Issued out;
  out.seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  auto issued = hub.certs->issue(hub.businessLicence(out.seal.seal_id, key));
  EXPECT_TRUE(issued) << issued.status().toString();
  if (issued) out.id = issued->certificate.certificate_id;
  return out;
}

// Hole 4, the attack of the issue: revoke, strip the certificate_status entry, claim "valid".
TEST(CertsStatusStatement, StrippedRevocationIsRefused) {
  Hub hub("certs_status_strip");
  Issued c = issueLicence(hub, "strip-1");
  ASSERT_TRUE(hub.certs->revoke(c.id, kSamr, "penalty", "违法经营", "x"));
  const std::string revoked = *hub.certs->bundle(c.id);
  EXPECT_EQ(verify(hub, revoked).reason, "certificate_revoked");

  rapidjson::Document doc = parse(revoked);
  auto& entries = doc["transparency"]["entries"];
  for (auto it = entries.Begin(); it != entries.End(); ++it) {
    if (str((*it)["role"]) == "certificate_status") {
      entries.Erase(it);
      break;
    }
  }
  doc["status"]["certificate"].SetString("valid");
  BundleVerification v = verify(hub, text(doc));
  EXPECT_EQ(v.reason, "status_statement_mismatch") << v.message;

  // Without the statement the same stripped bundle is refused as well.
  doc.RemoveMember("status_statement");
  EXPECT_EQ(verify(hub, text(doc)).reason, "missing_status_statement");
}

TEST(CertsStatusStatement, MissingMismatchedAndStaleStatementsAreRefused) {
  Hub hub("certs_status_stale");
  Issued a = issueLicence(hub, "stale-1");
  auto second = hub.certs->issue(hub.businessLicence(a.seal.seal_id, "stale-2"));
  ASSERT_TRUE(second);
  const std::string bundle = *hub.certs->bundle(a.id);
  const std::string other = *hub.certs->bundle(second->certificate.certificate_id);
  ASSERT_TRUE(verify(hub, bundle).ok()) << verify(hub, bundle).message;

  // No statement.
  rapidjson::Document none = parse(bundle);
  none.RemoveMember("status_statement");
  EXPECT_EQ(verify(hub, text(none)).reason, "missing_status_statement");

  // Another certificate's (validly signed) statement.
  rapidjson::Document swapped = parse(bundle);
  rapidjson::Document theirs = parse(other);
  swapped["status_statement"].CopyFrom(theirs["status_statement"], swapped.GetAllocator());
  EXPECT_EQ(verify(hub, text(swapped)).reason, "status_statement_mismatch");

  // A statement changed after signing.
  rapidjson::Document changed = parse(bundle);
  std::string statement = *base64Decode(str(changed["status_statement"]["statement"]));
  const size_t at = statement.find("\"valid\"");
  ASSERT_NE(at, std::string::npos);
  statement.replace(at, 7, "\"xalid\"");
  changed["status_statement"]["statement"].SetString(base64Encode(statement).c_str(),
                                                     changed.GetAllocator());
  EXPECT_EQ(verify(hub, text(changed)).reason, "bad_status_signature");

  // Stale: past next_update, and older than --max-age.
  EXPECT_EQ(
      verify(hub, bundle, kStatusStatementValiditySeconds + 1, kStatusStatementValiditySeconds * 10)
          .reason,
      "stale_status");
  EXPECT_EQ(verify(hub, bundle, 120, 60).reason, "stale_status");
  EXPECT_TRUE(verify(hub, bundle, 30, 60).ok());
}

// Hole 5: a department's seal key signs a tree head or a status statement.
TEST(CertsKeyRoles, TreeHeadOrStatusSignedBySealKeyIsRefused) {
  Hub hub("certs_roles");
  Issued c = issueLicence(hub, "roles-1");
  const std::string bundle = *hub.certs->bundle(c.id);
  ASSERT_TRUE(verify(hub, bundle).ok());
  auto seal_signer = hub.key_store->signer(c.seal.key_id);
  ASSERT_TRUE(seal_signer);

  // The same tree head, re-signed by the seal key: a valid signature by a key of the hub's PKI.
  rapidjson::Document doc = parse(bundle);
  auto& head = doc["transparency"]["tree_head"];
  auto root = parseHashHex(str(head["root_hash"]), "root_hash");
  ASSERT_TRUE(root);
  const std::string signed_bytes =
      treeHeadSignedBytes(head["tree_size"].GetUint64(), head["timestamp"].GetInt64(), *root);
  auto sth_signature = (*seal_signer)->sign(signed_bytes);
  ASSERT_TRUE(sth_signature);
  auto& a = doc.GetAllocator();
  head["signature"].SetString(base64Encode(*sth_signature).c_str(), a);
  head["algorithm"].SetString(algorithmName((*seal_signer)->algorithm()), a);
  head["signer_certificate"].SetString((*seal_signer)->certificatePem().c_str(), a);
  BundleVerification forged_head = verify(hub, text(doc));
  EXPECT_EQ(forged_head.reason, "not_authorized") << forged_head.message;
  EXPECT_NE(forged_head.message.find("log key"), std::string::npos) << forged_head.message;

  // The same status statement, re-signed by the seal key.
  rapidjson::Document status_doc = parse(bundle);
  auto& statement = status_doc["status_statement"];
  const std::string statement_bytes = *base64Decode(str(statement["statement"]));
  auto status_signature = (*seal_signer)->sign(statement_bytes);
  ASSERT_TRUE(status_signature);
  auto& sa = status_doc.GetAllocator();
  statement["signature"].SetString(base64Encode(*status_signature).c_str(), sa);
  statement["algorithm"].SetString(algorithmName((*seal_signer)->algorithm()), sa);
  statement["signer_certificate"].SetString((*seal_signer)->certificatePem().c_str(), sa);
  BundleVerification forged_status = verify(hub, text(status_doc));
  EXPECT_EQ(forged_status.reason, "not_authorized") << forged_status.message;
  EXPECT_NE(forged_status.message.find("status key"), std::string::npos) << forged_status.message;

  // And the log key may not seal a certificate, nor sign a status statement.
  rapidjson::Document log_status = parse(bundle);
  auto& ls = log_status["status_statement"];
  ls["signature"].SetString(base64Encode(*hub.hub.hub_signer->sign(statement_bytes)).c_str(),
                            log_status.GetAllocator());
  ls["signer_certificate"].SetString(hub.hub.hub_signer->certificatePem().c_str(),
                                     log_status.GetAllocator());
  EXPECT_EQ(verify(hub, text(log_status)).reason, "not_authorized");
}

// Hole 5: a payload whose signer certificate names another seal and issuer. The seal row is
// pointed at another department's seal key and certificate (a hub bug or a tampered database):
// the payload names seal A of the market regulator, the signature and certificate are seal B's
// of the Fuzhou bureau.
TEST(CertsKeyRoles, SignerCertificateNamingAnotherSealOrIssuerIsRefused) {
  Hub hub("certs_binding");
  Seal ours = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  Seal theirs = hub.makeSeal(kFuzhou, SignatureAlgorithm::kEcdsaP256Sha256);
  auto their_key = hub.key_store->loadPrivateKey(theirs.key_id);
  ASSERT_TRUE(their_key);
  ASSERT_TRUE(hub.key_store->importKey("copy-of-theirs", their_key->get()));
  ASSERT_TRUE(hub.key_store->storeCertificate("copy-of-theirs", theirs.certificate_pem));
  hub.exec(
      "UPDATE certs.seals SET key_id = 'copy-of-theirs'" +
      std::string(
          ", signer_certificate = (SELECT signer_certificate FROM certs.seals WHERE seal_id = '" +
          theirs.seal_id + "') WHERE seal_id = '" + ours.seal_id + "'"));
  auto issued = hub.certs->issue(hub.businessLicence(ours.seal_id, "binding-1"));
  ASSERT_TRUE(issued) << issued.status().toString();
  BundleVerification v = verify(hub, *hub.certs->bundle(issued->certificate.certificate_id));
  EXPECT_EQ(v.reason, "signer_mismatch") << v.message;
  EXPECT_NE(v.message.find(theirs.seal_id), std::string::npos) << v.message;
}

}  // namespace
}  // namespace tongban::certs
