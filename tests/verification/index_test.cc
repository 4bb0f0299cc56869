// The verification index on a real PostgreSQL: every check kind on seeded data, the change feeds
// (freshness, out-of-order commits, a killed listener connection), concurrent readers during
// updates, and the eligibility scan. Degraded mode (the cluster really stopped) is in
// degraded_test.cc.
#include "tongban/verification/index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/test_db.h"
#include "tongban/verification/civil_date.h"
#include "verification/seed.h"

namespace tongban::verification {
namespace {

using namespace std::chrono_literals;
using testing::certificateId;
using testing::citizenId;
using testing::creditCode;
using testing::Seeder;

const int32_t kToday = daysFromCivil(2026, 6, 1);

// Polls `done` until it holds or `limit` passes: the bounded wait on a condition the tests use
// for what the applier thread does asynchronously.
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

Answer ask(const Index& index, const Check& c, int32_t today = kToday) {
  EXPECT_TRUE(validateCheck(c).isOk()) << validateCheck(c).toString();
  Answer a;
  AsOf as_of;
  index.evaluate(&c, 1, &a, &as_of, today);
  return a;
}

Check check(CheckKind kind, const std::string& subject) {
  Check c;
  c.kind = kind;
  c.subject = subject;
  return c;
}

::testing::AssertionResult is(const Answer& a, Verdict v, Reason r) {
  if (a.verdict == v && a.reason == r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << verdictName(a.verdict) << "/" << reasonName(a.reason) << ", want "
         << verdictName(v) << "/" << reasonName(r);
}

// A seeded world: an issuer in Hangzhou's Xihu district (330106) and one in Guangzhou, persons,
// entities, and certificates in every state.
struct World {
  tongban::testing::TestDatabase db{"verif"};
  std::unique_ptr<Seeder> seed;
  std::string issuer, issuer_gz, seal, seal_gz;
  std::string alice, bob, carol, dave, leap, eve;  // persons
  std::string shop, closed, abnormal, revoked_entity, stranger_entity;
  std::string valid, suspended, revoked, cancelled, deregistered, superseded, expired_status,
      expired_date, not_yet, sealed_gz, long_term;
  std::unique_ptr<Index> index;

  explicit World(std::chrono::milliseconds stale_after = 5000ms) {
    db.migrate();
    seed = std::make_unique<Seeder>(db.conninfo());
    issuer = creditCode("330106", 10000001);
    issuer_gz = creditCode("440106", 10000002);
    seed->department(issuer, "330106");
    seed->department(issuer_gz, "440106");
    seal = seed->seal(issuer);
    seal_gz = seed->seal(issuer_gz);
    alice = citizenId("330106", "19460615", 21);  // 80 on 2026-06-15
    bob = citizenId("330102", "19900101", 31);
    carol = citizenId("440106", "19400101", 42);  // deceased
    dave = citizenId("330106", "19500101", 51);   // emigrated
    leap = citizenId("330106", "20000229", 62);
    eve = citizenId("330106", "19300101", 71);  // no registry record
    seed->person(alice, "330106");
    seed->person(bob, "330102");
    seed->person(carol, "440106", "deceased");
    seed->person(dave, "330106", "emigrated");
    seed->person(leap, "330106");
    shop = creditCode("330106", 20000001);
    closed = creditCode("330106", 20000002);
    abnormal = creditCode("330106", 20000003);
    revoked_entity = creditCode("330106", 20000004);
    stranger_entity = creditCode("330106", 20000005);
    seed->entity(shop, alice);
    seed->entity(closed, bob, "deregistered");
    seed->entity(abnormal, bob, "abnormal");
    seed->entity(revoked_entity, bob, "revoked");
    using testing::kIdCardType;
    using testing::kLicenceType;
    valid = seed->certificate(kLicenceType, issuer, seal, shop, "2020-01-01", "2030-12-31");
    suspended =
        seed->certificate(kLicenceType, issuer, seal, closed, "2020-01-01", "", "suspended");
    revoked = seed->certificate(kLicenceType, issuer, seal, closed, "2020-01-01", "", "revoked");
    cancelled =
        seed->certificate(kLicenceType, issuer, seal, closed, "2020-01-01", "", "cancelled");
    deregistered =
        seed->certificate(kLicenceType, issuer, seal, closed, "2020-01-01", "", "deregistered");
    superseded =
        seed->certificate(kIdCardType, issuer, seal, bob, "2016-01-01", "2036-01-01", "superseded");
    expired_status =
        seed->certificate(kIdCardType, issuer, seal, bob, "2006-01-01", "2016-01-01", "expired");
    expired_date = seed->certificate(kIdCardType, issuer, seal, dave, "2016-01-01", "2026-05-31");
    not_yet = seed->certificate(kIdCardType, issuer, seal, leap, "2026-06-02", "2036-06-02");
    sealed_gz = seed->certificate(kIdCardType, issuer_gz, seal_gz, carol, "2020-01-01", "");
    long_term = seed->certificate(kIdCardType, issuer, seal, alice, "2006-01-01", "");
    IndexOptions options;
    options.database_url = db.conninfo();
    options.stale_after = stale_after;
    options.reconnect_backoff = 50ms;
    auto opened = openIndex(options);
    if (!opened.isOk()) throw std::runtime_error(opened.status().toString());
    index = std::move(*opened);
  }
};

TEST(VerificationIndex, CertificateValidInEveryState) {
  World w;
  const Index& x = *w.index;
  using K = CheckKind;
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid, w.valid)), Verdict::kTrue, Reason::kOk));
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid, w.long_term)), Verdict::kTrue, Reason::kOk));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.suspended)), Verdict::kFalse, Reason::kSuspended));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.revoked)), Verdict::kFalse, Reason::kRevoked));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.cancelled)), Verdict::kFalse, Reason::kCancelled));
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid, w.deregistered)), Verdict::kFalse,
                 Reason::kDeregistered));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.superseded)), Verdict::kFalse, Reason::kSuperseded));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.expired_status)), Verdict::kFalse, Reason::kExpired));
  // Past valid_to (inclusive) while the status still says valid: the daily expiry job has not
  // run yet.
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.expired_date)), Verdict::kFalse, Reason::kExpired));
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid, w.expired_date), kToday - 1), Verdict::kTrue,
                 Reason::kOk));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.not_yet)), Verdict::kFalse, Reason::kNotYetValid));
  EXPECT_TRUE(
      is(ask(x, check(K::kCertificateValid, w.not_yet), kToday + 1), Verdict::kTrue, Reason::kOk));
  // Unknown: a well-formed id never issued; one of an issuer and one of a type the index has
  // never seen.
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid,
                              certificateId(testing::kLicenceType, w.issuer, "2026999999"))),
                 Verdict::kUnknown, Reason::kNotFound));
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid,
                              certificateId(testing::kLicenceType, w.shop, "2026000001"))),
                 Verdict::kUnknown, Reason::kNotFound));
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid,
                              certificateId(testing::kFoodLicenceType, w.issuer, "2026000001"))),
                 Verdict::kUnknown, Reason::kNotFound));
  // The same serial under version 2 is another certificate.
  EXPECT_TRUE(is(ask(x, check(K::kCertificateValid,
                              certificateId(testing::kLicenceType, w.issuer, "2026000001", 2))),
                 Verdict::kUnknown, Reason::kNotFound));
}

