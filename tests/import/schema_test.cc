// Tests of flow-back record validation (adapters/flowback/flowback_schema.h): every kind of bad
// value is refused with the field named, before any SQL; good values are normalised.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tongban/adapters/flowback_schema.h"

namespace tongban::flowback {
namespace {

const std::vector<std::string> kPersonHeader = {"citizen_id", "name", "region_code", "address",
                                                "status"};

// Validates one persons record given in kPersonHeader's order; "" when valid, else the
// "field: message" of the failure.
std::string checkPerson(const std::vector<std::string>& fields, Values* out = nullptr) {
  Result<ColumnSet> set = mapColumns(*findRegistry("population"), kPersonHeader);
  EXPECT_TRUE(set.isOk());
  Values values;
  if (Status s = valuesFromCsv(*set, fields, &values); !s) return s.toString();
  if (Status s = validateRecord(*set, &values); !s) return s.toString();
  if (out) *out = values;
  return "";
}

TEST(FlowbackSchemaTest, GoodPersonIsNormalisedAndSexAndBirthDateDerived) {
  Values v;
  ASSERT_EQ(checkPerson({" 11010519491231002x", "张三", "110105", "北京市朝阳区", "living"}, &v),
            "");
  EXPECT_EQ(*v[0], "11010519491231002X");
  EXPECT_EQ(*v[2], "F");
  EXPECT_EQ(*v[3], "1949-12-31");
}

TEST(FlowbackSchemaTest, BadValuesNameTheFieldAndTheReason) {
  const std::string id = "11010519491231002X";
  EXPECT_EQ(checkPerson({"110105194912310023", "张三", "110105", "a", "living"}),
            "citizen_id: check character is '3', expected 'X'");
  EXPECT_NE(
      checkPerson({"11010519990229002X", "张三", "110105", "a", "living"}).find("not a real date"),
      std::string::npos);
  EXPECT_EQ(checkPerson({id, "张三", "110105", "a", "alive"}),
            "status: 'alive' is not one of living, deceased, emigrated");
  EXPECT_EQ(checkPerson({id, "张三", "999999", "a", "living"}),
            "region_code: region code 999999 is not in the GB/T 2260 table");
  EXPECT_EQ(checkPerson({id, std::string(65, 'a'), "110105", "a", "living"}),
            "name: must be 1 to 64 characters, got 65");
  EXPECT_EQ(checkPerson({id, "", "110105", "a", "living"}), "name: is empty");
  EXPECT_EQ(checkPerson({id, "\xE5\xBC", "110105", "a", "living"}), "name: is not valid UTF-8");
  EXPECT_EQ(checkPerson({id, "a\tb", "110105", "a", "living"}),
            "name: contains a control character");
  EXPECT_EQ(checkPerson({id, "ab", "110105", std::string("x\0y", 3), "living"}),
            "address: contains a NUL character");
  EXPECT_EQ(checkPerson({id, "ab", "110105", "line\nbreak", "living"}), "");  // addresses may
  EXPECT_EQ(checkPerson({id, "张三", "110105", "a"}), "record: expected 5 fields, found 4");
}

TEST(FlowbackSchemaTest, SexAndBirthDateMustAgreeWithTheId) {
  const Registry& r = *findRegistry("population");
  Result<ColumnSet> set =
      mapColumns(r, {"citizen_id", "name", "sex", "birth_date", "region_code", "address"});
  ASSERT_TRUE(set.isOk());
  Values v;
  ASSERT_TRUE(valuesFromCsv(*set, {"11010519491231002X", "a", "M", "1949-12-31", "110105", "x"}, &v)
                  .isOk());
  EXPECT_EQ(validateRecord(*set, &v).toString(), "sex: M disagrees with the citizen id (F)");
  ASSERT_TRUE(valuesFromCsv(*set, {"11010519491231002X", "a", "F", "1949-12-30", "110105", "x"}, &v)
                  .isOk());
  EXPECT_EQ(validateRecord(*set, &v).toString(),
            "birth_date: 1949-12-30 disagrees with the citizen id (1949-12-31)");
}

TEST(FlowbackSchemaTest, HeaderProblems) {
  const Registry& r = *findRegistry("population");
  Result<ColumnSet> s = mapColumns(r, {"citizen_id", "name", "region_code", "addr"});
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().field(), "addr");
  s = mapColumns(r, {"citizen_id", "name", "region_code"});
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().toString(), "address: column address is missing");
  s = mapColumns(r, {"citizen_id", "name", "name", "region_code", "address"});
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().toString(), "name: column name appears twice");
}

