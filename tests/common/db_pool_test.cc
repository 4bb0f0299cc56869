#include "tongban/common/db_pool.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_db.h"

namespace tongban::db {
namespace {

using testing::TestDatabase;

TEST(ConnectionPool, ReusesConnections) {
  TestDatabase db("pool_reuse");
  ConnectionPool pool({db.conninfo(), 2, std::chrono::milliseconds(500), nullptr});
  int backend_pid;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease) << lease.status().toString();
    backend_pid = (*lease)->backendpid();
  }
  auto again = pool.acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->backendpid(), backend_pid);
  EXPECT_EQ(pool.stats().open, 1u);
  EXPECT_EQ(pool.stats().in_use, 1u);
}

TEST(ConnectionPool, TimesOutWhenExhaustedAndRecovers) {
  TestDatabase db("pool_exhaust");
  ConnectionPool pool({db.conninfo(), 1, std::chrono::milliseconds(100), nullptr});
  {
    auto first = pool.acquire();
    ASSERT_TRUE(first);
    auto second = pool.acquire();
    ASSERT_FALSE(second);
    EXPECT_EQ(second.status().code(), ErrorCode::kUnavailable);
    EXPECT_NE(second.status().message().find("busy"), std::string::npos);
    EXPECT_EQ(pool.stats().timeouts, 1u);
  }
  EXPECT_TRUE(pool.acquire());
}

TEST(ConnectionPool, ManyThreadsNeverExceedTheSize) {
  TestDatabase db("pool_threads");
  std::atomic<int> max_seen{0}, current{0}, ok{0};
  ConnectionPool pool({db.conninfo(), 3, std::chrono::milliseconds(5000), nullptr});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto r = withConnection(pool, [&](pqxx::connection& c) -> Result<int> {
          int now = ++current;
          int m = max_seen.load();
          while (now > m && !max_seen.compare_exchange_weak(m, now)) {
          }
          pqxx::nontransaction tx(c);
          int v = tx.exec1("SELECT 1")[0].as<int>();
          --current;
          return v;
        });
        if (r && *r == 1) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_LE(pool.stats().open, 3u);
}

TEST(ConnectionPool, UnreachableDatabaseIsUnavailable) {
  ConnectionPool pool({"host=127.0.0.1 port=1 user=postgres connect_timeout=2", 2,
                       std::chrono::milliseconds(100), nullptr});
  auto lease = pool.acquire();
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(lease.status().message().find("cannot connect"), std::string::npos);
  EXPECT_EQ(pool.stats().connect_failures, 1u);
  EXPECT_EQ(pool.stats().open, 0u);
}

TEST(ConnectionPool, DropsBrokenConnections) {
  TestDatabase db("pool_broken");
  ConnectionPool pool({db.conninfo(), 1, std::chrono::milliseconds(500), nullptr});
  int pid;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    pid = (*lease)->backendpid();
  }
  {
    pqxx::connection admin(db.conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  }
  auto r = withConnection(pool, [](pqxx::connection& c) -> Result<int> {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT 1")[0].as<int>();
  });
  EXPECT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  auto again = withConnection(pool, [](pqxx::connection& c) -> Result<int> {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT 2")[0].as<int>();
  });
  ASSERT_TRUE(again) << again.status().toString();
  EXPECT_EQ(*again, 2);
}

TEST(ConnectionPool, OnConnectPreparesStatements) {
  TestDatabase db("pool_prepare");
  int calls = 0;
  ConnectionPool pool(
      {db.conninfo(), 2, std::chrono::milliseconds(500), [&calls](pqxx::connection& c) {
         ++calls;
         c.prepare("two", "SELECT 2");
       }});
  auto r = withConnection(pool, [](pqxx::connection& c) -> Result<int> {
    pqxx::nontransaction tx(c);
    return tx.exec_prepared1("two")[0].as<int>();
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 2);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace tongban::db
