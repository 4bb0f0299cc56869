#include "support/test_env.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

SplitCommandResult runCommandSplit(const std::string& command) {
  SplitCommandResult result;
  char path[] = "/tmp/tongban-test-stderr-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return result;
  ::close(fd);
  FILE* pipe = ::popen((command + " 2>" + path).c_str(), "r");
  if (pipe) {
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::ifstream in(path);
  std::ostringstream err;
  err << in.rdbuf();
  result.err = err.str();
  ::unlink(path);
  return result;
}

}  // namespace tongban::testing
