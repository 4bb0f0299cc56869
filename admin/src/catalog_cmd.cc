// tongban-admin catalog | requests | grants: the data administrator's side of the data resource
// catalog (政务数据资源目录) — resources and their versions, applications for access, grants.
//
// Each command acts through tongban::catalog::CatalogStore as Actor {"cli:" + $USER, admin}, so
// every change is recorded in catalog.events under that name. Results are printed as JSON lines
// (one object per line, the shapes of tongban/catalog/json.h); refusals and failures go to `err`
// with exit code 1; usage errors exit 2.
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/json.h"
#include "tongban/common/config.h"
#include "tongban/common/db_pool.h"

namespace tongban::admin {
namespace {

using catalog::Actor;
using catalog::CatalogStore;

const char kDbHelp[] =
    "\n"
    "Database: --db CONNINFO, else database.url from --config FILE, else TONGBAN_DATABASE_URL.\n"
    "Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr),\n"
    "2 usage.\n";

const char kCatalogUsage[] =
    "usage: tongban-admin catalog COMMAND [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list [--status draft|published|retired|any] [--search TEXT] [--provider DEPT]\n"
    "       [--field NAME] [--limit N] [--offset N]\n"
    "                               resources (default: the published ones)\n"
    "  show CODE [--version N]      one resource (default: its published version)\n"
    "  create --file RESOURCE.json  a new resource, or the next version of an existing code,\n"
    "                               as a draft\n"
    "  publish CODE VERSION         publish a draft; the previously published version retires\n"
    "  retire CODE [VERSION]        retire the published version (or the given one)\n"
    "  history resource CODE/VERSION | request ID | grant ID | source NAME\n"
    "                               every state change of one object, oldest first\n"
    "  sources                      the registry sources and the department owning each\n"
    "  sources set-owner SOURCE DEPARTMENT [--reason TEXT]\n"
    "                               make DEPARTMENT (credit code) the owner of SOURCE: only its\n"
    "                               provider applications (or an administrator) publish\n"
    "                               resources over it, only they weaken its masking; published\n"
    "                               resources of other departments over it are retired\n";

const char kRequestsUsage[] =
    "usage: tongban-admin requests COMMAND [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list [--state pending|approved|rejected|withdrawn] [--app APP_ID] [--resource CODE]\n"
    "       [--provider DEPT] [--limit N] [--offset N]\n"
    "                               applications for access, newest first\n"
    "  show ID                      one application\n"
    "  approve ID [--unmask F1,F2] [--rate N] [--reason TEXT]\n"
    "                               approve and make the grant; --unmask lifts the masking of\n"
    "                               those fields, --rate overrides the requested rate per minute\n"
    "  reject ID --reason TEXT      reject, saying why\n";

const char kGrantsUsage[] =
    "usage: tongban-admin grants COMMAND [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list [--app APP_ID] [--resource CODE] [--state active|suspended|revoked]\n"
    "       [--limit N] [--offset N]    grants, newest first\n"
    "  show ID                      one grant\n"
    "  suspend ID --reason TEXT     stop a grant for now\n"
    "  resume ID [--reason TEXT]    lift a suspension\n"
    "  revoke ID --reason TEXT      end a grant for good\n";

// Arguments of one command: positional words and --flag VALUE pairs.
struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool help = false;

  std::optional<std::string> flag(const std::string& name) const {
    auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return it->second;
  }
};

// Empty on success, else what is wrong. Every flag takes a value; --db and --config are always
// allowed.
std::string parseArgs(const Args& args, std::set<std::string> allowed, Parsed* p) {
  allowed.insert("--db");
  allowed.insert("--config");
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      p->help = true;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      if (allowed.count(a) == 0) return "unknown option '" + a + "'";
      if (i + 1 >= args.size()) return a + " needs a value";
      if (p->flags.count(a) != 0) return a + " given twice";
      p->flags[a] = args[++i];
      continue;
    }
    p->positional.push_back(a);
  }
  if (p->flags.count("--db") != 0 && p->flags.count("--config") != 0) {
    return "give --db or --config, not both";
  }
  return {};
}

