// The status filter built from PostgreSQL (issue 9, part 6): exact for every certificate issued on
// a real hub (valid, suspended, revoked, cancelled, and those of a revoked seal); a delta since an
// older size applied to the older filter answers like a fresh filter; the cache rebuilds when the
// log moves; and `tongban-verify --status-filter` refuses a bundle made before its revocation.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "../certs/hub_fixture.h"
#include "support/test_env.h"
#include "tongban/verification/status_filter.h"
#include "tongban/verification/status_filter_service.h"

namespace tongban::verification {
namespace {

using namespace tongban::certs::testing;
using tongban::testing::runCommand;

std::vector<certs::X509Ptr> roots(const Hub& hub) {
  return std::move(*certs::parseCertificateChainPem(hub.root_pem));
}

// What the database says: id -> valid (status valid and seal active).
std::map<std::string, bool> truth(Hub& hub) {
  std::map<std::string, bool> out;
  pqxx::connection conn(hub.db.conninfo());
  pqxx::read_transaction tx(conn);
  for (const auto& row : tx.exec("SELECT c.certificate_id, c.status = 'valid' AND s.status = "
                                 "'active' FROM certs.certificates c JOIN certs.seals s USING "
                                 "(seal_id)")) {
    out[row[0].c_str()] = row[1].as<bool>();
  }
  return out;
}

std::string issue(Hub& hub, const std::string& seal_id, const std::string& key) {
  auto issued = hub.certs->issue(hub.businessLicence(seal_id, key));
  EXPECT_TRUE(issued) << issued.status().toString();
  return issued ? issued->certificate.certificate_id : "";
}

StatusFilterFile parseVerified(Hub& hub, const std::string& bytes) {
  Result<StatusFilterFile> parsed = parseStatusFilter(bytes);
  EXPECT_TRUE(parsed) << parsed.status().toString();
  Status s = verifyStatusFilterSignature(*parsed, roots(hub));
  EXPECT_TRUE(s) << s.toString();
  return std::move(*parsed);
}

TEST(StatusFilterDb, ExactForEveryIssuedCertificateAndDeltaMatchesFresh) {
  Hub hub("vf_status_filter");
  const certs::Seal seal = hub.makeSeal(kSamr, certs::SignatureAlgorithm::kEcdsaP256Sha256);
  const certs::Seal doomed = hub.makeSeal(kSamr, certs::SignatureAlgorithm::kEcdsaP256Sha256);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(issue(hub, seal.seal_id, "sf-" + std::to_string(i)));
  std::vector<std::string> doomed_ids;
  for (int i = 0; i < 4; ++i) {
    doomed_ids.push_back(issue(hub, doomed.seal_id, "sfd-" + std::to_string(i)));
  }
  for (int i = 0; i < 30; i += 7) {
    ASSERT_TRUE(hub.certs->revoke(ids[i], kSamr, "penalty", "违法经营", "test"));
  }
  ASSERT_TRUE(hub.certs->revoke(ids[2], kSamr, "issued_in_error", "错发", "test"));
  for (int i = 1; i < 30; i += 5) {
    if (i % 7 == 0) continue;  // already revoked
    ASSERT_TRUE(hub.certs->suspend(ids[i], kSamr, "暂扣", "test"));
  }

  StatusFilterOptions options;
  auto built = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusFilter(c, *hub.hub.status_signer, options);
  });
  ASSERT_TRUE(built) << built.status().toString();
  StatusFilterFile full = parseVerified(hub, built->bytes);
  auto before = truth(hub);
  ASSERT_EQ(before.size(), 34u);
  EXPECT_EQ(full.valid_count + full.not_valid_count, 34u);
  EXPECT_EQ(full.not_valid_count, 11u);  // 5 revoked, 1 cancelled, 5 suspended
  OfflineStatusFilter offline;
  ASSERT_TRUE(offline.apply(full));
  for (const auto& [id, valid] : before) EXPECT_EQ(*offline.isValid(id), valid) << id;

