// Tests of the audit log on a real PostgreSQL: appends and group commit, durability semantics on
// a lost connection, the append-only triggers, checkpoints, every kind of tampering the verifier
// must catch, and a holder's access log.
#include "tongban/audit/access_log.h"
#include "tongban/audit/checkpoint.h"
#include "tongban/audit/search.h"
#include "tongban/audit/verify.h"
#include "tongban/audit/writer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "support/test_db.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/signer.h"

namespace tongban::audit {
namespace {

using testing::TestDatabase;

const char kCitizenA[] = "11010519491231002X";
const char kCitizenB[] = "110105194912310037";

AuditEntry entry(int i, const std::string& result = "allowed",
                 std::vector<std::string> subjects = {kCitizenA}) {
  AuditEntry e;
  e.request_id = "req-" + std::to_string(i);
  e.app_id = "app_00000000000000a1";
  e.department_code = "11100000000000001X";
  e.key_id = "key_00000000000000a1";
  e.method = "POST";
  e.path = "/v1/query/population.persons";
  e.resource_code = "population.persons";
  e.fields = {"name", "birth_date"};
  e.subject_keys = std::move(subjects);
  e.matter_code = "MAT-" + std::to_string(i % 3);
  e.case_id = "case-" + std::to_string(i);
  e.result = result;
  e.http_status = result == "allowed" ? 200 : 403;
  if (result != "allowed") e.reason = "no grant for field birth_date";
  return e;
}

std::shared_ptr<const certs::Signer> makeSigner() {
  auto key = certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256);
  EXPECT_TRUE(key.isOk());
  auto signer =
      certs::makeSoftwareSigner(std::move(*key), certs::SignatureAlgorithm::kEcdsaP256Sha256);
  EXPECT_TRUE(signer.isOk());
  return std::shared_ptr<const certs::Signer>(std::move(*signer));
}

std::unique_ptr<AuditWriter> openLog(const TestDatabase& db, const std::string& node = "node-1",
                                     std::shared_ptr<const certs::Signer> signer = nullptr,
                                     int64_t checkpoint_every = 10000) {
  AuditWriter::Options o;
  o.conninfo = db.conninfo();
  o.node_id = node;
  o.checkpoint_signer = std::move(signer);
  o.checkpoint_every_entries = checkpoint_every;
  auto log = AuditWriter::open(o);
  EXPECT_TRUE(log.isOk()) << log.status().toString();
  return log.isOk() ? std::move(*log) : nullptr;
}

AuditVerifyReport verify(const TestDatabase& db, const std::string& key_pem = "") {
  pqxx::connection conn(db.conninfo());
  AuditVerifyOptions o;
  o.checkpoint_public_key_pem = key_pem;
  o.fetch_rows = 7;  // several FETCHes per chain
  auto report = verifyAuditChain(conn, o);
  EXPECT_TRUE(report.isOk()) << report.status().toString();
  return report.isOk() ? *report : AuditVerifyReport{};
}

// Runs `sql` with the append-only triggers bypassed, as a superuser tampering with the files
// would.
void tamper(const TestDatabase& db, const std::string& sql) {
  pqxx::connection conn(db.conninfo());
  pqxx::work tx(conn);
  tx.exec("SET LOCAL session_replication_role = replica");
  tx.exec(sql);
  tx.commit();
}

TEST(AuditLog, AppendsAChainThatVerifies) {
  TestDatabase db("audit_append");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  for (int i = 1; i <= 3; ++i) {
    auto seq = log->append(entry(i));
    ASSERT_TRUE(seq.isOk()) << seq.status().toString();
    EXPECT_EQ(*seq, i);
  }
  AuditEntry sparse;
  sparse.result = "error";
  sparse.path = std::string("/v1/bad\xff\xfe\0path", 14);  // invalid UTF-8 and a NUL
  auto seq = log->append(sparse);
  ASSERT_TRUE(seq.isOk()) << seq.status().toString();
  EXPECT_EQ(*seq, 4);
  log->close();
  EXPECT_EQ(log->stats().appended, 4u);

  pqxx::connection conn(db.conninfo());
  pqxx::work tx(conn);
  auto row = tx.exec1(
      "SELECT request_id IS NULL, app_id IS NULL, http_status IS NULL, fields = '{}', path, "
      "octet_length(prev_hash), octet_length(hash) FROM exchange.audit_log WHERE seq = 4");
  EXPECT_TRUE(row[0].as<bool>());  // empty strings are NULL
  EXPECT_TRUE(row[1].as<bool>());
  EXPECT_TRUE(row[2].as<bool>());
  EXPECT_TRUE(row[3].as<bool>());
  EXPECT_EQ(row[4].as<std::string>(), "/v1/bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDpath");
  EXPECT_EQ(row[5].as<int>(), 32);
  EXPECT_EQ(row[6].as<int>(), 32);
  auto first = tx.exec1("SELECT prev_hash = '\\x" + std::string(64, '0') +
                        "'::bytea FROM exchange.audit_log WHERE seq = 1");
  EXPECT_TRUE(first[0].as<bool>());
  tx.commit();

  auto report = verify(db);
  EXPECT_TRUE(report.intact());
  ASSERT_EQ(report.nodes.size(), 1u);
  EXPECT_EQ(report.nodes[0].entries_checked, 4);
}

TEST(AuditLog, AwkwardTextRoundTripsThroughEveryWriteMethod) {
  TestDatabase db("audit_escape");
  db.migrate();
  const std::string nasty = "tab\there\nnew\\line \"quoted\" {brace,comma} NULL \\N 北京 \r";
  int node = 0;
  for (auto method :
       {AuditWriter::Options::WriteMethod::kCopy, AuditWriter::Options::WriteMethod::kUnnest}) {
    AuditWriter::Options o;
    o.conninfo = db.conninfo();
    o.node_id = "node-" + std::to_string(++node);
    o.write_method = method;
    auto log = AuditWriter::open(o);
    ASSERT_TRUE(log.isOk()) << log.status().toString();
    AuditEntry e = entry(1);
    e.path = nasty;
    e.reason = nasty;
    e.fields = {nasty, "", "NULL", "a,b", "{x}"};
    e.subject_keys = {};
    ASSERT_TRUE((*log)->append(e).isOk());
    (*log)->close();
    pqxx::connection conn(db.conninfo());
    pqxx::work tx(conn);
    auto row = tx.exec1(std::string("SELECT ") + kAuditRecordSelect +
                        " FROM exchange.audit_log a WHERE node_id = " + tx.quote(o.node_id));
    AuditRecord r = auditRecordFromRow(row).value();
    EXPECT_EQ(r.path, nasty);
    EXPECT_EQ(r.reason, nasty);
    EXPECT_EQ(r.fields, e.fields);
    EXPECT_TRUE(r.subject_keys.empty());
  }
  auto report = verify(db);
  EXPECT_TRUE(report.intact()) << report.problems.at(0).message;
  EXPECT_EQ(report.nodes.size(), 2u);
}

TEST(AuditLog, RefusesABadResult) {
  TestDatabase db("audit_badresult");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  auto seq = log->append(entry(1, "maybe"));
  ASSERT_FALSE(seq.isOk());
  EXPECT_EQ(seq.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(seq.status().field(), "result");
  EXPECT_EQ(*log->append(entry(2)), 1);  // nothing was consumed
}

// A read's nonce is claimed with its audit entry: the first claim of a pair is stored as sent,
// every other one (later, or in the same batch) is stored as the refusal of a replay and
// append() says kUnauthenticated; the chain stays intact either way.
TEST(AuditLog, NonceClaimsRefuseReplaysAndKeepTheChain) {
  TestDatabase db("audit_nonces");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  auto claimed = [](int i, const std::string& nonce) {
    AuditEntry e = entry(i);
    e.method = "GET";
    e.nonce_claim = AuditEntry::NonceClaim{"key_00000000000000a1", nonce, 2000000000, 1700000000};
    return e;
  };
  const std::string nonce = "0123456789abcdef0123456789abcdef";
  auto first = log->append(claimed(1, nonce));
  ASSERT_TRUE(first) << first.status().toString();
  auto again = log->append(claimed(2, nonce));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), ErrorCode::kUnauthenticated);
  // Several appenders with one pair at once: one may win only if none won before (none here).
  constexpr int kThreads = 8;
  const std::string burst = "fedcba9876543210fedcba9876543210";
  std::atomic<int> wins{0}, refusals{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto r = log->append(claimed(10 + t, burst));
      if (r) ++wins;
      if (!r && r.status().code() == ErrorCode::kUnauthenticated) ++refusals;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(refusals.load(), kThreads - 1);
  log->close();
  pqxx::connection c(db.conninfo());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM exchange.audit_log WHERE result = 'denied' AND "
                     "http_status = 401 AND reason LIKE '%replay%'")[0]
                .as<int>(),
            kThreads);  // one for `again`, kThreads - 1 for the burst
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM exchange.audit_log")[0].as<int>(), kThreads + 2);
  EXPECT_TRUE(verify(db).intact());
}

