// The exchange's HTTP/1.1 server: POCO's HTTPServer with one difference — a request whose head
// POCO cannot parse (too many header fields, a header name or value over POCO's limits, a request
// line that is not HTTP) is answered with a problem document (docs/api.md) instead of POCO's empty
// 400, and the connection is closed. Everything else (one pool thread per connection, keep-alive,
// the read timeout of HTTPServerParams, stopAll) behaves as POCO's HTTPServer does. With
// `max_per_address` > 0, a client address with that many connections open gets a 429 problem
// document on its next one, which is closed at once.
//
// Slow clients still hold a pool thread each until the read timeout: put the nginx front door in
// front (deploy/nginx/tongban.conf.template, docs/deployment.md) whenever clients are not trusted.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

namespace tongban::exchange {

// A request handler factory whose stop event the server can fire (POCO keeps it protected).
class StoppableHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::BasicEvent<const bool>& stopped() { return serverStopped; }
};

class HttpServer : public Poco::Net::TCPServer {
 public:
  HttpServer(Poco::SharedPtr<StoppableHandlerFactory> factory, Poco::ThreadPool& threads,
             const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
             int max_per_address = 0);
  ~HttpServer() override;

  // Stops accepting and tells every connection to stop after its current request (abort: now).
  void stopAll(bool abort_current = false);

 private:
  Poco::SharedPtr<StoppableHandlerFactory> factory_;
};

}  // namespace tongban::exchange
