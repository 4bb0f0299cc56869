// Adapter instances read from the configuration file, with secrets from files.
#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "support/test_env.h"
#include "tongban/adapters/adapter_config.h"

namespace tongban::adapters {
namespace {

TEST(AdapterConfigTest, ReadsInstancesAndTheirSettings) {
  const std::string secret = testing::binaryDir() + "/adapter-test.password";
  std::ofstream(secret) << "s3cret\n";
  ::chmod(secret.c_str(), 0600);
  auto c = Config::parse(
      "[adapters]\ninstances = household , tax\n"
      "[adapter.household]\nkind = rest\nsource = household.persons\nowner = X\n"
      "endpoint = http://127.0.0.1:1\nfields = citizen_id=idNumber\nusername = u\n"
      "password_file = " +
      secret +
      "\n"
      "[adapter.tax]\nkind = thrift\nsource = tax.clearance\nendpoint = 127.0.0.1:2\n");
  ASSERT_TRUE(c) << c.status().toString();
  auto a = readAdapterInstances(*c);
  ASSERT_TRUE(a) << a.status().toString();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].instance, "household");
  EXPECT_EQ((*a)[0].kind, "rest");
  EXPECT_EQ((*a)[0].owner, "X");
  EXPECT_EQ((*a)[0].settings.at("password"), "s3cret");
  EXPECT_EQ((*a)[0].settings.at("fields"), "citizen_id=idNumber");
  EXPECT_EQ((*a)[0].settings.count("kind"), 0u);
  EXPECT_EQ((*a)[1].settings.at("endpoint"), "127.0.0.1:2");
}

TEST(AdapterConfigTest, RefusesBadInstanceLists) {
  for (auto [ini, field] : {
           std::pair{"[adapters]\ninstances = Bad-Name\n", "adapters.instances"},
           std::pair{"[adapters]\ninstances = a, a\n[adapter.a]\nkind=rest\nsource=s\n",
                     "adapters.instances"},
           std::pair{"[adapters]\ninstances = a\n[adapter.a]\nsource = s\n", "adapter.a.kind"},
           std::pair{"[adapters]\ninstances = a\n[adapter.a]\nkind = rest\n", "adapter.a.source"},
       }) {
    auto c = Config::parse(ini);
    ASSERT_TRUE(c);
    auto a = readAdapterInstances(*c);
    ASSERT_FALSE(a) << ini;
    EXPECT_EQ(a.status().field(), field) << ini;
  }
  auto none = readAdapterInstances(Config());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace tongban::adapters
