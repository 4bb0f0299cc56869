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
#include "tongban/certs/certificate.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/identifiers.h"
#include "tongban/exchange/holder_token.h"
#include "tongban/verification/status_filter.h"

namespace tongban::exchange {
namespace {

using testenv::Client;
using testenv::ExchangeEnv;
using testenv::Reply;

constexpr const char* kLicence = "11100000MB0143028R001";  // 营业执照
constexpr const char* kIdCard = "11100000000013338W001";   // 居民身份证
constexpr const char* kMatter = "1133010000002001XU4000117";
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
    // Public security issues identity cards, with an ECDSA seal.
    ASSERT_TRUE(types.authorizeIssuer(kIdCard, testenv::kPublicSecurity));
    seal.owner_code = testenv::kPublicSecurity;
    seal.name = "公安局证照专用章";
    seal.algorithm = certs::SignatureAlgorithm::kEcdsaP256Sha256;
    auto id_seal = seals.create(seal);
    ASSERT_TRUE(id_seal) << id_seal.status().toString();
    id_seal_id_ = new std::string(id_seal->seal_id);
    police_ =
        new testenv::App(env_->makeApp(testenv::kPublicSecurity, "居民身份证签发系统", "provider"));
    issuer_ =
        new testenv::App(env_->makeApp(testenv::kMarketRegulation, "电子证照签发系统", "provider"));
    other_ = new testenv::App(env_->makeApp(testenv::kTaxBureau, "核验系统", "consumer"));
  }
  static void TearDownTestSuite() {
    delete issuer_;
    delete other_;
    delete police_;
    delete seal_id_;
    delete id_seal_id_;
    delete env_;
    delete idp_;
    testing::runCommand("rm -rf " + g_pki_dir);
  }

  // A business licence is unique per holder: tests that need a new one first cancel the
  // company's current licence (as its issuer, through the API).
  void cancelCurrentLicence() {
    for (const auto& row :
         env_->sql("SELECT certificate_id FROM certs.certificates WHERE holder_code = "
                   "'91350100M000100Y43' AND status IN ('valid', 'suspended')")) {
      Reply r = env_->client(*issuer_).call(
          "POST", std::string("/v1/certificates/") + row[0].c_str() + "/revoke",
          R"({"reason_code":"issued_in_error"})");
      EXPECT_EQ(r.status, 200) << r.body;
    }
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

  // An identity card of testenv::kPersonId (张秀英), issued by police_.
  std::string issueIdCard(const std::string& key) {
    auto r = env_->client(*police_).raw().call(
        "POST", "/v1/certificates",
        std::string(R"({"type_code":")") + kIdCard + R"(","seal_id":")" + *id_seal_id_ +
            R"(","holder":{"code":"11010519491231002X","name":"张秀英"},)"
            R"("surface":{"name":"张秀英","sex":"女","ethnicity":"汉","birth_date":"1949-12-31",)"
            R"("address":"北京市朝阳区建国路88号","citizen_id":"11010519491231002X",)"
            R"("issuing_authority":"北京市公安局朝阳分局"}})",
        "Idempotency-Key", key);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status / 100, 2) << r->body;
    rapidjson::Document d;
    d.Parse(r->body.c_str());
    return d.IsObject() && d.HasMember("certificate_id") ? d["certificate_id"].GetString() : "";
  }

  static std::string holderToken(const std::string& subject) {
    HolderClaims claims;
    claims.subject = subject;
    claims.expires_at = std::time(nullptr) + 600;
    return makeHolderToken(idp_->get(), claims).value();
  }

  static ExchangeEnv* env_;
  static testenv::App *issuer_, *other_, *police_;
  static std::string *seal_id_, *id_seal_id_;
  static certs::EvpPkeyPtr* idp_;
};

ExchangeEnv* CertsApiTest::env_ = nullptr;
testenv::App* CertsApiTest::issuer_ = nullptr;
testenv::App* CertsApiTest::other_ = nullptr;
testenv::App* CertsApiTest::police_ = nullptr;
std::string* CertsApiTest::seal_id_ = nullptr;
std::string* CertsApiTest::id_seal_id_ = nullptr;
certs::EvpPkeyPtr* CertsApiTest::idp_ = nullptr;

