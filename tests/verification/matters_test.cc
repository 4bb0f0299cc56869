// The service-matter catalog (matters.h): documents parsed strictly with the field named, the
// shipped matters and one-things of migration 0020 as stored, a put/show round trip, and prechecks
// planned with each distinct check once.
#include "tongban/verification/matters.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_db.h"
#include "tongban/common/json.h"

namespace tongban::verification {
namespace {

const char kPerson[] = "11010519491231002X";
const char kEntity[] = "91350100M000100Y43";

Result<Matter> matterFrom(const std::string& text) {
  rapidjson::Document doc;
  if (Status s = parseJsonObject(text, doc, "body"); !s) return s;
  return parseMatter(doc);
}

std::string fieldOf(const std::string& text) {
  auto m = matterFrom(text);
  EXPECT_FALSE(m.isOk()) << text;
  return m.isOk() ? "" : m.status().field();
}

const char kGood[] = R"({"code":"T-1","name":"测试事项","department_name":"测试局",
  "applicant_kind":"person","materials":[
    {"name":"申请表","substitute":"none"},
    {"name":"身份证","substitute":"certificate","subject":"person","type_code":"11100000000013338W001"},
    {"name":"户籍","substitute":"fact","subject":"person","check":{"kind":"person_registered_in","region":"21"}}],
  "eligibility":[{"kind":"person_alive"},{"kind":"person_age_at_least","min_age":80}]})";

TEST(MatterDocument, AGoodDocumentRoundTrips) {
  auto m = matterFrom(kGood);
  ASSERT_TRUE(m.isOk()) << m.status().toString();
  ASSERT_EQ(m->materials.size(), 3u);
  EXPECT_EQ(m->materials[2].position, 3);
  EXPECT_EQ(m->materials[2].check.kind, CheckKind::kPersonRegisteredIn);
  std::string out;
  writeMatter(*m, out);
  auto again = matterFrom(out);
  ASSERT_TRUE(again.isOk()) << out;
  std::string out2;
  writeMatter(*again, out2);
  EXPECT_EQ(out, out2);
}

TEST(MatterDocument, EachMistakeNamesItsField) {
  EXPECT_EQ(
      fieldOf(
          R"({"code":"","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none"}]})"),
      "code");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"robot","materials":[{"name":"申请表","substitute":"none"}]})"),
      "applicant_kind");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[]})"),
      "materials");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","extra":1,"materials":[{"name":"申请表","substitute":"none"}]})"),
      "extra");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none","subject":"person"}]})"),
      "materials[0].subject");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none"},{"name":"证照","substitute":"certificate","subject":"person","type_code":"short"}]})"),
      "materials[1].type_code");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"户籍","substitute":"fact","subject":"person","check":{"kind":"person_registered_in"}}]})"),
      "materials[0].check.region");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"户籍","substitute":"fact","subject":"person","check":{"kind":"person_registered_in","region":"012"}}]})"),
      "materials[0].check.region");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"存续","substitute":"fact","subject":"person","check":{"kind":"entity_in_business"}}]})"),
      "materials[0].subject");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"证照","substitute":"fact","subject":"person","check":{"kind":"certificate_valid"}}]})"),
      "materials[0].check.kind");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none"}],"eligibility":[{"kind":"entity_in_business"}]})"),
      "eligibility[0].kind");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none"}],"eligibility":[{"kind":"person_age_at_least","min_age":151}]})"),
      "eligibility[0].min_age");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"x","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none"}]})"),
      "name");
  EXPECT_EQ(
      fieldOf(
          R"({"code":"T","name":"测试\u0001事项","department_name":"测试局","applicant_kind":"person","materials":[{"name":"申请表","substitute":"none"}]})"),
      "name");
}

Matter twoMaterialMatter(const std::string& code, SubjectRole kind) {
  Matter m;
  m.code = code;
  m.name = "事项" + code;
  m.department_name = "测试局";
  m.applicant_kind = kind;
  Material form;
  form.position = 1;
  form.name = "申请表";
  Material licence;
  licence.position = 2;
  licence.name = "营业执照";
  licence.substitute = Substitute::kCertificate;
  licence.subject = SubjectRole::kEntity;
  licence.check.kind = CheckKind::kHoldsCertificate;
  licence.check.type_code = "11100000MB0143028R001";
  m.materials = {form, licence};
  return m;
}

TEST(Precheck, EachDistinctCheckIsPlannedOnce) {
  Matter a = twoMaterialMatter("A", SubjectRole::kEntity);
  Matter b = twoMaterialMatter("B", SubjectRole::kEntity);
  Material rep;
  rep.position = 3;
  rep.name = "法定代表人身份证明";
  rep.substitute = Substitute::kFact;
  rep.subject = SubjectRole::kPerson;
  rep.check.kind = CheckKind::kLegalRepresentative;
  b.materials.push_back(rep);
  auto plan = planPrecheck({&a, &b}, Applicant{kPerson, kEntity});
  ASSERT_TRUE(plan.isOk()) << plan.status().toString();
  ASSERT_EQ(plan->items.size(), 5u);
  ASSERT_EQ(plan->checks.size(), 2u);  // the licence once, the representative once
  EXPECT_EQ(plan->items[0].check, -1);
  EXPECT_EQ(plan->items[1].check, plan->items[3].check);
  EXPECT_EQ(plan->checks[0].subject, kEntity);
  EXPECT_EQ(plan->checks[1].kind, CheckKind::kLegalRepresentative);
  EXPECT_EQ(plan->checks[1].subject, kPerson);
  EXPECT_EQ(plan->checks[1].entity, kEntity);
}

