#include "http_server.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <Poco/Delegate.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include "tongban/common/log.h"
#include "tongban/exchange/problem.h"

namespace tongban::exchange {

namespace {

using Poco::Net::HTTPResponse;

// The problem document for a request head POCO refused: which limit, from POCO's message.
void sendHeadProblem(Poco::Net::HTTPServerSession& session, const std::string& what) {
  int status = 400;
  const char* type = "bad_request";
  const char* title = "Bad request";
  const char* field = "request";
  if (what.find("header fields") != std::string::npos ||
      what.find("Field name too long") != std::string::npos ||
      what.find("Field value too long") != std::string::npos) {
    status = 431;
    type = "headers_too_large";
    title = "Request header fields too large";
    field = "headers";
  } else if (what.find("URI") != std::string::npos) {
    status = 414;
    type = "uri_too_long";
    title = "URI too long";
    field = "uri";
  }
  std::string body = std::string("{\"type\":\"urn:tongban:problem:") + type + "\",\"title\":\"" +
                     title + "\",\"status\":" + std::to_string(status) + ",\"detail\":";
  appendJsonString(body, "the request head was refused: " + what +
                             " (at most 100 header fields; names up to 256 bytes, values up to "
                             "8192)");
  body += ",\"field\":\"" + std::string(field) + "\"}";
  {
    // (sendBuffer() would drop the body: it needs the request, which did not parse.)
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    response.setKeepAlive(false);
    response.setContentType(kProblemContentType);
    response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    std::ostream& out = response.send();
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.flush();
  }  // the response's streams flush here
  session.setKeepAlive(false);
  // The rest of the refused head may still be arriving; closing with unread input would reset
  // the connection and could destroy the answer before the client reads it. Read and drop up to
  // 64 KiB for up to a second (what nginx calls a lingering close).
  Poco::Net::StreamSocket& socket = session.socket();
  try {
    socket.shutdownSend();
    socket.setReceiveTimeout(Poco::Timespan(1, 0));
    char buf[4096];
    for (int total = 0, n; total < 65536 && (n = socket.receiveBytes(buf, sizeof buf)) > 0;) {
      total += n;
    }
  } catch (const Poco::Exception&) {
  }
}

// Open connections per client address.
class PeerCounter {
 public:
  explicit PeerCounter(int max) : max_(max) {}
  // False when `peer` already has max connections (nothing is counted then).
  bool enter(const std::string& peer) {
    if (max_ <= 0) return true;
    std::lock_guard<std::mutex> lock(mutex_);
    int& n = open_[peer];
    if (n >= max_) return false;
    ++n;
    return true;
  }
  void leave(const std::string& peer) {
    if (max_ <= 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = open_.find(peer);
    if (it != open_.end() && --it->second <= 0) open_.erase(it);
  }
  int max() const { return max_; }

 private:
  const int max_;
  std::mutex mutex_;  // guards open_
  std::unordered_map<std::string, int> open_;
};

void sendTooManyConnections(Poco::Net::StreamSocket& socket, int max) {
  std::string body =
      "{\"type\":\"urn:tongban:problem:too_many_connections\",\"title\":\"Too many "
      "connections\",\"status\":429,\"detail\":\"this address already has " +
      std::to_string(max) +
      " connections open (server.max_connections_per_address)\",\"field\":\"connection\"}";
  std::string all =
      "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: "
      "1\r\nContent-Type: " +
      std::string(kProblemContentType) + "\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  try {
    socket.setSendTimeout(Poco::Timespan(1, 0));
    socket.sendBytes(all.data(), static_cast<int>(all.size()));
    socket.shutdownSend();
    // Whatever the client sent meanwhile is dropped (briefly), so that the answer is not reset.
    socket.setReceiveTimeout(Poco::Timespan(0, 200000));
    char buf[4096];
    for (int total = 0, n; total < 65536 && (n = socket.receiveBytes(buf, sizeof buf)) > 0;) {
      total += n;
    }
  } catch (const Poco::Exception&) {
  }
}

// POCO's HTTPServerConnection::run (1.11), with sendHeadProblem for a refused request head.
class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
             Poco::SharedPtr<StoppableHandlerFactory> factory, PeerCounter& peers)
      : TCPServerConnection(socket),
        params_(std::move(params)),
        factory_(std::move(factory)),
        peers_(peers) {
    try {
      peer_ = socket.peerAddress().host().toString();
    } catch (const Poco::Exception&) {
    }
    admitted_ = peers_.enter(peer_);
    factory_->stopped() += Poco::delegate(this, &Connection::onServerStopped);
  }