TEST(AuditLog, ConcurrentAppendersShareCommits) {
  TestDatabase db("audit_group");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  // Hold the table so that the writer's first batch blocks; everything appended meanwhile must
  // then go out in one further batch.
  pqxx::connection blocker(db.conninfo());
  pqxx::work hold(blocker);
  hold.exec("LOCK TABLE exchange.audit_log IN EXCLUSIVE MODE");

  constexpr int kThreads = 24;
  std::vector<int64_t> seqs(kThreads, 0);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { seqs[0] = log->append(entry(0)).value(); });
  // Wait until the writer's COPY of that first entry waits for the lock.
  pqxx::connection watcher(db.conninfo());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    pqxx::nontransaction tx(watcher);
    waiting =
        tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = " + tx.quote(db.name()) +
                 " AND wait_event_type = 'Lock'")[0]
            .as<int>() == 1;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int t = 1; t < kThreads; ++t) {
    threads.emplace_back([&, t] { seqs[t] = log->append(entry(t)).value(); });
  }
  bool queued = false;
  while (waiting && !queued && std::chrono::steady_clock::now() < deadline) {
    queued = log->stats().queued == kThreads - 1;
    if (!queued) std::this_thread::yield();
  }
  hold.abort();  // before any assertion: the appenders must not stay blocked
  for (auto& t : threads) t.join();
  ASSERT_TRUE(waiting) << "the writer's first batch never waited for the table lock";
  ASSERT_TRUE(queued) << "the other appenders never queued behind the first batch";

  std::sort(seqs.begin(), seqs.end());
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(seqs[i], i + 1);
  const AuditWriter::Stats stats = log->stats();
  EXPECT_EQ(stats.appended, static_cast<uint64_t>(kThreads));
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.last_batch_size, static_cast<uint64_t>(kThreads - 1));
  log->close();
  EXPECT_TRUE(verify(db).intact());
}