TEST_F(CertsApiTest, IssueIsIdempotentAndTheBundleVerifiesOffline) {
  cancelCurrentLicence();
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

  // The issuer reads its own certificate (anyone else needs a grant: see
  // ReadingACertificateNeedsAGrantAndShowsInTheHoldersAccessLog).
  Reply bundle = env_->client(*issuer_).call("GET", "/v1/certificates/" + id);
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
  cancelCurrentLicence();
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
  Reply history = issuer.call("GET", "/v1/certificates/" + id + "/history");
  ASSERT_EQ(history.status, 200);
  EXPECT_GE(history.json()["events"].Size(), 3u);
  Reply objection = other.call("POST", "/v1/certificates/" + id + "/objections",
                               "{\"reason\":\"住所与实际不符\"}");
  EXPECT_EQ(objection.status, 201) << objection.body;
  EXPECT_EQ(
      issuer.call("GET", "/v1/certificates/" + id + "/objections").json()["objections"].Size(), 1u);
  EXPECT_EQ(other.call("GET", "/v1/certificates/1.2.156.3005.2.bad").status, 400);
}

TEST_F(CertsApiTest, TransparencyLogIsPublicAndConsistent) {
  cancelCurrentLicence();
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
  cancelCurrentLicence();
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
  cancelCurrentLicence();
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

// Issue 7, hole 3: any signed application read whole certificates (an identity card: name,
// citizen id, address) with no grant, no purpose and no quota, and the holder never saw it.
TEST_F(CertsApiTest, ReadingACertificateNeedsAGrantAndShowsInTheHoldersAccessLog) {
  const std::string id = issueIdCard("idcard-read-1");
  ASSERT_FALSE(id.empty());
  const std::string resource = std::string("CERT-") + kIdCard;
  const std::string purpose = std::string("?matter_code=") + kMatter + "&case_id=TAX-2026-0042";
  Client reader = env_->client(*other_);

  // No grant: 403 problems, with or without a purpose, for every read of the certificate.
  for (const std::string& target : {"/v1/certificates/" + id, "/v1/certificates/" + id + purpose,
                                    "/v1/certificates/" + id + "/history" + purpose,
                                    "/v1/certificates/" + id + "/objections" + purpose}) {
    Reply r = reader.call("GET", target);
    EXPECT_EQ(r.status, 403) << target << " " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << target;
    EXPECT_EQ(r.body.find("11010519491231002X"), std::string::npos) << r.body;
  }
  // An unknown certificate of the same type is refused the same way (no existence oracle).
  const std::string unknown =
      certs::formatCertificateId(kIdCard, testenv::kPublicSecurity, "2026999999", 1);
  EXPECT_EQ(reader.call("GET", "/v1/certificates/" + unknown + purpose).status, 403);
  // The refusals are audited, against the type's resource.
  auto denied =
      env_->sql("SELECT count(*) FROM exchange.audit_log WHERE app_id = '" + other_->app_id +
                "' AND resource_code = '" + resource + "' AND result = 'denied'");
  EXPECT_GE(denied[0][0].as<int>(), 4);

  // The issuer reads its own certificate without a grant (a purpose it states must be valid).
  EXPECT_EQ(env_->client(*police_).call("GET", "/v1/certificates/" + id).status, 200);
  EXPECT_EQ(env_->client(*police_).call("GET", "/v1/certificates/" + id + purpose).status, 200);
  EXPECT_EQ(
      env_->client(*police_).call("GET", "/v1/certificates/" + id + "?matter_code=%00").status,
      400);

  // The type becomes a catalog resource: only its issuing (or defining) department offers it.
  const std::string draft =
      R"({"code":")" + resource + R"(","name":"居民身份证（电子证照）","provider_department":")" +
      testenv::kPublicSecurity + R"(","source":"certs:)" + kIdCard +
      R"(","key_fields":["certificate_id"],"sharing_type":"conditional","update_cycle":"realtime",)"
      R"("fields":[{"name":"certificate_id","type":"string"},{"name":"certificate","type":"string","sensitivity":"sensitive"}]})";
  std::string foreign = draft;
  foreign.replace(foreign.find(testenv::kPublicSecurity), 18, testenv::kTaxBureau);
  Reply not_theirs = reader.call("POST", "/v1/admin/catalog/resources", foreign);
  EXPECT_EQ(not_theirs.status / 100, 4) << not_theirs.body;
  Client police = env_->client(*police_);
  std::string miscoded = draft;
  miscoded.replace(miscoded.find(resource), resource.size(), "CERT-IDCARD");
  Reply bad_code = police.call("POST", "/v1/admin/catalog/resources", miscoded);
  EXPECT_EQ(bad_code.status, 400) << bad_code.body;
  EXPECT_EQ(bad_code.str("field"), "code");
  std::string masked = draft;
  masked.replace(masked.find(R"("sensitivity":"sensitive")"), 25, R"("masking":"full")");
  Reply bad_masking = police.call("POST", "/v1/admin/catalog/resources", masked);
  EXPECT_EQ(bad_masking.status, 400) << bad_masking.body;
  EXPECT_EQ(bad_masking.str("field"), "fields[1].masking") << bad_masking.body;
  Reply created = police.call("POST", "/v1/admin/catalog/resources", draft);
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_EQ(
      police.call("POST", "/v1/admin/catalog/resources/" + resource + "/versions/1/publish").status,
      200);
  // Published but not granted: still 403.
  EXPECT_EQ(reader.call("GET", "/v1/certificates/" + id + purpose).status, 403);

  env_->grant(*other_, resource, {"certificate_id", "certificate"}, {kMatter});
  // The grant is for reading certificates, not for a query over some table.
  Reply query = reader.call("POST", "/v1/query/" + resource,
                            R"({"keys":{"certificate_id":")" + id +
                                R"("},"fields":["certificate"],"purpose":{"matter_code":")" +
                                kMatter + R"(","case_id":"Q-1"}})");
  EXPECT_EQ(query.status, 400) << query.body;
  Reply no_purpose = reader.call("GET", "/v1/certificates/" + id);
  EXPECT_EQ(no_purpose.status, 400) << no_purpose.body;
  EXPECT_EQ(no_purpose.str("field"), "matter_code") << no_purpose.body;
  Reply other_matter = reader.call(
      "GET", "/v1/certificates/" + id + "?matter_code=11330100MB0000001X4000203&case_id=X-1");
  EXPECT_EQ(other_matter.status, 403) << other_matter.body;
  Reply read = reader.call("GET", "/v1/certificates/" + id + purpose);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.str("certificate_id"), id);
  EXPECT_EQ(reader.call("GET", "/v1/certificates/" + unknown + purpose).status, 404);

  // The holder sees who read the certificate, for which matter.
  const std::string token = holderToken(testenv::kPersonId);
  Client anyone(env_->port(), Credentials{});
  auto log = anyone.raw().call(
      "GET", std::string("/v1/holders/persons/") + testenv::kPersonId + "/access-log", "",
      "Authorization", "Bearer " + token);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->status, 200) << log->body;
  EXPECT_NE(log->body.find(resource), std::string::npos) << log->body;
  EXPECT_NE(log->body.find("杭州市税务局"), std::string::npos) << log->body;
  EXPECT_NE(log->body.find(kMatter), std::string::npos) << log->body;

  // The holder reads its own certificate with its token; nobody else's.
  auto own = anyone.raw().call(
      "GET", std::string("/v1/holders/persons/") + testenv::kPersonId + "/certificates/" + id, "",
      "Authorization", "Bearer " + token);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  const std::string stranger = holderToken("110101199003070011");
  auto theirs =
      anyone.raw().call("GET", "/v1/holders/persons/110101199003070011/certificates/" + id, "",
                        "Authorization", "Bearer " + stranger);
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->status, 403) << theirs->body;
}