  ~Connection() override {
    if (admitted_) peers_.leave(peer_);
    try {
      factory_->stopped() -= Poco::delegate(this, &Connection::onServerStopped);
    } catch (...) {
    }
  }

  void run() override {
    if (!admitted_) {
      sendTooManyConnections(socket(), peers_.max());
      return;
    }
    const std::string server = params_->getSoftwareVersion();
    Poco::Net::HTTPServerSession session(socket(), params_);
    while (!stopped_ && session.hasMoreRequests()) {
      try {
        Poco::FastMutex::ScopedLock lock(mutex_);
        if (stopped_) break;
        Poco::Net::HTTPServerResponseImpl response(session);
        Poco::Net::HTTPServerRequestImpl request(response, session, params_);
        if (request.getVersion() != Poco::Net::HTTPMessage::HTTP_1_1 &&
            request.getVersion() != Poco::Net::HTTPMessage::HTTP_1_0) {
          throw Poco::Net::MessageException("Invalid HTTP version string");
        }
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive() &&
                              session.canKeepAlive());
        if (!server.empty()) response.set("Server", server);
        try {
          std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
              factory_->createRequestHandler(request));
          if (request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK) {
            response.sendContinue();
          }
          handler->handleRequest(request, response);
          session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() &&
                               session.canKeepAlive());
        } catch (const Poco::Exception&) {
          if (!response.sent()) {
            try {
              sendError(session, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
            } catch (...) {
            }
          }
          throw;
        }
      } catch (const Poco::Net::NoMessageException&) {
        break;
      } catch (const Poco::Net::MessageException& e) {
        try {
          sendHeadProblem(session, e.message().empty() ? e.displayText() : e.message());
        } catch (...) {
        }
        break;
      } catch (const Poco::Exception&) {
        if (session.networkException()) session.networkException()->rethrow();
        throw;
      }
    }
  }

 private:
  static void sendError(Poco::Net::HTTPServerSession& session, HTTPResponse::HTTPStatus status) {
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setStatusAndReason(status);
    response.setKeepAlive(false);
    response.send();
    session.setKeepAlive(false);
  }

  void onServerStopped(const bool& abort_current) {
    stopped_ = true;
    if (!abort_current) {
      Poco::FastMutex::ScopedLock lock(mutex_);  // waits for the request being served
    }
    try {
      socket().shutdown();
    } catch (...) {
    }
  }

  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::SharedPtr<StoppableHandlerFactory> factory_;
  PeerCounter& peers_;
  std::string peer_;
  bool admitted_ = false;
  std::atomic<bool> stopped_{false};
  Poco::FastMutex mutex_;  // held while a request is served
};

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  ConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                    Poco::SharedPtr<StoppableHandlerFactory> factory, int max_per_address)
      : params_(std::move(params)), factory_(std::move(factory)), peers_(max_per_address) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, params_, factory_, peers_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::SharedPtr<StoppableHandlerFactory> factory_;
  PeerCounter peers_;
};

}  // namespace

HttpServer::HttpServer(Poco::SharedPtr<StoppableHandlerFactory> factory, Poco::ThreadPool& threads,
                       const Poco::Net::ServerSocket& socket,
                       Poco::Net::HTTPServerParams::Ptr params, int max_per_address)
    : TCPServer(new ConnectionFactory(params, factory, max_per_address), threads, socket, params),
      factory_(factory) {}

HttpServer::~HttpServer() {
  try {
    stopAll(false);
  } catch (...) {
  }
}

void HttpServer::stopAll(bool abort_current) {
  stop();
  factory_->stopped()(this, abort_current);
}

}  // namespace tongban::exchange
