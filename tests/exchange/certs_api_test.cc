// The certificate hub over HTTP: issue with an Idempotency-Key, fetch the bundle and verify it
// offline, lifecycle by the issuer only, objections, the public transparency log, and holders'
// own lists — on a real PKI made by initHubPki and a real seal.
#include <unistd.h>
#include <chrono>
#include <ctime>
#include <fstream>

#include <gtest/gtest.h>

#include "certs/hub_fixture.h"
#include "exchange/exchange_env.h"
#include "support/test_env.h"
#include "tongban/certs/bundle.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/identifiers.h"
#include "tongban/exchange/holder_token.h"

namespace tongban::exchange {
namespace {

using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;

constexpr const char* kLicence = "11100000MB0143028R001";  // 营业执照
constexpr const char* kPassphrase = "test-pki-passphrase";

std::string g_pki_dir;

std::string licenceBody(const std::string& seal_id,
                        const std::string& address = "福建省福州市鼓楼区五四路100号") {
  return std::string(R"({"type_code":")") + kLicence + R"(","seal_id":")" + seal_id +
         R"(","holder":{"code":"91350100M000100Y43","name":"福州闽江软件有限公司"},)"
         R"("surface":{"name":"福州闽江软件有限公司","credit_code":"91350100M000100Y43",)"
         R"("entity_type":"有限责任公司","legal_representative":"张秀英","registered_capital":"500万元",)"
         R"("established_on":"2008-06-18","business_term_from":"2008-06-18","address":")" +
         address +
         R"(","business_scope":"软件开发；信息技术咨询服务","registration_authority":"福州市鼓楼区市场监督管理局"}})";
}

class CertsApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_pki_dir = testing::binaryDir() + "/certs-api-pki-" + std::to_string(::getpid());
    testing::runCommand("rm -rf " + g_pki_dir);
    ASSERT_TRUE(certs::initHubPki(g_pki_dir, kPassphrase, {}));
    idp_ = new certs::EvpPkeyPtr(
        std::move(*certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256)));
    static std::string idp_file = g_pki_dir + "/idp.pub.pem";
    std::ofstream(idp_file) << *certs::publicKeyPem(idp_->get());
    env_ = new ExchangeEnv("certs_api", [](ExchangeConfig& c) {
      c.pki_dir = g_pki_dir;
      c.pki_passphrase = kPassphrase;
      c.holder_idp_public_key_file = idp_file;
    });
    // The market regulator may issue business licences, with an SM2 seal.
    db::ConnectionPool pool({env_->conninfo(), 2, std::chrono::milliseconds(5000), nullptr});
    certs::CertificateTypeRegistry types(pool);
    ASSERT_TRUE(types.authorizeIssuer(kLicence, testenv::kMarketRegulation));
    auto identity = certs::loadHubIdentity(g_pki_dir, kPassphrase);
    ASSERT_TRUE(identity) << identity.status().toString();
    auto keys = certs::openHubKeyStore(g_pki_dir, kPassphrase);
    ASSERT_TRUE(keys);
    certs::SealRegistry seals(pool, **keys, *identity);
    certs::SealRequest seal;
    seal.owner_code = testenv::kMarketRegulation;
    seal.name = "市场监督管理局证照专用章";
    seal.algorithm = certs::SignatureAlgorithm::kSm2Sm3;
    seal.picture_png = certs::testing::pngPicture();
    seal.actor = "test";
    auto made = seals.create(seal);
    ASSERT_TRUE(made) << made.status().toString();
    seal_id_ = new std::string(made->seal_id);
    issuer_ =
        new testenv::App(env_->makeApp(testenv::kMarketRegulation, "电子证照签发系统", "provider"));
    other_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "核验系统", "consumer"));
  }
  static void TearDownTestSuite() {
    delete issuer_;
    delete other_;
    delete seal_id_;
    delete env_;
    delete idp_;
    testing::runCommand("rm -rf " + g_pki_dir);
  }

  Reply issue(const std::string& key, const std::string& body) {
    auto r = env_->client(*issuer_).raw().call("POST", "/v1/certificates", body,
                                               key.empty() ? "" : "Idempotency-Key", key);
    EXPECT_TRUE(r);
    Reply out;
    out.status = r->status;
    out.body = r->body;
    out.content_type = r->content_type;
    return out;
  }

  static ExchangeEnv* env_;
  static testenv::App *issuer_, *other_;
  static std::string* seal_id_;
  static certs::EvpPkeyPtr* idp_;
};

ExchangeEnv* CertsApiTest::env_ = nullptr;
testenv::App* CertsApiTest::issuer_ = nullptr;
testenv::App* CertsApiTest::other_ = nullptr;
std::string* CertsApiTest::seal_id_ = nullptr;
certs::EvpPkeyPtr* CertsApiTest::idp_ = nullptr;