TEST(VerificationIndex, SealSuspensionMakesItsCertificatesInvalidUntilResumed) {
  World w;
  using K = CheckKind;
  EXPECT_TRUE(
      is(ask(*w.index, check(K::kCertificateValid, w.sealed_gz)), Verdict::kTrue, Reason::kOk));
  w.seed->exec("UPDATE certs.seals SET status = 'suspended' WHERE seal_id = '" + w.seal_gz + "'");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(K::kCertificateValid, w.sealed_gz)).reason == Reason::kSealInactive;
  }));
  // Other seals' certificates are untouched.
  EXPECT_TRUE(is(ask(*w.index, check(K::kCertificateValid, w.valid)), Verdict::kTrue, Reason::kOk));
  w.seed->exec("UPDATE certs.seals SET status = 'active' WHERE seal_id = '" + w.seal_gz + "'");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(K::kCertificateValid, w.sealed_gz)).reason == Reason::kOk;
  }));
  // A seal created after the load, revoked: its new certificate answers seal_inactive.
  const std::string seal2 = w.seed->seal(w.issuer, "revoked");
  const std::string c2 =
      w.seed->certificate(testing::kIdCardType, w.issuer, seal2, w.bob, "2020-01-01", "");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(K::kCertificateValid, c2)).reason == Reason::kSealInactive;
  }));
}

