// Audit log append rate: AuditWriter's group commit against the same rows INSERTed and committed
// one per transaction (one WAL flush each), with 1, 8 and 64 concurrent appenders, in one run on
// one database. Run it through bench/audit_append.sh, which gives it a cluster with fsync on: with
// fsync off (the test cluster) a commit costs nothing and the comparison means nothing.
//
//   audit_append CONNINFO [SECONDS_PER_RUN] [APPENDERS,...]    (default 3 s, 1,8,64)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "tongban/audit/writer.h"
#include "tongban/common/migrations.h"

using namespace tongban;
using Clock = std::chrono::steady_clock;

namespace {

audit::AuditEntry sampleEntry(int64_t i) {
  audit::AuditEntry e;
  e.request_id = "req-" + std::to_string(i);
  e.app_id = "app_00000000000000a1";
  e.department_code = "11100000000000001X";
  e.key_id = "key_00000000000000a1";
  e.method = "POST";
  e.path = "/v1/query/population.persons";
  e.resource_code = "population.persons";
  e.fields = {"name", "sex", "birth_date", "region_code"};
  e.subject_keys = {"11010519491231002X"};
  e.matter_code = "11100000000000001X2000123";
  e.case_id = "case-" + std::to_string(i);
  e.result = "allowed";
  e.http_status = 200;
  return e;
}

struct Figures {
  double per_second = 0;
  double avg_batch = 0;
  double p50_ms = 0, p99_ms = 0;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Runs `work(thread, i)` on `threads` threads for `seconds`; returns completions per second and
// latency percentiles.
template <typename Work>
Figures drive(int threads, double seconds, Work work) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::vector<std::vector<double>> lat(threads);
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const auto t0 = Clock::now();
        if (!work(t, i)) {
          std::fprintf(stderr, "append failed\n");
          std::exit(1);
        }
        lat[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Figures f;
  f.per_second = static_cast<double>(done.load()) / elapsed;
  f.p50_ms = percentile(all, 0.50);
  f.p99_ms = percentile(all, 0.99);
  return f;
}

// Baseline: each thread owns a chain (its own node id) and INSERTs one row per transaction,
// chained and hashed the same way, through a prepared statement.
Figures baseline(const std::string& conninfo, int threads, double seconds, int run) {
  std::vector<std::unique_ptr<pqxx::connection>> conns;
  std::vector<std::string> prev(threads, std::string(32, '\0'));
  for (int t = 0; t < threads; ++t) {
    conns.push_back(std::make_unique<pqxx::connection>(conninfo));
    conns.back()->prepare(
        "one",
        "INSERT INTO exchange.audit_log (node_id, seq, at, request_id, app_id, department_code, "
        "key_id, method, path, resource_code, fields, subject_keys, matter_code, case_id, result, "
        "http_status, reason, prev_hash, hash) VALUES ($1, $2, timestamptz 'epoch' + $3::bigint "
        "* interval '1 microsecond', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
        "$17, $18, $19)");
  }
  return drive(threads, seconds, [&](int t, int64_t i) {
    audit::AuditEntry e = sampleEntry(i);
    audit::AuditRecord r;
    r.node_id = "baseline-" + std::to_string(::getpid()) + "-" + std::to_string(run) + "-" +
                std::to_string(t);
    r.seq = i + 1;
    r.at_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    r.request_id = e.request_id;
    r.app_id = e.app_id;
    r.department_code = e.department_code;
    r.key_id = e.key_id;
    r.method = e.method;
    r.path = e.path;
    r.resource_code = e.resource_code;
    r.fields = e.fields;
    r.subject_keys = e.subject_keys;
    r.matter_code = e.matter_code;
    r.case_id = e.case_id;
    r.result = e.result;
    r.http_status = e.http_status;
    r.prev_hash = prev[t];
    r.hash = audit::computeAuditHash(r.prev_hash, r);
    prev[t] = r.hash;
    pqxx::nontransaction tx(*conns[t]);  // autocommit: one commit, one flush per row
    tx.exec_prepared("one", r.node_id, r.seq, r.at_micros, *r.request_id, *r.app_id,
                     *r.department_code, *r.key_id, *r.method, *r.path, *r.resource_code,
                     "{name,sex,birth_date,region_code}", "{11010519491231002X}", *r.matter_code,
                     *r.case_id, r.result, *r.http_status, nullptr, pqxx::binarystring(r.prev_hash),
                     pqxx::binarystring(r.hash));
    return true;
  });
}

Figures groupCommit(const std::string& conninfo, int threads, double seconds,
                    audit::AuditWriter::Options::WriteMethod method, const std::string& node) {
  audit::AuditWriter::Options o;
  o.conninfo = conninfo;
  o.node_id = node;
  o.write_method = method;
  auto log = audit::AuditWriter::open(o);
  if (!log) {
    std::fprintf(stderr, "open: %s\n", log.status().toString().c_str());
    std::exit(1);
  }
  Figures f = drive(threads, seconds, [&](int t, int64_t i) {
    return (*log)->append(sampleEntry(t * 1000000 + i)).isOk();
  });
  const auto stats = (*log)->stats();
  f.avg_batch = stats.batches ? static_cast<double>(stats.appended) / stats.batches : 0;
  (*log)->close();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CONNINFO [SECONDS_PER_RUN] [APPENDERS,...]\n", argv[0]);
    return 2;
  }
  const std::string conninfo = argv[1];
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  std::vector<int> counts;
  {
    std::stringstream list(argc > 3 ? argv[3] : "1,8,64");
    std::string item;
    while (std::getline(list, item, ',')) counts.push_back(std::atoi(item.c_str()));
  }
  try {
    pqxx::connection conn(conninfo);
    auto migrated = db::migrate(conn);
    if (!migrated) {
      std::fprintf(stderr, "migrate: %s\n", migrated.status().toString().c_str());
      return 1;
    }
    pqxx::nontransaction tx(conn);
    std::printf("fsync=%s synchronous_commit=%s, %.1f s per run\n",
                tx.exec1("SHOW fsync")[0].c_str(), tx.exec1("SHOW synchronous_commit")[0].c_str(),
                seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  using Method = audit::AuditWriter::Options::WriteMethod;
  const std::pair<const char*, Method> methods[] = {
      {"auto", Method::kAuto}, {"copy", Method::kCopy}, {"unnest", Method::kUnnest}};
  std::printf(
      "appenders  method                      appends/s  avg batch  p50 ms  p99 ms  "
      "vs baseline\n");
  int run = 0;
  for (int n : counts) {
    ++run;
    const Figures base = baseline(conninfo, n, seconds, run);
    std::printf("%9d  %-26s %10.0f  %9.1f  %6.2f  %6.2f\n", n, "baseline: 1 commit/INSERT",
                base.per_second, 1.0, base.p50_ms, base.p99_ms);
    for (const auto& [name, method] : methods) {
      const Figures f = groupCommit(
          conninfo, n, seconds, method,
          std::string(name) + "-" + std::to_string(::getpid()) + "-" + std::to_string(run));
      std::printf("%9d  %-26s %10.0f  %9.1f  %6.2f  %6.2f  %10.2fx\n", n,
                  (std::string("group commit, ") + name).c_str(), f.per_second, f.avg_batch,
                  f.p50_ms, f.p99_ms, f.per_second / base.per_second);
    }
    std::fflush(stdout);
  }
  return 0;
}
