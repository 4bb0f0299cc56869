// Issuance, lifecycle, bundles and the PostgreSQL transparency log, on a real database.
#include "tongban/certs/certificate_registry.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "hub_fixture.h"
#include "tongban/certs/bundle.h"
#include "tongban/certs/jcs.h"
#include "tongban/common/encoding.h"

namespace tongban::certs {
namespace {

using namespace tongban::certs::testing;

std::vector<X509Ptr> roots(const Hub& hub) {
  return std::move(*parseCertificateChainPem(hub.root_pem));
}

BundleVerification verify(const Hub& hub, const std::string& bundle, int64_t days_later = 0) {
  return verifyBundle(bundle, roots(hub), std::time(nullptr) + days_later * 86400);
}

// Replaces the string member `path` ("a.b") of a bundle.
std::string withMember(const std::string& bundle, const std::string& object, const char* name,
                       const std::string& value) {
  rapidjson::Document doc;
  doc.Parse(bundle.c_str());
  rapidjson::Value* target = &doc;
  if (!object.empty()) target = &doc[object.c_str()];
  (*target)[name].SetString(value.c_str(), doc.GetAllocator());
  return *canonicalJson(doc);
}

std::string flipByte(const std::string& base64, size_t at) {
  std::string bytes = *base64Decode(base64);
  bytes[at % bytes.size()] ^= 0x01;
  return base64Encode(bytes);
}

std::string member(const std::string& json, const char* name) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return doc[name].GetString();
}

std::string chinaToday(const Hub& hub) {
  const std::time_t t = std::chrono::system_clock::to_time_t(hub.now()) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
  return buffer;
}

TEST(CertsIssue, IssuesUnderEachAlgorithmAndTheBundleVerifies) {
  Hub hub("certs_issue");
  for (SignatureAlgorithm algorithm :
       {SignatureAlgorithm::kSm2Sm3, SignatureAlgorithm::kEcdsaP256Sha256}) {
    SCOPED_TRACE(algorithmName(algorithm));
    Seal seal = hub.makeSeal(kSamr, algorithm);
    EXPECT_EQ(seal.status, SealStatus::kActive);
    EXPECT_TRUE(verifySignature(hub.hub.hub_signer->certificatePem(),
                                hub.hub.hub_signer->algorithm(), seal.record, seal.hub_signature));
    auto issued = hub.certs->issue(
        hub.businessLicence(seal.seal_id, std::string("k-") + algorithmName(algorithm)));
    ASSERT_TRUE(issued) << issued.status().toString();
    const Certificate& c = issued->certificate;
    EXPECT_FALSE(issued->replayed);
    EXPECT_EQ(c.algorithm, algorithm);
    EXPECT_EQ(c.status, CertificateStatus::kValid);
    EXPECT_EQ(c.number, kRestaurant);  // the type's number field
    EXPECT_TRUE(c.valid_to.empty());   // business licences are long-term
    auto parts = parseCertificateId(c.certificate_id);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->type_code, kBusinessLicence);
    EXPECT_EQ(parts->issuer_code, kSamr);
    EXPECT_EQ(parts->serial.substr(0, 4), c.issue_date.substr(0, 4));
    EXPECT_EQ(parts->serial.size(), 10u);
    // The payload is canonical JSON, and the seal's signature is over exactly it.
    EXPECT_EQ(*canonicalizeJson(c.payload), c.payload);
    EXPECT_TRUE(verifySignature(seal.certificate_pem, algorithm, c.payload, c.signature));

    auto bundle = hub.certs->bundle(c.certificate_id);
    ASSERT_TRUE(bundle) << bundle.status().toString();
    BundleVerification v = verify(hub, *bundle);
    EXPECT_TRUE(v.ok()) << v.reason << ": " << v.message;
    EXPECT_EQ(v.certificate_status, "valid");
    EXPECT_EQ(v.seal_status, "active");
  }
  // Serials count per issuer and year.
  auto list = hub.certs->listForHolder("001", kRestaurant);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  std::set<std::string> serials = {(*list)[0].serial, (*list)[1].serial};
  EXPECT_EQ(serials.size(), 2u);
}