TEST(FlowbackSchemaTest, EntitiesAmountsDatesAndCodes) {
  const Registry& r = *findRegistry("legal_entity");
  Result<ColumnSet> set = mapColumns(
      r, {"credit_code", "name", "entity_type", "legal_rep_citizen_id", "registered_capital",
          "established_on", "region_code", "address", "business_scope"});
  ASSERT_TRUE(set.isOk());
  auto check = [&](std::vector<std::string> f) {
    Values v;
    if (Status s = valuesFromCsv(*set, f, &v); !s) return s.toString();
    Status s = validateRecord(*set, &v);
    return s.isOk() ? std::string() : s.toString();
  };
  const std::vector<std::string> good = {"91350100M000100Y43",
                                         "某某有限公司",
                                         "llc",
                                         "11010519491231002X",
                                         "100.50",
                                         "2001-02-03",
                                         "350100",
                                         "福州市",
                                         ""};
  EXPECT_EQ(check(good), "");
  auto with = [&](size_t i, const std::string& v) {
    std::vector<std::string> f = good;
    f[i] = v;
    return check(f);
  };
  EXPECT_EQ(with(4, ""), "");  // NULL capital
  EXPECT_NE(with(0, "91350100M000100Y44").find("credit_code: check character"), std::string::npos);
  EXPECT_NE(with(4, "-1").find("registered_capital:"), std::string::npos);
  EXPECT_NE(with(4, "1.234").find("registered_capital:"), std::string::npos);
  EXPECT_EQ(with(5, "1949-09-30"), "established_on: 1949-09-30 is before 1949-10-01");
  EXPECT_EQ(with(5, "2001-02-30"), "established_on: '2001-02-30' is not a real date as YYYY-MM-DD");
  EXPECT_EQ(with(2, "gmbh"),
            "entity_type: 'gmbh' is not one of llc, joint_stock, sole_proprietorship, "
            "partnership, individual_business, farmer_cooperative, branch");
  EXPECT_EQ(with(8, std::string(2001, 'a')),
            "business_scope: must be 0 to 2000 characters, got 2001");
}

TEST(FlowbackSchemaTest, JsonRecords) {
  const Registry& r = *findRegistry("population");
  Result<ColumnSet> set = mapColumns(r, kPersonHeader);
  ASSERT_TRUE(set.isOk());
  Values v;
  EXPECT_TRUE(valuesFromJson(*set,
                             R"({"citizen_id":"11010519491231002X","name":"a",)"
                             R"("region_code":"110105","address":"x","status":"living"})",
                             &v)
                  .isOk());
  EXPECT_EQ(
      valuesFromJson(*set, R"({"citizen_id":"11010519491231002X","name":"a"})", &v).toString(),
      "region_code: key region_code is missing");
  EXPECT_EQ(valuesFromJson(*set,
                           R"({"citizen_id":"11010519491231002X","name":1,)"
                           R"("region_code":"110105","address":"x","status":"living"})",
                           &v)
                .toString(),
            "name: must be a string");
  EXPECT_FALSE(valuesFromJson(*set, "[1]", &v).isOk());
  EXPECT_FALSE(valuesFromJson(*set, "{\"citizen_id\":\"\xff\"}", &v).isOk());
}

TEST(FlowbackSchemaTest, Utf8Length) {
  EXPECT_EQ(utf8Length("a张b"), 3u);
  EXPECT_FALSE(utf8Length("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(utf8Length("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(utf8Length("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(utf8Length("\xE5\xBC"));          // truncated
}

}  // namespace
}  // namespace tongban::flowback
