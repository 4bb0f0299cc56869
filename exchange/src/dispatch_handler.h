// The request dispatcher (dispatch_handler.cc): the one place a request goes from the socket to
// its handler and back. It splits and decodes the target (request_target.h), matches the route,
// authenticates signed routes before reading the body, runs the handler, appends the request's
// audit record (who, what, the audit facts the handler returned, the outcome) and sends the
// response only once that append succeeded. Errors become problem documents here (problem.h).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>

#include "http_server.h"
#include "server_state.h"

namespace tongban::exchange {

// Hands POCO a dispatcher per request (POCO's HTTPRequestHandlerFactory).
class DispatchHandlerFactory : public StoppableHandlerFactory {
 public:
  explicit DispatchHandlerFactory(ServerState& state) : state_(state) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  ServerState& state_;
};

}  // namespace tongban::exchange
