// tongban-admin audit verify|search: checks the hash-chained audit log (电子监察) from the tables
// alone, and searches it, one JSON object per line.

#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <pqxx/pqxx>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/audit/search.h"
#include "tongban/audit/verify.h"
#include "tongban/certs/pki.h"
#include "tongban/common/config.h"
#include "tongban/common/time_format.h"

namespace tongban::admin {
namespace {

const char kAuditUsage[] =
    "usage: tongban-admin audit verify [--db CONNINFO | --config FILE] [--checkpoint-key PEM]\n"
    "       tongban-admin audit search [--db CONNINFO | --config FILE] [--app ID] [--subject KEY]\n"
    "                                  [--resource CODE] [--from TS] [--to TS] [--limit N]\n"
    "\n"
    "verify  re-derives every node's hash chain and checks the signed checkpoints, reading only\n"
    "        exchange.audit_log and exchange.audit_checkpoints. Exit 0 when intact; 1 with the\n"
    "        first broken link of each node (node, seq, kind, what is wrong) otherwise.\n"
    "        --checkpoint-key PEM  file with the hub's checkpoint public key (or certificate);\n"
    "                              without it, each checkpoint is checked against the key stored\n"
    "                              with it, which does not catch a forger who replaced the key.\n"
    "search  prints matching entries, newest first, one JSON object per line.\n"
    "        --app ID, --subject KEY (citizen id or credit code), --resource CODE,\n"
    "        --from TS (inclusive), --to TS (exclusive): RFC 3339, e.g. 2026-03-01T08:00:00Z,\n"
    "        or a date 2026-03-01 (UTC midnight); --limit N 1..10000, default 100.\n"
    "\n"
    "Database: --db, else database.url from --config FILE, else TONGBAN_DATABASE_URL.\n";

int usage(std::ostream& err, const std::string& problem) {
  err << "tongban-admin audit: " << problem << "\n\n" << kAuditUsage;
  return 2;
}

// RFC 3339 ("2026-03-01T08:00:00Z", "...08:00:00.5+08:00") or a date ("2026-03-01", UTC) to
// microseconds since the epoch.
std::optional<int64_t> parseTimeFlag(const std::string& text) {
  if (text.size() == 10) return parseRfc3339Micros(text + "T00:00:00Z");
  return parseRfc3339Micros(text);
}

struct AuditArgs {
  std::string sub;
  std::optional<std::string> db, config, checkpoint_key;
  audit::AuditSearch search;
};

// Empty on success, else what is wrong.
std::string parseArgs(const Args& args, AuditArgs* a) {
  if (args.empty()) return "missing subcommand (verify or search)";
  a->sub = args[0];
  if (a->sub != "verify" && a->sub != "search") return "unknown subcommand '" + a->sub + "'";
  const bool search = a->sub == "search";
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    const bool known = flag == "--db" || flag == "--config" ||
                       (!search && flag == "--checkpoint-key") ||
                       (search && (flag == "--app" || flag == "--subject" || flag == "--resource" ||
                                   flag == "--from" || flag == "--to" || flag == "--limit"));
    if (!known) return "unknown argument '" + flag + "' for audit " + a->sub;
    if (i + 1 >= args.size()) return flag + " needs a value";
    const std::string& value = args[++i];
    if (value.empty()) return flag + " needs a value";
    if (flag == "--db") {
      a->db = value;
    } else if (flag == "--config") {
      a->config = value;
    } else if (flag == "--checkpoint-key") {
      a->checkpoint_key = value;
    } else if (flag == "--app") {
      a->search.app_id = value;
    } else if (flag == "--subject") {
      a->search.subject_key = value;
    } else if (flag == "--resource") {
      a->search.resource_code = value;
    } else if (flag == "--from" || flag == "--to") {
      std::optional<int64_t> t = parseTimeFlag(value);
      if (!t) return flag + " must be an RFC 3339 time or a date, not '" + value + "'";
      (flag == "--from" ? a->search.from_micros : a->search.to_micros) = t;
    } else {  // --limit
      if (value.size() > 5 || value.find_first_not_of("0123456789") != std::string::npos) {
        return "--limit must be a whole number from 1 to 10000, not '" + value + "'";
      }
      a->search.limit = std::stoi(value);
      if (a->search.limit < 1 || a->search.limit > 10000) {
        return "--limit must be a whole number from 1 to 10000, not '" + value + "'";
      }
    }
  }
  return {};
}

int runVerify(pqxx::connection& conn, const AuditArgs& a, std::ostream& out, std::ostream& err) {
  audit::AuditVerifyOptions options;
  if (a.checkpoint_key) {
    std::ifstream in(*a.checkpoint_key, std::ios::binary);
    if (!in) {
      err << "tongban-admin audit: cannot read --checkpoint-key " << *a.checkpoint_key << "\n";
      return 2;
    }
    options.checkpoint_public_key_pem.assign(std::istreambuf_iterator<char>(in), {});
    // A certificate must be an audit checkpoint key's (key roles, docs/transparency-log.md): a
    // seal or log key of the hub's PKI does not vouch for the audit log.
    if (options.checkpoint_public_key_pem.find("-----BEGIN CERTIFICATE-----") !=
        std::string::npos) {
      Result<certs::X509Ptr> certificate =
          certs::parseCertificatePem(options.checkpoint_public_key_pem);
      if (!certificate ||
          !certs::hasKeyRole(certificate->get(), certs::KeyRole::kAuditCheckpoint)) {
        err << "tongban-admin audit: --checkpoint-key " << *a.checkpoint_key
            << " is not an audit checkpoint certificate (extendedKeyUsage "
            << certs::keyRoleOid(certs::KeyRole::kAuditCheckpoint) << " missing)\n";
        return 1;
      }
    }
  }
  Result<audit::AuditVerifyReport> report = audit::verifyAuditChain(conn, options);
  if (!report) {
    err << "tongban-admin audit verify: " << report.status().toString() << "\n";
    return report.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  for (const auto& node : report->nodes) {
    out << "node " << node.node_id << ": " << node.entries_checked << " entries, "
        << node.checkpoints_checked << " checkpoints checked\n";
  }
  if (report->intact()) {
    out << "audit log intact (" << report->nodes.size() << " node"
        << (report->nodes.size() == 1 ? "" : "s") << ")"
        << (a.checkpoint_key ? "" : "; checkpoints checked against their stored keys") << "\n";
    return 0;
  }
  for (const auto& p : report->problems) {
    out << "BROKEN node " << p.node_id << " seq " << p.seq << ": "
        << audit::auditProblemKindName(p.kind) << ": " << p.message << "\n";
  }
  return 1;
}

int runSearch(pqxx::connection& conn, const AuditArgs& a, std::ostream& out, std::ostream& err) {
  Result<std::vector<audit::AuditRecord>> rows = audit::searchAuditLog(conn, a.search);
  if (!rows) {
    err << "tongban-admin audit search: " << rows.status().toString() << "\n";
    return 1;
  }
  for (const auto& r : *rows) out << audit::auditRecordJson(r) << "\n";
  return 0;
}

}  // namespace

int runAudit(const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    out << kAuditUsage;
    return 0;
  }
  AuditArgs a;
  if (std::string problem = parseArgs(args, &a); !problem.empty()) return usage(err, problem);

  std::string conninfo;
  if (a.db) {
    conninfo = *a.db;
  } else if (a.config) {
    Result<Config> config = Config::load(*a.config);
    if (!config) {
      err << "tongban-admin audit: " << config.status().toString() << "\n";
      return 2;
    }
    conninfo = operatorDatabaseUrl(*config);
  } else {
    conninfo = operatorDatabaseUrl(Config());
  }
  if (conninfo.empty()) {
    return usage(err,
                 "no database: give --db CONNINFO or --config FILE (with database.url), or "
                 "set " +
                     Config::envName("database.url"));
  }
  try {
    pqxx::connection conn(conninfo);
    return a.sub == "verify" ? runVerify(conn, a, out, err) : runSearch(conn, a, out, err);
  } catch (const std::exception& e) {
    err << "tongban-admin audit: database: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tongban::admin
