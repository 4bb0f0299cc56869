// Batch verification load (bench/verification.sh): T threads, each on its own keep-alive
// connection, send signed batches of B person_alive checks for S seconds over HTTP
// (POST /v1/verify/batch) or Thrift (verifyBatch, framed binary), and the program prints the
// checks answered per second. Every call is signed afresh (new nonce), so the figure includes the
// client's HMAC over the body as well as the server's.
//
//   verify_load --mode http|thrift --port P --apps APPS.jsonl --ids IDS.txt [--batch 10000]
//               [--threads 4] [--seconds 10] [--matter M]
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <rapidjson/document.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

#include "gen-cpp/Verification.h"
#include "tongban/exchange/request_signing.h"

namespace at = ::apache::thrift;
namespace vt = ::tongban::verification::thrift;
using tongban::exchange::Credentials;

namespace {

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sign(const Credentials& c, const std::string& method, const std::string& host,
                 const std::string& path, const std::string& body) {
  return tongban::exchange::authorizationHeader(
      c, tongban::exchange::SignedRequest{method, host, path, "", "", body}, unixNow(),
      tongban::exchange::newNonce());
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "http", apps_file, ids_file, matter = "11330100MB0000001X4000203";
  int port = 0, batch = 10000, threads = 4, seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--mode")
      mode = v;
    else if (a == "--port")
      port = std::stoi(v);
    else if (a == "--apps")
      apps_file = v;
    else if (a == "--ids")
      ids_file = v;
    else if (a == "--batch")
      batch = std::stoi(v);
    else if (a == "--threads")
      threads = std::stoi(v);
    else if (a == "--seconds")
      seconds = std::stoi(v);
    else if (a == "--matter")
      matter = v;
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  std::vector<Credentials> apps;
  std::ifstream af(apps_file);
  for (std::string line; std::getline(af, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("key_id")) continue;
    apps.push_back({d["key_id"].GetString(), d["secret"].GetString()});
  }
  std::vector<std::string> ids;
  std::ifstream idf(ids_file);
  for (std::string line; std::getline(idf, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  if (apps.empty() || ids.empty() || port == 0 || (mode != "http" && mode != "thrift")) {
    std::cerr << "usage: verify_load --mode http|thrift --port P --apps APPS.jsonl --ids IDS.txt "
                 "[--batch N] [--threads T] [--seconds S] [--matter M]\n";
    return 2;
  }
  std::atomic<uint64_t> answered{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const Credentials& app = apps[static_cast<size_t>(t) % apps.size()];
      size_t next = static_cast<size_t>(t) * 7919;
      uint64_t call = 0;
      try {
        if (mode == "http") {
          Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
          session.setKeepAlive(true);
          session.setTimeout(Poco::Timespan(60, 0));
          const std::string host = "127.0.0.1:" + std::to_string(port);
          while (!stop) {
            std::string body = "{\"purpose\":{\"matter_code\":\"" + matter +
                               "\",\"case_id\":\"LOAD-" + std::to_string(t) + "-" +
                               std::to_string(call++) + "\"},\"checks\":[";
            for (int i = 0; i < batch; ++i) {
              body += i ? ",{\"kind\":\"person_alive\",\"subject\":\""
                        : "{\"kind\":\"person_alive\",\"subject\":\"";
              body += ids[next++ % ids.size()];
              body += "\"}";
            }
            body += "]}";
            Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/v1/verify/batch",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
            req.setHost(host);
            req.set("Authorization", sign(app, "POST", host, "/v1/verify/batch", body));
            req.setContentType("application/json");
            req.setContentLength64(static_cast<int64_t>(body.size()));
            session.sendRequest(req) << body;
            Poco::Net::HTTPResponse resp;
            std::istream& in = session.receiveResponse(resp);
            std::string reply((std::istreambuf_iterator<char>(in)), {});
            if (resp.getStatus() == 200) {
              answered += static_cast<uint64_t>(batch);
            } else {
              if (failed++ == 0) std::cerr << resp.getStatus() << " " << reply << "\n";
            }
          }
        } else {
          auto socket = std::make_shared<at::transport::TSocket>("127.0.0.1", port);
          socket->setRecvTimeout(60000);
          auto transport = std::make_shared<at::transport::TFramedTransport>(socket);
          vt::VerificationClient client(std::make_shared<at::protocol::TBinaryProtocol>(transport));
          transport->open();
          while (!stop) {
            vt::CheckBatch b;
            b.matter_code = matter;
            b.case_id = "LOAD-" + std::to_string(t) + "-" + std::to_string(call++);
            b.checks.resize(static_cast<size_t>(batch));
            for (auto& c : b.checks) {
              c.kind = "person_alive";
              c.subject = ids[next++ % ids.size()];
            }
            auto buffer = std::make_shared<at::transport::TMemoryBuffer>();
            at::protocol::TBinaryProtocol protocol(buffer);
            b.write(&protocol);
            vt::SignedBatch s;
            s.batch = buffer->getBufferAsString();
            s.authorization = sign(app, "THRIFT", "", "verifyBatch", s.batch);
            vt::BatchResult r;
            try {
              client.verifyBatch(r, s);
              answered += r.answers.size();
            } catch (const at::TException& e) {
              if (failed++ == 0) std::cerr << e.what() << "\n";
            }
          }
          transport->close();
        }
      } catch (const std::exception& e) {
        std::cerr << "thread " << t << ": " << e.what() << "\n";
        ++failed;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << static_cast<uint64_t>(static_cast<double>(answered.load()) / secs) << " "
            << failed.load() << "\n";
  return failed.load() == 0 ? 0 : 1;
}
