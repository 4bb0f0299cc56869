// Tests of tongban::ids: the standards' own examples, generated valid values, and every kind of
// wrong input with the message the user gets.
#include "tongban/common/identifiers.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tongban::ids {
namespace {

// Expects `result` to be an InvalidArgument on `field` whose message contains `needle`.
template <typename T>
void expectInvalid(const Result<T>& result, const std::string& needle, const std::string& field) {
  ASSERT_FALSE(result.isOk()) << "expected failure mentioning \"" << needle << "\"";
  const Status status = result.status();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.field(), field);
  EXPECT_NE(status.message().find(needle), std::string::npos)
      << "message \"" << status.message() << "\" does not mention \"" << needle << "\"";
}

// ---- independent reference implementations, straight from the standards ----------------------

char refCitizenCheck(const std::string& first17) {
  static const int kW[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kW[i];
  return "10X98765432"[sum % 11];
}

const std::string kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

char refCreditCheck(const std::string& first17) {
  static const int kW[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += static_cast<int>(kCreditAlphabet.find(first17[i])) * kW[i];
  return kCreditAlphabet[(31 - sum % 31) % 31];
}

char refOrgCheck(const std::string& first8) {
  static const int kW[8] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 8; ++i) {
    const char c = first8[i];
    sum += (c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10) * kW[i];
  }
  const int c9 = 11 - sum % 11;
  return c9 == 10 ? 'X' : c9 == 11 ? '0' : static_cast<char>('0' + c9);
}

// ============================================================================ citizen id

TEST(CitizenIdTest, StandardExampleIsValid) {
  auto r = normalizeCitizenId("11010519491231002X");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "11010519491231002X");
  EXPECT_EQ(citizenIdCheckChar("11010519491231002"), 'X');
  EXPECT_EQ(citizenIdSex(*r), 'F');  // order 002: even
}

TEST(CitizenIdTest, SexFollowsTheOrderDigit) {
  const std::string male17 = "11010519491231001";
  const std::string male = male17 + refCitizenCheck(male17);
  ASSERT_TRUE(normalizeCitizenId(male).isOk());
  EXPECT_EQ(citizenIdSex(male), 'M');
}

TEST(CitizenIdTest, LowerCaseXIsNormalised) {
  auto r = normalizeCitizenId("11010519491231002x");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "11010519491231002X");
}

TEST(CitizenIdTest, AsciiWhitespaceIsTrimmed) {
  auto r = normalizeCitizenId(" \t11010519491231002X\r\n");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "11010519491231002X");
}

TEST(CitizenIdTest, EmptyIsRejectedAndNamesTheField) {
  expectInvalid(normalizeCitizenId(""), "is empty", "citizen_id");
  expectInvalid(normalizeCitizenId(" \t "), "is empty", "citizen_id");
  expectInvalid(normalizeCitizenId("", "holder_code"), "is empty", "holder_code");
}

TEST(CitizenIdTest, WrongLengthSaysBoth) {
  expectInvalid(normalizeCitizenId("11010519491231002"), "must be 18 characters, got 17",
                "citizen_id");
  expectInvalid(normalizeCitizenId("11010519491231002XX"), "must be 18 characters, got 19",
                "citizen_id");
  // A 15-digit first-generation id is not accepted.
  expectInvalid(normalizeCitizenId("110105491231002"), "must be 18 characters, got 15",
                "citizen_id");
}

TEST(CitizenIdTest, NonDigitNamesPositionAndCharacter) {
  expectInvalid(normalizeCitizenId("1101A519491231002X"), "character 5 ('A') is not a digit",
                "citizen_id");
  // The user's own character is quoted, not its upper-case form.
  expectInvalid(normalizeCitizenId("1101a519491231002X"), "character 5 ('a') is not a digit",
                "citizen_id");
  expectInvalid(normalizeCitizenId("11010519491231002Y"),
                "character 18 ('Y') is not a digit or 'X'", "citizen_id");
  expectInvalid(normalizeCitizenId("110105194912310X2X"), "character 16 ('X') is not a digit",
                "citizen_id");
}