  // Changes: resume two, revoke two more, revoke a seal (its four certificates), issue five.
  const uint64_t old_size = full.tree_size;
  ASSERT_TRUE(hub.certs->resume(ids[1], kSamr, "test"));
  ASSERT_TRUE(hub.certs->resume(ids[6], kSamr, "test"));
  ASSERT_TRUE(hub.certs->revoke(ids[3], kSamr, "holder_request", "注销", "test"));
  ASSERT_TRUE(hub.certs->revoke(ids[4], kSamr, "penalty", "违法", "test"));
  ASSERT_TRUE(hub.seals->revoke(doomed.seal_id, "key compromised", "test"));
  for (int i = 0; i < 5; ++i)
    ids.push_back(issue(hub, seal.seal_id, "sf-new-" + std::to_string(i)));
  auto after = truth(hub);
  for (const std::string& id : doomed_ids) EXPECT_FALSE(after[id]) << "seal revoked: " << id;

  auto delta = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusDelta(c, *hub.hub.status_signer, old_size, options);
  });
  ASSERT_TRUE(delta) << delta.status().toString();
  StatusFilterFile delta_file = parseVerified(hub, delta->bytes);
  EXPECT_EQ(delta_file.base_tree_size, old_size);
  EXPECT_EQ(delta_file.changes.size(), 2u + 2u + 4u + 5u);
  ASSERT_TRUE(offline.apply(std::move(delta_file)));

  auto fresh_built = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusFilter(c, *hub.hub.status_signer, options);
  });
  ASSERT_TRUE(fresh_built);
  OfflineStatusFilter fresh;
  ASSERT_TRUE(fresh.apply(parseVerified(hub, fresh_built->bytes)));
  EXPECT_EQ(fresh.treeSize(), offline.treeSize());
  for (const auto& [id, valid] : after) {
    EXPECT_EQ(*offline.isValid(id), valid) << id;
    EXPECT_EQ(*fresh.isValid(id), valid) << id;
  }

  // A delta from the current size is empty; from beyond it, refused naming `since`.
  auto empty = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusDelta(c, *hub.hub.status_signer, fresh.treeSize(), options);
  });
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->certificates, 0u);
  auto beyond = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusDelta(c, *hub.hub.status_signer, fresh.treeSize() + 1, options);
  });
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.status().field(), "since");
}

TEST(StatusFilterDb, CacheRebuildsWhenTheLogMoves) {
  Hub hub("vf_status_cache");
  const certs::Seal seal = hub.makeSeal(kSamr, certs::SignatureAlgorithm::kEcdsaP256Sha256);
  issue(hub, seal.seal_id, "c-1");
  StatusFilterOptions options;
  options.min_rebuild_interval = std::chrono::milliseconds(0);
  StatusFilterCache cache(*hub.pool, hub.hub.status_signer, options);
  auto first = cache.current();
  ASSERT_TRUE(first) << first.status().toString();
  auto again = cache.current();
  ASSERT_TRUE(again);
  EXPECT_EQ(first->get(), again->get()) << "the log did not move: the same filter";
  EXPECT_EQ(cache.builds(), 1u);
  const std::string id = issue(hub, seal.seal_id, "c-2");
  auto moved = cache.current();
  ASSERT_TRUE(moved);
  EXPECT_EQ(cache.builds(), 2u);
  EXPECT_GT((*moved)->tree_size, (*first)->tree_size);
  OfflineStatusFilter offline;
  ASSERT_TRUE(offline.apply(parseVerified(hub, (*moved)->bytes)));
  EXPECT_TRUE(*offline.isValid(id));

  // ?since=0 of a log larger than the delta limit: the full filter instead, never a huge list.
  StatusFilterOptions small = options;
  small.max_delta_changes = 1;
  auto too_big = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusDelta(c, *hub.hub.status_signer, 0, small);
  });
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.status().code(), ErrorCode::kPayloadTooLarge);
  StatusFilterCache limited(*hub.pool, hub.hub.status_signer, small);
  auto instead = limited.deltaSince(0);
  ASSERT_TRUE(instead) << instead.status().toString();
  EXPECT_FALSE((*instead)->delta);
  EXPECT_EQ(parseVerified(hub, (*instead)->bytes).kind, kStatusFilterFull);
  auto small_delta = limited.deltaSince((*moved)->tree_size - 1);
  ASSERT_TRUE(small_delta) << small_delta.status().toString();
  EXPECT_TRUE((*small_delta)->delta);

  // No status key: the filter is unavailable, not a crash.
  StatusFilterCache keyless(*hub.pool, nullptr, options);
  auto none = keyless.current();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), ErrorCode::kUnavailable);
}

