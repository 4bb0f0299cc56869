// Group-committed issuance (certs/src/issuance_sequencer.h) under concurrency, on a real
// database: what a batch writes must be exactly what one-at-a-time issuance wrote: gap-free
// serials and log indexes, the stored subtrees of the log, one event and one change-feed row per
// certificate in log order, idempotency, batches that leave no trace when they fail, and one bad
// issuance that never fails the others of its batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "hub_fixture.h"
#include "tongban/certs/bundle.h"
#include "tongban/certs/certificate_registry.h"

namespace tongban::certs {
namespace {

using namespace tongban::certs::testing;

// Checks every invariant of the stored log and certificates that batching could break.
void expectConsistent(Hub& hub) {
  pqxx::connection conn(hub.db.conninfo());
  pqxx::read_transaction tx(conn);
  const uint64_t size = tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
  // Leaves 0..size-1, no gap; every leaf belongs to exactly one event.
  EXPECT_EQ(tx.exec1("SELECT count(*), coalesce(max(leaf_index) + 1, 0) FROM certs.log_leaves")[0]
                .as<uint64_t>(),
            size);
  EXPECT_EQ(tx.exec1("SELECT (SELECT count(*) FROM certs.status_events) + "
                     "(SELECT count(*) FROM certs.seal_events)")[0]
                .as<uint64_t>(),
            size);
  // One issue event and one change-feed row per certificate; the feed is in log order.
  EXPECT_EQ(
      tx.exec1("SELECT count(*) FROM certs.status_events WHERE action = 'issue'")[0].as<int>(),
      tx.exec1("SELECT count(*) FROM certs.certificates WHERE version = 1")[0].as<int>());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.changes")[0].as<int>(),
            tx.exec1("SELECT count(*) FROM certs.status_events")[0].as<int>());
  std::vector<int64_t> feed;
  for (const auto& row : tx.exec("SELECT e.log_index FROM certs.changes ch JOIN "
                                 "certs.status_events e ON e.certificate_id = ch.certificate_id "
                                 "AND e.action = ch.event WHERE ch.event = 'issue' "
                                 "ORDER BY ch.seq")) {
    feed.push_back(row[0].as<int64_t>());
  }
  EXPECT_TRUE(std::is_sorted(feed.begin(), feed.end()));
  // Serials: 1..n per issuer and year, and the counter says n.
  for (const auto& row :
       tx.exec("SELECT c.issuer_code, count(*), min(substr(serial, 5)::bigint), "
               "max(substr(serial, 5)::bigint), s.last FROM certs.certificates c "
               "JOIN certs.serial_counters s ON s.issuer_code = c.issuer_code "
               "AND s.year = substr(c.serial, 1, 4)::int GROUP BY c.issuer_code, s.last")) {
    SCOPED_TRACE(row[0].c_str());
    EXPECT_EQ(row[2].as<int64_t>(), 1);
    EXPECT_EQ(row[3].as<int64_t>(), row[1].as<int64_t>());
    EXPECT_EQ(row[4].as<int64_t>(), row[1].as<int64_t>());
  }
  // Every stored complete subtree, and only those, with the hash the RFC 6962 tree gives.
  InMemoryMerkleTree reference;
  for (const auto& row : tx.exec("SELECT leaf_data FROM certs.log_leaves ORDER BY leaf_index")) {
    pqxx::binarystring leaf(row[0]);
    reference.append(leaf.str());
  }
  uint64_t expected_nodes = 0;
  for (unsigned level = 1; level < 64; ++level) expected_nodes += size >> level;
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.log_nodes")[0].as<uint64_t>(), expected_nodes);
  for (const auto& row : tx.exec("SELECT level, idx, hash FROM certs.log_nodes")) {
    pqxx::binarystring hash(row[2]);
    const MerkleHash want =
        reference.perfectSubtreeHash(row[0].as<unsigned>(), row[1].as<uint64_t>()).value();
    ASSERT_EQ(hash.str(), std::string(want.begin(), want.end()))
        << row[0].as<int>() << "/" << row[1].as<int64_t>();
  }
  ASSERT_EQ(*hub.log->rootAt(size), reference.root());
}

TEST(CertsIssueBatch, ConcurrentIssuersGetGapFreeSerialsAndAConsistentLog) {
  Hub hub("certs_batch", 4);
  Seal ecdsa = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  Seal sm2 = hub.makeSeal(kSamr, SignatureAlgorithm::kSm2Sm3);
  constexpr int kThreads = 24, kEach = 8;
  std::vector<std::vector<Certificate>> issued(kThreads);
  std::atomic<bool> stop{false};
  // Another appender (lifecycle transitions) runs meanwhile, so the sequencer's frontier keeps
  // going stale and must be re-read.
  auto first = hub.certs->issue(hub.businessLicence(ecdsa.seal_id, "first"));
  ASSERT_TRUE(first) << first.status().toString();
  std::thread other([&] {
    while (!stop) {
      ASSERT_TRUE(hub.certs->suspend(first->certificate.certificate_id, kSamr, "", "x"));
      ASSERT_TRUE(hub.certs->resume(first->certificate.certificate_id, kSamr, "x"));
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const Seal& seal = (t + i) % 2 ? ecdsa : sm2;
        auto r = hub.certs->issue(
            hub.businessLicence(seal.seal_id, "b-" + std::to_string(t) + "-" + std::to_string(i)));
        ASSERT_TRUE(r) << r.status().toString();
        EXPECT_FALSE(r->replayed);
        issued[t].push_back(r->certificate);
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  other.join();

  // What issue() returned (not read back) is what was stored, and it verifies.
  std::set<std::string> ids;
  for (const auto& list : issued) {
    for (const Certificate& c : list) {
      ids.insert(c.certificate_id);
      auto stored = hub.certs->get(c.certificate_id);
      ASSERT_TRUE(stored);
      EXPECT_EQ(stored->serial, c.serial);
      EXPECT_EQ(stored->number, c.number);
      EXPECT_EQ(stored->issuer_name, c.issuer_name);
      EXPECT_EQ(stored->type_name, c.type_name);
      EXPECT_EQ(stored->holder_code, c.holder_code);
      EXPECT_EQ(stored->holder_code_type, c.holder_code_type);
      EXPECT_EQ(stored->surface_json, c.surface_json);
      EXPECT_EQ(stored->payload, c.payload);
      EXPECT_EQ(stored->signature, c.signature);
      EXPECT_EQ(stored->algorithm, c.algorithm);
      EXPECT_EQ(stored->issued_at, c.issued_at);
      EXPECT_EQ(stored->issue_date, c.issue_date);
      EXPECT_EQ(stored->valid_from, c.valid_from);
      EXPECT_EQ(stored->valid_to, c.valid_to);
      EXPECT_EQ(stored->log_index, c.log_index);
      EXPECT_EQ(hub.log->entry(c.log_index)->leaf_data.find(c.certificate_id) != std::string::npos,
                true);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
  const Certificate& sample = issued[3][5];
  auto bundle = hub.certs->bundle(sample.certificate_id);
  ASSERT_TRUE(bundle);
  auto roots = parseCertificateChainPem(hub.root_pem);
  EXPECT_TRUE(verifyBundle(*bundle, *roots, std::time(nullptr)).ok());
  EXPECT_GT(hub.certs->issuanceStats().largest_batch, 1u);  // it did batch
  expectConsistent(hub);
}

TEST(CertsIssueBatch, RetriesInFlightAndFailuresInABatchLeaveNoTrace) {
  Hub hub("certs_batch_idem", 4);
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  Seal revoked = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  ASSERT_TRUE(hub.seals->revoke(revoked.seal_id, "gone", "admin"));
  // 6 keys, each sent by 4 threads at once, among requests that fail inside the batch (revoked
  // seal, holder not in the registry): one certificate per key, and no serial is skipped.
  constexpr int kKeys = 6, kCopies = 4;
  std::map<std::string, std::vector<std::pair<std::string, bool>>> results;
  std::mutex results_mu;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kKeys; ++k) {
    for (int c = 0; c < kCopies; ++c) {
      threads.emplace_back([&, k] {
        const std::string key = "retry-" + std::to_string(k);
        auto r = hub.certs->issue(hub.businessLicence(seal.seal_id, key));
        ASSERT_TRUE(r) << r.status().toString();
        std::lock_guard<std::mutex> lock(results_mu);
        results[key].emplace_back(r->certificate.certificate_id, r->replayed);
      });
    }
    threads.emplace_back([&, k] {
      auto r = hub.certs->issue(hub.businessLicence(revoked.seal_id, "bad-" + std::to_string(k)));
      EXPECT_EQ(r.status().code(), ErrorCode::kConflict);
      ++refused;
    });
    threads.emplace_back([&, k] {
      IssueRequest r = hub.businessLicence(seal.seal_id, "defunct-" + std::to_string(k));
      r.holder_code = kDefunct;
      r.surface_json.replace(r.surface_json.find(kRestaurant), 18, kDefunct);
      auto result = hub.certs->issue(r);
      EXPECT_EQ(result.status().field(), "holder.code");
      ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 2 * kKeys);
  ASSERT_EQ(results.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, answers] : results) {
    SCOPED_TRACE(key);
    ASSERT_EQ(answers.size(), static_cast<size_t>(kCopies));
    std::set<std::string> ids;
    int fresh = 0;
    for (const auto& [id, replayed] : answers) {
      ids.insert(id);
      fresh += replayed ? 0 : 1;
    }
    EXPECT_EQ(ids.size(), 1u);
    EXPECT_EQ(fresh, 1);
  }
  {
    pqxx::connection conn(hub.db.conninfo());
    pqxx::read_transaction tx(conn);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.certificates")[0].as<int>(), kKeys);
  }
  expectConsistent(hub);
}

TEST(CertsIssueBatch, ANulOrControlCharacterFailsOnlyItsOwnRequest) {
  // Issue 7 hole 10: a \u0000 in one department's surface used to fail the whole batch (jsonb
  // cannot store it) for every department. Now it is refused up front, naming the field.
  Hub hub("certs_batch_nul", 4);
  Seal samr = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  Seal fuzhou = hub.makeSeal(kFuzhou, SignatureAlgorithm::kEcdsaP256Sha256);
  struct Bad {
    const char* what;
    std::function<void(IssueRequest&)> spoil;
    const char* field;
  };
  const std::vector<Bad> bad = {
      {"NUL escaped in a surface value",
       [](IssueRequest& r) {
         r.surface_json.replace(r.surface_json.find("知春路8号"), 0, "\\u0000");
       },
       "surface.address"},
      {"NUL escaped in a surface member name",
       [](IssueRequest& r) { r.surface_json.replace(1, 0, "\"x\\u0000\":\"1\","); },
       "surface member name"},
      {"control character in a surface value",
       [](IssueRequest& r) { r.surface_json.replace(r.surface_json.find("张伟"), 0, "\\u0007"); },
       "surface.legal_representative"},
      {"NUL byte in the holder name",
       [](IssueRequest& r) { r.holder_name += std::string(1, '\0') + "x"; }, "holder.name"},
      {"control character in the holder name",
       [](IssueRequest& r) { r.holder_name.insert(0, "\x1b"); }, "holder.name"},
  };
  constexpr int kRounds = 3, kGoodPerRound = 8;
  std::atomic<int> good_ok{0};
  std::mutex mu;
  std::vector<std::string> failures;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> threads;
    for (size_t b = 0; b < bad.size(); ++b) {
      threads.emplace_back([&, b, round] {
        IssueRequest r = hub.businessLicence(
            samr.seal_id, "bad-" + std::to_string(round) + "-" + std::to_string(b));
        bad[b].spoil(r);
        auto result = hub.certs->issue(r);
        std::lock_guard<std::mutex> lock(mu);
        if (result) {
          failures.push_back(std::string(bad[b].what) + ": issued");
        } else if (result.status().code() != ErrorCode::kInvalidArgument ||
                   result.status().field() != bad[b].field) {
          failures.push_back(std::string(bad[b].what) + ": " + result.status().toString() +
                             " (field '" + result.status().field() + "')");
        }
      });
    }
    for (int g = 0; g < kGoodPerRound; ++g) {
      threads.emplace_back([&, g, round] {
        const bool other = g % 2 == 1;  // half from another department, with its own seal
        IssueRequest r =
            hub.businessLicence(other ? fuzhou.seal_id : samr.seal_id,
                                "good-" + std::to_string(round) + "-" + std::to_string(g));
        if (other) r.issuer_code = kFuzhou;
        auto result = hub.certs->issue(r);
        if (result) {
          ++good_ok;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back("good request: " + result.status().toString());
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
  EXPECT_EQ(good_ok.load(), kRounds * kGoodPerRound);
  expectConsistent(hub);
}

TEST(CertsIssueBatch, AValueTheDatabaseRefusesFailsOnlyItsOwnRequest) {
  // Defence in depth behind the up-front checks: whatever the database refuses in one issuance
  // (here a trigger raising a data exception for actor "poison"), the batch is re-run one by one
  // and only the culprit fails, with a 400.
  Hub hub("certs_batch_isolate", 4);
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kSm2Sm3);
  Seal fuzhou = hub.makeSeal(kFuzhou, SignatureAlgorithm::kEcdsaP256Sha256);
  ASSERT_TRUE(hub.certs->issue(hub.businessLicence(seal.seal_id, "before")));
  hub.exec(
      "CREATE FUNCTION certs.test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.actor = 'poison' THEN RAISE EXCEPTION 'poisoned value' USING ERRCODE = '22023'; "
      "END IF; RETURN NEW; END $$;"
      "CREATE TRIGGER test_poison BEFORE INSERT ON certs.status_events "
      "FOR EACH ROW EXECUTE FUNCTION certs.test_poison()");
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      const bool other = i % 3 == 1;
      IssueRequest r =
          hub.businessLicence(other ? fuzhou.seal_id : seal.seal_id, "k-" + std::to_string(i));
      if (other) r.issuer_code = kFuzhou;
      if (i % 4 == 0) r.actor = "poison";
      auto result = hub.certs->issue(r);
      if (result) {
        EXPECT_NE(i % 4, 0);
        ++ok;
      } else {
        EXPECT_EQ(i % 4, 0) << result.status().toString();
        EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument)
            << result.status().toString();
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(refused.load(), 4);
  expectConsistent(hub);  // serials and log gap-free although batches were re-run
  auto bundle = hub.certs->bundle(
      hub.certs->issue(hub.businessLicence(seal.seal_id, "k-1"))->certificate.certificate_id);
  ASSERT_TRUE(bundle);
  auto roots = parseCertificateChainPem(hub.root_pem);
  EXPECT_TRUE(verifyBundle(*bundle, *roots, std::time(nullptr)).ok());
}

TEST(CertsIssueBatch, AFailedWriteFailsOnlyItsCulpritAndTheLogRecovers) {
  Hub hub("certs_batch_fail", 4);
  Seal seal = hub.makeSeal(kSamr, SignatureAlgorithm::kEcdsaP256Sha256);
  ASSERT_TRUE(hub.certs->issue(hub.businessLicence(seal.seal_id, "before")));
  // The write statement fails whenever a batch holds an issuance by actor "poison".
  hub.exec(
      "CREATE FUNCTION certs.test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.actor = 'poison' THEN RAISE EXCEPTION 'poisoned batch'; END IF; RETURN NEW; END $$;"
      "CREATE TRIGGER test_poison BEFORE INSERT ON certs.status_events "
      "FOR EACH ROW EXECUTE FUNCTION certs.test_poison()");
  std::atomic<int> ok{0}, unavailable{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      IssueRequest r = hub.businessLicence(seal.seal_id, "k-" + std::to_string(i));
      if (i % 4 == 0) r.actor = "poison";
      auto result = hub.certs->issue(r);
      if (result) {
        EXPECT_NE(i % 4, 0);
        ++ok;
      } else {
        EXPECT_EQ(result.status().code(), ErrorCode::kUnavailable) << result.status().toString();
        ++unavailable;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), 3);  // the poisoned ones; their batches were re-run one by one
  EXPECT_EQ(ok.load(), 9);
  expectConsistent(hub);  // nothing half-written; serials and log gap-free
  // Retries of the failed requests (now without poison) succeed, on a log that still agrees.
  for (int i = 0; i < 12; ++i) {
    auto retry = hub.certs->issue(hub.businessLicence(seal.seal_id, "k-" + std::to_string(i)));
    ASSERT_TRUE(retry) << retry.status().toString();
  }
  EXPECT_GE(hub.certs->issuanceStats().failed_batches, 1u);
  pqxx::connection conn(hub.db.conninfo());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM certs.certificates")[0].as<int>(), 13);
  tx.commit();
  expectConsistent(hub);
}

}  // namespace
}  // namespace tongban::certs
