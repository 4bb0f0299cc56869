// A simulator (adapters/sim/) as a child process of a test: started on a free port (--port 0
// --port-file), waited for with a bounded deadline, stopped (SIGTERM, then SIGKILL) and reaped
// on destruction.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_env.h"

namespace tongban::testing {

class SimProcess {
 public:
  // `program`: "household", "market" or "tax"; `args`: extra switches.
  SimProcess(const std::string& program, const std::vector<std::string>& args = {}) {
    const std::string exe =
        std::string(TONGBAN_BINARY_DIR) + "/adapters/sim/tongban-sim-" + program;
    port_file_ = binaryDir() + "/sim-" + program + "-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter()++) + ".port";
    ::unlink(port_file_.c_str());
    std::vector<std::string> argv = {exe, "--port", "0", "--port-file", port_file_};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv(exe.c_str(), cargv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream f(port_file_);
      if (f >> port_ && port_ > 0) break;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(port_, 0) << program << " simulator did not start";
  }
  ~SimProcess() { stop(); }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  int port() const { return port_; }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    ::unlink(port_file_.c_str());
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_;
};

// A port on 127.0.0.1 that nothing listens on (bound, then released; the kernel does not hand
// an ephemeral port straight back out).
int unusedPort();

}  // namespace tongban::testing