TEST(CitizenIdTest, NonAsciiCountsAsOneCharacter) {
  // Full-width digit one (U+FF11, three bytes in UTF-8) in place of the first digit.
  expectInvalid(normalizeCitizenId("\xEF\xBC\x91"
                                   "1010519491231002X"),
                "character 1 ('\xEF\xBC\x91', U+FF11) is not a digit", "citizen_id");
  expectInvalid(normalizeCitizenId("\xFF"
                                   "1010519491231002X"),
                "character 1 (byte 0xFF)", "citizen_id");
  expectInvalid(normalizeCitizenId("110105\t19491231002"), "character 7 (U+0009) is not a digit",
                "citizen_id");
}

std::string withCheck(const std::string& first17) { return first17 + refCitizenCheck(first17); }

TEST(CitizenIdTest, BirthDateMustBeReal) {
  expectInvalid(normalizeCitizenId(withCheck("11010519900230002")),
                "birth date 19900230 is not a real date", "citizen_id");
  expectInvalid(normalizeCitizenId(withCheck("11010519901301002")),
                "birth date 19901301 is not a real date", "citizen_id");
  expectInvalid(normalizeCitizenId(withCheck("11010519900100002")),
                "birth date 19900100 is not a real date", "citizen_id");
  expectInvalid(normalizeCitizenId(withCheck("11010519900431002")),
                "birth date 19900431 is not a real date", "citizen_id");
}

TEST(CitizenIdTest, LeapYears) {
  expectInvalid(normalizeCitizenId(withCheck("11010519990229002")),
                "birth date 19990229 is not a real date", "citizen_id");
  // 1900 is divisible by 100 but not 400: not a leap year.
  expectInvalid(normalizeCitizenId(withCheck("11010519000229002")),
                "birth date 19000229 is not a real date", "citizen_id");
  EXPECT_TRUE(normalizeCitizenId(withCheck("11010520000229002")).isOk());  // divisible by 400
  EXPECT_TRUE(normalizeCitizenId(withCheck("11010519960229002")).isOk());
}

TEST(CitizenIdTest, BirthDateNotInTheFutureNorBefore1850) {
  expectInvalid(normalizeCitizenId(withCheck("11010520991231002")),
                "birth date 20991231 is in the future", "citizen_id");
  expectInvalid(normalizeCitizenId(withCheck("11010518491231002")),
                "birth date 18491231 is before 1850", "citizen_id");
  EXPECT_TRUE(normalizeCitizenId(withCheck("11010518500101002")).isOk());
}

TEST(CitizenIdTest, ProvinceMustBeReal) {
  expectInvalid(normalizeCitizenId(withCheck("99010519491231002")), "province code 99",
                "citizen_id");
  expectInvalid(normalizeCitizenId(withCheck("16010519491231002")), "province code 16",
                "citizen_id");
  expectInvalid(normalizeCitizenId(withCheck("01010519491231002")), "character 1 ('0') must be 1-9",
                "citizen_id");
  for (const char* ok :
       {"11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82"}) {
    EXPECT_TRUE(normalizeCitizenId(withCheck(std::string(ok) + "010519491231002")).isOk()) << ok;
  }
  for (const char* bad : {"10", "20", "24", "30", "38", "40", "47", "49", "55", "60", "66", "70",
                          "72", "80", "83", "90"}) {
    EXPECT_FALSE(normalizeCitizenId(withCheck(std::string(bad) + "010519491231002")).isOk()) << bad;
  }
}

TEST(CitizenIdTest, WrongCheckCharacterGivesTheExpectedOne) {
  expectInvalid(normalizeCitizenId("110105194912310023"), "check character is '3', expected 'X'",
                "citizen_id");
  expectInvalid(normalizeCitizenId("11010519491231001X"), "check character is 'X'", "citizen_id");
}