// The exchange changes seal status as the runtime role (0012): the feed trigger must be allowed
// to write certs.seal_changes under it, and the index reads the change.
TEST(VerificationIndex, SealChangeByTheRuntimeRoleReachesTheFeed) {
  World w;
  pqxx::connection runtime(w.db.runtimeConninfo());
  pqxx::work tx(runtime);
  tx.exec("UPDATE certs.seals SET status = 'revoked' WHERE seal_id = '" + w.seal_gz + "'");
  tx.commit();
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kCertificateValid, w.sealed_gz)).reason ==
           Reason::kSealInactive;
  }));
}

TEST(VerificationIndex, HoldsCertificateByTypeRegionAndValidUntil) {
  World w;
  const Index& x = *w.index;
  Check c = check(CheckKind::kHoldsCertificate, w.shop);
  c.type_code = testing::kLicenceType;
  EXPECT_TRUE(is(ask(x, c), Verdict::kTrue, Reason::kOk));
  for (const char* region : {"33", "3301", "330106", "330000", "330100"}) {
    c.region = region;
    EXPECT_TRUE(is(ask(x, c), Verdict::kTrue, Reason::kOk)) << region;
  }
  for (const char* region : {"44", "3302", "330102", "440106"}) {
    c.region = region;
    EXPECT_TRUE(is(ask(x, c), Verdict::kFalse, Reason::kNoValidCertificate)) << region;
  }
  c.region = "";
  c.valid_until = daysFromCivil(2030, 12, 31);
  EXPECT_TRUE(is(ask(x, c), Verdict::kTrue, Reason::kOk));
  c.valid_until = daysFromCivil(2031, 1, 1);
  EXPECT_TRUE(is(ask(x, c), Verdict::kFalse, Reason::kNoValidCertificate));
  c.valid_until = 0;
  c.type_code = testing::kFoodLicenceType;  // a type it does not hold
  EXPECT_TRUE(is(ask(x, c), Verdict::kFalse, Reason::kNoValidCertificate));
  // Holds four licences, none valid.
  c = check(CheckKind::kHoldsCertificate, w.closed);
  c.type_code = testing::kLicenceType;
  EXPECT_TRUE(is(ask(x, c), Verdict::kFalse, Reason::kNoValidCertificate));
  // Bob's identity cards: one superseded, one expired.
  c = check(CheckKind::kHoldsCertificate, w.bob);
  c.type_code = testing::kIdCardType;
  EXPECT_TRUE(is(ask(x, c), Verdict::kFalse, Reason::kNoValidCertificate));
  // Long-term satisfies any valid_until.
  c.subject = w.alice;
  c.valid_until = daysFromCivil(2199, 1, 1);
  EXPECT_TRUE(is(ask(x, c), Verdict::kTrue, Reason::kOk));
  c.valid_until = 0;
  // Guangzhou issuer.
  c.subject = w.carol;
  c.region = "44";
  EXPECT_TRUE(is(ask(x, c), Verdict::kTrue, Reason::kOk));
  // An entity with no certificate but in the registry: false; nobody anywhere: unknown.
  c = check(CheckKind::kHoldsCertificate, w.abnormal);
  c.type_code = testing::kLicenceType;
  EXPECT_TRUE(is(ask(x, c), Verdict::kFalse, Reason::kNoValidCertificate));
  c.subject = w.stranger_entity;
  EXPECT_TRUE(is(ask(x, c), Verdict::kUnknown, Reason::kNotFound));
  c.subject = w.eve;
  EXPECT_TRUE(is(ask(x, c), Verdict::kUnknown, Reason::kNotFound));
}

