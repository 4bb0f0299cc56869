// Shared pieces of tongban-admin's subcommands: "--flag value" parsing and the database and
// configuration every command resolves the same way (--db, else database.url from --config FILE,
// else TONGBAN_DATABASE_URL).
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tongban/common/config.h"
#include "tongban/common/result.h"

namespace tongban::admin {

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--name" -> value ("" for switches)
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string get(const std::string& f, const std::string& fallback = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? fallback : it->second;
  }
};

// Flags in `with_value` take the next argument; `switches` take none; "-h" means "--help" when
// that is a switch. Any other argument starting with '-' ("-x", "--x", "--x=value") is an error
// naming it: a mistyped flag never passes silently as a positional argument.
Result<ParsedArgs> parseArgs(const std::vector<std::string>& args,
                             const std::set<std::string>& with_value,
                             const std::set<std::string>& switches = {});

// The configuration: --config FILE if given, else environment only.
Result<Config> loadConfig(const ParsedArgs& args);

// tongban-admin is an operator's tool: it connects as the owner role, database.owner_url, when the
// configuration has one, else as database.url (docs/configuration.md, "Database roles").
std::string operatorDatabaseUrl(const Config& config);

// The connection string: --db, else operatorDatabaseUrl() of the configuration. kInvalidArgument
// saying how to give one when there is none.
Result<std::string> resolveDatabase(const ParsedArgs& args);

// The user running the command, for "cli:<user>" actors.
std::string cliUser();

// Prints the usage `text` (and the output note) to `out` for --help (exit 0) or to `err` otherwise
// (exit 2), after the parse error if there was one. `cmd` names the command in the message.
int commandUsage(const Result<ParsedArgs>& args, const char* cmd, const char* text,
                 std::ostream& out, std::ostream& err);

// "tongban-admin CMD: <status>" on `err`; exit 1.
int commandFailed(const char* cmd, const Status& status, std::ostream& err);

// The PKI directory and passphrase: `dir_flag` (when given) or pki.dir, and pki.passphrase
// (never a command-line argument: it would show in `ps` and in shell history).
struct PkiSettings {
  std::string dir;
  std::string passphrase;
};
Result<PkiSettings> pkiSettings(const ParsedArgs& args, const std::string& dir_flag);

}  // namespace tongban::admin