TEST(CitizenIdTest, GeneratedValuesValidateAndEverySubstitutionIsCaught) {
  std::mt19937 rng(20260101);
  const std::vector<std::string> provinces = {"11", "12", "31", "33", "44", "50", "51", "65", "81"};
  for (int n = 0; n < 300; ++n) {
    char buf[32];
    const int year = 1850 + static_cast<int>(rng() % 170);
    const int month = 1 + static_cast<int>(rng() % 12);
    const int day = 1 + static_cast<int>(rng() % 28);
    std::snprintf(buf, sizeof buf, "%s%04u%04d%02d%02d%03u",
                  provinces[rng() % provinces.size()].c_str(), static_cast<unsigned>(rng() % 10000),
                  year, month, day, static_cast<unsigned>(rng() % 1000));
    const std::string first17 = buf;
    ASSERT_EQ(first17.size(), 17u);
    const std::string id = first17 + refCitizenCheck(first17);
    EXPECT_EQ(citizenIdCheckChar(first17), refCitizenCheck(first17)) << first17;
    auto r = normalizeCitizenId(id);
    ASSERT_TRUE(r.isOk()) << id << ": " << r.status().toString();
    EXPECT_EQ(*r, id);

    // MOD 11-2 catches every single-digit substitution in the order digits and the check.
    for (size_t pos = 14; pos < 18; ++pos) {
      std::string bad = id;
      bad[pos] = (bad[pos] == '9' || bad[pos] == 'X') ? '0' : static_cast<char>(bad[pos] + 1);
      expectInvalid(normalizeCitizenId(bad), "check character is", "citizen_id");
    }
  }
}

// ============================================================================ credit code

TEST(CreditCodeTest, StandardExampleIsValid) {
  auto r = normalizeCreditCode("91350100M000100Y43");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "91350100M000100Y43");
  EXPECT_EQ(creditCodeCheckChar("91350100M000100Y4"), '3');
  EXPECT_EQ(organizationCodeCheckChar("M000100Y"), '4');
}

TEST(CreditCodeTest, OrganizationCodeStandardExample) {
  // GB 11714's own example: D2143569-X.
  EXPECT_EQ(organizationCodeCheckChar("D2143569"), 'X');
  EXPECT_EQ(organizationCodeCheckChar("00000000"), '0');  // sum 0: 11 - 0 = 11 -> '0'
}

TEST(CreditCodeTest, OtherConstructedCodesAreValid) {
  for (const char* code : {"111000000000134346", "12330100470041237L", "91440300MA5F0K3T0C",
                           "5211000050001234XD", "Y1110108MA01ABCD55"}) {
    auto r = normalizeCreditCode(code);
    EXPECT_TRUE(r.isOk()) << code << ": " << r.status().toString();
  }
}

TEST(CreditCodeTest, LowerCaseAndWhitespaceAreNormalised) {
  auto r = normalizeCreditCode("  91350100m000100y43\n");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "91350100M000100Y43");
}

TEST(CreditCodeTest, EmptyAndLength) {
  expectInvalid(normalizeCreditCode(""), "is empty", "credit_code");
  expectInvalid(normalizeCreditCode("91350100M000100Y4"), "must be 18 characters, got 17",
                "credit_code");
  expectInvalid(normalizeCreditCode(" ", "issuer_code"), "is empty", "issuer_code");
  expectInvalid(normalizeCreditCode("91350100M000100Y433"), "must be 18 characters, got 19",
                "credit_code");
}

TEST(CreditCodeTest, AlphabetExcludesIOSVZ) {
  for (char c : std::string("IOSVZ")) {
    std::string code = "91350100M000100Y43";
    code[9] = c;
    expectInvalid(normalizeCreditCode(code),
                  std::string("character 10 ('") + c + "') is not in the GB 32100 alphabet",
                  "credit_code");
  }
  expectInvalid(normalizeCreditCode("91350100M000-00Y43"), "character 13 ('-')", "credit_code");
}

TEST(CreditCodeTest, RegistrationAuthorityAndCategory) {
  std::string code = "B1350100M000100Y43";
  expectInvalid(normalizeCreditCode(code), "character 1 ('B') is not a registration authority",
                "credit_code");
  code = "94350100M000100Y43";
  expectInvalid(normalizeCreditCode(code),
                "character 2 ('4') is not an entity category of registration authority '9'",
                "credit_code");
  code = "Y2350100M000100Y43";
  expectInvalid(normalizeCreditCode(code), "character 2 ('2')", "credit_code");
}

TEST(CreditCodeTest, RegionMustBeDigits) {
  expectInvalid(normalizeCreditCode("9135A100M000100Y43"),
                "character 5 ('A') is not a digit (characters 3-8 are the region code)",
                "credit_code");
}

TEST(CreditCodeTest, WrongCheckCharacterGivesTheExpectedOne) {
  expectInvalid(normalizeCreditCode("91350100M000100Y44"), "check character is '4', expected '3'",
                "credit_code");
}

