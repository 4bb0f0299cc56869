// The check contract without a database: names, parseKind, validateCheck's refusals, ages.
#include "tongban/verification/check.h"

#include <gtest/gtest.h>

#include "tongban/verification/civil_date.h"
#include "verification/seed.h"

namespace tongban::verification {
namespace {

using testing::certificateId;
using testing::citizenId;
using testing::creditCode;

Check personCheck(CheckKind kind, const std::string& subject) {
  Check c;
  c.kind = kind;
  c.subject = subject;
  return c;
}

std::string fieldOf(const Check& c) { return validateCheck(c, "checks[3].").field(); }

TEST(VerificationCheck, KindNamesRoundTrip) {
  for (int k = 1; k <= 7; ++k) {
    const auto kind = static_cast<CheckKind>(k);
    auto parsed = parseKind(kindName(kind));
    ASSERT_TRUE(parsed.isOk()) << kindName(kind);
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = parseKind("certificate_vaild", "checks[0].kind");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "checks[0].kind");
  EXPECT_NE(bad.status().message().find("certificate_valid"), std::string::npos);
  EXPECT_FALSE(parseKind("").isOk());
  EXPECT_STREQ(reasonName(Reason::kSealInactive), "seal_inactive");
  EXPECT_STREQ(reasonName(Reason::kEntityNotFound), "entity_not_found");
  EXPECT_STREQ(verdictName(Verdict::kUnknown), "unknown");
}

TEST(VerificationCheck, AcceptsWellFormedChecksOfEveryKind) {
  const std::string person = citizenId("330106", "19800101", 11);
  const std::string entity = creditCode("330106", 12345678);
  Check c = personCheck(CheckKind::kCertificateValid,
                        certificateId(testing::kLicenceType, entity, "2026000001"));
  EXPECT_TRUE(validateCheck(c).isOk()) << validateCheck(c).toString();
  c = personCheck(CheckKind::kHoldsCertificate, entity);
  c.type_code = testing::kLicenceType;
  c.region = "3301";
  c.valid_until = 20000;
  EXPECT_TRUE(validateCheck(c).isOk()) << validateCheck(c).toString();
  c.subject = person;
  EXPECT_TRUE(validateCheck(c).isOk());
  EXPECT_TRUE(validateCheck(personCheck(CheckKind::kPersonAlive, person)).isOk());
  c = personCheck(CheckKind::kPersonRegisteredIn, person);
  for (const char* region : {"33", "3301", "330106", "330000"}) {
    c.region = region;
    EXPECT_TRUE(validateCheck(c).isOk()) << region;
  }
  c = personCheck(CheckKind::kPersonAgeAtLeast, person);
  c.min_age = 80;
  c.on_date = 20000;
  EXPECT_TRUE(validateCheck(c).isOk());
  EXPECT_TRUE(validateCheck(personCheck(CheckKind::kEntityInBusiness, entity)).isOk());
  c = personCheck(CheckKind::kLegalRepresentative, person);
  c.entity = entity;
  EXPECT_TRUE(validateCheck(c).isOk());
}

TEST(VerificationCheck, RefusesBadInputNamingTheField) {
  const std::string person = citizenId("330106", "19800101", 11);
  const std::string entity = creditCode("330106", 12345678);
  std::string bad_check = person;
  bad_check[17] = bad_check[17] == '0' ? '1' : '0';

  EXPECT_EQ(fieldOf(personCheck(CheckKind::kPersonAlive, "")), "checks[3].subject");
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kPersonAlive, bad_check)), "checks[3].subject");
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kPersonAlive, " " + person)), "checks[3].subject");
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kPersonAlive, entity)), "checks[3].subject");
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kEntityInBusiness, person)), "checks[3].subject");
  std::string lower = entity;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  if (lower != entity) {
    EXPECT_EQ(fieldOf(personCheck(CheckKind::kEntityInBusiness, lower)), "checks[3].subject");
  }
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kCertificateValid, "1.2.156.3005.2.x")),
            "checks[3].subject");
  std::string cert = certificateId(testing::kLicenceType, entity, "2026000001");
  cert.back() = cert.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kCertificateValid, cert)), "checks[3].subject");
  EXPECT_EQ(fieldOf(personCheck(CheckKind::kCertificateValid, std::string(1 << 20, '1'))),
            "checks[3].subject");

  Check c = personCheck(CheckKind::kHoldsCertificate, entity);
  EXPECT_EQ(fieldOf(c), "checks[3].type_code");  // required
  c.type_code = "11100000MB0143028R0X1";
  EXPECT_EQ(fieldOf(c), "checks[3].type_code");
  c.type_code = testing::kLicenceType;
  c.region = "3";
  EXPECT_EQ(fieldOf(c), "checks[3].region");
  c.region = "99";  // no such province
  EXPECT_EQ(fieldOf(c), "checks[3].region");
  c.region = "33a1";
  EXPECT_EQ(fieldOf(c), "checks[3].region");
  c.region = "";
  c.valid_until = 999999;
  EXPECT_EQ(fieldOf(c), "checks[3].valid_until");

  c = personCheck(CheckKind::kPersonRegisteredIn, person);
  EXPECT_EQ(fieldOf(c), "checks[3].region");  // required
  c.region = "33";
  c.min_age = 5;
  EXPECT_EQ(fieldOf(c), "checks[3].min_age");  // not used by this kind

  c = personCheck(CheckKind::kPersonAgeAtLeast, person);
  c.min_age = -1;
  EXPECT_EQ(fieldOf(c), "checks[3].min_age");
  c.min_age = 151;
  EXPECT_EQ(fieldOf(c), "checks[3].min_age");
  c.min_age = 18;
  c.on_date = -100000;
  EXPECT_EQ(fieldOf(c), "checks[3].on_date");
  c.on_date = 0;
  c.region = "33";
  EXPECT_EQ(fieldOf(c), "checks[3].region");

  c = personCheck(CheckKind::kLegalRepresentative, person);
  EXPECT_EQ(fieldOf(c), "checks[3].entity");
  c.entity = person;
  EXPECT_EQ(fieldOf(c), "checks[3].entity");
  c = personCheck(CheckKind::kPersonAlive, person);
  c.entity = entity;
  EXPECT_EQ(fieldOf(c), "checks[3].entity");
  c = personCheck(static_cast<CheckKind>(0), person);
  EXPECT_EQ(fieldOf(c), "checks[3].kind");
  c = personCheck(static_cast<CheckKind>(200), person);
  EXPECT_EQ(fieldOf(c), "checks[3].kind");
}

