// An HTTP/1.1 client for one upstream (REST and SOAP adapters): POCO's HTTPClientSession, or
// HTTPSClientSession with a Context built from the instance's TLS settings, kept alive and reused
// from a small pool. Failures are Statuses: kGatewayTimeout when connecting or answering took too
// long, kBadGateway when the connection was refused or dropped or the answer was too large.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>

#include "settings.h"
#include "tongban/common/result.h"

namespace tongban::adapters {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  // kInvalidArgument naming adapter.NAME.endpoint when it is not an http(s) URL, or naming a TLS
  // file that cannot be loaded.
  static Result<std::unique_ptr<HttpClient>> create(const Settings& s, const ConnectionSettings& c);
  ~HttpClient();

  // Sends `request` (its URI is a path relative to the endpoint's) with `body`; the whole answer.
  // A kept-alive connection that the upstream closed while idle is replaced and the request sent
  // again once, transparently.
  Result<HttpReply> send(Poco::Net::HTTPRequest& request, const std::string& body);

  // The endpoint's path ("" or "/api"), to prefix request paths with.
  const std::string& basePath() const { return base_path_; }

 private:
  HttpClient(const ConnectionSettings& c, Poco::URI uri, Poco::Net::Context::Ptr context);
  std::unique_ptr<Poco::Net::HTTPClientSession> take(bool* reused);
  void giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session);

  const ConnectionSettings settings_;
  const Poco::URI uri_;
  std::string base_path_;
  Poco::Net::Context::Ptr context_;  // null for http
  std::mutex idle_mutex_;            // guards idle_
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
};

}  // namespace tongban::adapters
