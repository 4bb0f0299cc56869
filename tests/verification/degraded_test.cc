// Degraded mode with PostgreSQL really stopped: a private cluster of this test's own (so the
// shared `pg` fixture's suites are unaffected) is stopped under a loaded index and started again.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "support/test_db.h"
#include "support/test_env.h"
#include "tongban/verification/civil_date.h"
#include "tongban/verification/index.h"
#include "verification/seed.h"

namespace tongban::verification {
namespace {

using namespace std::chrono_literals;

template <typename F>
bool eventually(F done, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// Starts deploy/pg.sh's cluster in DIR; stops and removes it when destroyed.
class PrivateCluster {
 public:
  explicit PrivateCluster(std::string dir) : dir_(std::move(dir)) {
    (void)tongban::testing::runCommand(script() + " destroy " + dir_);
    conninfo_ = start();
  }
  ~PrivateCluster() { (void)tongban::testing::runCommand(script() + " destroy " + dir_); }
  std::string start() {
    auto r = tongban::testing::runCommandSplit(script() + " start " + dir_);
    if (r.exit_code != 0) throw std::runtime_error("pg.sh start: " + r.err);
    while (!r.out.empty() && (r.out.back() == '\n')) r.out.pop_back();
    return r.out;
  }
  void stop() {
    auto r = tongban::testing::runCommand(script() + " stop " + dir_);
    if (r.exit_code != 0) throw std::runtime_error("pg.sh stop: " + r.output);
  }
  const std::string& conninfo() const { return conninfo_; }

 private:
  static std::string script() { return tongban::testing::sourceDir() + "/deploy/pg.sh"; }
  std::string dir_;
  std::string conninfo_;
};

TEST(VerificationDegraded, AnswersFromMemoryWhileStoppedAndCatchesUpAfterRestart) {
  PrivateCluster cluster(tongban::testing::binaryDir() + "/pg-verification-degraded");
  ::setenv("TONGBAN_TEST_PG", cluster.conninfo().c_str(), 1);
  tongban::testing::TestDatabase db("degraded");
  ::unsetenv("TONGBAN_TEST_PG");
  db.migrate();
  auto seeder = std::make_unique<testing::Seeder>(db.conninfo());
  testing::Seeder& seed = *seeder;
  const std::string issuer = testing::creditCode("330106", 10000001);
  seed.department(issuer, "330106");
  const std::string seal = seed.seal(issuer);
  const std::string holder = testing::creditCode("330106", 20000001);
  const std::string cert =
      seed.certificate(testing::kLicenceType, issuer, seal, holder, "2020-01-01", "");
  IndexOptions options;
  options.database_url = db.conninfo();
  options.stale_after = 300ms;
  options.reconnect_backoff = 50ms;
  auto opened = openIndex(options);
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  Index& index = **opened;
  Check c;
  c.kind = CheckKind::kCertificateValid;
  c.subject = cert;
  const int32_t today = daysFromCivil(2026, 6, 1);
  auto ask = [&](AsOf* as_of) {
    Answer a;
    index.evaluate(&c, 1, &a, as_of, today);
    return a;
  };
  ASSERT_TRUE(eventually([&] { return index.health().connected; }));
  AsOf as_of;
  EXPECT_EQ(ask(&as_of).verdict, Verdict::kTrue);
  EXPECT_FALSE(as_of.stale);

  seeder.reset();  // its connection would not survive the restart
  cluster.stop();
  EXPECT_TRUE(eventually([&] { return !index.health().connected && index.health().stale; }));
  // Still answering, from memory, marked stale.
  EXPECT_EQ(ask(&as_of).verdict, Verdict::kTrue);
  EXPECT_TRUE(as_of.stale);
  EXPECT_GT(index.health().lag_micros, 300000);

  const std::string again = cluster.start();
  ASSERT_EQ(again, cluster.conninfo()) << "the cluster came back on another port";
  EXPECT_TRUE(eventually([&] { return index.health().connected && !index.health().stale; }));
  testing::Seeder after(db.conninfo());
  after.setStatus(cert, "revoked");
  EXPECT_TRUE(eventually([&] { return ask(&as_of).reason == Reason::kRevoked; }));
  EXPECT_FALSE(as_of.stale);
  opened->reset();  // stop the applier before the database goes
}

}  // namespace
}  // namespace tongban::verification