TEST(CreditCodeTest, EmbeddedOrganizationCodeCheckIsEnforced) {
  // Overall MOD 31 check right, organisation code check ('5' instead of '4') wrong.
  expectInvalid(normalizeCreditCode("91350100M000100Y56"),
                "organisation code M000100Y5 (characters 9-17) has check character '5', expected "
                "'4'",
                "credit_code");
  expectInvalid(normalizeCreditCode("91350100M000100YAM"),
                "character 17 ('A') is not a digit or 'X'", "credit_code");
}

TEST(CreditCodeTest, GeneratedValuesValidateAndEverySubstitutionIsCaught) {
  std::mt19937 rng(32100);
  const std::vector<std::string> heads = {"11", "12", "31", "51", "52",
                                          "53", "91", "92", "93", "Y1"};
  const std::string org_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";  // as a credit code allows
  for (int n = 0; n < 300; ++n) {
    std::string first8;
    for (int i = 0; i < 8; ++i) first8 += org_alphabet[rng() % org_alphabet.size()];
    char region[8];
    std::snprintf(region, sizeof region, "%06u", static_cast<unsigned>(rng() % 1000000));
    const std::string first17 = heads[rng() % heads.size()] + region + first8 + refOrgCheck(first8);
    const std::string code = first17 + refCreditCheck(first17);
    EXPECT_EQ(creditCodeCheckChar(first17), refCreditCheck(first17));
    EXPECT_EQ(organizationCodeCheckChar(first8), refOrgCheck(first8));
    auto r = normalizeCreditCode(code);
    ASSERT_TRUE(r.isOk()) << code << ": " << r.status().toString();

    // Any other alphabet character in the check position is caught with the expected value.
    std::string bad = code;
    bad[17] = kCreditAlphabet[(kCreditAlphabet.find(code[17]) + 1 + rng() % 30) % 31];
    expectInvalid(normalizeCreditCode(bad), std::string("expected '") + code[17] + "'",
                  "credit_code");
  }
}

// ============================================================================ region code

TEST(RegionCodeTest, KnownCodesAndNames) {
  auto r = normalizeRegionCode("110101");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "110101");
  EXPECT_EQ(regionName("110101"), "北京市东城区");
  EXPECT_EQ(regionName("110108"), "北京市海淀区");
  EXPECT_EQ(regionName("330113"), "浙江省杭州市临平区");
  EXPECT_EQ(regionName("330000"), "浙江省");
  EXPECT_EQ(regionName("710000"), "台湾省");
  EXPECT_EQ(regionName("810000"), "香港特别行政区");
  EXPECT_EQ(regionName("820000"), "澳门特别行政区");
  EXPECT_EQ(regionName("440305"), "广东省深圳市南山区");
  EXPECT_EQ(regionName("500103"), "重庆市渝中区");
  EXPECT_EQ(regionName("999999"), "");
  EXPECT_EQ(regionName("11010"), "");
  EXPECT_EQ(regionName(""), "");
}

TEST(RegionCodeTest, TrimmedAndValidated) {
  auto r = normalizeRegionCode(" 440305\t");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, "440305");
  expectInvalid(normalizeRegionCode(""), "is empty", "region_code");
  expectInvalid(normalizeRegionCode("11010"), "must be 6 digits, got 5 characters", "region_code");
  expectInvalid(normalizeRegionCode("11010A"), "character 6 ('A') is not a digit", "region_code");
  expectInvalid(normalizeRegionCode("999999"), "region code 999999 is not in the GB/T 2260 table",
                "region_code");
  // Abolished in Hangzhou's 2021 reorganisation (下城区, 江干区).
  expectInvalid(normalizeRegionCode("330103"), "not in the GB/T 2260 table", "region_code");
  expectInvalid(normalizeRegionCode("330104"), "not in the GB/T 2260 table", "region_code");
  expectInvalid(normalizeRegionCode("999999", "address.region"), "999999", "address.region");
}

