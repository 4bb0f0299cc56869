// tongban-admin: the data administrator's command-line tool.
#include <iostream>
#include <string>
#include <vector>

#include "tongban/admin/commands.h"

namespace {

const char kUsage[] =
    "usage: tongban-admin COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  id check citizen|credit-code|region|certificate VALUE\n"
    "      validate an identifier; prints the normalised value (exit 0) or what is wrong (exit 1)\n"
    "  seed --persons N --entities M [--seed S] [--replace] [--csv DIR]\n"
    "       [--db CONNINFO | --config FILE]\n"
    "      generate deterministic sample registries and load them with COPY\n"
    "  department add|list ...         departments (部门)\n"
    "  app add|list|disable|enable ... applications of departments; secrets are shown once\n"
    "  key rotate|disable ...          an application's signing keys\n"
    "  catalog list|show|create|publish|retire|sources ...   data resource catalog\n"
    "  requests list|approve|reject ...              applications for access\n"
    "  grants list|suspend|resume|revoke ...         access grants\n"
    "  audit verify|search ...         the hash-chained audit log\n"
    "  pki init|show ...               the hub's root CA and signer (pki.dir, pki.passphrase)\n"
    "  seal create|list|suspend|resume|revoke ...    departments' electronic seals\n"
    "  type list|show|authorize ...    certificate types and who may issue them\n"
    "  user add|role|disable|enable|reset-password|list ...   people of the web console\n"
    "  matter list|show|put|remove ... service matters (政务服务事项) and their materials\n"
    "  thing list|show|put|remove ...  one-thing bundles (一件事) of matters\n"
    "  call METHOD PATH [BODY]         a signed request to the exchange\n"
    "  import population|legal_entity FILE ...      batch flow-back (CSV, JSON Lines) upserts\n"
    "Each command prints its own usage with --help.\n"
    "\n"
    "Database connection: --db, else database.url from --config FILE, else TONGBAN_DATABASE_URL.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  if (cmd == "id" && args.size() >= 2 && args[1] == "check") {
    return tongban::admin::runIdCheck({args.begin() + 2, args.end()}, std::cout, std::cerr);
  }
  using Command = int (*)(const tongban::admin::Args&, std::ostream&, std::ostream&);
  static const std::pair<const char*, Command> kCommands[] = {
      {"seed", tongban::admin::runSeed},       {"audit", tongban::admin::runAudit},
      {"catalog", tongban::admin::runCatalog}, {"requests", tongban::admin::runRequests},
      {"grants", tongban::admin::runGrants},   {"department", tongban::admin::runDepartment},
      {"app", tongban::admin::runApp},         {"key", tongban::admin::runKey},
      {"call", tongban::admin::runCall},       {"pki", tongban::admin::runPki},
      {"seal", tongban::admin::runSeal},       {"type", tongban::admin::runType},
      {"import", tongban::admin::runImport},   {"user", tongban::admin::runUser},
      {"matter", tongban::admin::runMatter},   {"thing", tongban::admin::runThing},
  };
  for (const auto& [name, fn] : kCommands) {
    if (cmd == name) return fn({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  std::cerr << "tongban-admin: unknown command '" << cmd << "'\n\n" << kUsage;
  return 2;
}