TEST(CertsIssue, EveryShippedTypeIssues) {
  Hub hub("certs_types");
  struct Case {
    const char* issuer;
    const char* type;
    const char* holder;
    const char* name;
    std::string surface;
  };
  const std::string id = kZhangWei;
  const Case cases[] = {
      {kSamr, kFoodLicence, kRestaurant, "北京智慧餐饮管理有限公司",
       std::string(R"({"operator_name":"北京智慧餐饮管理有限公司","credit_code":")") + kRestaurant +
           R"(","licence_number":"JY21101080012345","legal_representative":"张伟",)"
           R"("residence":"北京市海淀区知春路8号","business_premises":"北京市海淀区知春路8号一层",)"
           R"("main_business_format":"餐饮服务经营者","business_items":["热食类食品制售","冷食类食品制售"],)"
           R"("complaint_hotline":"12315"})"},
      {kPolice, kIdCard, kZhangWei, "张伟",
       R"({"name":"张伟","sex":"男","ethnicity":"汉","birth_date":"1990-03-07",)"
       R"("address":"北京市海淀区中关村大街1号","citizen_id":")" +
           id + R"(","issuing_authority":"北京市公安局海淀分局"})"},
      {kCivil, kMarriage, kLiNa, "李娜",
       std::string(
           R"({"certificate_number":"J110108-2026-000123","holder_name":"李娜",)"
           R"("registration_date":"2026-01-18","husband_name":"张伟","husband_citizen_id":")") +
           kZhangWei + R"(","wife_name":"李娜","wife_citizen_id":")" + kLiNa +
           R"(","registration_authority":"北京市海淀区民政局"})"},
      {kLand, kRealEstate, kWangFang, "王芳",
       std::string(R"({"certificate_number":"京(2026)海淀区不动产权第0012345号","obligee":"王芳",)"
                   R"("obligee_id":")") +
           kWangFang +
           R"(","co_ownership":"单独所有","region_code":"110108","location":"海淀区知春路8号院3号楼2单元501",)"
           R"("unit_number":"110108003005GB00012F00030005","right_type":"国有建设用地使用权/房屋所有权",)"
           R"("right_nature":"出让/市场化商品房","usage":"城镇住宅用地/住宅","area_m2":89.57})"},
      {kTsinghua, kDegree, kLiNa, "李娜",
       std::string(R"({"name":"李娜","sex":"女","birth_date":"1992-08-15","citizen_id":")") +
           kLiNa +
           R"(","degree_level":"硕士","discipline":"工学","major":"计算机科学与技术",)"
           R"("awarding_institution":"清华大学","certificate_number":"1000342018000123",)"
           R"("conferred_on":"2018-07-01"})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    Seal seal = hub.makeSeal(c.issuer, SignatureAlgorithm::kSm2Sm3);
    IssueRequest r;
    r.issuer_code = c.issuer;
    r.idempotency_key = std::string("k-") + c.type;
    r.type_code = c.type;
    r.seal_id = seal.seal_id;
    r.holder_code = c.holder;
    r.holder_name = c.name;
    r.surface_json = c.surface;
    r.actor = "test";
    auto issued = hub.certs->issue(r);
    ASSERT_TRUE(issued) << issued.status().toString();
    auto bundle = hub.certs->bundle(issued->certificate.certificate_id);
    ASSERT_TRUE(bundle);
    EXPECT_TRUE(verify(hub, *bundle).ok());
  }
  // The identity card gets the type's default validity (120 months).
  auto cards = hub.certs->listForHolder("111", kZhangWei);
  ASSERT_TRUE(cards);
  ASSERT_EQ(cards->size(), 1u);
  EXPECT_EQ((*cards)[0].valid_to.substr(0, 4),
            std::to_string(std::stoi((*cards)[0].valid_from.substr(0, 4)) + 10));
}