bool parseNumber(const std::string& text, int64_t max, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string currentUser() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid" + std::to_string(::geteuid());
}

// Runs one command: holds the output streams, the usage text and the command's name for
// messages, and opens the store on demand.
class Command {
 public:
  Command(std::string name, const char* usage, std::ostream& out, std::ostream& err)
      : name_(std::move(name)), usage_(usage), out_(out), err_(err) {}

  int usage(const std::string& problem) {
    err_ << "tongban-admin " << name_ << ": " << problem << "\n\n" << usage_ << kDbHelp;
    return 2;
  }
  int help() {
    out_ << usage_ << kDbHelp;
    return 0;
  }
  int fail(const Status& status) {
    err_ << "tongban-admin " << name_ << ": " << errorCodeName(status.code()) << ": "
         << status.toString() << "\n";
    return 1;
  }
  void line(const std::string& json) { out_ << json << "\n"; }

  // The store on the configured database; nullptr after printing why (exit_code set).
  CatalogStore* open(const Parsed& p, int* exit_code) {
    std::string conninfo;
    if (auto db = p.flag("--db")) {
      conninfo = *db;
    } else if (auto file = p.flag("--config")) {
      Result<Config> config = Config::load(*file);
      if (!config) {
        *exit_code = fail(config.status());
        return nullptr;
      }
      conninfo = operatorDatabaseUrl(*config);
      if (conninfo.empty()) {
        err_ << "tongban-admin " << name_ << ": " << *file << " has no database.url (and "
             << Config::envName("database.url") << " is not set)\n";
        *exit_code = 1;
        return nullptr;
      }
    } else {
      conninfo = operatorDatabaseUrl(Config());
    }
    if (conninfo.empty()) {
      *exit_code = usage("no database: give --db CONNINFO or --config FILE, or set " +
                         Config::envName("database.url"));
      return nullptr;
    }
    db::PoolOptions options;
    options.conninfo = conninfo;
    options.size = 1;
    options.acquire_timeout = std::chrono::milliseconds(10000);
    pool_ = std::make_unique<db::ConnectionPool>(std::move(options));
    store_ = std::make_unique<CatalogStore>(*pool_);
    return store_.get();
  }

  Actor actor() const { return Actor::cli(currentUser()); }

 private:
  std::string name_;
  const char* usage_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<CatalogStore> store_;
};

// Reads --limit and --offset into a filter; empty on success, else the usage problem.
template <typename Filter>
std::string pageOptions(const Parsed& p, Filter* f) {
  int64_t n = 0;
  if (auto limit = p.flag("--limit")) {
    if (!parseNumber(*limit, catalog::kMaxListLimit, &n) || n == 0) {
      return "--limit must be 1.." + std::to_string(catalog::kMaxListLimit);
    }
    f->limit = static_cast<size_t>(n);
  }
  if (auto offset = p.flag("--offset")) {
    if (!parseNumber(*offset, INT64_MAX / 2, &n)) return "--offset must be a whole number";
    f->offset = static_cast<size_t>(n);
  }
  return {};
}

// The single positional ID after the subcommand; 0 after printing a usage error.
int64_t idArgument(Command& cmd, const Parsed& p, int* exit_code) {
  if (p.positional.size() != 2) {
    *exit_code = cmd.usage(p.positional[0] + " needs exactly one ID");
    return 0;
  }
  int64_t id = 0;
  if (!parseNumber(p.positional[1], INT64_MAX / 2, &id) || id == 0) {
    *exit_code = cmd.usage("'" + p.positional[1] + "' is not an ID (a positive whole number)");
    return 0;
  }
  return id;
}

