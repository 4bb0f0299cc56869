#include "cli_util.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace tongban::admin {

Result<ParsedArgs> parseArgs(const std::vector<std::string>& args,
                             const std::set<std::string>& with_value,
                             const std::set<std::string>& switches) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" && switches.count("--help")) {
      out.flags["--help"] = "";
    } else if (a.size() > 1 && a[0] == '-') {  // "-x", "--x", "--x=v": only the listed ones
      if (switches.count(a)) {
        out.flags[a] = "";
      } else if (with_value.count(a)) {
        if (i + 1 >= args.size()) return Status::invalid(a, a + " needs a value");
        out.flags[a] = args[++i];
      } else {
        const size_t eq = a.find('=');
        if (eq != std::string::npos && with_value.count(a.substr(0, eq))) {
          return Status::invalid(
              a, "unknown option " + a + "; write " + a.substr(0, eq) + " VALUE (two arguments)");
        }
        return Status::invalid(a, "unknown option " + a);
      }
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

Result<Config> loadConfig(const ParsedArgs& args) {
  if (args.has("--config")) return Config::load(args.get("--config"));
  return Config();
}

std::string operatorDatabaseUrl(const Config& config) {
  std::string owner = config.getString("database.owner_url");
  return owner.empty() ? config.getString("database.url") : owner;
}

Result<std::string> resolveDatabase(const ParsedArgs& args) {
  if (args.has("--db")) return args.get("--db");
  auto config = loadConfig(args);
  if (!config) return config.status();
  std::string url = operatorDatabaseUrl(*config);
  if (url.empty()) {
    return Status::invalid("database", "no database: give --db CONNINFO or --config FILE, or set " +
                                           Config::envName("database.url"));
  }
  return url;
}

std::string cliUser() {
  if (const char* u = std::getenv("SUDO_USER"); u && *u) return u;
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "unknown";
}

}  // namespace tongban::admin
