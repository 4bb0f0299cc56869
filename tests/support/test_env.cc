#include "support/test_env.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace tongban::testing {

std::string sourceDir() { return TONGBAN_SOURCE_DIR; }
std::string binaryDir() { return TONGBAN_BINARY_DIR; }

CommandResult runCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace tongban::testing