// Issue 7, hole 10: the same business licence could be issued twice to one company.
TEST_F(CertsApiTest, ASecondBusinessLicenceForACompanyIs409NamingTheCurrentOne) {
  cancelCurrentLicence();
  Reply first = issue("licence-unique-1", licenceBody(*seal_id_));
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string id = first.str("certificate_id");
  Reply second = issue("licence-unique-2", licenceBody(*seal_id_, "福建省福州市台江区"));
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.content_type, "application/problem+json");
  EXPECT_NE(second.body.find(id), std::string::npos) << second.body;
  // A retry of the first is still its replay; a change goes through correction.
  EXPECT_EQ(issue("licence-unique-1", licenceBody(*seal_id_)).status, 200);
  Client issuer = env_->client(*issuer_);
  std::string corrected_surface = licenceBody(*seal_id_, "福建省福州市台江区");
  corrected_surface = corrected_surface.substr(corrected_surface.find("\"surface\":") + 10);
  corrected_surface.pop_back();  // the closing brace of the request
  Reply corrected = issuer.call("POST", "/v1/certificates/" + id + "/correct",
                                R"({"reason":"住所变更","surface":)" + corrected_surface + "}");
  EXPECT_EQ(corrected.status, 201) << corrected.body;
  // Suspended still counts as current; cancelled does not.
  const std::string current = corrected.str("certificate_id");
  ASSERT_EQ(issuer.call("POST", "/v1/certificates/" + current + "/suspend", "{}").status, 200);
  EXPECT_EQ(issue("licence-unique-3", licenceBody(*seal_id_)).status, 409);
  cancelCurrentLicence();
  EXPECT_EQ(issue("licence-unique-4", licenceBody(*seal_id_)).status, 201);
}