TEST(Precheck, AMissingOrMalformedApplicantIdIsNamed) {
  Matter a = twoMaterialMatter("A", SubjectRole::kEntity);
  auto missing = planPrecheck({&a}, Applicant{kPerson, ""});
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().field(), "applicant.credit_code");
  auto bad = planPrecheck({&a}, Applicant{"110105194912310021", kEntity});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "applicant.citizen_id");
}

TEST(Precheck, OutcomesFollowTheAnswer) {
  EXPECT_EQ(materialOutcome({Verdict::kTrue, Reason::kOk}), MaterialOutcome::kSatisfied);
  EXPECT_EQ(materialOutcome({Verdict::kFalse, Reason::kRevoked}), MaterialOutcome::kNotSatisfied);
  EXPECT_EQ(materialOutcome({Verdict::kUnknown, Reason::kNotFound}),
            MaterialOutcome::kNotSatisfied);
  EXPECT_STREQ(materialOutcomeName(MaterialOutcome::kMustSubmit), "must_submit");
}

class MatterStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TestDatabase("matters");
    db_->migrate();
    pool_ = new db::ConnectionPool({db_->conninfo(), 2, std::chrono::milliseconds(5000), nullptr});
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete db_;
  }
  static testing::TestDatabase* db_;
  static db::ConnectionPool* pool_;
};
testing::TestDatabase* MatterStoreTest::db_ = nullptr;
db::ConnectionPool* MatterStoreTest::pool_ = nullptr;

TEST_F(MatterStoreTest, TheShippedOneThingsListTheirMatters) {
  MatterStore store(*pool_);
  auto thing = store.thing("210000-YJS-KBCYD");
  ASSERT_TRUE(thing.isOk()) << thing.status().toString();
  EXPECT_EQ(thing->name, "开办餐饮店一件事");
  ASSERT_EQ(thing->matter_codes.size(), 4u);
  EXPECT_EQ(thing->matter_codes[1], "210000-SCJG-0002");
  auto licence = store.matter("210000-SCJG-0002");
  ASSERT_TRUE(licence.isOk());
  EXPECT_EQ(licence->name, "食品经营许可");
  ASSERT_EQ(licence->materials.size(), 6u);
  EXPECT_EQ(licence->materials[1].substitute, Substitute::kCertificate);
  EXPECT_EQ(licence->materials[1].check.type_code, "11100000MB0143028R001");
  auto allowance = store.matter("210000-MZJ-0001");
  ASSERT_TRUE(allowance.isOk());
  ASSERT_EQ(allowance->eligibility.size(), 3u);
  EXPECT_EQ(allowance->eligibility[2].min_age, 80);
  auto all = store.matters();
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->size(), 9u);
}

TEST_F(MatterStoreTest, PutReplacesAMatterAsAWholeAndShowGivesItBack) {
  MatterStore store(*pool_);
  auto m = matterFrom(kGood);
  ASSERT_TRUE(m.isOk());
  ASSERT_TRUE(store.putMatter(*m).isOk());
  m->materials.pop_back();
  m->eligibility.clear();
  ASSERT_TRUE(store.putMatter(*m).isOk());
  auto back = store.matter("T-1");
  ASSERT_TRUE(back.isOk());
  std::string a, b;
  writeMatter(*m, a);
  writeMatter(*back, b);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(store.removeMatter("T-1").isOk());
  EXPECT_EQ(store.matter("T-1").status().code(), ErrorCode::kNotFound);
}

TEST_F(MatterStoreTest, RefusalsNameTheFieldAndWriteNothing) {
  MatterStore store(*pool_);
  auto m = matterFrom(kGood);
  ASSERT_TRUE(m.isOk());
  m->code = "T-2";
  m->materials[1].check.type_code = "999999999999999999001";
  Status s = store.putMatter(*m);
  EXPECT_EQ(s.field(), "materials[1].type_code");
  EXPECT_EQ(store.matter("T-2").status().code(), ErrorCode::kNotFound);

  Thing t{"T-THING", "测试一件事", "", {"210000-SCJG-0001", "NO-SUCH"}};
  EXPECT_EQ(store.putThing(t).field(), "matters[1]");
  EXPECT_EQ(store.thing("T-THING").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.removeMatter("210000-SCJG-0001").code(), ErrorCode::kConflict);
  EXPECT_EQ(store.removeThing("NO-SUCH").code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tongban::verification