TEST(CertsIssue, ConcurrentRetriesMakeExactlyOneCertificate) {
  Hub hub("certs_idem", 8);
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  const IssueRequest request = hub.businessLicence(seal.seal_id, "retry-42");
  std::vector<std::string> ids(8);
  std::vector<bool> replayed(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = hub.certs->issue(request);
      ASSERT_TRUE(r) << r.status().toString();
      ids[i] = r->certificate.certificate_id;
      replayed[i] = r->replayed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(std::count(replayed.begin(), replayed.end(), false), 1);
  pqxx::connection conn(hub.db.conninfo());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.certificates")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.status_events")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.changes")[0].as<int>(), 1);
  // Seal creation + one issuance.
  EXPECT_EQ(tx.exec1("SELECT size FROM certs.log_state")[0].as<int>(), 2);

  // Same key, different body: Conflict, and nothing stored.
  IssueRequest other = request;
  other.surface_json.replace(other.surface_json.find("100万元"), 9, "200万元");
  auto conflict = hub.certs->issue(other);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(conflict.status().field(), "idempotency_key");
  // The same key at another issuer is another request.
  Seal fuzhou = hub.makeSeal(kFuzhou, SignatureAlgorithm::kEcdsaP256Sha256);
  IssueRequest elsewhere = request;
  elsewhere.issuer_code = kFuzhou;
  elsewhere.seal_id = fuzhou.seal_id;
  auto second = hub.certs->issue(elsewhere);
  ASSERT_TRUE(second) << second.status().toString();
  EXPECT_NE(second->certificate.certificate_id, ids[0]);
}

