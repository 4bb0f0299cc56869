// The resilience parts with an injected clock (no sleeping), and an AdapterSource over a scripted
// in-process Transport: which failures are retried, how the breaker refuses, what the bulkhead
// and the cache do.
#include <deque>

#include <gtest/gtest.h>

#include "tongban/adapters/adapter_source.h"
#include "tongban/adapters/resilience.h"

namespace tongban::adapters {
namespace {

using std::chrono::milliseconds;

struct FakeClock {
  SteadyClock::time_point t{};
  NowFn fn() {
    return [this] { return t; };
  }
  void advance(milliseconds d) { t += d; }
};

TEST(CircuitBreakerTest, OpensAfterThresholdAndRecoversThroughOneTrial) {
  FakeClock clock;
  CircuitBreaker b({3, milliseconds(1000)}, clock.fn());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.allow());
    b.onFailure();
  }
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  ASSERT_TRUE(b.allow());
  b.onSuccess();  // a success resets the count
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.allow());
    b.onFailure();
  }
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.timesOpened(), 1u);
  EXPECT_FALSE(b.allow());
  clock.advance(milliseconds(999));
  EXPECT_FALSE(b.allow());
  clock.advance(milliseconds(1));
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  EXPECT_TRUE(b.allow());   // the trial
  EXPECT_FALSE(b.allow());  // only one at a time
  b.onFailure();            // the trial failed: open again for a full period
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.timesOpened(), 2u);
  clock.advance(milliseconds(1000));
  EXPECT_TRUE(b.allow());
  b.onSuccess();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
}

TEST(BackoffTest, FullJitterUnderAnExponentialCeiling) {
  double u = 0.5;
  Backoff b(milliseconds(100), milliseconds(1000), [&u] { return u; });
  EXPECT_EQ(b.ceiling(1), milliseconds(100));
  EXPECT_EQ(b.ceiling(2), milliseconds(200));
  EXPECT_EQ(b.ceiling(4), milliseconds(800));
  EXPECT_EQ(b.ceiling(5), milliseconds(1000));   // capped
  EXPECT_EQ(b.ceiling(64), milliseconds(1000));  // no overflow
  EXPECT_EQ(b.delay(3), milliseconds(200));
  u = 0.0;
  EXPECT_EQ(b.delay(3), milliseconds(0));
  u = 0.999;
  EXPECT_EQ(b.delay(3), milliseconds(399));
  u = 7;  // a bad generator cannot exceed the ceiling
  EXPECT_EQ(b.delay(3), milliseconds(400));
}

TEST(BulkheadTest, RefusesBeyondItsLimit) {
  Bulkhead b(2);
  EXPECT_TRUE(b.tryEnter());
  EXPECT_TRUE(b.tryEnter());
  EXPECT_FALSE(b.tryEnter());
  EXPECT_EQ(b.rejected(), 1u);
  b.leave();
  EXPECT_TRUE(b.tryEnter());
}

TEST(TtlCacheTest, ExpiresAndStaysBounded) {
  FakeClock clock;
  TtlCache<int> c(milliseconds(100), 2, clock.fn());
  c.put("a", 1);
  EXPECT_EQ(c.get("a"), 1);
  clock.advance(milliseconds(100));
  EXPECT_FALSE(c.get("a"));
  c.put("a", 1);
  c.put("b", 2);
  c.put("c", 3);  // full: cleared, then c
  EXPECT_EQ(c.get("c"), 3);
  TtlCache<int> off(milliseconds(0), 10, clock.fn());
  off.put("a", 1);
  EXPECT_FALSE(off.get("a"));
}

// A transport that answers from a script and counts calls.
class ScriptedTransport : public Transport {
 public:
  explicit ScriptedTransport(std::deque<Result<std::optional<UpstreamRecord>>>* script, int* calls)
      : script_(script), calls_(calls) {}
  Result<std::optional<UpstreamRecord>> fetch(const std::string&) override {
    ++*calls_;
    auto r = std::move(script_->front());
    script_->pop_front();
    return r;
  }

 private:
  std::deque<Result<std::optional<UpstreamRecord>>>* script_;
  int* calls_;
};

struct SourceFixture {
  std::deque<Result<std::optional<UpstreamRecord>>> script;
  int calls = 0;
  FakeClock clock;
  std::vector<milliseconds> slept;
  std::unique_ptr<AdapterSource> make(ResilienceOptions o) {
    auto s = std::make_unique<AdapterSource>(
        "up", "rest", "up.records", "id", std::vector<FieldMapping>{{"id", "Id"}, {"name", "Name"}},
        std::make_unique<ScriptedTransport>(&script, &calls), o, clock.fn());
    s->setSleep([this](milliseconds d) { slept.push_back(d); });
    return s;
  }
};

Result<std::optional<UpstreamRecord>> record() {
  return std::optional<UpstreamRecord>(UpstreamRecord{{"Id", "1"}, {"Name", "N"}});
}

