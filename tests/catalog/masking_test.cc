// Tests of the masking rules (masking.h): the shapes users see, and UTF-8 safety.
#include "tongban/catalog/masking.h"

#include <gtest/gtest.h>

#include <string>

namespace tongban::catalog {
namespace {

// Whether s is well-formed UTF-8 (no split or stray bytes).
bool validUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(MaskingTest, NoneReturnsTheValue) {
  EXPECT_EQ(maskValue(MaskingRule::kNone, "张三"), "张三");
  EXPECT_EQ(maskValue(MaskingRule::kNone, ""), "");
}

TEST(MaskingTest, CitizenIdKeepsFirstSixAndLastFour) {
  EXPECT_EQ(maskValue(MaskingRule::kCitizenId, "11010519491231002X"), "110105********002X");
  // Old 15-digit ids.
  EXPECT_EQ(maskValue(MaskingRule::kCitizenId, "110105491231002"), "110105*****1002");
  // Too short to keep anything.
  EXPECT_EQ(maskValue(MaskingRule::kCitizenId, "1234567890"), "**********");
  EXPECT_EQ(maskValue(MaskingRule::kCitizenId, ""), "");
}

TEST(MaskingTest, CreditCodeKeepsFirstEightAndLastTwo) {
  EXPECT_EQ(maskValue(MaskingRule::kCreditCode, "91350100M000100Y43"), "91350100********43");
  EXPECT_EQ(maskValue(MaskingRule::kCreditCode, "ABCDEFGHIJ"), "**********");
}

TEST(MaskingTest, PhoneKeepsFirstThreeAndLastFour) {
  EXPECT_EQ(maskValue(MaskingRule::kPhone, "13812345678"), "138****5678");
  EXPECT_EQ(maskValue(MaskingRule::kPhone, "010-62345678"), "010*****5678");
  EXPECT_EQ(maskValue(MaskingRule::kPhone, "1234567"), "*******");
}

TEST(MaskingTest, NameKeepsFirstAndForThreeOrMoreTheLastCharacter) {
  EXPECT_EQ(maskValue(MaskingRule::kName, "张三"), "张*");
  EXPECT_EQ(maskValue(MaskingRule::kName, "张小英"), "张*英");
  EXPECT_EQ(maskValue(MaskingRule::kName, "李四五六"), "李**六");
  EXPECT_EQ(maskValue(MaskingRule::kName, "王"), "*");
  EXPECT_EQ(maskValue(MaskingRule::kName, ""), "");
  EXPECT_EQ(maskValue(MaskingRule::kName, "Li"), "L*");
}

TEST(MaskingTest, NameKeepsACompoundSurnameWhole) {
  EXPECT_EQ(maskValue(MaskingRule::kName, "欧阳娜娜"), "欧阳**");
  EXPECT_EQ(maskValue(MaskingRule::kName, "欧阳修"), "欧阳*");
  EXPECT_EQ(maskValue(MaskingRule::kName, "司马相如"), "司马**");
  // Two characters: the general rule.
  EXPECT_EQ(maskValue(MaskingRule::kName, "欧阳"), "欧*");
}

TEST(MaskingTest, AddressKeepsTheDistrict) {
  EXPECT_EQ(maskValue(MaskingRule::kAddress, "北京市海淀区中关村大街1号"), "北京市海淀区****");
  EXPECT_EQ(maskValue(MaskingRule::kAddress, "北京市海淀区"), "北京市****");
  EXPECT_EQ(maskValue(MaskingRule::kAddress, ""), "");
}

TEST(MaskingTest, DateKeepsTheYear) {
  EXPECT_EQ(maskValue(MaskingRule::kDate, "1949-10-01"), "1949-**-**");
  EXPECT_EQ(maskValue(MaskingRule::kDate, "2026-03-01T08:00:00Z"), "2026-**-**");
  EXPECT_EQ(maskValue(MaskingRule::kDate, "yesterday"), "******");
}

TEST(MaskingTest, FullHidesValueAndLength) {
  EXPECT_EQ(maskValue(MaskingRule::kFull, "secret"), "******");
  EXPECT_EQ(maskValue(MaskingRule::kFull, "a much longer secret value"), "******");
  EXPECT_EQ(maskValue(MaskingRule::kFull, ""), "******");
}

TEST(MaskingTest, NeverSplitsAMultiByteCharacter) {
  // A four-byte character (𠀀, U+20000) and mixed widths.
  const std::string rare = "\xF0\xA0\x80\x80";
  EXPECT_EQ(maskValue(MaskingRule::kName, rare + "小" + rare), rare + "*" + rare);
  const std::string mixed = "a张" + rare + "b李é王c";
  for (MaskingRule rule :
       {MaskingRule::kCitizenId, MaskingRule::kCreditCode, MaskingRule::kPhone, MaskingRule::kName,
        MaskingRule::kAddress, MaskingRule::kDate, MaskingRule::kFull}) {
    for (size_t len = 0; len <= mixed.size(); ++len) {
      // Only prefixes that end on a character boundary are valid input.
      if (!validUtf8(mixed.substr(0, len))) continue;
      const std::string masked = maskValue(rule, mixed.substr(0, len));
      EXPECT_TRUE(validUtf8(masked)) << toString(rule) << " of " << mixed.substr(0, len);
    }
  }
  EXPECT_EQ(maskValue(MaskingRule::kCitizenId, "一二三四五六七八九十甲乙丙丁"),
            "一二三四五六****甲乙丙丁");
}

TEST(MaskingTest, InvalidBytesNeverComeOutRaw) {
  // A truncated three-byte sequence and a stray continuation byte.
  const std::string bad =
      "\xE5\xBC"
      "abc\x80"
      "defghijkl";
  for (MaskingRule rule : {MaskingRule::kCitizenId, MaskingRule::kCreditCode, MaskingRule::kPhone,
                           MaskingRule::kName, MaskingRule::kAddress}) {
    const std::string masked = maskValue(rule, bad);
    EXPECT_TRUE(validUtf8(masked)) << toString(rule);
  }
  EXPECT_EQ(maskValue(MaskingRule::kAddress,
                      "\xE5"
                      "bcdefgh"),
            "\xEF\xBF\xBD"
            "bcdef****");
}

}  // namespace
}  // namespace tongban::catalog
