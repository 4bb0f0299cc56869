// Paths and processes tests need: the source and build trees, the built programs, and a helper
// that runs a command and captures its exit code and output.
#pragma once

#include <string>

namespace tongban::testing {

std::string sourceDir();
std::string binaryDir();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, capturing stdout+stderr.
CommandResult runCommand(const std::string& command);

struct SplitCommandResult {
  int exit_code = -1;
  std::string out;  // stdout only: what scripts parse
  std::string err;  // stderr, for failure messages
};

// Runs `command` with /bin/sh, capturing stdout and stderr apart.
SplitCommandResult runCommandSplit(const std::string& command);

}  // namespace tongban::testing