TEST(VerificationIndex, PersonFactsRegionPrefixesAndAges) {
  World w;
  const Index& x = *w.index;
  using K = CheckKind;
  EXPECT_TRUE(is(ask(x, check(K::kPersonAlive, w.alice)), Verdict::kTrue, Reason::kOk));
  EXPECT_TRUE(is(ask(x, check(K::kPersonAlive, w.carol)), Verdict::kFalse, Reason::kDeceased));
  EXPECT_TRUE(is(ask(x, check(K::kPersonAlive, w.dave)), Verdict::kFalse, Reason::kEmigrated));
  EXPECT_TRUE(is(ask(x, check(K::kPersonAlive, w.eve)), Verdict::kUnknown, Reason::kNotFound));

  Check r = check(K::kPersonRegisteredIn, w.alice);
  for (const char* region : {"33", "3301", "330106", "330000", "330100"}) {
    r.region = region;
    EXPECT_TRUE(is(ask(x, r), Verdict::kTrue, Reason::kOk)) << region;
  }
  for (const char* region : {"44", "3302", "330102", "11"}) {
    r.region = region;
    EXPECT_TRUE(is(ask(x, r), Verdict::kFalse, Reason::kRegionMismatch)) << region;
  }
  r.subject = w.carol;
  r.region = "44";
  EXPECT_TRUE(is(ask(x, r), Verdict::kFalse, Reason::kDeceased));
  r.subject = w.eve;
  EXPECT_TRUE(is(ask(x, r), Verdict::kUnknown, Reason::kNotFound));

  Check a = check(K::kPersonAgeAtLeast, w.alice);
  a.min_age = 80;
  EXPECT_TRUE(is(ask(x, a), Verdict::kFalse, Reason::kUnderAge));  // 79 on 2026-06-01
  a.on_date = daysFromCivil(2026, 6, 14);
  EXPECT_TRUE(is(ask(x, a), Verdict::kFalse, Reason::kUnderAge));
  a.on_date = daysFromCivil(2026, 6, 15);
  EXPECT_TRUE(is(ask(x, a), Verdict::kTrue, Reason::kOk));
  EXPECT_TRUE(
      is(ask(x, a, daysFromCivil(2020, 1, 1)), Verdict::kTrue, Reason::kOk));  // on_date wins
  a.on_date = 0;
  EXPECT_TRUE(is(ask(x, a, daysFromCivil(2026, 6, 15)), Verdict::kTrue, Reason::kOk));
  Check l = check(K::kPersonAgeAtLeast, w.leap);  // born 2000-02-29
  l.min_age = 18;
  l.on_date = daysFromCivil(2018, 2, 28);
  EXPECT_TRUE(is(ask(x, l), Verdict::kFalse, Reason::kUnderAge));
  l.on_date = daysFromCivil(2018, 3, 1);
  EXPECT_TRUE(is(ask(x, l), Verdict::kTrue, Reason::kOk));
  l.min_age = 20;
  l.on_date = daysFromCivil(2020, 2, 29);
  EXPECT_TRUE(is(ask(x, l), Verdict::kTrue, Reason::kOk));
  l.min_age = 0;
  l.on_date = daysFromCivil(2000, 2, 29);
  EXPECT_TRUE(is(ask(x, l), Verdict::kTrue, Reason::kOk));
  a.subject = w.eve;
  EXPECT_TRUE(is(ask(x, a), Verdict::kUnknown, Reason::kNotFound));
}

TEST(VerificationIndex, EntityFactsAndLegalRepresentative) {
  World w;
  const Index& x = *w.index;
  using K = CheckKind;
  EXPECT_TRUE(is(ask(x, check(K::kEntityInBusiness, w.shop)), Verdict::kTrue, Reason::kOk));
  EXPECT_TRUE(is(ask(x, check(K::kEntityInBusiness, w.abnormal)), Verdict::kFalse,
                 Reason::kAbnormalOperation));
  EXPECT_TRUE(is(ask(x, check(K::kEntityInBusiness, w.revoked_entity)), Verdict::kFalse,
                 Reason::kEntityRevoked));
  EXPECT_TRUE(
      is(ask(x, check(K::kEntityInBusiness, w.closed)), Verdict::kFalse, Reason::kDeregistered));
  EXPECT_TRUE(is(ask(x, check(K::kEntityInBusiness, w.stranger_entity)), Verdict::kUnknown,
                 Reason::kNotFound));
  Check rep = check(K::kLegalRepresentative, w.alice);
  rep.entity = w.shop;
  EXPECT_TRUE(is(ask(x, rep), Verdict::kTrue, Reason::kOk));
  rep.subject = w.bob;
  EXPECT_TRUE(is(ask(x, rep), Verdict::kFalse, Reason::kNotRepresentative));
  rep.entity = w.stranger_entity;
  EXPECT_TRUE(is(ask(x, rep), Verdict::kUnknown, Reason::kEntityNotFound));
  // A change of representative reaches the index.
  w.seed->exec("UPDATE legal_entity.entities SET legal_rep_citizen_id = '" + w.bob +
               "' WHERE credit_code = '" + w.shop + "'");
  rep.entity = w.shop;
  EXPECT_TRUE(eventually([&] { return ask(x, rep).verdict == Verdict::kTrue; }));
  w.seed->exec("UPDATE legal_entity.entities SET status = 'abnormal' WHERE credit_code = '" +
               w.shop + "'");
  EXPECT_TRUE(eventually([&] {
    return ask(x, check(K::kEntityInBusiness, w.shop)).reason == Reason::kAbnormalOperation;
  }));
  w.seed->exec("DELETE FROM legal_entity.entities WHERE credit_code = '" + w.shop + "'");
  EXPECT_TRUE(eventually(
      [&] { return ask(x, check(K::kEntityInBusiness, w.shop)).verdict == Verdict::kUnknown; }));
}