// The offline verifier's case: a bundle fetched while the certificate was valid still verifies
// on its own for a day; with a newer status filter it is refused.
TEST(StatusFilterDb, TongbanVerifyRefusesABundleTheFilterSaysIsRevoked) {
  Hub hub("vf_status_cli");
  const certs::Seal seal = hub.makeSeal(kSamr, certs::SignatureAlgorithm::kEcdsaP256Sha256);
  const std::string kept = issue(hub, seal.seal_id, "cli-1");
  const std::string revoked = issue(hub, seal.seal_id, "cli-2");
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(hub.dir + "/" + name, std::ios::binary | std::ios::trunc) << bytes;
    return hub.dir + "/" + name;
  };
  const std::string kept_bundle = write("kept.json", *hub.certs->bundle(kept));
  const std::string old_bundle = write("old.json", *hub.certs->bundle(revoked));
  const std::string root = write("root.pem", hub.root_pem);
  ASSERT_TRUE(hub.certs->revoke(revoked, kSamr, "penalty", "违法经营", "test"));
  auto built = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusFilter(c, *hub.hub.status_signer, StatusFilterOptions{});
  });
  ASSERT_TRUE(built);
  const std::string filter = write("filter.bin", built->bytes);
  const std::string tool = tongban::testing::binaryDir() + "/certs/tongban-verify";

  auto alone = runCommand(tool + " " + old_bundle + " --root " + root);
  EXPECT_EQ(alone.exit_code, 0) << "without the filter the old bundle still passes: "
                                << alone.output;
  auto refused =
      runCommand(tool + " " + old_bundle + " --root " + root + " --status-filter " + filter);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("INVALID (status_filter_not_valid)"), std::string::npos)
      << refused.output;
  auto ok = runCommand(tool + " " + kept_bundle + " --root " + root + " --status-filter " + filter);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("valid in the status filter"), std::string::npos) << ok.output;
  auto query =
      runCommand(tool + " status-filter " + filter + " --root " + root + " --id " + revoked);
  EXPECT_EQ(query.exit_code, 1) << query.output;
  EXPECT_NE(query.output.find("NOT VALID"), std::string::npos) << query.output;

  // A corrupt filter file: a clear message and exit 2, never a crash.
  const std::string corrupt = write("corrupt.bin", built->bytes.substr(0, built->bytes.size() / 2));
  auto bad =
      runCommand(tool + " " + kept_bundle + " --root " + root + " --status-filter " + corrupt);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("truncated"), std::string::npos) << bad.output;
  // A delta given as the full filter is refused.
  auto delta = db::withConnection(*hub.pool, [&](pqxx::connection& c) {
    return buildStatusDelta(c, *hub.hub.status_signer, 0, StatusFilterOptions{});
  });
  ASSERT_TRUE(delta);
  const std::string delta_file = write("delta.bin", delta->bytes);
  auto swapped =
      runCommand(tool + " " + kept_bundle + " --root " + root + " --status-filter " + delta_file);
  EXPECT_EQ(swapped.exit_code, 2) << swapped.output;
}

}  // namespace
}  // namespace tongban::verification