TEST(CertsLifecycle, SuspendResumeObjectCorrectRevokeExpire) {
  Hub hub("certs_life");
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kSm2Sm3);
  auto issued = hub.certs->issue(hub.businessLicence(seal.seal_id, "life-1"));
  ASSERT_TRUE(issued) << issued.status().toString();
  const std::string id = issued->certificate.certificate_id;

  // Only the issuer changes it.
  auto foreign = hub.certs->suspend(id, kFuzhou, "", "x");
  EXPECT_EQ(foreign.status().code(), ErrorCode::kPermissionDenied);

  auto suspended = hub.certs->suspend(id, kSamr, "inspection", "officer-1");
  ASSERT_TRUE(suspended) << suspended.status().toString();
  EXPECT_EQ(suspended->status, CertificateStatus::kSuspended);
  EXPECT_EQ(verify(hub, *hub.certs->bundle(id)).reason, "certificate_suspended");
  EXPECT_EQ(hub.certs->suspend(id, kSamr, "", "x").status().code(), ErrorCode::kConflict);

  auto resumed = hub.certs->resume(id, kSamr, "officer-1");
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, CertificateStatus::kValid);
  EXPECT_TRUE(verify(hub, *hub.certs->bundle(id)).ok());

  // Objection: filed by the holder, flagged, resolved by the issuer.
  auto objection = hub.certs->fileObjection(id, "holder", kRestaurant, "注册资本有误");
  ASSERT_TRUE(objection) << objection.status().toString();
  EXPECT_EQ(objection->status, "open");
  EXPECT_EQ(hub.certs->get(id)->open_objections, 1);
  EXPECT_EQ(
      hub.certs->resolveObjection(objection->objection_id, kFuzhou, true, "x", "y").status().code(),
      ErrorCode::kPermissionDenied);
  auto resolved =
      hub.certs->resolveObjection(objection->objection_id, kSamr, true, "予以更正", "officer-2");
  ASSERT_TRUE(resolved) << resolved.status().toString();
  EXPECT_EQ(resolved->status, "upheld");
  EXPECT_EQ(hub.certs->get(id)->open_objections, 0);
  EXPECT_EQ(hub.certs->resolveObjection(objection->objection_id, kSamr, true, "again", "y")
                .status()
                .code(),
            ErrorCode::kConflict);
  EXPECT_EQ(hub.certs->objections(id)->size(), 1u);

  // Correction: version 2 supersedes version 1; same serial; the chain is visible.
  CorrectionRequest correction;
  correction.certificate_id = id;
  correction.issuer_code = kSamr;
  correction.surface_json = hub.businessLicence(seal.seal_id, "").surface_json;
  correction.surface_json.replace(correction.surface_json.find("100万元"), 9, "200万元");
  correction.reason = "objection upheld";
  correction.actor = "officer-2";
  auto corrected = hub.certs->correct(correction);
  ASSERT_TRUE(corrected) << corrected.status().toString();
  EXPECT_EQ(corrected->version, 2);
  EXPECT_EQ(corrected->supersedes, id);
  EXPECT_EQ(corrected->serial, issued->certificate.serial);
  auto old = hub.certs->get(id);
  EXPECT_EQ(old->status, CertificateStatus::kSuperseded);
  EXPECT_EQ(old->superseded_by, corrected->certificate_id);
  EXPECT_EQ(verify(hub, *hub.certs->bundle(id)).reason, "certificate_superseded");
  EXPECT_TRUE(verify(hub, *hub.certs->bundle(corrected->certificate_id)).ok());
  EXPECT_EQ(hub.certs->correct(correction).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(hub.certs->listForHolder("001", kRestaurant)->size(), 1u);
  EXPECT_EQ(hub.certs->listForHolder("001", kRestaurant, true)->size(), 2u);

  // Revocation as a penalty; final.
  auto revoked =
      hub.certs->revoke(corrected->certificate_id, kSamr, "penalty", "违法经营", "officer-3");
  ASSERT_TRUE(revoked) << revoked.status().toString();
  EXPECT_EQ(revoked->status, CertificateStatus::kRevoked);
  EXPECT_EQ(verify(hub, *hub.certs->bundle(corrected->certificate_id)).reason,
            "certificate_revoked");
  EXPECT_EQ(hub.certs->resume(corrected->certificate_id, kSamr, "x").status().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(hub.certs->revoke(corrected->certificate_id, kSamr, "whim", "", "x").status().field(),
            "reason_code");

  // Expiry by date: a food licence (5 years) expires when the clock passes its end.
  IssueRequest food;
  food.issuer_code = kSamr;
  food.idempotency_key = "food-1";
  food.type_code = kFoodLicence;
  food.seal_id = seal.seal_id;
  food.holder_code = kRestaurant;
  food.holder_name = "北京智慧餐饮管理有限公司";
  food.surface_json =
      std::string(R"({"operator_name":"北京智慧餐饮管理有限公司","credit_code":")") + kRestaurant +
      R"(","licence_number":"JY21101080012345","legal_representative":"张伟",)"
      R"("residence":"北京","business_premises":"北京","main_business_format":"单位食堂",)"
      R"("business_items":["热食类食品制售"]})";
  food.valid_to = chinaToday(hub);
  food.actor = "t";
  auto licence = hub.certs->issue(food);
  ASSERT_TRUE(licence) << licence.status().toString();
  EXPECT_EQ(*hub.certs->expireDue(), 0u);
  hub.advance(std::chrono::hours(48));
  EXPECT_EQ(*hub.certs->expireDue(), 1u);
  EXPECT_EQ(hub.certs->get(licence->certificate.certificate_id)->status,
            CertificateStatus::kExpired);
  EXPECT_EQ(verify(hub, *hub.certs->bundle(licence->certificate.certificate_id)).reason,
            "certificate_expired");

  // Every transition is an event with its own log leaf.
  auto history = hub.certs->history(id);
  ASSERT_TRUE(history);
  std::vector<std::string> actions;
  for (const auto& e : *history) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"issue", "suspend", "resume", "objection_filed",
                                               "objection_resolved", "supersede"}));
  pqxx::connection conn(hub.db.conninfo());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.status_events")[0].as<int>() +
                tx.exec1("SELECT count(*) FROM certs.seal_events")[0].as<int>(),
            tx.exec1("SELECT size FROM certs.log_state")[0].as<int>());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.changes")[0].as<int>(),
            tx.exec1("SELECT count(*) FROM certs.status_events")[0].as<int>());
}