TEST(AdapterSourceTest, RetriesBadGatewayButNotTimeouts) {
  SourceFixture f;
  ResilienceOptions o;
  o.retries = 2;
  auto s = f.make(o);
  f.script.push_back(Status(ErrorCode::kBadGateway, "answered HTTP 500"));
  f.script.push_back(record());
  auto r = s->lookup("1", {"name", "id"});
  ASSERT_TRUE(r) << r.status().toString();
  EXPECT_EQ(f.calls, 2);
  EXPECT_EQ(f.slept.size(), 1u);
  EXPECT_EQ(r->value().fields()[0].first, "name");
  EXPECT_EQ(r->value().value("name"), "N");

  f.script.push_back(Status(ErrorCode::kGatewayTimeout, "did not answer within 10 ms"));
  auto t = s->lookup("1", {"name"});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.status().code(), ErrorCode::kGatewayTimeout);
  EXPECT_EQ(f.calls, 3);  // not retried
  EXPECT_NE(t.status().message().find("upstream up (rest)"), std::string::npos);
  EXPECT_EQ(s->stats().timeouts, 1u);

  auto bad = s->lookup("1", {"income"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().field(), "fields[0]");
  EXPECT_EQ(f.calls, 3);  // refused before any call
}

TEST(AdapterSourceTest, NonIdempotentCallsAreNeverRetried) {
  SourceFixture f;
  ResilienceOptions o;
  o.retries = 3;
  o.idempotent = false;
  auto s = f.make(o);
  f.script.push_back(Status(ErrorCode::kBadGateway, "dropped the connection"));
  EXPECT_FALSE(s->lookup("1", {"name"}));
  EXPECT_EQ(f.calls, 1);
}

TEST(AdapterSourceTest, OpenBreakerRefusesWithoutCallingAndRecovers) {
  SourceFixture f;
  ResilienceOptions o;
  o.retries = 0;
  o.breaker_failures = 2;
  o.breaker_open = milliseconds(500);
  auto s = f.make(o);
  for (int i = 0; i < 2; ++i) f.script.push_back(Status(ErrorCode::kBadGateway, "HTTP 500"));
  EXPECT_EQ(s->lookup("1", {"name"}).status().code(), ErrorCode::kBadGateway);
  EXPECT_EQ(s->lookup("1", {"name"}).status().code(), ErrorCode::kBadGateway);
  auto refused = s->lookup("1", {"name"});
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("circuit breaker is open"), std::string::npos);
  EXPECT_EQ(f.calls, 2);
  f.clock.advance(milliseconds(500));
  f.script.push_back(record());
  EXPECT_TRUE(s->lookup("1", {"name"}));
  EXPECT_EQ(s->stats().breaker, CircuitBreaker::State::kClosed);
}

TEST(AdapterSourceTest, CacheAnswersWithinItsTtl) {
  SourceFixture f;
  ResilienceOptions o;
  o.cache_ttl = milliseconds(100);
  auto s = f.make(o);
  f.script.push_back(record());
  EXPECT_TRUE(s->lookup("1", {"name"}));
  EXPECT_TRUE(s->lookup("1", {"id"}));
  EXPECT_EQ(f.calls, 1);
  EXPECT_EQ(s->stats().cache_hits, 1u);
  f.clock.advance(milliseconds(100));
  f.script.push_back(std::optional<UpstreamRecord>());
  auto gone = s->lookup("1", {"name"});
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_EQ(f.calls, 2);
}

TEST(AdapterFactoryTest, BadSettingsAreRefusedNamingTheKey) {
  catalog::RecordSourceRegistry registry;
  ASSERT_TRUE(registerAdapterFactories(registry));
  catalog::RecordSourceConfig c;
  c.name = "x.records";
  c.settings = {{"upstream", "x"},
                {"endpoint", "http://127.0.0.1:1"},
                {"key_field", "id"},
                {"fields", "id=Id"},
                {"request_timeout_ms", "-5"}};
  Status s = registry.add("rest", c);
  EXPECT_EQ(s.field(), "adapter.x.request_timeout_ms") << s.toString();
  c.settings["request_timeout_ms"] = "100";
  c.settings["colour"] = "blue";
  EXPECT_EQ(registry.add("rest", c).field(), "adapter.x.colour");
  c.settings.erase("colour");
  c.settings["fields"] = "name=Name";
  EXPECT_EQ(registry.add("rest", c).field(), "adapter.x.key_field");
  c.settings["fields"] = "id=Id:shape";
  EXPECT_EQ(registry.add("rest", c).field(), "adapter.x.fields");
  c.settings["fields"] = "id=Id";
  c.settings["endpoint"] = "ftp://127.0.0.1:1";
  EXPECT_EQ(registry.add("rest", c).field(), "adapter.x.endpoint");
  c.settings["endpoint"] = "127.0.0.1:1/x";
  EXPECT_EQ(registry.add("thrift", c).field(), "adapter.x.endpoint");
  c.settings["endpoint"] = "http://127.0.0.1:1";
  EXPECT_TRUE(registry.add("rest", c));
}

}  // namespace
}  // namespace tongban::adapters

namespace tongban::adapters {
namespace {

TEST(AdapterSourceTest, KeysThatCouldSteerTheUpstreamAreRefusedBeforeAnyCall) {
  SourceFixture f;
  auto s = f.make(ResilienceOptions{});
  for (const std::string& key : {std::string(".."), std::string("."), std::string("a\nb"),
                                 std::string("a\x01"), std::string(""), std::string(300, 'x')}) {
    auto r = s->lookup(key, {"name"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), "keys.id");
  }
  EXPECT_EQ(f.calls, 0);
}

TEST(AdapterSourceTest, ARecordForAnotherKeyIsABadGatewayNotAnAnswer) {
  SourceFixture f;
  auto s = f.make(ResilienceOptions{});
  f.script.push_back(std::optional<UpstreamRecord>(UpstreamRecord{{"Id", "2"}, {"Name", "B"}}));
  auto r = s->lookup("1", {"name"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kBadGateway);
  EXPECT_NE(r.status().message().find("another key"), std::string::npos);
}

}  // namespace
}  // namespace tongban::adapters