TEST_F(CertsApiTest, IssueIsIdempotentAndTheBundleVerifiesOffline) {
  Reply first = issue("licence-001", licenceBody(*seal_id_));
  ASSERT_EQ(first.status, 201) << first.body;
  std::string id = first.str("certificate_id");
  ASSERT_FALSE(id.empty()) << first.body;
  EXPECT_TRUE(ids::normalizeCertificateId(id)) << id;
  Reply retry = issue("licence-001", licenceBody(*seal_id_));
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.str("certificate_id"), id);
  Reply clash = issue("licence-001", licenceBody(*seal_id_, "福建省福州市台江区"));
  EXPECT_EQ(clash.status, 409) << clash.body;

  Client verifier = env_->client(*other_);
  Reply bundle = verifier.call("GET", "/v1/certificates/" + id);
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  auto root =
      certs::parseCertificatePem(testing::runCommand("cat " + g_pki_dir + "/root.pem").output);
  ASSERT_TRUE(root);
  std::vector<certs::X509Ptr> roots;
  roots.push_back(std::move(*root));
  auto v = certs::verifyBundle(bundle.body, roots, std::time(nullptr));
  EXPECT_EQ(v.reason, "ok") << v.message;
  EXPECT_EQ(v.certificate_status, "valid");
}

