// Tax clearance (完税/欠税) simulator: the TaxClearance service of idl/tax_clearance.thrift,
// binary protocol over framed transport (Apache Thrift's TThreadedServer).
// Faults (sim_common.h): an error is UpstreamFailure; a drop closes the connection; garbage
// writes a frame of bytes that are not a Thrift message; a hang holds the call.
#include <map>
#include <optional>

#include <rapidjson/document.h>
#include <thrift/TProcessor.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>

#include <csignal>
#include <thread>

#include "TaxClearance.h"
#include "sim_common.h"

namespace {

namespace tt = apache::thrift::transport;
namespace tp = apache::thrift::protocol;
using namespace tongban::idl::tax;  // NOLINT: generated names

const char* kUsage =
    "usage: tongban-sim-tax [switches]\n"
    "Serves TaxClearance.getClearance from a JSON file ({\"taxpayers\": [...]}).\n";

tongban::sim::Faults g_faults;
tongban::sim::HangGate g_gate;
std::map<std::string, ClearanceRecord> g_records;

class ClearanceHandler : public TaxClearanceIf {
 public:
  explicit ClearanceHandler(std::shared_ptr<tt::TTransport> peer) : peer_(std::move(peer)) {}
  void getClearance(ClearanceRecord& out, const std::string& id) override {
    if (int ms = g_faults.latency_ms.load(); ms > 0) g_gate.sleep(std::chrono::milliseconds(ms));
    switch (g_faults.draw()) {
      case tongban::sim::Fault::kHang:
        g_gate.hold(std::chrono::minutes(10));
        peer_->close();
        throw std::runtime_error("hung");
      case tongban::sim::Fault::kDrop:
        peer_->close();
        throw std::runtime_error("dropped");
      case tongban::sim::Fault::kGarbage: {
        const uint8_t junk[] = {0, 0, 0, 8, 'g', 'a', 'r', 'b', 'a', 'g', 'e', '!'};
        peer_->write(junk, sizeof junk);
        peer_->flush();
        peer_->close();
        throw std::runtime_error("garbage");
      }
      case tongban::sim::Fault::kError: {
        UpstreamFailure f;
        f.code = 503;
        f.message = "税务核心系统繁忙 (tax core busy)";
        throw f;
      }
      case tongban::sim::Fault::kNone:
        break;
    }
    auto it = g_records.find(id);
    if (it == g_records.end()) {
      NoSuchTaxpayer e;
      e.message = "no such taxpayer";
      throw e;
    }
    out = it->second;
  }

 private:
  std::shared_ptr<tt::TTransport> peer_;
};

class HandlerFactory : public TaxClearanceIfFactory {
 public:
  TaxClearanceIf* getHandler(const apache::thrift::TConnectionInfo& info) override {
    return new ClearanceHandler(info.transport);
  }
  void releaseHandler(TaxClearanceIf* h) override { delete h; }
};

}  // namespace

int main(int argc, char** argv) {
  tongban::sim::Options options;
  options.data_file = TONGBAN_SIM_DATA "/tax.json";
  tongban::sim::parseArgs(argc, argv, kUsage, options, g_faults);
  rapidjson::Document doc;
  const std::string text = tongban::sim::readFile(options.data_file);
  if (doc.Parse(text.c_str()).HasParseError() || !doc.IsObject() || !doc.HasMember("taxpayers") ||
      !doc["taxpayers"].IsArray()) {
    std::cerr << options.data_file << ": expected {\"taxpayers\": [...]}\n";
    return 65;
  }
  for (const auto& t : doc["taxpayers"].GetArray()) {
    auto s = [&t](const char* k) -> std::optional<std::string> {
      if (!t.HasMember(k) || !t[k].IsString()) return std::nullopt;
      return std::string(t[k].GetString());
    };
    if (!t.IsObject() || !s("taxpayer_id")) continue;
    ClearanceRecord r;
    r.taxpayer_id = *s("taxpayer_id");
    r.taxpayer_name = s("taxpayer_name").value_or("");
    r.clearance = s("clearance").value_or("unknown");
    if (auto v = s("arrears_amount")) r.__set_arrears_amount(*v);
    if (auto v = s("checked_on")) r.__set_checked_on(*v);
    if (auto v = s("tax_office")) r.__set_tax_office(*v);
    g_records[r.taxpayer_id] = r;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto socket = std::make_shared<tt::TServerSocket>("127.0.0.1", options.port);
  apache::thrift::server::TThreadedServer server(
      std::make_shared<TaxClearanceProcessorFactory>(std::make_shared<HandlerFactory>()), socket,
      std::make_shared<tt::TFramedTransportFactory>(),
      std::make_shared<tp::TBinaryProtocolFactory>());
  std::thread serving([&server] { server.serve(); });
  // TServerSocket binds in listen(), which serve() calls: wait for the port.
  int port = 0;
  for (int i = 0; i < 5000 && port == 0; ++i) {
    port = socket->getPort();
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  tongban::sim::writePortFile(options.port_file, port);
  std::cout << "tax-clearance simulator (Thrift) listening on 127.0.0.1:" << port << " ("
            << g_faults.describe() << ")" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  g_gate.release();
  server.stop();
  serving.join();
  return 0;
}