TEST(AuditLog, ManyThreadsKeepTheChainContiguous) {
  TestDatabase db("audit_threads");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  std::vector<std::thread> threads;
  std::vector<std::set<int64_t>> got(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) got[t].insert(log->append(entry(t * 100 + i)).value());
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& s : got) all.insert(s.begin(), s.end());
  ASSERT_EQ(all.size(), 400u);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 400);
  log->close();
  auto report = verify(db);
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.nodes.at(0).entries_checked, 400);
}

TEST(AuditLog, LostConnectionFailsTheBatchAndKeepsTheHead) {
  TestDatabase db("audit_down");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  ASSERT_EQ(*log->append(entry(1)), 1);
  {
    pqxx::connection admin(db.conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
            tx.quote(db.name()) + " AND pid <> pg_backend_pid()");
  }
  auto failed = log->append(entry(2));
  ASSERT_FALSE(failed.isOk());
  EXPECT_EQ(failed.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(log->stats().failed_entries, 1u);
  // The next batch reconnects, re-reads the head, and continues the chain with no hole.
  auto next = log->append(entry(3));
  ASSERT_TRUE(next.isOk()) << next.status().toString();
  EXPECT_EQ(*next, 2);
  log->close();
  EXPECT_TRUE(verify(db).intact());
}

TEST(AuditLog, OpenFailsWhenTheDatabaseIsDown) {
  AuditWriter::Options o;
  o.conninfo = "host=127.0.0.1 port=1 dbname=nothing connect_timeout=2";
  auto log = AuditWriter::open(o);
  ASSERT_FALSE(log.isOk());
  EXPECT_EQ(log.status().code(), ErrorCode::kUnavailable);
}

TEST(AuditLog, OneWriterPerNode) {
  TestDatabase db("audit_lock");
  db.migrate();
  auto first = openLog(db, "node-1");
  ASSERT_TRUE(first);
  AuditWriter::Options o;
  o.conninfo = db.conninfo();
  o.node_id = "node-1";
  auto second = AuditWriter::open(o);
  ASSERT_FALSE(second.isOk());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  auto other = openLog(db, "node-2");  // another node is fine
  EXPECT_TRUE(other);
  first->close();
  // Reopened after close: the head is read back from the table.
  ASSERT_TRUE(other);
  ASSERT_EQ(*other->append(entry(1)), 1);
  auto again = openLog(db, "node-1");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->append(entry(2)), 1);
  EXPECT_EQ(*again->append(entry(3)), 2);
}

