// BatchedLookup: concurrent primary-key lookups coalesce into fewer queries, every caller gets
// its own row (or none), and a database failure reaches every waiter instead of hanging them.
#include "batched_lookup.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "support/test_db.h"

namespace tongban::exchange {
namespace {

const catalog::Source& persons() { return *catalog::findSource("population.persons"); }

TEST(BatchedLookup, ConcurrentCallersGetTheirOwnRows) {
  testing::TestDatabase db("batched_lookup");
  db.migrate();
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, address) "
        "VALUES ('11010519491231002X', '张秀英', 'F', '1949-12-31', '110105', '北京市朝阳区'), "
        "('110101199003070011', '李建国', 'M', '1990-03-07', '110101', '北京市东城区')");
    tx.commit();
  }
  db::ConnectionPool pool(
      {db.conninfo(), 4, std::chrono::milliseconds(5000),
       [](pqxx::connection& c) { BatchedLookup::prepareStatement(c, persons()); }});
  BatchedLookup lookup(pool, persons(), 16, 2);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const char* key = (t + i) % 3 == 0   ? "11010519491231002X"
                          : (t + i) % 3 == 1 ? "110101199003070011"
                                             : "110101199003070038";  // not registered
        auto r = lookup.get(key);
        if (!r) {
          ++wrong;
          continue;
        }
        if ((t + i) % 3 == 2) {
          if (r->has_value()) ++wrong;
        } else if (!r->has_value() || *(**r).at("citizen_id") != key) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  auto stats = lookup.stats();
  EXPECT_EQ(stats.lookups, 800u);
  EXPECT_LE(stats.queries, stats.lookups);
}

TEST(BatchedLookup, ADatabaseFailureReachesEveryWaiter) {
  db::ConnectionPool pool({"host=127.0.0.1 port=1 user=postgres connect_timeout=1", 2,
                           std::chrono::milliseconds(200), nullptr});
  BatchedLookup lookup(pool, persons(), 8, 1);
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto r = lookup.get("11010519491231002X");
      if (!r && r.status().code() == ErrorCode::kUnavailable) ++unavailable;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), 8);
}

}  // namespace
}  // namespace tongban::exchange