TEST_F(CertsApiTest, BadIssuanceRequestsAre4xx) {
  EXPECT_EQ(issue("", licenceBody(*seal_id_)).status, 400);  // no Idempotency-Key
  Reply bad_json = issue("k-bad-1", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  Reply unknown_type = issue(
      "k-bad-2", std::string(licenceBody(*seal_id_)).replace(14, 21, "11100000MB0143028R999"));
  EXPECT_GE(unknown_type.status, 400);
  EXPECT_LT(unknown_type.status, 500) << unknown_type.body;
  std::string broken = licenceBody(*seal_id_);
  broken.replace(broken.find("\"entity_type\":\"有限责任公司\""), 34,
                 "\"entity_type\":\"皮包公司\"");
  Reply rule = issue("k-bad-3", broken);
  EXPECT_EQ(rule.status, 400) << rule.body;
  EXPECT_NE(rule.str("field").find("entity_type"), std::string::npos) << rule.body;
  // Another department may not issue this type.
  auto r = env_->client(*other_).raw().call("POST", "/v1/certificates", licenceBody(*seal_id_),
                                            "Idempotency-Key", "k-bad-4");
  EXPECT_GE(r->status, 400);
  EXPECT_LT(r->status, 500) << r->body;
}

TEST_F(CertsApiTest, LifecycleIsTheIssuers) {
  Reply made = issue("licence-life", licenceBody(*seal_id_));
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id = made.str("certificate_id");
  Client issuer = env_->client(*issuer_);
  Client other = env_->client(*other_);
  Reply foreign = other.call("POST", "/v1/certificates/" + id + "/suspend", "{\"note\":\"x\"}");
  EXPECT_GE(foreign.status, 403) << foreign.body;
  EXPECT_LT(foreign.status, 500);
  Reply suspended =
      issuer.call("POST", "/v1/certificates/" + id + "/suspend", "{\"note\":\"核查\"}");
  ASSERT_EQ(suspended.status, 200) << suspended.body;
  EXPECT_EQ(suspended.str("status"), "suspended");
  EXPECT_EQ(issuer.call("POST", "/v1/certificates/" + id + "/resume").status, 200);
  Reply revoked =
      issuer.call("POST", "/v1/certificates/" + id + "/revoke", "{\"note\":\"注销登记\"}");
  EXPECT_EQ(revoked.status, 400) << revoked.body;  // reason_code required
  Reply history = other.call("GET", "/v1/certificates/" + id + "/history");
  ASSERT_EQ(history.status, 200);
  EXPECT_GE(history.json()["events"].Size(), 3u);
  Reply objection = other.call("POST", "/v1/certificates/" + id + "/objections",
                               "{\"reason\":\"住所与实际不符\"}");
  EXPECT_EQ(objection.status, 201) << objection.body;
  EXPECT_EQ(other.call("GET", "/v1/certificates/" + id + "/objections").json()["objections"].Size(),
            1u);
  EXPECT_EQ(other.call("GET", "/v1/certificates/1.2.156.3005.2.bad").status, 400);
}

TEST_F(CertsApiTest, TransparencyLogIsPublicAndConsistent) {
  ASSERT_EQ(issue("licence-log", licenceBody(*seal_id_)).status, 201);
  Reply sth = testenv::Client(env_->port(), Credentials{}).call("GET", "/v1/transparency/sth");
  ASSERT_EQ(sth.status, 200) << sth.body;
  auto head = sth.json();
  uint64_t size = head["tree_size"].GetUint64();
  ASSERT_GE(size, 2u);
  Client anyone(env_->port(), Credentials{});
  Reply inclusion =
      anyone.call("GET", "/v1/transparency/proof/inclusion?index=0&size=" + std::to_string(size));
  EXPECT_EQ(inclusion.status, 200) << inclusion.body;
  Reply consistency = anyone.call(
      "GET", "/v1/transparency/proof/consistency?first=1&second=" + std::to_string(size));
  EXPECT_EQ(consistency.status, 200) << consistency.body;
  EXPECT_EQ(anyone.call("GET", "/v1/transparency/proof/inclusion?index=0").status, 400);
  EXPECT_EQ(anyone.call("GET", "/v1/transparency/proof/inclusion?index=99999&size=1").status / 100,
            4);
  EXPECT_EQ(anyone.call("GET", "/v1/transparency/entries/0").status, 200);
}

// Issue 7, hole 3 (public log): every entry of the public log, walked from 0 to the tree size,
// gives no certificate id, holder name or code, and no surface; a certificate event's full leaf
// goes only to its issuer.
TEST_F(CertsApiTest, PublicLogExposesNoPersonalDataNorCertificateIds) {
  Reply issued = issue("licence-public-log", licenceBody(*seal_id_));
  ASSERT_EQ(issued.status, 201) << issued.body;
  const std::string id = issued.str("certificate_id");
  ASSERT_EQ(env_->client(*issuer_)
                .call("POST", "/v1/certificates/" + id + "/suspend", R"({"note":"核查"})")
                .status,
            200);
  Client anyone(env_->port(), Credentials{});
  auto head = anyone.call("GET", "/v1/transparency/sth").json();
  const uint64_t size = head["tree_size"].GetUint64();
  ASSERT_GE(size, 3u);
  int certificate_events = 0, seal_events = 0;
  for (uint64_t i = 0; i < size; ++i) {
    Reply entry = anyone.call("GET", "/v1/transparency/entries/" + std::to_string(i));
    ASSERT_EQ(entry.status, 200) << entry.body;
    EXPECT_EQ(entry.body.find("1.2.156.3005"), std::string::npos) << i << ": " << entry.body;
    EXPECT_EQ(entry.body.find("91350100M000100Y43"), std::string::npos) << entry.body;
    EXPECT_EQ(entry.body.find("福州闽江软件有限公司"), std::string::npos) << entry.body;
    EXPECT_EQ(entry.body.find("张秀英"), std::string::npos) << entry.body;
    EXPECT_EQ(entry.body.find("certificate_event"), std::string::npos) << entry.body;
    auto doc = entry.json();
    EXPECT_EQ(std::string(doc["leaf_hash"].GetString()).size(), 64u);
    if (doc.HasMember("leaf")) {
      EXPECT_EQ(std::string(doc["leaf"]["type"].GetString()), "seal_event");
      ++seal_events;
    } else {
      ++certificate_events;
      // The issuer reads its own certificate events in full; another department may not.
      Reply own = env_->client(*issuer_).call(
          "GET", "/v1/transparency/entries/" + std::to_string(i) + "/leaf");
      EXPECT_EQ(own.status, 200) << own.body;
      EXPECT_NE(own.body.find("certificate_event"), std::string::npos) << own.body;
      EXPECT_NE(own.body.find("\"nonce\""), std::string::npos) << own.body;
      Reply stranger = env_->client(*other_).call(
          "GET", "/v1/transparency/entries/" + std::to_string(i) + "/leaf");
      EXPECT_EQ(stranger.status, 403) << stranger.body;
      EXPECT_EQ(stranger.body.find("1.2.156.3005"), std::string::npos) << stranger.body;
    }
  }
  EXPECT_GE(certificate_events, 2);
  EXPECT_GE(seal_events, 1);
  EXPECT_EQ(anyone.call("GET", "/v1/transparency/entries/0/leaf").status, 401);
}

TEST_F(CertsApiTest, HoldersListTheirOwnCertificates) {
  ASSERT_EQ(issue("licence-holder", licenceBody(*seal_id_)).status, 201);
  HolderClaims claims;
  claims.subject = "91350100M000100Y43";
  claims.expires_at = std::time(nullptr) + 600;
  auto token = makeHolderToken(idp_->get(), claims);
  ASSERT_TRUE(token);
  Client anyone(env_->port(), Credentials{});
  auto r = anyone.raw().call("GET", "/v1/holders/entities/91350100M000100Y43/certificates", "",
                             "Authorization", "Bearer " + *token);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find(kLicence), std::string::npos);
  auto other = anyone.raw().call("GET", "/v1/holders/persons/11010519491231002X/certificates", "",
                                 "Authorization", "Bearer " + *token);
  EXPECT_EQ(other->status, 403);
}

}  // namespace
}  // namespace tongban::exchange