TEST(CertsBundle, EachTamperingFailsWithItsOwnReason) {
  Hub hub("certs_tamper");
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kSm2Sm3);
  auto issued = hub.certs->issue(hub.businessLicence(seal.seal_id, "t-1"));
  ASSERT_TRUE(issued);
  const std::string bundle = *hub.certs->bundle(issued->certificate.certificate_id);
  ASSERT_TRUE(verify(hub, bundle).ok());

  EXPECT_EQ(verify(hub, withMember(bundle, "", "payload", flipByte(member(bundle, "payload"), 40)))
                .reason,
            "payload_altered");
  EXPECT_EQ(
      verify(hub, withMember(bundle, "", "signature", flipByte(member(bundle, "signature"), 20)))
          .reason,
      "signature_altered");
  // A tampered certificate in the chain: flip a byte inside the issuing CA's signature.
  {
    rapidjson::Document doc;
    doc.Parse(bundle.c_str());
    std::string pem = doc["chain"][0].GetString();
    const size_t end = pem.find("-----END");
    pem[end - 10] = pem[end - 10] == 'A' ? 'B' : 'A';
    doc["chain"][0].SetString(pem.c_str(), doc.GetAllocator());
    BundleVerification v = verify(hub, *canonicalJson(doc));
    EXPECT_EQ(v.reason, "bad_certificate_signature") << v.message;
  }
  // Another root.
  {
    const std::time_t t = std::time(nullptr);
    auto key = generateKey(SignatureAlgorithm::kEcdsaP256Sha256);
    auto other =
        createRootCertificate(key->get(), {"Other Root", "", "", "CN", ""}, {t - 10, t + 86400});
    std::vector<X509Ptr> other_roots;
    other_roots.push_back(std::move(*other));
    EXPECT_EQ(verifyBundle(bundle, other_roots, t).reason, "untrusted_root");
  }
  // A claimed status the log does not back.
  hub.certs->suspend(issued->certificate.certificate_id, kSamr, "", "x").value();
  const std::string suspended = *hub.certs->bundle(issued->certificate.certificate_id);
  EXPECT_EQ(verify(hub, withMember(suspended, "status", "certificate", "valid")).reason,
            "status_mismatch");
  // A tampered inclusion proof.
  {
    rapidjson::Document doc;
    doc.Parse(bundle.c_str());
    doc["transparency"]["tree_head"]["root_hash"].SetString(std::string(64, 'a').c_str(),
                                                            doc.GetAllocator());
    EXPECT_EQ(verify(hub, *canonicalJson(doc)).reason, "bad_tree_head_signature");
  }
  EXPECT_EQ(verify(hub, "{\"format\":1}").reason, "malformed_bundle");
  EXPECT_EQ(verify(hub, "not json").reason, "malformed_bundle");

  // A revoked seal: signs nothing more, and its earlier certificates fail verification.
  hub.certs->resume(issued->certificate.certificate_id, kSamr, "x").value();
  ASSERT_TRUE(hub.seals->revoke(seal.seal_id, "key compromised", "admin"));
  EXPECT_EQ(verify(hub, *hub.certs->bundle(issued->certificate.certificate_id)).reason,
            "seal_revoked");
  auto refused = hub.certs->issue(hub.businessLicence(seal.seal_id, "t-2"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.status().message().find("revoked"), std::string::npos);
  EXPECT_EQ(hub.seals->resume(seal.seal_id, "admin").status().code(), ErrorCode::kConflict);
}

TEST(CertsSeals, SuspendedAndExpiredSealsSignNothing) {
  Hub hub("certs_seals");
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256, "证照专用章", 1);
  auto first = hub.certs->issue(hub.businessLicence(seal.seal_id, "s-1"));
  ASSERT_TRUE(first);
  ASSERT_TRUE(hub.seals->suspend(seal.seal_id, "audit", "admin"));
  EXPECT_EQ(hub.certs->issue(hub.businessLicence(seal.seal_id, "s-2")).status().code(),
            ErrorCode::kConflict);
  ASSERT_TRUE(hub.seals->resume(seal.seal_id, "admin"));
  // Past the seal's (one-day) validity: refused; the earlier certificate still verifies later,
  // because the seal certificate is checked at the sealing time.
  hub.advance(std::chrono::hours(30));
  auto late = hub.certs->issue(hub.businessLicence(seal.seal_id, "s-3"));
  EXPECT_EQ(late.status().code(), ErrorCode::kConflict);
  EXPECT_NE(late.status().message().find("validity"), std::string::npos);
  // (A bundle fetched then: its status statement is fresh then.)
  hub.advance(std::chrono::hours(24 * 400 - 30));
  auto bundle = hub.certs->bundle(first->certificate.certificate_id);
  EXPECT_TRUE(verify(hub, *bundle, 400).ok()) << verify(hub, *bundle, 400).message;
  hub.advance(-std::chrono::hours(24 * 400 - 30));
  // Another department's seal.
  Seal fuzhou = hub.makeSeal(kFuzhou, SignatureAlgorithm::kEcdsaP256Sha256);
  EXPECT_EQ(hub.certs->issue(hub.businessLicence(fuzhou.seal_id, "s-4")).status().code(),
            ErrorCode::kPermissionDenied);
  // Seal requests that are wrong.
  SealRequest bad;
  bad.owner_code = kSamr;
  bad.name = "业务专用章";
  bad.picture_png = pngPicture(400, 400, kMaxSealPictureBytes + 1);
  bad.actor = "admin";
  EXPECT_EQ(hub.seals->create(bad).status().code(), ErrorCode::kPayloadTooLarge);
  bad.picture_png = "GIF89a...............................";
  EXPECT_EQ(hub.seals->create(bad).status().field(), "picture");
  bad.picture_png = pngPicture(5000, 10);
  EXPECT_EQ(hub.seals->create(bad).status().field(), "picture");
  bad.picture_png = pngPicture();
  bad.width_mm = 500;
  EXPECT_EQ(hub.seals->create(bad).status().field(), "width_mm");
  bad.width_mm = 40;
  bad.owner_code = "91350100M000100Y4X";
  EXPECT_EQ(hub.seals->create(bad).status().field(), "owner_code");
  bad.owner_code = "91350100M000100Y43";
  EXPECT_EQ(hub.seals->create(bad).status().code(), ErrorCode::kNotFound);
}