// GET /v1/status/filter (issue 9, part 6): public, signed by the status key, exact for every
// certificate of the hub at its tree size; ?since=N is the signed delta; bad input is a 400
// naming the parameter.
TEST_F(CertsApiTest, StatusFilterIsPublicSignedAndExact) {
  cancelCurrentLicence();
  ASSERT_EQ(issue("licence-filter", licenceBody(*seal_id_)).status, 201);
  Client anyone(env_->port(), Credentials{});
  Reply full = anyone.call("GET", "/v1/status/filter");
  ASSERT_EQ(full.status, 200) << full.body;
  EXPECT_EQ(full.content_type, "application/octet-stream");
  auto file = verification::parseStatusFilter(full.body);
  ASSERT_TRUE(file) << file.status().toString();
  std::ifstream root_in(g_pki_dir + "/root.pem");
  std::string root_pem((std::istreambuf_iterator<char>(root_in)), std::istreambuf_iterator<char>());
  auto roots = certs::parseCertificateChainPem(root_pem);
  ASSERT_TRUE(roots);
  Status signed_ok = verification::verifyStatusFilterSignature(*file, *roots);
  EXPECT_TRUE(signed_ok) << signed_ok.toString();
  const uint64_t size = file->tree_size;
  verification::OfflineStatusFilter offline;
  ASSERT_TRUE(offline.apply(std::move(*file)));
  size_t checked = 0;
  for (const auto& row :
       env_->sql("SELECT c.certificate_id, c.status = 'valid' AND s.status = 'active' FROM "
                 "certs.certificates c JOIN certs.seals s USING (seal_id) WHERE c.log_index < " +
                 std::to_string(size))) {
    EXPECT_EQ(*offline.isValid(row[0].c_str()), row[1].as<bool>()) << row[0].c_str();
    ++checked;
  }
  EXPECT_GE(checked, 2u);

  // A revocation after the filter: the delta since its size says so, signed.
  cancelCurrentLicence();
  Reply delta = anyone.call("GET", "/v1/status/filter?since=" + std::to_string(size));
  ASSERT_EQ(delta.status, 200) << delta.body;
  auto delta_file = verification::parseStatusFilter(delta.body);
  ASSERT_TRUE(delta_file) << delta_file.status().toString();
  EXPECT_TRUE(verification::verifyStatusFilterSignature(*delta_file, *roots));
  ASSERT_TRUE(offline.apply(std::move(*delta_file)));
  for (const auto& row :
       env_->sql("SELECT c.certificate_id, c.status = 'valid' AND s.status = 'active' FROM "
                 "certs.certificates c JOIN certs.seals s USING (seal_id)")) {
    EXPECT_EQ(*offline.isValid(row[0].c_str()), row[1].as<bool>()) << row[0].c_str();
  }

  // Bad input: a 400 problem naming the parameter, never a 5xx.
  for (const char* target : {"/v1/status/filter?since=abc", "/v1/status/filter?since=-1",
                             "/v1/status/filter?since=99999999999999", "/v1/status/filter?since=",
                             "/v1/status/filter?since=1234567890123456789012"}) {
    Reply bad = anyone.call("GET", target);
    EXPECT_EQ(bad.status, 400) << target << ": " << bad.body;
    EXPECT_EQ(bad.str("field"), "since") << target << ": " << bad.body;
  }
  Reply unknown = anyone.call("GET", "/v1/status/filter?sinse=1");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.str("field"), "sinse") << unknown.body;
  EXPECT_EQ(anyone.call("POST", "/v1/status/filter").status, 405);
}

}  // namespace
}  // namespace tongban::exchange