TEST(VerificationIndex, ARevocationCommittedInSqlFlipsTheAnswer) {
  World w;
  const Check c = check(CheckKind::kCertificateValid, w.valid);
  ASSERT_TRUE(is(ask(*w.index, c), Verdict::kTrue, Reason::kOk));
  const uint64_t before = w.index->health().as_of.certs_seq;
  w.seed->setStatus(w.valid, "revoked");
  EXPECT_TRUE(eventually([&] { return ask(*w.index, c).reason == Reason::kRevoked; }));
  // as_of moves once the poll that applied the change has finished.
  EXPECT_TRUE(eventually([&] { return w.index->health().as_of.certs_seq > before; }));
  // A certificate issued after the load becomes known, and its holder holds it.
  const std::string fresh = w.seed->certificate(testing::kFoodLicenceType, w.issuer, w.seal, w.shop,
                                                "2026-01-01", "2031-01-01");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kCertificateValid, fresh)).verdict == Verdict::kTrue;
  }));
  Check h = check(CheckKind::kHoldsCertificate, w.shop);
  h.type_code = testing::kFoodLicenceType;
  EXPECT_TRUE(is(ask(*w.index, h), Verdict::kTrue, Reason::kOk));
  // Registry facts too: a death, a move, a new person.
  w.seed->exec("UPDATE population.persons SET status = 'deceased' WHERE citizen_id = '" + w.alice +
               "'");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kPersonAlive, w.alice)).reason == Reason::kDeceased;
  }));
  w.seed->exec("UPDATE population.persons SET region_code = '440106' WHERE citizen_id = '" + w.bob +
               "'");
  Check r = check(CheckKind::kPersonRegisteredIn, w.bob);
  r.region = "44";
  EXPECT_TRUE(eventually([&] { return ask(*w.index, r).verdict == Verdict::kTrue; }));
  w.seed->person(w.eve, "330106");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kPersonAlive, w.eve)).verdict == Verdict::kTrue;
  }));
  w.seed->exec("DELETE FROM population.persons WHERE citizen_id = '" + w.eve + "'");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kPersonAlive, w.eve)).verdict == Verdict::kUnknown;
  }));
}

// Two registry transactions commit out of seq order: the later seq is applied at once, the
// earlier one when it commits, and as_of never claims the gap.
TEST(VerificationIndex, FeedGapFromAnOutOfOrderCommitIsFilledWhenItCommits) {
  World w;
  const std::string p1 = citizenId("330106", "19700101", 81);
  const std::string p2 = citizenId("330106", "19700101", 91);
  pqxx::connection held(w.db.conninfo());
  pqxx::work slow(held);
  slow.exec(
      "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, "
      "address) VALUES ('" +
      p1 + "', '甲', 'M', DATE '1970-01-01', '330106', '地址')");
  const uint64_t gap_seq =
      slow.exec("SELECT max(seq) FROM population.changes")[0][0].as<uint64_t>();
  w.seed->person(p2, "330106");  // seq > gap_seq, commits first
  EXPECT_TRUE(eventually(
      [&] { return ask(*w.index, check(CheckKind::kPersonAlive, p2)).verdict == Verdict::kTrue; }));
  EXPECT_TRUE(
      is(ask(*w.index, check(CheckKind::kPersonAlive, p1)), Verdict::kUnknown, Reason::kNotFound));
  // The applier publishes positions after a poll, a moment after the rows it applied.
  EXPECT_TRUE(eventually([&] { return w.index->health().feed_gaps >= 1; }));
  EXPECT_LT(w.index->health().as_of.population_seq, gap_seq);
  slow.commit();
  EXPECT_TRUE(eventually(
      [&] { return ask(*w.index, check(CheckKind::kPersonAlive, p1)).verdict == Verdict::kTrue; }));
  EXPECT_TRUE(eventually([&] { return w.index->health().as_of.population_seq > gap_seq; }));
  EXPECT_TRUE(eventually([&] { return w.index->health().feed_gaps == 0; }));
}