TEST(AuditLog, TableIsAppendOnly) {
  TestDatabase db("audit_trigger");
  db.migrate();
  {
    auto log = openLog(db, "node-1", makeSigner(), 1);
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->append(entry(1)).isOk());
  }
  pqxx::connection conn(db.conninfo());
  for (const char* sql :
       {"UPDATE exchange.audit_log SET path = '/x'", "DELETE FROM exchange.audit_log",
        "TRUNCATE exchange.audit_log", "UPDATE exchange.audit_checkpoints SET seq = 2",
        "DELETE FROM exchange.audit_checkpoints", "TRUNCATE exchange.audit_checkpoints"}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM exchange.audit_log")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM exchange.audit_checkpoints")[0].as<int>(), 1);
}

TEST(AuditLog, WritesSignedCheckpoints) {
  TestDatabase db("audit_cp");
  db.migrate();
  auto signer = makeSigner();
  auto log = openLog(db, "node-1", signer, 5);
  ASSERT_TRUE(log);
  for (int i = 1; i <= 12; ++i) ASSERT_TRUE(log->append(entry(i)).isOk());
  log->close();  // signs the last two entries too
  EXPECT_EQ(log->stats().checkpoints, 3u);
  pqxx::connection conn(db.conninfo());
  pqxx::work tx(conn);
  auto rows = tx.exec("SELECT seq, algorithm FROM exchange.audit_checkpoints ORDER BY seq");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].as<int>(), 5);
  EXPECT_EQ(rows[1][0].as<int>(), 10);
  EXPECT_EQ(rows[2][0].as<int>(), 12);
  EXPECT_EQ(rows[0][1].as<std::string>(), "ECDSA-P256-SHA256");
  tx.commit();
  auto report = verify(db, signer->publicKeyPem());
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.nodes.at(0).checkpoints_checked, 3);
}

// ---- tampering ---------------------------------------------------------------------------

// node-1: 20 entries, checkpoints at 5, 10, 15, 20; node-2: 6 entries, checkpoints at 5, 6.
class AuditTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>("audit_tamper");
    db_->migrate();
    signer_ = makeSigner();
    auto one = openLog(*db_, "node-1", signer_, 5);
    auto two = openLog(*db_, "node-2", signer_, 5);
    ASSERT_TRUE(one && two);
    for (int i = 1; i <= 20; ++i) ASSERT_TRUE(one->append(entry(i)).isOk());
    for (int i = 1; i <= 6; ++i) ASSERT_TRUE(two->append(entry(100 + i, "denied")).isOk());
  }

  // Expects exactly one problem, on node-1.
  void expectProblem(AuditProblemKind kind, int64_t seq, const std::string& key_pem = "") {
    auto report = verify(*db_, key_pem);
    ASSERT_EQ(report.problems.size(), 1u);
    const AuditProblem& p = report.problems[0];
    EXPECT_EQ(p.node_id, "node-1");
    EXPECT_EQ(auditProblemKindName(p.kind), std::string(auditProblemKindName(kind))) << p.message;
    EXPECT_EQ(p.seq, seq) << p.message;
    EXPECT_FALSE(p.message.empty());
    ASSERT_EQ(report.nodes.size(), 2u);
    EXPECT_EQ(report.nodes[1].entries_checked, 6);  // node-2 is still checked, and intact
  }

  std::unique_ptr<TestDatabase> db_;
  std::shared_ptr<const certs::Signer> signer_;
};

TEST_F(AuditTamper, UntouchedChainsVerify) {
  auto report = verify(*db_, signer_->publicKeyPem());
  EXPECT_TRUE(report.intact());
  ASSERT_EQ(report.nodes.size(), 2u);
  EXPECT_EQ(report.nodes[0].node_id, "node-1");
  EXPECT_EQ(report.nodes[0].entries_checked, 20);
  EXPECT_EQ(report.nodes[0].checkpoints_checked, 4);
  EXPECT_EQ(report.nodes[1].entries_checked, 6);
  EXPECT_EQ(report.nodes[1].checkpoints_checked, 2);
}

