// Issue 7, hole 10: every command-line tool refuses an unknown flag and names it, so that a
// mistyped or unsupported option (like `--max-age 0` to a tool without one) never passes silently.
// Runs the built tongban-admin and tongban-exchange; nothing here reaches a database.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_env.h"

namespace tongban::admin {
namespace {

std::string admin() { return testing::binaryDir() + "/admin/tongban-admin"; }
std::string exchange() { return testing::binaryDir() + "/exchange/tongban-exchange"; }

TEST(UnknownFlags, EveryAdminCommandRefusesThemNamingTheFlag) {
  const std::vector<std::string> commands = {
      "seed",
      "audit verify",
      "audit search",
      "catalog list",
      "requests list",
      "grants list",
      "department list",
      "department add",
      "app list",
      "app add",
      "key rotate APP",
      "call GET /healthz",
      "pki show",
      "pki init",
      "seal list",
      "seal create",
      "type list",
      "type show CODE",
      "id check citizen 11010519491231002X",
      "import population persons.csv",
  };
  for (std::string flag : {"--max-age", "-x", "--db=host=x"}) {
    for (const std::string& command : commands) {
      // The unknown flag last, with a value after it, as `--max-age 0` was given.
      auto r = testing::runCommand("env -u TONGBAN_DATABASE_URL " + admin() + " " + command + " " +
                                   flag + " 0 </dev/null");
      EXPECT_EQ(r.exit_code, 2) << command << " " << flag << ": " << r.output;
      EXPECT_NE(r.output.find(flag), std::string::npos)
          << command << " " << flag << ": " << r.output;
      EXPECT_NE(r.output.find("unknown"), std::string::npos) << command << ": " << r.output;
    }
  }
}

TEST(UnknownFlags, TheExchangeRefusesThemWithAUsageExit) {
  for (std::string args : {"serve --max-age 0", "migrate -x", "serve --daemon",
                           "serve --con /dev/null", "--pidfile /tmp/x serve"}) {
    auto r = testing::runCommand("env -u TONGBAN_DATABASE_URL timeout 20 " + exchange() + " " +
                                 args + " </dev/null");
    EXPECT_EQ(r.exit_code, 64) << args << ": " << r.output;
    const std::string flag =
        args.substr(args.find('-'), args.find(' ', args.find('-')) - args.find('-'));
    EXPECT_NE(r.output.find("unknown option '" + flag + "'"), std::string::npos)
        << args << ": " << r.output;
  }
  // Known options still work: --config reaches the configuration loader.
  auto r = testing::runCommand(exchange() + " serve --config /nonexistent/x.ini");
  EXPECT_EQ(r.exit_code, 78) << r.output;
}

}  // namespace
}  // namespace tongban::admin
