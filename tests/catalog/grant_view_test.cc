// What an old grant returns after its resource changes (grant_view.h), the masking order it
// relies on (masking.h), and the invalidating cache's epoch (invalidating_cache.h): a lookup that
// raced with an invalidation never stores what it read.
#include "tongban/catalog/grant_view.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tongban/catalog/invalidating_cache.h"
#include "tongban/catalog/masking.h"

namespace tongban::catalog {
namespace {

Resource version(int v, std::vector<std::pair<std::string, MaskingRule>> fields) {
  Resource r;
  r.code = "POP-TEST";
  r.version = v;
  for (auto& [name, rule] : fields) {
    ResourceField f;
    f.name = name;
    f.masking = rule;
    r.fields.push_back(f);
  }
  return r;
}

Grant grantOn(int v, std::vector<std::string> fields, std::vector<std::string> unmasked = {}) {
  Grant g;
  g.resource_code = "POP-TEST";
  g.resource_version = v;
  g.fields = std::move(fields);
  g.unmasked_fields = std::move(unmasked);
  return g;
}

std::string describe(const std::vector<FieldView>& view) {
  std::string out;
  for (const FieldView& f : view) {
    out += (out.empty() ? "" : " ") + f.name + ":" + toString(f.masking);
  }
  return out;
}

TEST(MaskingOrderTest, OnlyTheSameRuleFullOrAnythingOverNoneIsAtLeastAsStrong) {
  EXPECT_TRUE(atLeastAsStrong(MaskingRule::kName, MaskingRule::kName));
  EXPECT_TRUE(atLeastAsStrong(MaskingRule::kFull, MaskingRule::kName));
  EXPECT_TRUE(atLeastAsStrong(MaskingRule::kName, MaskingRule::kNone));
  EXPECT_FALSE(atLeastAsStrong(MaskingRule::kNone, MaskingRule::kName));
  EXPECT_FALSE(atLeastAsStrong(MaskingRule::kAddress, MaskingRule::kName));
  EXPECT_FALSE(atLeastAsStrong(MaskingRule::kName, MaskingRule::kFull));
  EXPECT_EQ(strongerOf(MaskingRule::kNone, MaskingRule::kName), MaskingRule::kName);
  EXPECT_EQ(strongerOf(MaskingRule::kFull, MaskingRule::kName), MaskingRule::kFull);
  EXPECT_EQ(strongerOf(MaskingRule::kAddress, MaskingRule::kName), MaskingRule::kFull);
}

TEST(GrantViewTest, TheSameVersionServesTheGrantedFieldsWithTheirMasking) {
  Resource v1 = version(1, {{"citizen_id", MaskingRule::kCitizenId},
                            {"name", MaskingRule::kName},
                            {"sex", MaskingRule::kNone}});
  EXPECT_EQ(describe(grantView(grantOn(1, {"name", "sex"}), v1, v1)), "name:name sex:none");
  EXPECT_EQ(describe(grantView(grantOn(1, {"name", "sex"}, {"name"}), v1, v1)),
            "name:none sex:none");
}

TEST(GrantViewTest, ALaterVersionNeverWidensAnOldGrant) {
  Resource v1 = version(1, {{"citizen_id", MaskingRule::kCitizenId},
                            {"name", MaskingRule::kName},
                            {"address", MaskingRule::kNone},
                            {"sex", MaskingRule::kNone}});
  // Version 2 drops sex, masks address, unmasks name and adds birth_date.
  Resource v2 = version(2, {{"citizen_id", MaskingRule::kCitizenId},
                            {"name", MaskingRule::kNone},
                            {"address", MaskingRule::kAddress},
                            {"birth_date", MaskingRule::kNone}});
  Grant old = grantOn(1, {"citizen_id", "name", "address", "sex"});
  EXPECT_EQ(describe(grantView(old, v1, v2)), "citizen_id:citizen_id name:name address:address");
  // A field the grant never listed is not served even if a later version has it.
  Grant asked_more = grantOn(1, {"name", "birth_date"});
  EXPECT_EQ(describe(grantView(asked_more, v1, v2)), "name:name");
}

TEST(GrantViewTest, ALiftedMaskingDoesNotCoverAStrongerRuleOfALaterVersion) {
  Resource v1 = version(1, {{"name", MaskingRule::kName}, {"address", MaskingRule::kAddress}});
  Resource v2 = version(2, {{"name", MaskingRule::kFull}, {"address", MaskingRule::kAddress}});
  Grant g = grantOn(1, {"name", "address"}, {"name", "address"});
  EXPECT_EQ(describe(grantView(g, v1, v2)), "name:full address:none");
}

TEST(GrantViewTest, AGrantServesNothingFromAVersionItDoesNotName) {
  Resource v1 = version(1, {{"name", MaskingRule::kNone}});
  Resource v2 = version(2, {{"name", MaskingRule::kNone}});
  EXPECT_TRUE(grantView(grantOn(1, {"name"}), v2, v2).empty());
}

TEST(InvalidatingCacheTest, ALoadThatRacedWithAnInvalidationIsNotStored) {
  InvalidatingCache<std::string, int> cache(std::chrono::hours(1));
  int loads = 0;
  // The load reads "active" from the database, then the revocation's notification arrives
  // (invalidate) before the load returns: the stale value must not be cached.
  auto racing = cache.get("grant", [&]() -> Result<int> {
    ++loads;
    cache.invalidate("grant");
    return 1;
  });
  ASSERT_TRUE(racing.isOk());
  EXPECT_EQ(**racing, 1);  // the racing caller itself gets what it read
  auto next = cache.get("grant", [&]() -> Result<int> {
    ++loads;
    return 2;
  });
  ASSERT_TRUE(next.isOk());
  EXPECT_EQ(**next, 2) << "the raced value was cached";
  EXPECT_EQ(loads, 2);
  // Without a race, the value is cached.
  auto hit = cache.get("grant", [&]() -> Result<int> {
    ++loads;
    return 3;
  });
  EXPECT_EQ(**hit, 2);
  EXPECT_EQ(loads, 2);
}

TEST(InvalidatingCacheTest, NothingIsStoredWhileUntrustedOrWithAZeroTtl) {
  InvalidatingCache<std::string, int> cache(std::chrono::hours(1));
  cache.setTrusted(false);
  int loads = 0;
  auto load = [&]() -> Result<int> { return ++loads; };
  EXPECT_TRUE(cache.get("k", load).isOk());
  EXPECT_TRUE(cache.get("k", load).isOk());
  EXPECT_EQ(loads, 2);
  cache.setTrusted(true);
  EXPECT_TRUE(cache.get("k", load).isOk());
  EXPECT_TRUE(cache.get("k", load).isOk());
  EXPECT_EQ(loads, 3);
  cache.setTtl(std::chrono::milliseconds(0));
  EXPECT_TRUE(cache.get("k", load).isOk());
  EXPECT_TRUE(cache.get("k", load).isOk());
  EXPECT_EQ(loads, 5);
}

}  // namespace
}  // namespace tongban::catalog