TEST(RegionTableTest, SortedUniqueSixDigitsWithFullNames) {
  size_t count = 0;
  const Region* table = regionTable(&count);
  ASSERT_NE(table, nullptr);
  EXPECT_GE(count, 600u);
  std::set<std::string> codes;
  for (size_t i = 0; i < count; ++i) {
    const std::string code = table[i].code;
    const std::string name = table[i].name;
    ASSERT_EQ(code.size(), 6u) << code;
    for (char c : code) ASSERT_TRUE(c >= '0' && c <= '9') << code;
    EXPECT_FALSE(name.empty()) << code;
    if (i > 0) {
      EXPECT_LT(std::string(table[i - 1].code), code) << "not sorted or not unique";
    }
    codes.insert(code);
    // Every entry's province is in the table and its full name starts with the province's.
    const std::string province = regionName(code.substr(0, 2) + "0000");
    ASSERT_FALSE(province.empty()) << code;
    EXPECT_EQ(name.compare(0, province.size(), province), 0) << code << " " << name;
    EXPECT_EQ(regionName(code), name);
  }
  EXPECT_EQ(codes.size(), count);
}

TEST(RegionTableTest, AllProvinceLevelUnitsPresent) {
  int provinces = 0;
  size_t count = 0;
  const Region* table = regionTable(&count);
  for (size_t i = 0; i < count; ++i) {
    if (std::string_view(table[i].code).substr(2) == "0000") ++provinces;
  }
  EXPECT_EQ(provinces, 34);
}

// ============================================================================ certificate id

// Built by hand: type code = credit code 111000000000134346 + 001, issuer = the GB 32100 example,
// serial 2026000123, version 001; check 'Y' computed with ISO 7064 MOD 37,36 outside this code
// (and verified by the hybrid-system property that re-running over data + check leaves 1).
const char kCertificate[] =
    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.001.Y";

TEST(CertificateIdTest, ConstructedValueIsValid) {
  auto r = normalizeCertificateId(kCertificate);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, kCertificate);
  EXPECT_EQ(mod3736CheckChar("11100000000013434600191350100M000100Y432026000123001"), 'Y');
}

TEST(CertificateIdTest, Iso7064Example) {
  // ISO 7064's MOD 37,36 example.
  EXPECT_EQ(mod3736CheckChar("A12425GABC1234002"), 'M');
}

TEST(CertificateIdTest, LowerCaseAndWhitespaceAreNormalised) {
  auto r = normalizeCertificateId(
      "\t1.2.156.3005.2.111000000000134346001.91350100m000100y43.2026000123.001.y ");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r, kCertificate);
}

TEST(CertificateIdTest, OneCharacterChangedIsCaught) {
  // Serial ...123 -> ...124.
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000124.001.Y"),
                "check character is 'Y', expected 'I'", "certificate_id");
  // Version 001 -> 002 (a new version needs a new check).
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.002.Y"),
                "check character is 'Y', expected 'W'", "certificate_id");
  // Check character itself.
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.001.Z"),
                "check character is 'Z', expected 'Y'", "certificate_id");
}

TEST(CertificateIdTest, StructureErrors) {
  const std::string f = "certificate_id";
  expectInvalid(normalizeCertificateId(""), "is empty", f);
  expectInvalid(normalizeCertificateId("1.2.156.3005.3.111000000000134346001.x.1.001.Y"),
                "must start with 1.2.156.3005.2.", f);
  expectInvalid(
      normalizeCertificateId("1.2.156.3005.2.111000000000134346001.91350100M000100Y43.001.Y"),
      "must have 5 dot-separated parts", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.11100000000013434601.91350100M000100Y43.2026000123.001.Y"),
                "type code must be 21 characters", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134347001.91350100M000100Y43.2026000123.001.Y"),
                "type code: credit code check character is '7', expected '6'", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.1110000000001343460A1.91350100M000100Y43.2026000123.001.Y"),
                "type code: number 0A1", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y44.2026000123.001.Y"),
                "issuer code: check character is '4', expected '3'", f);
  expectInvalid(
      normalizeCertificateId("1.2.156.3005.2.111000000000134346001.91350100M000100Y43..001.Y"),
      "serial is empty", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.01.Y"),
                "version must be 3 digits, got '01'", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.000.Y"),
                "version must be 001 or higher", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.001.YY"),
                "check must be 1 character, got 2", f);
  expectInvalid(normalizeCertificateId(
                    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026-000123.001.Y"),
                "character 61 ('-') is not a letter, digit or '.'", f);
  expectInvalid(normalizeCertificateId("1.2.156.3005.2.证照"), "character 16 ('证', U+8BC1)", f);
}

}  // namespace
}  // namespace tongban::ids
