// The baseline for the exchange's request rate: a bare POCO HTTPServer whose one handler returns
// a constant JSON body, with the same server parameters as tongban-exchange. Whatever the exchange
// does beyond this (routing, validation, the database, metrics, logging) is the difference.
//
//   bare_http_server PORT [THREADS]      serves until SIGTERM/SIGINT
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Util/ServerApplication.h>

namespace {

class ConstantHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    static const char kBody[] = "{\"status\":\"ok\"}";
    resp.setContentType("application/json");
    resp.sendBuffer(kBody, sizeof kBody - 1);
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new ConstantHandler;
  }
};

class App : public Poco::Util::ServerApplication {
 protected:
  int main(const std::vector<std::string>& args) override {
    if (args.empty()) {
      std::cerr << "usage: bare_http_server PORT [THREADS]\n";
      return EXIT_USAGE;
    }
    int port = std::atoi(args[0].c_str());
    int threads = args.size() > 1 ? std::atoi(args[1].c_str()) : 64;
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true);
    socket.listen(1024);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(threads);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    params->setKeepAliveTimeout(Poco::Timespan(15, 0));
    Poco::ThreadPool pool(2, threads + 2, 60);
    Poco::Net::HTTPServer server(new Factory, pool, socket, params);
    server.start();
    waitForTerminationRequest();
    server.stopAll(true);
    pool.joinAll();
    return EXIT_OK;
  }
};

}  // namespace

int main(int argc, char** argv) {
  App app;
  return app.run(argc, argv);
}
