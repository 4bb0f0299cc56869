// tongban-admin import: batch flow-back files (数据回流) into the population and legal_entity
// registries (adapters/flowback, docs/import.md). This file is the command line: arguments, the
// progress display and the summary; the import itself is tongban::flowback::importFile.
//
// Database role: the owner connection (database.owner_url, else database.url; cli_util.h), like
// every tongban-admin command. The import must write the registries, and the runtime role that
// `tongban-exchange serve` uses may only read them (deploy/sql/0012_roles.sql).
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <string>

#include "cli_util.h"
#include "tongban/adapters/flowback.h"
#include "tongban/admin/commands.h"

namespace tongban::admin {
namespace {

const char kImportUsage[] =
    "usage: tongban-admin import population|legal_entity FILE [--format csv|jsonl]\n"
    "                            [--reject-file PATH] [--batch-rows N] [--again]\n"
    "                            [--db CONNINFO | --config FILE]\n"
    "\n"
    "Upserts the records of FILE into population.persons or legal_entity.entities by key:\n"
    "new keys are inserted, changed rows updated, identical rows left alone. Malformed records go\n"
    "to the reject file (CSV: line,reason,record) and the rest still load. Each batch commits\n"
    "with a checkpoint: after a crash, the same command resumes where it stopped.\n"
    "\n"
    "  --format F        csv (RFC 4180 with a header row of column names) or jsonl (one JSON\n"
    "                    object per line); default: jsonl for *.jsonl and *.ndjson, else csv\n"
    "  --reject-file P   where rejected records go (default FILE.rejects.csv)\n"
    "  --batch-rows N    records per transaction, 1..1000000 (default 20000)\n"
    "  --again           import a file that was imported completely before once more\n"
    "  --db CONNINFO     libpq connection string or URI (a role that may write the registries)\n"
    "  --config FILE     database.owner_url, else database.url, from FILE\n"
    "\n"
    "Exit status: 0 imported (or imported before), 3 imported with rejected records,\n"
    "1 failed (run the same command again to resume), 2 usage error.\n";

// Draws progress on a terminal (a bar, redrawn at most 5 times a second) or, when stderr is not
// one, writes a plain line every 10 seconds.
class ProgressDisplay {
 public:
  explicit ProgressDisplay(std::ostream& err)
      : err_(err),
        tty_(&err == &std::cerr && ::isatty(STDERR_FILENO) != 0),
        start_(std::chrono::steady_clock::now()),
        last_(start_) {}

  void update(const flowback::ImportProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const auto since = std::chrono::duration<double>(now - last_).count();
    if (since < (tty_ ? 0.2 : 10.0)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(p.records) / elapsed : 0;
    const int percent = p.bytes_total ? static_cast<int>(p.bytes_done * 100 / p.bytes_total) : 100;
    char text[160];
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = percent * kWidth / 100;
      std::snprintf(text, sizeof text, "\r[%s%s] %3d%%  %" PRIu64 " rows  %.0f rows/s   ",
                    std::string(static_cast<size_t>(filled), '#').c_str(),
                    std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), percent,
                    p.records, rate);
      drawn_ = true;
    } else {
      std::snprintf(text, sizeof text, "import: %d%% of bytes, %" PRIu64 " rows, %.0f rows/s\n",
                    percent, p.records, rate);
    }
    err_ << text << std::flush;
  }
  void finish() {
    if (drawn_) err_ << "\r" << std::string(72, ' ') << "\r" << std::flush;
  }

 private:
  std::ostream& err_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool drawn_ = false;
};

std::string countsLine(const flowback::ImportCounts& c) {
  char text[256];
  std::snprintf(text, sizeof text,
                "read %" PRIu64 ", inserted %" PRIu64 ", updated %" PRIu64 ", unchanged %" PRIu64
                ", rejected %" PRIu64 ", superseded %" PRIu64,
                c.read, c.inserted, c.updated, c.unchanged, c.rejected, c.superseded);
  return text;
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

int runImport(const Args& args, std::ostream& out, std::ostream& err) {
  Result<ParsedArgs> parsed =
      parseArgs(args, {"--format", "--reject-file", "--batch-rows", "--db", "--config"},
                {"--help", "--again"});
  if (!parsed) {
    err << "tongban-admin import: " << parsed.status().message() << "\n\n" << kImportUsage;
    return 2;
  }
  const ParsedArgs& a = *parsed;
  if (a.has("--help")) {
    out << kImportUsage;
    return 0;
  }
  auto usage = [&](const std::string& problem) {
    err << "tongban-admin import: " << problem << "\n\n" << kImportUsage;
    return 2;
  };
  if (a.positional.size() != 2) return usage("give a registry and a file");
  flowback::ImportOptions o;
  o.registry = a.positional[0];
  o.path = a.positional[1];
  if (o.registry != "population" && o.registry != "legal_entity") {
    return usage("unknown registry '" + o.registry + "': population or legal_entity");
  }
  const std::string format = a.get(
      "--format", endsWith(o.path, ".jsonl") || endsWith(o.path, ".ndjson") ? "jsonl" : "csv");
  if (format != "csv" && format != "jsonl") return usage("--format must be csv or jsonl");
  o.format = format == "csv" ? flowback::Format::kCsv : flowback::Format::kJsonLines;
  o.reject_path = a.get("--reject-file");
  if (a.has("--reject-file") && o.reject_path.empty()) return usage("--reject-file needs a path");
  if (a.has("--batch-rows")) {
    const std::string v = a.get("--batch-rows");
    uint64_t n = 0;
    bool ok = !v.empty() && v.size() <= 7;
    for (char c : v) ok = ok && c >= '0' && c <= '9';
    if (ok) n = std::stoull(v);
    if (!ok || n < 1 || n > 1000000)
      return usage("--batch-rows must be 1..1000000, not '" + v + "'");
    o.batch_rows = n;
  }
  o.again = a.has("--again");
  if (a.has("--db") && a.has("--config")) return usage("give --db or --config, not both");
  Result<std::string> db = resolveDatabase(a);
  if (!db) return usage(db.status().message());
  o.conninfo = *db;

  ProgressDisplay display(err);
  Result<flowback::ImportReport> report =
      flowback::importFile(o, [&](const flowback::ImportProgress& p) { display.update(p); });
  display.finish();
  if (!report) {
    err << "tongban-admin import: " << report.status().toString() << "\n";
    return 1;
  }
  const flowback::ImportReport& r = *report;
  const std::string table =
      o.registry == "population" ? "population.persons" : "legal_entity.entities";
  if (r.already_complete) {
    out << o.path << " (sha256 " << r.file_sha256.substr(0, 16) << "...) was imported into "
        << table << " before; nothing to do (--again imports it once more)\n"
        << "  that import: " << countsLine(r.total) << "\n";
    return 0;
  }
  const double rate = r.seconds > 0 ? static_cast<double>(r.run.read) / r.seconds : 0;
  char head[128];
  std::snprintf(head, sizeof head, " in %.2f s (%.0f rows/s)", r.seconds, rate);
  out << "imported " << o.path << " into " << table << head << "\n";
  if (r.resumed_at_line > 0) {
    out << "  resumed at line " << r.resumed_at_line << "; this run: " << countsLine(r.run) << "\n";
  }
  out << "  " << countsLine(r.total) << "\n";
  if (r.total.rejected > 0) {
    out << "  rejected records: " << r.reject_path << "\n";
    return 3;
  }
  return 0;
}

}  // namespace tongban::admin