// A rolled-back transaction leaves a permanent gap; the cursor moves past it once nothing that
// could hold it is running.
TEST(VerificationIndex, FeedGapFromARollbackIsForgotten) {
  World w;
  const std::string p1 = citizenId("330106", "19700101", 101);
  {
    pqxx::connection held(w.db.conninfo());
    pqxx::work tx(held);
    tx.exec(
        "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, "
        "address) VALUES ('" +
        p1 + "', '甲', 'M', DATE '1970-01-01', '330106', '地址')");
    w.seed->person(citizenId("330106", "19700101", 111), "330106");
    EXPECT_TRUE(eventually([&] { return w.index->health().feed_gaps >= 1; }));
    tx.abort();
  }
  EXPECT_TRUE(eventually([&] { return w.index->health().feed_gaps == 0; }));
  EXPECT_TRUE(
      is(ask(*w.index, check(CheckKind::kPersonAlive, p1)), Verdict::kUnknown, Reason::kNotFound));
}

TEST(VerificationIndex, ReconnectsAndCatchesUpAfterItsConnectionIsKilled) {
  World w;
  const Check c = check(CheckKind::kCertificateValid, w.valid);
  ASSERT_TRUE(eventually([&] { return w.index->health().connected; }));
  const uint64_t connections = w.index->health().reconnects;
  pqxx::connection admin(w.db.conninfo());
  pqxx::nontransaction tx(admin);
  const auto killed = tx.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name = 'tongban-verification-index' AND datname = current_database()");
  ASSERT_EQ(killed.size(), 1u);
  // Changes committed while it is disconnected are caught up by seq, not by notification.
  w.seed->setStatus(w.valid, "suspended");
  EXPECT_TRUE(eventually([&] { return ask(*w.index, c).reason == Reason::kSuspended; }));
  EXPECT_TRUE(eventually([&] { return w.index->health().reconnects > connections; }));
  EXPECT_TRUE(w.index->health().connected);
  EXPECT_FALSE(w.index->health().stale);
}

TEST(VerificationIndex, ConcurrentReadersDuringUpdates) {
  World w;
  const Check checks[3] = {check(CheckKind::kCertificateValid, w.valid),
                           check(CheckKind::kPersonAlive, w.bob),
                           check(CheckKind::kCertificateValid, w.long_term)};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      Answer a[3];
      AsOf as_of;
      while (!stop.load()) {
        w.index->evaluate(checks, 3, a, &as_of, kToday);
        const bool ok0 = (a[0].verdict == Verdict::kTrue && a[0].reason == Reason::kOk) ||
                         (a[0].verdict == Verdict::kFalse && a[0].reason == Reason::kSuspended);
        const bool ok1 = a[1].verdict == Verdict::kTrue || a[1].reason == Reason::kDeceased;
        const bool ok2 = a[2].verdict == Verdict::kTrue;
        if (!ok0 || !ok1 || !ok2) bad++;
        reads++;
        (void)w.index->health();
      }
    });
  }
  // Meanwhile: toggles, and enough new certificates and persons to grow the slot tables.
  for (int i = 0; i < 10; ++i) {
    w.seed->setStatus(w.valid, i % 2 == 0 ? "suspended" : "valid");
    w.seed->exec("UPDATE population.persons SET status = '" +
                 std::string(i % 2 == 0 ? "deceased" : "living") + "' WHERE citizen_id = '" +
                 w.bob + "'");
  }
  // 3,000 persons: past the person table's initial capacity, so it grows under the readers.
  w.seed->exec(
      "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, address) "
      "SELECT '330106' || to_char(DATE '1990-01-01' + n / 500, 'YYYYMMDD') || "
      "lpad((n % 500 * 2)::text, 3, '0') || '5', '某', 'F', DATE '1990-01-01' + n / 500, "
      "'330106', '地址' FROM generate_series(0, 2999) n");
  EXPECT_TRUE(eventually([&] { return w.index->health().persons >= 3005; }));
  const std::string last = w.seed->certificate(testing::kFoodLicenceType, w.issuer, w.seal, w.shop,
                                               "2026-01-01", "2031-01-01");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kCertificateValid, last)).verdict == Verdict::kTrue;
  }));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_TRUE(is(ask(*w.index, checks[0]), Verdict::kTrue, Reason::kOk));  // last toggle: valid
  EXPECT_TRUE(is(ask(*w.index, checks[1]), Verdict::kTrue, Reason::kOk));
}