Result<std::string> readFile(const std::string& path) {
  constexpr std::streamsize kMaxBytes = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid("--file", "cannot read " + path);
  std::string text(static_cast<size_t>(kMaxBytes) + 1, '\0');
  in.read(&text[0], kMaxBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return Status::invalid("--file", "cannot read " + path);
  if (text.size() > static_cast<size_t>(kMaxBytes)) {
    return Status::invalid("--file", path + " is larger than 1 MiB");
  }
  return text;
}

}  // namespace

int runCatalog(const Args& args, std::ostream& out, std::ostream& err) {
  Command cmd("catalog", kCatalogUsage, out, err);
  Parsed p;
  if (std::string problem = parseArgs(args,
                                      {"--status", "--search", "--provider", "--field", "--limit",
                                       "--offset", "--version", "--file", "--reason"},
                                      &p);
      !problem.empty()) {
    return cmd.usage(problem);
  }
  if (p.help) return cmd.help();
  if (p.positional.empty()) return cmd.usage("missing command");
  const std::string& sub = p.positional[0];
  const size_t nargs = p.positional.size() - 1;
  int code = 0;
  if (p.flag("--reason") && !(sub == "sources" && nargs > 0)) {
    return cmd.usage("--reason belongs to sources set-owner");
  }

  if (sub == "list") {
    if (nargs != 0) return cmd.usage("list takes no arguments, only options");
    catalog::ResourceFilter filter;
    filter.text = p.flag("--search").value_or("");
    filter.provider_department = p.flag("--provider").value_or("");
    filter.field = p.flag("--field").value_or("");
    if (auto status = p.flag("--status")) {
      if (*status == "any") {
        filter.status.reset();
      } else if (auto s = catalog::parseResourceStatus(*status)) {
        filter.status = *s;
      } else {
        return cmd.usage("--status must be draft, published, retired or any");
      }
    }
    if (std::string problem = pageOptions(p, &filter); !problem.empty()) return cmd.usage(problem);
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto list = store->listResources(filter, cmd.actor());
    if (!list) return cmd.fail(list.status());
    for (const catalog::Resource& r : *list) cmd.line(catalog::toJson(r));
    return 0;
  }

  if (sub == "show") {
    if (nargs != 1) return cmd.usage("show needs a resource CODE");
    std::optional<int> version;
    if (auto v = p.flag("--version")) {
      int64_t n = 0;
      if (!parseNumber(*v, INT32_MAX, &n) || n == 0)
        return cmd.usage("--version must be 1 or more");
      version = static_cast<int>(n);
    }
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto r = store->getResource(p.positional[1], cmd.actor(), version);
    if (!r) return cmd.fail(r.status());
    cmd.line(catalog::toJson(*r));
    return 0;
  }

  if (sub == "create") {
    if (nargs != 0) return cmd.usage("create takes --file RESOURCE.json, no arguments");
    auto file = p.flag("--file");
    if (!file) return cmd.usage("create needs --file RESOURCE.json");
    Result<std::string> text = readFile(*file);
    if (!text) return cmd.fail(text.status());
    Result<catalog::ResourceDraft> draft = catalog::parseResourceDraft(*text);
    if (!draft) return cmd.fail(draft.status());
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto r = store->createResource(*draft, cmd.actor());
    if (!r) return cmd.fail(r.status());
    cmd.line(catalog::toJson(*r));
    return 0;
  }

  if (sub == "publish") {
    if (nargs != 2) return cmd.usage("publish needs CODE VERSION");
    int64_t version = 0;
    if (!parseNumber(p.positional[2], INT32_MAX, &version) || version == 0) {
      return cmd.usage("VERSION must be 1 or more, not '" + p.positional[2] + "'");
    }
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto r = store->publishResource(p.positional[1], static_cast<int>(version), cmd.actor());
    if (!r) return cmd.fail(r.status());
    cmd.line(catalog::toJson(*r));
    return 0;
  }

  if (sub == "retire") {
    if (nargs != 1 && nargs != 2) return cmd.usage("retire needs CODE [VERSION]");
    std::optional<int> version;
    if (nargs == 2) {
      int64_t n = 0;
      if (!parseNumber(p.positional[2], INT32_MAX, &n) || n == 0) {
        return cmd.usage("VERSION must be 1 or more, not '" + p.positional[2] + "'");
      }
      version = static_cast<int>(n);
    }
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto r = store->retireResource(p.positional[1], cmd.actor(), version);
    if (!r) return cmd.fail(r.status());
    cmd.line(catalog::toJson(*r));
    return 0;
  }

  if (sub == "history") {
    if (nargs != 2) return cmd.usage("history needs resource CODE/VERSION, request ID or grant ID");
    catalog::ObjectType type;
    if (p.positional[1] == "resource") {
      type = catalog::ObjectType::kResource;
    } else if (p.positional[1] == "request") {
      type = catalog::ObjectType::kRequest;
    } else if (p.positional[1] == "grant") {
      type = catalog::ObjectType::kGrant;
    } else if (p.positional[1] == "source") {
      type = catalog::ObjectType::kSource;
    } else {
      return cmd.usage("history: the object is resource, request, grant or source, not '" +
                       p.positional[1] + "'");
    }
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto events = store->listEvents(type, p.positional[2], cmd.actor());
    if (!events) return cmd.fail(events.status());
    for (const catalog::CatalogEvent& e : *events) cmd.line(catalog::toJson(e));
    return 0;
  }

  if (sub == "sources") {
    if (nargs == 0) {
      CatalogStore* store = cmd.open(p, &code);
      if (store == nullptr) return code;
      auto list = store->listSourceOwners(cmd.actor());
      if (!list) return cmd.fail(list.status());
      for (const catalog::SourceOwner& o : *list) cmd.line(catalog::toJson(o));
      return 0;
    }
    if (p.positional[1] != "set-owner") {
      return cmd.usage("sources: the command is set-owner, not '" + p.positional[1] + "'");
    }
    if (nargs != 3) return cmd.usage("sources set-owner needs SOURCE DEPARTMENT");
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto owner = store->setSourceOwner(p.positional[2], p.positional[3], cmd.actor(),
                                       p.flag("--reason").value_or(""));
    if (!owner) return cmd.fail(owner.status());
    cmd.line(catalog::toJson(*owner));
    return 0;
  }

  return cmd.usage("unknown command '" + sub + "'");
}

