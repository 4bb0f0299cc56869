// tongban-admin matter | thing: the service-matter catalog (政务服务事项) with each matter's
// materials and how the hub stands in for them, and the one-thing bundles (一件事) that group
// matters. Documents are the JSON shapes of docs/matters.md (tongban/verification/matters.h);
// `show` prints exactly what `put --file` accepts. Exit 0 done, 1 refused or failed, 2 usage.
#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include <rapidjson/document.h>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/json.h"
#include "tongban/verification/matters.h"

namespace tongban::admin {
namespace {

using verification::MatterStore;

const char kMatterUsage[] =
    "usage: tongban-admin matter COMMAND [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list                  every service matter (政务服务事项), one JSON object per line\n"
    "  show CODE             one matter with its materials and how the hub stands in for each\n"
    "  put --file MATTER.json\n"
    "                        create or replace a matter (its materials and eligibility rule are\n"
    "                        replaced as a whole)\n"
    "  remove CODE           delete a matter no one-thing lists\n"
    "\n"
    "Database: --db CONNINFO, else database.owner_url / database.url from --config FILE, else\n"
    "TONGBAN_DATABASE_URL. Document shape: docs/matters.md.\n";

const char kThingUsage[] =
    "usage: tongban-admin thing COMMAND [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list                  every one-thing bundle (一件事)\n"
    "  show CODE             one bundle and its matters, in order\n"
    "  put --file THING.json create or replace a bundle of 2 to 50 existing matters\n"
    "  remove CODE           delete a bundle (its matters stay)\n"
    "\n"
    "Database: --db CONNINFO, else database.owner_url / database.url from --config FILE, else\n"
    "TONGBAN_DATABASE_URL. Document shape: docs/matters.md.\n";

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid("--file", "cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1u << 20)) return Status::invalid("--file", "is larger than 1 MiB");
  return text.str();
}

// Runs `fn(store)` on a one-connection pool; reports a failure as "tongban-admin CMD: ..." (exit
// 1).
template <typename Fn>
int withStore(const ParsedArgs& args, const char* cmd, std::ostream& err, Fn&& fn) {
  auto db = resolveDatabase(args);
  if (!db) {
    err << "tongban-admin " << cmd << ": " << db.status().toString() << "\n";
    return 2;
  }
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  MatterStore store(pool);
  Status s = fn(store);
  if (!s) {
    err << "tongban-admin " << cmd << ": " << s.toString() << "\n";
    return 1;
  }
  return 0;
}

// Parses the --file document with `parse` (parseMatter / parseThing).
template <typename Parse>
auto readDocument(const ParsedArgs& args, Parse&& parse)
    -> decltype(parse(std::declval<const rapidjson::Value&>())) {
  auto text = readFile(args.get("--file"));
  if (!text) return text.status();
  rapidjson::Document doc;
  if (Status s = parseJsonObject(*text, doc, "--file"); !s) return s;
  return parse(doc);
}

}  // namespace

int runMatter(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--db", "--config", "--file"}, {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    if (!args) err << "tongban-admin matter: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kMatterUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  const std::string& verb = args->positional[0];
  const size_t n = args->positional.size();
  if (verb == "list" && n == 1) {
    return withStore(*args, "matter list", err, [&](MatterStore& store) -> Status {
      auto all = store.matters();
      if (!all) return all.status();
      for (const auto& m : *all) {
        std::string line;
        verification::writeMatter(m, line);
        out << line << "\n";
      }
      return Status::ok();
    });
  }
  if (verb == "show" && n == 2) {
    return withStore(*args, "matter show", err, [&](MatterStore& store) -> Status {
      auto m = store.matter(args->positional[1]);
      if (!m) return m.status();
      std::string line;
      verification::writeMatter(*m, line);
      out << line << "\n";
      return Status::ok();
    });
  }
  if (verb == "put" && n == 1 && args->has("--file")) {
    auto matter = readDocument(*args, verification::parseMatter);
    if (!matter) {
      err << "tongban-admin matter put: " << matter.status().toString() << "\n";
      return 1;
    }
    return withStore(*args, "matter put", err, [&](MatterStore& store) -> Status {
      if (Status s = store.putMatter(*matter); !s) return s;
      out << "{\"code\":\"" << matter->code << "\",\"materials\":" << matter->materials.size()
          << "}\n";
      return Status::ok();
    });
  }
  if (verb == "remove" && n == 2) {
    return withStore(*args, "matter remove", err,
                     [&](MatterStore& store) { return store.removeMatter(args->positional[1]); });
  }
  err << kMatterUsage;
  return 2;
}

int runThing(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--db", "--config", "--file"}, {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    if (!args) err << "tongban-admin thing: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kThingUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  const std::string& verb = args->positional[0];
  const size_t n = args->positional.size();
  if (verb == "list" && n == 1) {
    return withStore(*args, "thing list", err, [&](MatterStore& store) -> Status {
      auto all = store.things();
      if (!all) return all.status();
      for (const auto& t : *all) {
        std::string line;
        verification::writeThing(t, line);
        out << line << "\n";
      }
      return Status::ok();
    });
  }
  if (verb == "show" && n == 2) {
    return withStore(*args, "thing show", err, [&](MatterStore& store) -> Status {
      auto t = store.thing(args->positional[1]);
      if (!t) return t.status();
      std::string line;
      verification::writeThing(*t, line);
      out << line << "\n";
      return Status::ok();
    });
  }
  if (verb == "put" && n == 1 && args->has("--file")) {
    auto thing = readDocument(*args, verification::parseThing);
    if (!thing) {
      err << "tongban-admin thing put: " << thing.status().toString() << "\n";
      return 1;
    }
    return withStore(*args, "thing put", err, [&](MatterStore& store) -> Status {
      if (Status s = store.putThing(*thing); !s) return s;
      out << "{\"code\":\"" << thing->code << "\",\"matters\":" << thing->matter_codes.size()
          << "}\n";
      return Status::ok();
    });
  }
  if (verb == "remove" && n == 2) {
    return withStore(*args, "thing remove", err,
                     [&](MatterStore& store) { return store.removeThing(args->positional[1]); });
  }
  err << kThingUsage;
  return 2;
}

}  // namespace tongban::admin
