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

int commandUsage(const Result<ParsedArgs>& args, const char* cmd, const char* text,
                 std::ostream& out, std::ostream& err) {
  static const char kOutputHelp[] =
      "Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr),\n"
      "2 usage.\n";
  if (!args) err << "tongban-admin " << cmd << ": " << args.status().message() << "\n";
  const bool help = args && args->has("--help");
  (help ? out : err) << text << kOutputHelp;
  return help ? 0 : 2;
}

int commandFailed(const char* cmd, const Status& status, std::ostream& err) {
  err << "tongban-admin " << cmd << ": " << status.toString() << "\n";
  return 1;
}

Result<PkiSettings> pkiSettings(const ParsedArgs& args, const std::string& dir_flag) {
  auto config = loadConfig(args);
  if (!config) return config.status();
  PkiSettings s;
  s.dir =
      !dir_flag.empty() && args.has(dir_flag) ? args.get(dir_flag) : config->getString("pki.dir");
  auto passphrase = config->getSecret("pki.passphrase");
  if (!passphrase) return passphrase.status();
  s.passphrase = std::move(*passphrase);
  if (s.dir.empty()) {
    return Status::invalid("pki.dir",
                           "no PKI directory: give --dir DIR, or set pki.dir in --config "
                           "FILE or " +
                               Config::envName("pki.dir"));
  }
  if (s.passphrase.empty()) {
    return Status::invalid("pki.passphrase",
                           "no PKI passphrase: set pki.passphrase_file (or pki.passphrase) in "
                           "--config FILE, or " +
                               Config::envName("pki.passphrase") +
                               " (an empty passphrase is refused)");
  }
  return s;
}

}  // namespace tongban::admin