int runRequests(const Args& args, std::ostream& out, std::ostream& err) {
  Command cmd("requests", kRequestsUsage, out, err);
  Parsed p;
  if (std::string problem = parseArgs(args,
                                      {"--state", "--app", "--resource", "--provider", "--limit",
                                       "--offset", "--unmask", "--rate", "--reason"},
                                      &p);
      !problem.empty()) {
    return cmd.usage(problem);
  }
  if (p.help) return cmd.help();
  if (p.positional.empty()) return cmd.usage("missing command");
  const std::string& sub = p.positional[0];
  int code = 0;

  if (sub == "list") {
    if (p.positional.size() != 1) return cmd.usage("list takes no arguments, only options");
    catalog::RequestFilter filter;
    if (auto state = p.flag("--state")) {
      auto s = catalog::parseRequestState(*state);
      if (!s) return cmd.usage("--state must be pending, approved, rejected or withdrawn");
      filter.state = *s;
    }
    filter.app_id = p.flag("--app").value_or("");
    filter.resource_code = p.flag("--resource").value_or("");
    filter.provider_department = p.flag("--provider").value_or("");
    if (std::string problem = pageOptions(p, &filter); !problem.empty()) return cmd.usage(problem);
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto list = store->listRequests(filter, cmd.actor());
    if (!list) return cmd.fail(list.status());
    for (const catalog::AccessRequest& q : *list) cmd.line(catalog::toJson(q));
    return 0;
  }

  if (sub == "show" || sub == "approve" || sub == "reject") {
    const int64_t id = idArgument(cmd, p, &code);
    if (id == 0) return code;
    if (sub == "reject" && !p.flag("--reason")) return cmd.usage("reject needs --reason TEXT");
    catalog::ApprovalOptions options;
    if (sub == "approve") {
      if (auto unmask = p.flag("--unmask")) options.unmasked_fields = splitList(*unmask);
      if (auto rate = p.flag("--rate")) {
        int64_t n = 0;
        if (!parseNumber(*rate, catalog::kMaxRatePerMinute, &n) || n == 0) {
          return cmd.usage("--rate must be 1.." + std::to_string(catalog::kMaxRatePerMinute));
        }
        options.rate_per_minute = static_cast<int>(n);
      }
      options.reason = p.flag("--reason").value_or("");
    } else if (p.flag("--unmask") || p.flag("--rate")) {
      return cmd.usage("--unmask and --rate belong to approve");
    }
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    if (sub == "show") {
      auto q = store->getRequest(id, cmd.actor());
      if (!q) return cmd.fail(q.status());
      cmd.line(catalog::toJson(*q));
    } else if (sub == "approve") {
      auto approval = store->approveRequest(id, cmd.actor(), options);
      if (!approval) return cmd.fail(approval.status());
      cmd.line("{\"request\":" + catalog::toJson(approval->request) +
               ",\"grant\":" + catalog::toJson(approval->grant) + "}");
    } else {
      auto q = store->rejectRequest(id, cmd.actor(), *p.flag("--reason"));
      if (!q) return cmd.fail(q.status());
      cmd.line(catalog::toJson(*q));
    }
    return 0;
  }

  return cmd.usage("unknown command '" + sub + "'");
}