TEST(CertsIssue, BadInputIsRefusedWithTheField) {
  Hub hub("certs_badinput");
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  const IssueRequest good = hub.businessLicence(seal.seal_id, "bad-1");
  auto expectRefused = [&](IssueRequest r, ErrorCode code, const std::string& field) {
    auto result = hub.certs->issue(r);
    ASSERT_FALSE(result) << field;
    EXPECT_EQ(result.status().code(), code) << result.status().toString();
    EXPECT_EQ(result.status().field(), field) << result.status().toString();
  };
  IssueRequest r = good;
  r.type_code = "11100000MB0143028R999";
  expectRefused(r, ErrorCode::kInvalidArgument, "type_code");
  r = good;
  r.type_code = "not-a-type";
  expectRefused(r, ErrorCode::kInvalidArgument, "type_code");
  r = good;
  r.holder_code = "91110108MA01ABCD5X";  // bad check character
  expectRefused(r, ErrorCode::kInvalidArgument, "holder.code");
  r = good;
  r.holder_code = kDefunct;  // surface says another company
  expectRefused(r, ErrorCode::kInvalidArgument, "surface.credit_code");
  r.surface_json.replace(r.surface_json.find(kRestaurant), 18, kDefunct);
  expectRefused(r, ErrorCode::kInvalidArgument, "holder.code");  // deregistered
  r = good;
  r.surface_json.replace(r.surface_json.find("2020-05-20"), 10, "2020-02-30");
  expectRefused(r, ErrorCode::kInvalidArgument, "surface.established_on");
  r = good;
  r.surface_json.replace(r.surface_json.find("有限责任公司"), 18, "上市公司");
  expectRefused(r, ErrorCode::kInvalidArgument, "surface.entity_type");
  r = good;
  r.surface_json.replace(r.surface_json.find("100万元"), 9, "很多钱");
  expectRefused(r, ErrorCode::kInvalidArgument, "surface.registered_capital");
  r = good;
  r.surface_json = "{\"name\":1}";
  expectRefused(r, ErrorCode::kInvalidArgument, "surface.name");
  r = good;
  r.surface_json = "[]";
  expectRefused(r, ErrorCode::kInvalidArgument, "surface");
  r = good;
  r.surface_json = std::string(kMaxSurfaceBytes + 10, ' ');
  expectRefused(r, ErrorCode::kPayloadTooLarge, "surface");
  r = good;
  r.idempotency_key = "";
  expectRefused(r, ErrorCode::kInvalidArgument, "idempotency_key");
  r = good;
  r.valid_to = "2019-01-01";
  expectRefused(r, ErrorCode::kInvalidArgument, "valid_to");
  r = good;
  r.seal_id = "ES11110000MB01832653999999";
  expectRefused(r, ErrorCode::kInvalidArgument, "seal_id");
  r = good;
  r.issuer_code = kPolice;  // not granted business licences
  auto forbidden = hub.certs->issue(r);
  EXPECT_EQ(forbidden.status().code(), ErrorCode::kPermissionDenied);

  // Person types: the holder must be a living person of the population registry, named so.
  Seal police = hub.makeSeal(kPolice, SignatureAlgorithm::kSm2Sm3);
  IssueRequest card;
  card.issuer_code = kPolice;
  card.idempotency_key = "card";
  card.type_code = kIdCard;
  card.seal_id = police.seal_id;
  card.holder_code = kZhaoQiang;
  card.holder_name = "赵强";
  card.surface_json =
      std::string(R"({"name":"赵强","sex":"男","ethnicity":"汉","birth_date":"1985-01-01",)"
                  R"("address":"北京市","citizen_id":")") +
      kZhaoQiang + R"(","issuing_authority":"北京市公安局"})";
  card.actor = "t";
  expectRefused(card, ErrorCode::kInvalidArgument, "holder.code");  // deceased
  card.holder_code = kZhangWei;
  card.holder_name = "张伟";
  card.surface_json =
      std::string(R"({"name":"张伟","sex":"女","ethnicity":"汉","birth_date":"1990-03-07",)"
                  R"("address":"北京市","citizen_id":")") +
      kZhangWei + R"(","issuing_authority":"北京市公安局"})";
  expectRefused(card, ErrorCode::kInvalidArgument, "surface.sex");

  // Nothing of the refused requests was stored.
  pqxx::connection conn(hub.db.conninfo());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.certificates")[0].as<int>(), 0);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.serial_counters")[0].as<int>(), 0);
}

