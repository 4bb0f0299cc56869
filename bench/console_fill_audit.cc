// Fills a database's audit log with N real, hash-chained entries through AuditWriter (group commit,
// 64 appenders), shaped like a busy hub's traffic: 16 applications, 10,000 subjects, 90% allowed,
// 8% denied, 2% errors. For bench/console.sh, which then measures the console's pages on it.
//
//   console_fill_audit CONNINFO N
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tongban/audit/writer.h"

using namespace tongban;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: console_fill_audit CONNINFO N\n");
    return 2;
  }
  const int64_t n = std::atoll(argv[2]);
  audit::AuditWriter::Options o;
  o.conninfo = argv[1];
  o.node_id = "node-1";
  o.max_batch = 2048;
  auto log = audit::AuditWriter::open(o);
  if (!log) {
    std::fprintf(stderr, "%s\n", log.status().toString().c_str());
    return 1;
  }
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++) {
        audit::AuditEntry e;
        e.request_id = "fill-" + std::to_string(i);
        char app[32];
        std::snprintf(app, sizeof app, "app_%016llx", static_cast<unsigned long long>(i % 16));
        e.app_id = app;
        e.department_code = "1133010000002001XU";
        e.method = "POST";
        e.path = "/v1/query/POP-PERSON-BASIC";
        e.resource_code = "POP-PERSON-BASIC";
        e.fields = {"name", "sex", "birth_date"};
        char subject[32];
        std::snprintf(subject, sizeof subject, "1101051949%08lld",
                      static_cast<long long>(i % 10000));
        e.subject_keys = {subject};
        e.matter_code = "11330100MB0000001X4000203";
        e.case_id = "case-" + std::to_string(i);
        const int r = static_cast<int>(i % 50);
        e.result = r < 45 ? "allowed" : r < 49 ? "denied" : "error";
        e.http_status = r < 45 ? 200 : r < 47 ? 403 : r < 49 ? 429 : 503;
        if (!(*log)->append(std::move(e))) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  (*log)->close();
  std::printf("appended %lld entries (%lld failed)\n", static_cast<long long>(n - failed.load()),
              static_cast<long long>(failed.load()));
  return failed.load() == 0 ? 0 : 1;
}