int runGrants(const Args& args, std::ostream& out, std::ostream& err) {
  Command cmd("grants", kGrantsUsage, out, err);
  Parsed p;
  if (std::string problem = parseArgs(
          args, {"--app", "--resource", "--state", "--limit", "--offset", "--reason"}, &p);
      !problem.empty()) {
    return cmd.usage(problem);
  }
  if (p.help) return cmd.help();
  if (p.positional.empty()) return cmd.usage("missing command");
  const std::string& sub = p.positional[0];
  int code = 0;

  if (sub == "list") {
    if (p.positional.size() != 1) return cmd.usage("list takes no arguments, only options");
    catalog::GrantFilter filter;
    filter.app_id = p.flag("--app").value_or("");
    filter.resource_code = p.flag("--resource").value_or("");
    if (auto state = p.flag("--state")) {
      auto s = catalog::parseGrantState(*state);
      if (!s) return cmd.usage("--state must be active, suspended or revoked");
      filter.state = *s;
    }
    if (std::string problem = pageOptions(p, &filter); !problem.empty()) return cmd.usage(problem);
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    auto list = store->listGrants(filter, cmd.actor());
    if (!list) return cmd.fail(list.status());
    for (const catalog::Grant& g : *list) cmd.line(catalog::toJson(g));
    return 0;
  }

  if (sub == "show" || sub == "suspend" || sub == "resume" || sub == "revoke") {
    const int64_t id = idArgument(cmd, p, &code);
    if (id == 0) return code;
    if ((sub == "suspend" || sub == "revoke") && !p.flag("--reason")) {
      return cmd.usage(sub + " needs --reason TEXT");
    }
    const std::string reason = p.flag("--reason").value_or("");
    CatalogStore* store = cmd.open(p, &code);
    if (store == nullptr) return code;
    Result<catalog::Grant> g = sub == "show"      ? store->getGrant(id, cmd.actor())
                               : sub == "suspend" ? store->suspendGrant(id, cmd.actor(), reason)
                               : sub == "resume"  ? store->resumeGrant(id, cmd.actor(), reason)
                                                  : store->revokeGrant(id, cmd.actor(), reason);
    if (!g) return cmd.fail(g.status());
    cmd.line(catalog::toJson(*g));
    return 0;
  }

  return cmd.usage("unknown command '" + sub + "'");
}

}  // namespace tongban::admin
