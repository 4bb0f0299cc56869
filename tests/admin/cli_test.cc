// Tests of `tongban-admin id check`: in-process through runIdCheck, and once through the built
// binary to check exit codes and the split between stdout and stderr as a shell user sees them.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "support/test_env.h"
#include "tongban/admin/commands.h"

namespace tongban::admin {
namespace {

struct IdCheckRun {
  int code;
  std::string out;
  std::string err;
};

IdCheckRun idCheck(const Args& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = runIdCheck(args, out, err);
  return {code, out.str(), err.str()};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char kCertificate[] =
    "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000123.001.Y";

TEST(IdCheckTest, ValidCitizenIdPrintsOnlyTheNormalisedValue) {
  const IdCheckRun r = idCheck({"citizen", " 11010519491231002x "});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "11010519491231002X\n");
  EXPECT_EQ(r.err, "");
}

TEST(IdCheckTest, ValidCreditCode) {
  const IdCheckRun r = idCheck({"credit-code", "91350100m000100y43"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "91350100M000100Y43\n");
  EXPECT_EQ(r.err, "");
}

TEST(IdCheckTest, ValidRegionPrintsItsName) {
  const IdCheckRun r = idCheck({"region", "330113"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "330113\t浙江省杭州市临平区\n");
  EXPECT_EQ(r.err, "");
}

TEST(IdCheckTest, ValidCertificate) {
  const IdCheckRun r = idCheck({"certificate", kCertificate});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string(kCertificate) + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(IdCheckTest, InvalidValuesSayWhatIsWrong) {
  IdCheckRun r = idCheck({"citizen", "110105194912310023"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "invalid citizen: check character is '3', expected 'X'\n");

  r = idCheck({"citizen", "11010519990229002X"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "birth date 19990229 is not a real date")) << r.err;

  r = idCheck({"credit-code", "91350100M000100Y4"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "invalid credit-code: must be 18 characters, got 17\n");

  r = idCheck({"region", "999999"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "invalid region: region code 999999 is not in the GB/T 2260 table\n");

  r = idCheck(
      {"certificate", "1.2.156.3005.2.111000000000134346001.91350100M000100Y43.2026000124.001.Y"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "invalid certificate: check character is 'Y', expected 'I'\n");
  EXPECT_EQ(r.out, "");
}

TEST(IdCheckTest, UsageErrors) {
  IdCheckRun r = idCheck({});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "usage: tongban-admin id check")) << r.err;

  r = idCheck({"citizen"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "missing value")) << r.err;
  EXPECT_TRUE(contains(r.err, "usage:")) << r.err;

  r = idCheck({"passport", "E12345678"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "unknown kind 'passport'")) << r.err;

  r = idCheck({"region", "110101", "110102"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "expected one value, got 2")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(IdCheckCliTest, BinaryExitCodesAndOutput) {
  const std::string bin = tongban::testing::binaryDir() + "/admin/tongban-admin";

  auto r = tongban::testing::runCommand(bin + " id check credit-code 91350100M000100Y43");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "91350100M000100Y43\n");

  r = tongban::testing::runCommand(bin + " id check region 110108");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "110108\t北京市海淀区\n");

  // Only stderr carries the diagnosis: with stdout discarded it is still all there. (runCommand
  // appends 2>&1 to the whole command, so stdout is discarded inside a group.)
  r = tongban::testing::runCommand("{ " + bin +
                                   " id check citizen 11010519491231002 >/dev/null; }");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "invalid citizen: must be 18 characters, got 17\n");

  r = tongban::testing::runCommand(bin + " id check citizen");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "usage:")) << r.output;

  r = tongban::testing::runCommand(bin + " id check vin 1HGCM82633A004352");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown kind 'vin'")) << r.output;
}

}  // namespace
}  // namespace tongban::admin
