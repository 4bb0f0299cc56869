// Tests of the catalog's value conversions: enum spellings, timestamps, identifier shapes, and
// the strict JSON parsers shared by the exchange and tongban-admin.
#include <gtest/gtest.h>

#include <string>

#include "tongban/catalog/json.h"
#include "tongban/catalog/model.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/time_format.h"

namespace tongban::catalog {
namespace {

TEST(ModelTest, EnumSpellingsRoundTrip) {
  for (auto v : {SharingType::kUnconditional, SharingType::kConditional, SharingType::kNotShared}) {
    EXPECT_EQ(parseSharingType(toString(v)), v);
  }
  for (auto v :
       {MaskingRule::kNone, MaskingRule::kCitizenId, MaskingRule::kCreditCode, MaskingRule::kName,
        MaskingRule::kPhone, MaskingRule::kAddress, MaskingRule::kDate, MaskingRule::kFull}) {
    EXPECT_EQ(parseMaskingRule(toString(v)), v);
  }
  EXPECT_STREQ(toString(SharingType::kNotShared), "not_shared");
  EXPECT_STREQ(toString(UpdateCycle::kQuarterly), "quarterly");
  EXPECT_STREQ(toString(GrantState::kSuspended), "suspended");
  EXPECT_EQ(parseRequestState("withdrawn"), RequestState::kWithdrawn);
  EXPECT_EQ(parseRole("admin"), Role::kAdmin);
  EXPECT_FALSE(parseSharingType("Conditional"));
  EXPECT_FALSE(parseGrantState(""));
}

TEST(ModelTest, ResourceCodes) {
  EXPECT_TRUE(isValidResourceCode("POP-PERSON-BASIC"));
  EXPECT_TRUE(isValidResourceCode("A"));
  EXPECT_TRUE(isValidResourceCode("LE2-X9"));
  EXPECT_TRUE(isValidResourceCode(std::string(64, 'A')));
  EXPECT_FALSE(isValidResourceCode(std::string(65, 'A')));
  for (const char* bad :
       {"", "pop", "1POP", "POP-", "-POP", "POP--X", "POP_X", "POP X", "POP-人"}) {
    EXPECT_FALSE(isValidResourceCode(bad)) << bad;
  }
}

TEST(ModelTest, CertificateSources) {
  EXPECT_EQ(certificateSourceType("certs:11100000MB0143028R001"), "11100000MB0143028R001");
  EXPECT_EQ(certificateResourceCode("11100000MB0143028R001"), "CERT-11100000MB0143028R001");
  EXPECT_TRUE(isValidResourceCode(certificateResourceCode("11100000MB0143028R001")));
  for (const char* bad : {"certs:", "certs:11100000MB0143028R00", "certs:11100000MB0143028R0012",
                          "certs:11100000IB0143028R001", "certs:11100000MB0143028RA01",
                          "certs:11100000mb0143028r001", "population.persons", "cert:x"}) {
    EXPECT_FALSE(certificateSourceType(bad)) << bad;
  }
  EXPECT_EQ(findSource("certs:11100000MB0143028R001"), nullptr);  // never a query source
  EXPECT_NE(certificateSource().column("certificate"), nullptr);
}

TEST(ModelTest, MatterCodes) {
  EXPECT_TRUE(isValidMatterCode("11110000000010014U4000117002000"));
  EXPECT_TRUE(isValidMatterCode("MATTER-001.a_b"));
  EXPECT_FALSE(isValidMatterCode(""));
  EXPECT_FALSE(isValidMatterCode("-x"));
  EXPECT_FALSE(isValidMatterCode("a b"));
  EXPECT_FALSE(isValidMatterCode(std::string(65, 'a')));
}

TEST(ModelTest, GrantUsableOnlyWhenActiveAndInsideTheWindow) {
  Grant g;
  g.valid_from = *parseRfc3339("2026-01-01T00:00:00Z");
  g.valid_to = *parseRfc3339("2027-01-01T00:00:00Z");
  g.state = GrantState::kActive;
  EXPECT_TRUE(g.usableAt(g.valid_from));
  EXPECT_FALSE(g.usableAt(g.valid_to));
  EXPECT_FALSE(g.usableAt(g.valid_from - std::chrono::seconds(1)));
  g.state = GrantState::kSuspended;
  EXPECT_FALSE(g.usableAt(g.valid_from));
}

const char kDraftJson[] = R"({
  "code": "POP-PERSON-NAME", "name": "姓名核验", "provider_department": "11110000000010014U",
  "source": "population.persons", "key_fields": ["citizen_id"], "sharing_type": "conditional",
  "update_cycle": "daily",
  "fields": [{"name": "citizen_id", "type": "string", "sensitivity": "sensitive",
              "masking": "citizen_id"},
             {"name": "name", "type": "string", "description": "姓名", "masking": "name"}]
})";