TEST(VerificationCheck, AgeGrowsOnTheBirthdayAndLeapDayBirthdaysOnFirstMarch) {
  const auto day = [](int y, unsigned m, unsigned d) { return daysFromCivil(y, m, d); };
  EXPECT_EQ(day(1970, 1, 1), 0);
  EXPECT_EQ(ageOn(1946, 6, 15, day(2026, 6, 14)), 79);
  EXPECT_EQ(ageOn(1946, 6, 15, day(2026, 6, 15)), 80);
  EXPECT_EQ(ageOn(2000, 2, 29, day(2018, 2, 28)), 17);
  EXPECT_EQ(ageOn(2000, 2, 29, day(2018, 3, 1)), 18);
  EXPECT_EQ(ageOn(2000, 2, 29, day(2020, 2, 28)), 19);
  EXPECT_EQ(ageOn(2000, 2, 29, day(2020, 2, 29)), 20);
  EXPECT_EQ(ageOn(1900, 1, 1, day(1899, 12, 31)), -1);
  int32_t y;
  unsigned m, d;
  civilFromDays(day(2024, 2, 29), &y, &m, &d);
  EXPECT_EQ(y, 2024);
  EXPECT_EQ(m, 2u);
  EXPECT_EQ(d, 29u);
}

}  // namespace
}  // namespace tongban::verification