TEST_F(AuditTamper, EditedFieldIsAHashMismatch) {
  tamper(*db_,
         "UPDATE exchange.audit_log SET matter_code = 'MAT-X' "
         "WHERE node_id = 'node-1' AND seq = 7");
  expectProblem(AuditProblemKind::kHashMismatch, 7);
}

TEST_F(AuditTamper, EditedArrayIsAHashMismatch) {
  tamper(*db_,
         "UPDATE exchange.audit_log SET fields = '{name}' "
         "WHERE node_id = 'node-1' AND seq = 3");
  expectProblem(AuditProblemKind::kHashMismatch, 3);
}

TEST_F(AuditTamper, DeletedRowIsASeqGap) {
  tamper(*db_, "DELETE FROM exchange.audit_log WHERE node_id = 'node-1' AND seq = 7");
  expectProblem(AuditProblemKind::kSeqGap, 7);
}

TEST_F(AuditTamper, InsertedRowBreaksTheNextLink) {
  // Make room at seq 8 and insert a forged row that links correctly to 7 and hashes correctly;
  // the old 8 (now 9) no longer links to its predecessor.
  tamper(*db_,
         "UPDATE exchange.audit_log SET seq = seq + 1000 WHERE node_id = 'node-1' AND seq >= 8;"
         "UPDATE exchange.audit_log SET seq = seq - 999 WHERE node_id = 'node-1' AND seq > 1000");
  pqxx::connection conn(db_->conninfo());
  pqxx::work tx(conn);
  auto row = tx.exec1(std::string("SELECT ") + kAuditRecordSelect +
                      " FROM exchange.audit_log a WHERE node_id = 'node-1' AND seq = 7");
  AuditRecord forged = auditRecordFromRow(row).value();
  forged.seq = 8;
  forged.matter_code = "FORGED";
  forged.prev_hash = forged.hash;
  forged.hash = computeAuditHash(forged.prev_hash, forged);
  tx.exec("SET LOCAL session_replication_role = replica");
  tx.exec_params(
      "INSERT INTO exchange.audit_log (node_id, seq, at, result, matter_code, prev_hash, hash, "
      "request_id, app_id, department_code, key_id, method, path, resource_code, fields, "
      "subject_keys, case_id, http_status) "
      "SELECT node_id, 8, at, result, 'FORGED', $1, $2, request_id, app_id, department_code, "
      "key_id, method, path, resource_code, fields, subject_keys, case_id, http_status "
      "FROM exchange.audit_log WHERE node_id = 'node-1' AND seq = 7",
      pqxx::binarystring(forged.prev_hash), pqxx::binarystring(forged.hash));
  tx.commit();
  expectProblem(AuditProblemKind::kPrevHashMismatch, 9);
}

TEST_F(AuditTamper, SwappedRowsAreAPrevHashMismatch) {
  tamper(*db_,
         "UPDATE exchange.audit_log a SET (at, request_id, matter_code, case_id, prev_hash, hash) "
         "= (SELECT b.at, b.request_id, b.matter_code, b.case_id, b.prev_hash, b.hash "
         "   FROM exchange.audit_log b WHERE b.node_id = a.node_id "
         "   AND b.seq = CASE a.seq WHEN 7 THEN 12 ELSE 7 END) "
         "WHERE a.node_id = 'node-1' AND a.seq IN (7, 12)");
  expectProblem(AuditProblemKind::kPrevHashMismatch, 7);
}

TEST_F(AuditTamper, CutTailBelowACheckpointIsTruncation) {
  tamper(*db_, "DELETE FROM exchange.audit_log WHERE node_id = 'node-1' AND seq > 17");
  expectProblem(AuditProblemKind::kTruncated, 18, signer_->publicKeyPem());
}