TEST(VerificationIndex, EligibilityScanInCitizenIdOrderWithPaging) {
  World w;
  // More persons, one added after the load (it joins the scan in order).
  const std::string old1 = citizenId("330102", "19400301", 11);
  const std::string old2 = citizenId("330106", "19300101", 81);
  w.seed->person(old1, "330102");
  w.seed->person(old2, "330106", "deceased");
  EXPECT_TRUE(eventually([&] {
    return ask(*w.index, check(CheckKind::kPersonAlive, old2)).reason == Reason::kDeceased;
  }));
  Check pred[3];
  pred[0].kind = CheckKind::kPersonAgeAtLeast;
  pred[0].min_age = 80;
  pred[1].kind = CheckKind::kPersonAlive;
  pred[2].kind = CheckKind::kPersonRegisteredIn;
  pred[2].region = "3301";
  std::vector<std::string> got;
  const int32_t day = daysFromCivil(2026, 6, 15);  // alice turns 80
  w.index->scanPersons(pred, 3, day, "", [&](const std::string& id) {
    got.push_back(id);
    return true;
  });
  std::vector<std::string> want = {w.alice, old1};  // not carol (deceased, 44), dave, old2
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  // Paging: one at a time, resuming after the last id.
  std::vector<std::string> paged;
  std::string after;
  while (true) {
    std::string next;
    w.index->scanPersons(pred, 3, day, after, [&](const std::string& id) {
      next = id;
      return false;
    });
    if (next.empty()) break;
    paged.push_back(next);
    after = next;
  }
  EXPECT_EQ(paged, want);
  // `after` need not be a citizen id: a prefix resumes after every id below it.
  got.clear();
  w.index->scanPersons(pred, 3, day, "4", [&](const std::string& id) {
    got.push_back(id);
    return true;
  });
  EXPECT_TRUE(got.empty());
  w.index->scanPersons(pred, 3, day, "3301", [&](const std::string& id) {
    got.push_back(id);
    return true;
  });
  EXPECT_EQ(got, want);
  // A day earlier alice is 79.
  got.clear();
  w.index->scanPersons(pred, 3, day - 1, "", [&](const std::string& id) {
    got.push_back(id);
    return true;
  });
  EXPECT_EQ(got, std::vector<std::string>{old1});
  // A predicate that is not over persons selects nobody.
  Check other;
  other.kind = CheckKind::kEntityInBusiness;
  size_t n = 0;
  w.index->scanPersons(&other, 1, day, "", [&](const std::string&) { return ++n > 0; });
  EXPECT_EQ(n, 0u);
}

TEST(VerificationIndex, HealthReportsCountsAndMemory) {
  World w;
  const IndexHealth h = w.index->health();
  EXPECT_TRUE(h.loaded);
  EXPECT_EQ(h.certificates, 11u);
  EXPECT_EQ(h.persons, 5u);
  EXPECT_EQ(h.entities, 4u);
  EXPECT_GT(h.bytes, 0u);
  EXPECT_EQ(h.unindexed, 0u);
  EXPECT_FALSE(h.stale);
  EXPECT_GT(h.as_of.certs_seq, 0u);
  EXPECT_GT(h.as_of.population_seq, 0u);
  EXPECT_GT(h.as_of.at_micros, 0);
}

TEST(VerificationIndex, OpenFailsCleanlyWithoutADatabase) {
  IndexOptions options;
  options.database_url = "host=127.0.0.1 port=1 dbname=none connect_timeout=2";
  auto opened = openIndex(options);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tongban::verification
