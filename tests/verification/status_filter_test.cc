// The status filter without a database (issue 9, part 6): the cascade is exact for every id it
// was built over, survives its own file format, refuses corrupt and truncated files with a clear
// error, and a delta applied gives the answers of a fresh filter.
#include "tongban/verification/status_filter.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "support/test_env.h"
#include "tongban/certs/hub_pki.h"

namespace tongban::verification {
namespace {

constexpr const char* kPassphrase = "status-filter-test";

struct Pki {
  std::string dir;
  certs::HubIdentity hub;
  std::vector<certs::X509Ptr> roots;
  Pki() {
    std::string pattern = tongban::testing::binaryDir() + "/status_filter_test_XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    EXPECT_TRUE(certs::initHubPki(dir + "/pki", kPassphrase));
    hub = std::move(*certs::loadHubIdentity(dir + "/pki", kPassphrase));
    roots = std::move(*certs::parseCertificateChainPem(hub.chain_pem.back()));
  }
  ~Pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Pki& pki() {
  static Pki shared;  // one PKI for the suite, removed at exit
  return shared;
}

std::string certificateId(uint64_t n) {
  return "1.2.156.3005.2.11100000MB0143028R001.11110000MB01832653." +
         std::to_string(2026000000 + n) + ".001.X";
}

// n ids, each non-valid with probability `rate` (seeded: the same set every run).
std::map<std::string, bool> seededSet(size_t n, double rate, uint32_t seed) {
  std::mt19937 random(seed);
  std::bernoulli_distribution not_valid(rate);
  std::map<std::string, bool> set;
  for (size_t i = 0; i < n; ++i) set[certificateId(i)] = !not_valid(random);
  return set;
}

StatusFilterFile fullFilter(const std::map<std::string, bool>& set, uint64_t tree_size) {
  StatusFilterFile f;
  for (size_t i = 0; i < f.salt.size(); ++i) f.salt[i] = static_cast<uint8_t>(i * 7 + 1);
  std::vector<IdDigest> valid, not_valid;
  for (const auto& [id, ok] : set) (ok ? valid : not_valid).push_back(idDigest(f.salt, id));
  f.valid_count = valid.size();
  f.not_valid_count = not_valid.size();
  Result<FilterCascade> cascade = FilterCascade::build(std::move(valid), std::move(not_valid));
  EXPECT_TRUE(cascade) << cascade.status().toString();
  f.cascade = std::move(*cascade);
  f.tree_size = tree_size;
  f.produced_at = std::time(nullptr);
  f.next_update = f.produced_at + 86400;
  return f;
}

std::string signedFull(const StatusFilterFile& f) {
  return *signStatusFilter(encodeFullFilter(f), *pki().hub.status_signer);
}

TEST(FilterCascadeTest, ExactForEverySeededId) {
  for (auto [n, rate] : {std::pair<size_t, double>{200'000, 0.01},
                         {5'000, 0.5},
                         {3'000, 0.97},
                         {1, 0.0},
                         {1, 1.0},
                         {0, 0.0}}) {
    const auto set = seededSet(n, rate, 17);
    StatusFilterFile f = fullFilter(set, n);
    size_t wrong = 0;
    for (const auto& [id, ok] : set) {
      if (f.cascade.isValid(idDigest(f.salt, id)) != ok) ++wrong;
    }
    EXPECT_EQ(wrong, 0u) << n << " ids, rate " << rate;
  }
  // All valid: no level at all, everything answers valid.
  const auto all_valid = seededSet(1000, 0.0, 3);
  EXPECT_EQ(fullFilter(all_valid, 1000).cascade.levels().size(), 0u);
}

TEST(FilterCascadeTest, RoundTripsThroughTheSignedFile) {
  const auto set = seededSet(50'000, 0.01, 5);
  const std::string bytes = signedFull(fullFilter(set, 50'000));
  Result<StatusFilterFile> parsed = parseStatusFilter(bytes);
  ASSERT_TRUE(parsed) << parsed.status().toString();
  EXPECT_TRUE(verifyStatusFilterSignature(*parsed, pki().roots));
  EXPECT_EQ(parsed->tree_size, 50'000u);
  OfflineStatusFilter offline;
  ASSERT_TRUE(offline.apply(std::move(*parsed)));
  for (const auto& [id, ok] : set) ASSERT_EQ(*offline.isValid(id), ok) << id;
  // Ids never issued are out of scope: any answer, but an answer.
  for (int i = 0; i < 1000; ++i) (void)offline.isValid("never-issued-" + std::to_string(i));
  (void)offline.isValid("");
}

// Every truncation, and each corrupted header field, is a clear InvalidArgument, never a crash.
TEST(FilterCascadeTest, CorruptOrTruncatedFilesAreRefused) {
  const std::string bytes = signedFull(fullFilter(seededSet(300, 0.1, 9), 300));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    Result<StatusFilterFile> r = parseStatusFilter(std::string_view(bytes).substr(0, cut));
    ASSERT_FALSE(r) << cut;
    EXPECT_EQ(r.status().field(), "status_filter");
  }
  EXPECT_FALSE(parseStatusFilter(bytes + "x"));
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_NE(parseStatusFilter(magic).status().message().find("magic"), std::string::npos);
  std::string version = bytes;
  version[4] = 9;
  EXPECT_FALSE(parseStatusFilter(version));
  std::string kind = bytes;
  kind[5] = 7;
  EXPECT_FALSE(parseStatusFilter(kind));
  // Level 1's bit count set to 2^60: refused before any allocation.
  std::string huge = bytes;
  const size_t level1 = 6 + 5 * 8 + 16 + 1;
  huge[level1] = 0x10;
  Result<StatusFilterFile> r = parseStatusFilter(huge);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("level 1"), std::string::npos) << r.status().message();
  // A bit of the bitmap flipped: parses, but the signature no longer verifies.
  std::string flipped = bytes;
  flipped[level1 + 12] = static_cast<char>(flipped[level1 + 12] ^ 0x04);
  Result<StatusFilterFile> parsed = parseStatusFilter(flipped);
  ASSERT_TRUE(parsed);
  Status s = verifyStatusFilterSignature(*parsed, pki().roots);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.field(), "bad_signature");
  // Random garbage of many lengths.
  std::mt19937 random(1);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(random() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(random());
    if (i % 2 == 0 && junk.size() > 6) junk.replace(0, 6, std::string("TBSF\x01\x01", 6));
    (void)parseStatusFilter(junk);
  }
}

TEST(FilterCascadeTest, FilterSignedByAnotherRoleIsRefused) {
  const std::string bytes = *signStatusFilter(
      encodeFullFilter(fullFilter(seededSet(10, 0.2, 1), 10)), *pki().hub.verification_signer);
  Result<StatusFilterFile> parsed = parseStatusFilter(bytes);
  ASSERT_TRUE(parsed);
  Status s = verifyStatusFilterSignature(*parsed, pki().roots);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.field(), "not_authorized") << s.toString();
}

// Filter at size 1000, then revocations, resumptions and 200 new certificates: the delta applied
// to the old filter answers exactly like a fresh filter of the new set.
TEST(FilterCascadeTest, DeltaAppliedEqualsFreshFilter) {
  auto before = seededSet(1000, 0.02, 11);
  StatusFilterFile old_filter = fullFilter(before, 1000);
  auto after = before;
  for (uint64_t i = 0; i < 1000; i += 37) after[certificateId(i)] = !after[certificateId(i)];
  for (uint64_t i = 1000; i < 1200; ++i) after[certificateId(i)] = i % 10 != 0;
  StatusFilterFile delta;
  delta.kind = kStatusFilterDelta;
  delta.base_tree_size = 1000;
  delta.tree_size = 1300;
  delta.produced_at = std::time(nullptr);
  delta.next_update = delta.produced_at + 86400;
  for (const auto& [id, ok] : after) {
    auto it = before.find(id);
    if (it == before.end() || it->second != ok) delta.changes.push_back({id, ok});
  }
  Result<std::string> body = encodeDelta(delta);
  ASSERT_TRUE(body);
  const std::string delta_bytes = *signStatusFilter(*body, *pki().hub.status_signer);
  Result<StatusFilterFile> parsed_delta = parseStatusFilter(delta_bytes);
  ASSERT_TRUE(parsed_delta) << parsed_delta.status().toString();
  EXPECT_TRUE(verifyStatusFilterSignature(*parsed_delta, pki().roots));

  OfflineStatusFilter offline;
  ASSERT_FALSE(offline.apply(*parsed_delta)) << "a delta needs a full filter first";
  ASSERT_TRUE(offline.apply(*parseStatusFilter(signedFull(old_filter))));
  ASSERT_TRUE(offline.apply(*parsed_delta));
  EXPECT_EQ(offline.treeSize(), 1300u);
  Status again = offline.apply(*parsed_delta);
  ASSERT_FALSE(again) << "the same delta twice does not apply (base size 1000, filter at 1300)";
  StatusFilterFile fresh = fullFilter(after, 1300);
  for (const auto& [id, ok] : after) {
    ASSERT_EQ(*offline.isValid(id), ok) << id;
    ASSERT_EQ(fresh.cascade.isValid(idDigest(fresh.salt, id)), ok) << id;
  }
  // Truncated deltas are refused like truncated filters.
  for (size_t cut = 0; cut < delta_bytes.size(); cut += 7) {
    EXPECT_FALSE(parseStatusFilter(std::string_view(delta_bytes).substr(0, cut))) << cut;
  }
  // Unsorted changes cannot be encoded.
  StatusFilterFile unsorted = delta;
  std::swap(unsorted.changes.front(), unsorted.changes.back());
  EXPECT_FALSE(encodeDelta(unsorted));
}

}  // namespace
}  // namespace tongban::verification