TEST_F(AuditTamper, RewrittenChainContradictsItsCheckpoint) {
  // The forger edits seq 7 and recomputes every later hash: the chain is self-consistent again,
  // but the checkpoint signed at 10 no longer matches.
  tamper(*db_,
         "UPDATE exchange.audit_log SET matter_code = 'MAT-X' "
         "WHERE node_id = 'node-1' AND seq = 7");
  pqxx::connection conn(db_->conninfo());
  pqxx::work tx(conn);
  tx.exec("SET LOCAL session_replication_role = replica");
  auto rows = tx.exec(std::string("SELECT ") + kAuditRecordSelect +
                      " FROM exchange.audit_log a WHERE node_id = 'node-1' ORDER BY seq");
  std::string prev(32, '\0');
  for (const auto& row : rows) {
    AuditRecord r = auditRecordFromRow(row).value();
    const std::string hash = computeAuditHash(prev, r);
    tx.exec_params(
        "UPDATE exchange.audit_log SET prev_hash = $1, hash = $2 "
        "WHERE node_id = 'node-1' AND seq = $3",
        pqxx::binarystring(prev), pqxx::binarystring(hash), r.seq);
    prev = hash;
  }
  tx.commit();
  expectProblem(AuditProblemKind::kCheckpointMismatch, 10, signer_->publicKeyPem());
}

TEST_F(AuditTamper, CorruptedCheckpointSignature) {
  tamper(*db_,
         "UPDATE exchange.audit_checkpoints SET signature = "
         "overlay(signature PLACING '\\x00'::bytea FROM octet_length(signature) - 3) "
         "WHERE node_id = 'node-1' AND seq = 10");
  expectProblem(AuditProblemKind::kBadCheckpointSignature, 10);  // even without a trusted key
}

TEST_F(AuditTamper, CheckpointForgedWithAnotherKey) {
  // The forger re-signs checkpoint 10 over a different hash with their own key, and stores their
  // key with it. Only the hub's key, given to the verifier, exposes it.
  auto forger = makeSigner();
  pqxx::connection conn(db_->conninfo());
  pqxx::work tx(conn);
  auto row = tx.exec1(
      "SELECT (extract(epoch FROM signed_at) * 1000000)::bigint FROM exchange.audit_checkpoints "
      "WHERE node_id = 'node-1' AND seq = 10");
  const int64_t signed_at = row[0].as<int64_t>();
  const std::string fake_hash(32, '\x42');
  auto sig = forger->sign(encodeCheckpoint("node-1", 10, fake_hash, signed_at));
  ASSERT_TRUE(sig.isOk());
  tx.exec("SET LOCAL session_replication_role = replica");
  tx.exec_params(
      "UPDATE exchange.audit_checkpoints SET hash = $1, signature = $2, "
      "public_key_pem = $3 WHERE node_id = 'node-1' AND seq = 10",
      pqxx::binarystring(fake_hash), pqxx::binarystring(*sig), forger->publicKeyPem());
  tx.commit();
  expectProblem(AuditProblemKind::kBadCheckpointSignature, 10, signer_->publicKeyPem());
  // Without the trusted key the signature checks out, but the hash still contradicts the chain.
  expectProblem(AuditProblemKind::kCheckpointMismatch, 10);
}

TEST(AuditVerify, RefusesAnUnreadableKey) {
  TestDatabase db("audit_badkey");
  db.migrate();
  pqxx::connection conn(db.conninfo());
  AuditVerifyOptions o;
  o.checkpoint_public_key_pem = "not a key";
  auto report = verifyAuditChain(conn, o);
  ASSERT_FALSE(report.isOk());
  EXPECT_EQ(report.status().code(), ErrorCode::kInvalidArgument);
}

TEST(AuditVerify, EncodingIsLengthPrefixed) {
  // Moving a byte from one column to the next must change the hash.
  AuditRecord a, b;
  a.node_id = b.node_id = "n";
  a.seq = b.seq = 1;
  a.result = b.result = "allowed";
  a.method = "GETx";
  a.path = "/y";
  b.method = "GET";
  b.path = "x/y";
  EXPECT_NE(encodeAuditRecord(a), encodeAuditRecord(b));
  AuditRecord c = a, d = a;
  c.request_id = std::nullopt;
  d.request_id = "";
  EXPECT_NE(encodeAuditRecord(c), encodeAuditRecord(d));  // NULL is not the empty string
  AuditRecord e = a, f = a;
  e.fields = {"ab", "c"};
  f.fields = {"a", "bc"};
  EXPECT_NE(encodeAuditRecord(e), encodeAuditRecord(f));
}

// ---- reading -------------------------------------------------------------------------------