TEST(CertsIssue, ParsesTheRequestBody) {
  auto r = parseIssueRequest(
      R"({"type_code":"T","seal_id":"S","holder":{"code":"C","name":"N"},"surface":{"a":1},"valid_to":"2030-01-01"})",
      kSamr, "key", "actor");
  ASSERT_TRUE(r) << r.status().toString();
  EXPECT_EQ(r->surface_json, "{\"a\":1}");
  EXPECT_EQ(r->valid_to, "2030-01-01");
  EXPECT_EQ(parseIssueRequest("{\"type_code\":\"T\"}", kSamr, "k", "a").status().field(),
            "seal_id");
  EXPECT_EQ(
      parseIssueRequest(
          R"({"type_code":"T","seal_id":"S","holder":{"code":"C","name":"N"},"surface":{},"x":1})",
          kSamr, "k", "a")
          .status()
          .field(),
      "x");
  EXPECT_EQ(parseIssueRequest("{", kSamr, "k", "a").status().field(), "body");
}

TEST(CertsTransparency, PostgresProofsAgreeWithTheInMemoryTree) {
  Hub hub("certs_log");
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  InMemoryMerkleTree reference;
  std::vector<SignedTreeHead> heads;
  for (int i = 0; i < 40; ++i) {
    auto issued = hub.certs->issue(hub.businessLicence(seal.seal_id, "log-" + std::to_string(i)));
    ASSERT_TRUE(issued) << issued.status().toString();
    if (i % 3 == 0) hub.certs->suspend(issued->certificate.certificate_id, kSamr, "", "x").value();
    if (i % 7 == 0) heads.push_back(*hub.log->currentTreeHead());
  }
  const uint64_t size = *hub.log->size();
  for (uint64_t i = 0; i < size; ++i) reference.append(hub.log->entry(i)->leaf_data);
  ASSERT_EQ(reference.size(), size);
  for (uint64_t n = 1; n <= size; ++n) {
    ASSERT_EQ(*hub.log->rootAt(n), *treeRoot(reference, n)) << n;
    for (uint64_t i = 0; i < n; i += (n > 20 ? 5 : 1)) {
      auto proof = hub.log->inclusionProof(i, n);
      ASSERT_TRUE(proof);
      ASSERT_EQ(*proof, *inclusionProof(reference, i, n)) << i << "/" << n;
      ASSERT_TRUE(
          verifyInclusion(i, n, reference.leafHash(i).value(), *proof, *treeRoot(reference, n)));
    }
    for (uint64_t m = 0; m <= n; m += 3) {
      ASSERT_EQ(*hub.log->consistencyProof(m, n), *consistencyProof(reference, m, n))
          << m << "/" << n;
    }
  }
  // Signed tree heads: signed once per size, verifiable, and consistent with each other.
  auto latest = hub.log->currentTreeHead();
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->tree_size, size);
  EXPECT_EQ(hub.log->currentTreeHead()->signature, latest->signature);
  EXPECT_TRUE(verifyTreeHeadSignature(*latest));
  for (const SignedTreeHead& head : heads) {
    EXPECT_TRUE(verifyTreeHeadSignature(head));
    EXPECT_TRUE(verifyConsistency(head.tree_size, latest->tree_size, head.root_hash,
                                  latest->root_hash,
                                  *hub.log->consistencyProof(head.tree_size, latest->tree_size)));
    EXPECT_EQ(hub.log->treeHead(head.tree_size)->root_hash, head.root_hash);
  }
  EXPECT_EQ(*hub.log->indexOfLeafHash(reference.leafHash(5).value()), 5u);
  EXPECT_EQ(hub.log->inclusionProof(0, size + 1).status().code(), ErrorCode::kInvalidArgument);
  // The log tables refuse rewriting.
  EXPECT_THROW(hub.exec("UPDATE certs.log_leaves SET leaf_data = 'x' WHERE leaf_index = 0"),
               pqxx::sql_error);
}

}  // namespace
}  // namespace tongban::certs

