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
  if (cmd == "seed") {
    return tongban::admin::runSeed({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  std::cerr << "tongban-admin: unknown command '" << cmd << "'\n\n" << kUsage;
  return 2;
}