TEST(AuditRead, HolderSeesAllowedAccessesNewestFirst) {
  TestDatabase db("audit_holder");
  db.migrate();
  {
    pqxx::connection conn(db.conninfo());
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO directory.departments (code, name, region_code, created_by) VALUES "
        "('11100000000000001X', '北京市民政局', '110000', 'test')");
    tx.exec(
        "INSERT INTO directory.applications (app_id, department_code, name, created_by) "
        "VALUES ('app_00000000000000a1', '11100000000000001X', '婚姻登记系统', 'test')");
    tx.commit();
  }
  auto log = openLog(db);
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->append(entry(1)).isOk());                          // A, allowed
  ASSERT_TRUE(log->append(entry(2, "denied")).isOk());                // A, denied
  ASSERT_TRUE(log->append(entry(3, "allowed", {kCitizenB})).isOk());  // B only
  AuditEntry both = entry(4, "allowed", {kCitizenB, kCitizenA});
  both.matter_code = "MAT-NEW";
  ASSERT_TRUE(log->append(both).isOk());
  log->close();

  pqxx::connection conn(db.conninfo());
  auto page = accessLogForSubject(conn, kCitizenA, 10);
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].matter_code, "MAT-NEW");  // entry 4
  EXPECT_EQ((*page)[1].matter_code, "MAT-1");    // entry 1
  EXPECT_GE((*page)[0].at_micros, (*page)[1].at_micros);
  EXPECT_EQ((*page)[0].department_code, "11100000000000001X");
  EXPECT_EQ((*page)[0].department_name, "北京市民政局");
  EXPECT_EQ((*page)[0].app_name, "婚姻登记系统");
  EXPECT_EQ((*page)[0].resource_code, "population.persons");
  EXPECT_EQ((*page)[0].fields, (std::vector<std::string>{"name", "birth_date"}));

  // Paging: one at a time with the cursor gives the same two, then nothing.
  auto first = accessLogForSubject(conn, kCitizenA, 1);
  ASSERT_TRUE(first.isOk());
  ASSERT_EQ(first->size(), 1u);
  auto second = accessLogForSubject(conn, kCitizenA, 1, (*first)[0].cursor);
  ASSERT_TRUE(second.isOk());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].cursor, (*page)[1].cursor);
  auto third = accessLogForSubject(conn, kCitizenA, 1, (*second)[0].cursor);
  ASSERT_TRUE(third.isOk());
  EXPECT_TRUE(third->empty());

  auto bad = accessLogForSubject(conn, kCitizenA, 10, std::string("garbage"));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "before");
  EXPECT_FALSE(accessLogForSubject(conn, kCitizenA, 0).isOk());
  auto none = accessLogForSubject(conn, "110105194912310045", 10);
  ASSERT_TRUE(none.isOk());
  EXPECT_TRUE(none->empty());
}

TEST(AuditRead, SearchFilters) {
  TestDatabase db("audit_search");
  db.migrate();
  auto log = openLog(db);
  ASSERT_TRUE(log);
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(log->append(entry(i, i % 2 ? "allowed" : "denied")).isOk());
  AuditEntry other = entry(6, "allowed", {kCitizenB});
  other.app_id = "app_00000000000000b2";
  other.resource_code = "legal_entity.entities";
  ASSERT_TRUE(log->append(other).isOk());
  log->close();
  pqxx::connection conn(db.conninfo());
  AuditSearch s;
  auto all = searchAuditLog(conn, s);
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[0].seq, 6);  // newest first
  s.app_id = "app_00000000000000b2";
  EXPECT_EQ(searchAuditLog(conn, s)->size(), 1u);
  s = {};
  s.subject_key = kCitizenA;
  EXPECT_EQ(searchAuditLog(conn, s)->size(), 5u);
  s.resource_code = "legal_entity.entities";
  EXPECT_EQ(searchAuditLog(conn, s)->size(), 0u);
  s = {};
  s.limit = 2;
  EXPECT_EQ(searchAuditLog(conn, s)->size(), 2u);
  s.from_micros = (*all)[0].at_micros + 1;
  EXPECT_EQ(searchAuditLog(conn, s)->size(), 0u);
  s = {};
  s.to_micros = (*all)[5].at_micros;
  EXPECT_EQ(searchAuditLog(conn, s)->size(), 0u);
  s.limit = 0;
  EXPECT_FALSE(searchAuditLog(conn, s).isOk());
}

}  // namespace
}  // namespace tongban::audit