TEST(JsonTest, ParsesAResourceDraft) {
  Result<ResourceDraft> d = parseResourceDraft(kDraftJson);
  ASSERT_TRUE(d.isOk()) << d.status().toString();
  EXPECT_EQ(d->code, "POP-PERSON-NAME");
  EXPECT_EQ(d->sharing_type, SharingType::kConditional);
  EXPECT_EQ(d->update_cycle, UpdateCycle::kDaily);
  EXPECT_FALSE(d->open_data);
  ASSERT_EQ(d->fields.size(), 2u);
  EXPECT_EQ(d->fields[0].masking, MaskingRule::kCitizenId);
  EXPECT_EQ(d->fields[0].sensitivity, Sensitivity::kSensitive);
  EXPECT_EQ(d->fields[1].description, "姓名");
  EXPECT_EQ(d->fields[1].sensitivity, Sensitivity::kInternal);  // default
}

TEST(JsonTest, DraftErrorsNameTheMember) {
  struct Case {
    std::string json;
    std::string field;
  };
  const std::string base = kDraftJson;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const Case cases[] = {
      {"[1, 2]", ""},
      {"{\"code\": ", ""},
      {replace("\"update_cycle\": \"daily\",", "\"colour\": 1,"), "colour"},
      {replace("\"update_cycle\": \"daily\",", ""), "update_cycle"},
      {replace("\"conditional\"", "\"sometimes\""), "sharing_type"},
      {replace("\"conditional\"", "3"), "sharing_type"},
      {replace("\"masking\": \"name\"", "\"masking\": \"blur\""), "fields[1].masking"},
      {replace("\"masking\": \"name\"", "\"mask\": \"name\""), "fields[1].mask"},
      {replace("[\"citizen_id\"]", "[\"citizen_id\", 7]"), "key_fields[1]"},
  };
  for (const Case& c : cases) {
    Result<ResourceDraft> d = parseResourceDraft(c.json);
    ASSERT_FALSE(d.isOk()) << c.json;
    EXPECT_EQ(d.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(d.status().field(), c.field) << d.status().toString();
  }
}

TEST(JsonTest, ParsesAnAccessApplication) {
  Result<AccessApplication> a = parseAccessApplication(
      R"({"resource_code":"POP-PERSON-BASIC","fields":["name"],"purpose":"p","legal_basis":"l",
          "matter_codes":["M1"],"valid_to":"2027-01-01T00:00:00+08:00","rate_per_minute":30})");
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  EXPECT_FALSE(a->valid_from);
  EXPECT_EQ(formatRfc3339Seconds(a->valid_to), "2026-12-31T16:00:00Z");
  EXPECT_EQ(a->rate_per_minute, 30);

  Result<AccessApplication> bad_time = parseAccessApplication(
      R"({"resource_code":"X","fields":[],"matter_codes":[],"valid_to":"2027-01-01"})");
  ASSERT_FALSE(bad_time.isOk());
  EXPECT_EQ(bad_time.status().field(), "valid_to");
  Result<AccessApplication> bad_rate = parseAccessApplication(
      R"({"resource_code":"X","fields":[],"matter_codes":[],"valid_to":"2027-01-01T00:00:00Z",
          "rate_per_minute":"fast"})");
  ASSERT_FALSE(bad_rate.isOk());
  EXPECT_EQ(bad_rate.status().field(), "rate_per_minute");
}

TEST(JsonTest, ApprovalOptions) {
  Result<ApprovalOptions> empty = parseApprovalOptions("  ");
  ASSERT_TRUE(empty.isOk());
  EXPECT_TRUE(empty->unmasked_fields.empty());
  Result<ApprovalOptions> o =
      parseApprovalOptions(R"({"unmasked_fields":["name"],"rate_per_minute":10,"reason":"ok"})");
  ASSERT_TRUE(o.isOk());
  EXPECT_EQ(o->unmasked_fields, std::vector<std::string>{"name"});
  EXPECT_EQ(o->rate_per_minute, 10);
  EXPECT_FALSE(parseApprovalOptions(R"({"unmask":["name"]})").isOk());
}

TEST(JsonTest, WritesAGrant) {
  Grant g;
  g.id = 7;
  g.request_id = 3;
  g.app_id = "app_0123456789abcdef";
  g.resource_code = "POP-PERSON-BASIC";
  g.resource_version = 2;
  g.fields = {"name", "sex"};
  g.unmasked_fields = {"name"};
  g.matter_codes = {"M1"};
  g.valid_from = *parseRfc3339("2026-01-01T00:00:00Z");
  g.valid_to = *parseRfc3339("2027-01-01T00:00:00Z");
  g.rate_per_minute = 60;
  g.created_at = g.updated_at = g.valid_from;
  g.created_by = g.updated_by = "cli:root";
  EXPECT_EQ(toJson(g), R"({"id":7,"request_id":3,"app_id":"app_0123456789abcdef",)"
                       R"("resource_code":"POP-PERSON-BASIC","resource_version":2,)"
                       R"("fields":["name","sex"],)"
                       R"("unmasked_fields":["name"],"matter_codes":["M1"],)"
                       R"("valid_from":"2026-01-01T00:00:00Z","valid_to":"2027-01-01T00:00:00Z",)"
                       R"("rate_per_minute":60,"state":"active","created_by":"cli:root",)"
                       R"("created_at":"2026-01-01T00:00:00Z","updated_by":"cli:root",)"
                       R"("updated_at":"2026-01-01T00:00:00Z"})");
}

}  // namespace
}  // namespace tongban::catalog