namespace tongban::certs {
namespace {

using namespace tongban::certs::testing;

// Issue 7, hole 10: a correction (a new version) skipped the checks of an issuance: the holder's
// name and status in the registry, and whether the issuer may (still) issue the type.
TEST(CertsCorrect, ACorrectionPassesTheChecksOfAnIssuance) {
  Hub hub("certs_correct_checks");
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  const IssueRequest original = hub.businessLicence(seal.seal_id, "correct-1");
  auto issued = hub.certs->issue(original);
  ASSERT_TRUE(issued) << issued.status().toString();
  CorrectionRequest c;
  c.certificate_id = issued->certificate.certificate_id;
  c.issuer_code = kSamr;
  c.reason = "更正";
  c.actor = "officer-1";

  // A name the registry does not give the company, consistently in holder and surface.
  c.holder_name = "北京冒名餐饮管理有限公司";
  c.surface_json = original.surface_json;
  c.surface_json.replace(c.surface_json.find(original.holder_name), original.holder_name.size(),
                         c.holder_name);
  auto renamed = hub.certs->correct(c);
  EXPECT_EQ(renamed.status().code(), ErrorCode::kInvalidArgument) << renamed.status().toString();
  EXPECT_EQ(renamed.status().field(), "holder.name");

  // A company the registry records as deregistered gets no new version.
  c.holder_name.clear();
  c.surface_json = original.surface_json;
  hub.exec(std::string("UPDATE legal_entity.entities SET status = 'deregistered' "
                       "WHERE credit_code = '") +
           kRestaurant + "'");
  auto defunct = hub.certs->correct(c);
  EXPECT_EQ(defunct.status().field(), "holder.code") << defunct.status().toString();
  hub.exec(std::string("UPDATE legal_entity.entities SET status = 'in_business' "
                       "WHERE credit_code = '") +
           kRestaurant + "'");

  // The issuer no longer may issue business licences: no correction either.
  hub.exec(std::string("DELETE FROM certs.type_issuers WHERE type_code = '") + kBusinessLicence +
           "' AND department_code = '" + kSamr + "'");
  CertificateTypeRegistry fresh_types(*hub.pool, std::chrono::seconds(0));
  CertificateRegistry fresh(*hub.pool, fresh_types, *hub.seals, *hub.log, hub.hub);
  auto unauthorised = fresh.correct(c);
  EXPECT_EQ(unauthorised.status().code(), ErrorCode::kPermissionDenied)
      << unauthorised.status().toString();
  hub.exec(std::string("INSERT INTO certs.type_issuers VALUES ('") + kBusinessLicence + "', '" +
           kSamr + "')");

  // Nothing of the refused corrections was stored; a proper one still goes through.
  EXPECT_EQ(hub.certs->get(c.certificate_id)->status, CertificateStatus::kValid);
  auto corrected = fresh.correct(c);
  ASSERT_TRUE(corrected) << corrected.status().toString();
  EXPECT_EQ(corrected->version, 2);
}

}  // namespace
}  // namespace tongban::certs
