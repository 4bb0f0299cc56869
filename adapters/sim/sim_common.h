// What the simulators share: command-line switches for the faults they play, the draw that picks
// a fault for one request, a gate that holds "hanging" requests until the simulator stops, and
// reading the data file. Simulators serve 127.0.0.1 only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>

namespace tongban::sim {

enum class Fault { kNone, kHang, kDrop, kError, kGarbage };

// Rates are probabilities in [0, 1], drawn in the order hang, drop, error, garbage.
struct Faults {
  std::atomic<int> latency_ms{0};
  std::atomic<double> hang_rate{0}, drop_rate{0}, error_rate{0}, garbage_rate{0};

  Fault draw() {
    thread_local std::mt19937_64 rng(std::random_device{}());
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    double edge = hang_rate.load();
    if (u < edge) return Fault::kHang;
    if (u < (edge += drop_rate.load())) return Fault::kDrop;
    if (u < (edge += error_rate.load())) return Fault::kError;
    if (u < (edge += garbage_rate.load())) return Fault::kGarbage;
    return Fault::kNone;
  }
  std::string describe() const {
    std::ostringstream o;
    o << "latency_ms=" << latency_ms << " hang_rate=" << hang_rate << " drop_rate=" << drop_rate
      << " error_rate=" << error_rate << " garbage_rate=" << garbage_rate;
    return o.str();
  }
  // Sets one fault by its switch name without the dashes ("error-rate"); false when unknown or
  // the value is not a number in range.
  bool set(const std::string& name, const std::string& value) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || v < 0) return false;
    if (name == "latency-ms" || name == "latency_ms") {
      latency_ms = static_cast<int>(v);
      return true;
    }
    if (v > 1) return false;
    if (name == "hang-rate" || name == "hang_rate")
      hang_rate = v;
    else if (name == "drop-rate" || name == "drop_rate")
      drop_rate = v;
    else if (name == "error-rate" || name == "error_rate")
      error_rate = v;
    else if (name == "garbage-rate" || name == "garbage_rate")
      garbage_rate = v;
    else
      return false;
    return true;
  }
};

// Holds hanging requests until release() (the simulator stopping) or `max` passes.
class HangGate {
 public:
  void hold(std::chrono::milliseconds max) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, max, [this] { return released_; });
  }
  void sleep(std::chrono::milliseconds d) { hold(d); }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;  // guards released_
  std::condition_variable cv_;
  bool released_ = false;
};

struct Options {
  int port = 0;
  int threads = 16;
  std::string port_file;
  std::string data_file;
  std::string tls_cert, tls_key;  // HTTP simulators: serve HTTPS with these (PEM files)
  int hang_max_ms = 600000;
};

inline const char* kFaultUsage =
    "  --port N            listen on 127.0.0.1:N (0: any free port; see --port-file)\n"
    "  --port-file FILE    write the bound port there once listening\n"
    "  --data FILE         records to serve (JSON; default: the file beside the sources)\n"
    "  --threads N         requests served at once (default 16)\n"
    "  --tls-cert FILE     (REST, SOAP) serve HTTPS with this certificate (PEM)...\n"
    "  --tls-key FILE      ...and this private key (PEM)\n"
    "  --latency-ms N      answer every request N ms late\n"
    "  --error-rate P      fail this share of requests (HTTP 500 / SOAP fault / Thrift error)\n"
    "  --hang-rate P       never answer this share (held until the simulator stops)\n"
    "  --drop-rate P       close the connection without answering\n"
    "  --garbage-rate P    answer with bytes that are not the protocol's\n";

// Parses argv; exits 64 naming an unknown or malformed switch.
inline void parseArgs(int argc, char** argv, const char* usage, Options& o, Faults& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage << kFaultUsage;
      std::exit(0);
    }
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::cerr << argv[0] << ": unknown or incomplete switch '" << a << "'\n"
                << usage << kFaultUsage;
      std::exit(64);
    }
    const std::string v = argv[++i];
    const std::string name = a.substr(2);
    if (name == "port")
      o.port = std::atoi(v.c_str());
    else if (name == "threads")
      o.threads = std::max(1, std::atoi(v.c_str()));
    else if (name == "port-file")
      o.port_file = v;
    else if (name == "data")
      o.data_file = v;
    else if (name == "tls-cert")
      o.tls_cert = v;
    else if (name == "tls-key")
      o.tls_key = v;
    else if (!f.set(name, v)) {
      std::cerr << argv[0] << ": unknown switch or bad value '" << a << " " << v << "'\n";
      std::exit(64);
    }
  }
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(66);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace tongban::sim
