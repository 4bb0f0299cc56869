// The HTTP side the REST and SOAP simulators share: a POCO HTTPServer on 127.0.0.1 that applies
// the fault switches to every request, answers the control route
// `POST /_sim/faults?error_rate=1&latency_ms=0...` (tests change faults without restarting) and
// `GET /_sim/stats` (requests seen), and otherwise calls the simulator's own handler. SIGTERM or
// SIGINT stops it, releasing hanging requests first.
#pragma once

#include <functional>
#include <iostream>
#include <istream>
#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <Poco/Util/ServerApplication.h>

#include "sim_common.h"

namespace tongban::sim {

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// method, path, body → answer (the fault is already drawn: kNone or kError, which the handler
// turns into its protocol's error).
using HttpSimHandler =
    std::function<HttpAnswer(const std::string&, const std::string&, const std::string&, Fault)>;

struct HttpSimState {
  Faults faults;
  HangGate gate;
  Options options;
  HttpSimHandler handler;
  std::string garbage = "<html><body>502 proxy error\x01\x02\x03</body>";
  std::atomic<uint64_t> requests{0};
};

class SimRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SimRequestHandler(HttpSimState& s) : s_(s) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Poco::URI uri(req.getURI());
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    if (uri.getPath() == "/_sim/faults" && req.getMethod() == "POST") {
      for (const auto& [k, v] : uri.getQueryParameters()) {
        if (!s_.faults.set(k, v)) {
          resp.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
          resp.send() << "unknown fault " << k << "\n";
          return;
        }
      }
      resp.setContentType("text/plain");
      resp.send() << s_.faults.describe() << "\n";
      return;
    }
    if (uri.getPath() == "/_sim/stats") {
      resp.setContentType("application/json");
      resp.send() << "{\"requests\":" << s_.requests.load() << "}";
      return;
    }
    s_.requests.fetch_add(1);
    if (int ms = s_.faults.latency_ms.load(); ms > 0) s_.gate.sleep(std::chrono::milliseconds(ms));
    const Fault fault = s_.faults.draw();
    switch (fault) {
      case Fault::kHang:
        s_.gate.hold(std::chrono::milliseconds(s_.options.hang_max_ms));
        resp.setKeepAlive(false);
        return;  // POCO closes without an answer once we return unsent? no: it sends nothing
      case Fault::kDrop: {
        auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req);
        impl.socket().shutdown();
        resp.setKeepAlive(false);
        return;
      }
      case Fault::kGarbage:
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
        resp.setContentType(req.getMethod() == "POST" ? "text/xml" : "application/json");
        resp.send() << s_.garbage;
        return;
      case Fault::kNone:
      case Fault::kError:
        break;
    }
    HttpAnswer a = s_.handler(req.getMethod(), uri.getPath(), body, fault);
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
    resp.setContentType(a.content_type);
    resp.setContentLength(static_cast<std::streamsize>(a.body.size()));
    resp.send() << a.body;
  }

 private:
  HttpSimState& s_;
};

class SimHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit SimHandlerFactory(HttpSimState& s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new SimRequestHandler(s_);  // POCO takes ownership
  }

 private:
  HttpSimState& s_;
};

class HttpSimApp : public Poco::Util::ServerApplication {
 public:
  HttpSimApp(HttpSimState& s, std::string name) : s_(s), name_(std::move(name)) {}

 protected:
  int main(const std::vector<std::string>&) override {
    Poco::Net::ServerSocket socket;
    if (!s_.options.tls_cert.empty()) {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Ptr context =
          new Poco::Net::Context(Poco::Net::Context::SERVER_USE, s_.options.tls_key,
                                 s_.options.tls_cert, "", Poco::Net::Context::VERIFY_NONE);
      socket = Poco::Net::SecureServerSocket(context);
    }
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(s_.options.port)),
                true);
    socket.listen(256);
    auto* params = new Poco::Net::HTTPServerParams;  // HTTPServer takes ownership
    params->setMaxThreads(s_.options.threads);
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    Poco::ThreadPool pool(2, s_.options.threads + 2);
    Poco::Net::HTTPServer server(new SimHandlerFactory(s_), pool, socket, params);
    server.start();
    const int port = socket.address().port();
    writePortFile(s_.options.port_file, port);
    std::cout << name_ << " listening on 127.0.0.1:" << port << " (" << s_.faults.describe() << ")"
              << std::endl;
    waitForTerminationRequest();
    s_.gate.release();
    server.stopAll(true);
    pool.joinAll();
    return Application::EXIT_OK;
  }

 private:
  HttpSimState& s_;
  std::string name_;
};

}  // namespace tongban::sim
