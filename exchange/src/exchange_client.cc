#include "tongban/exchange/exchange_client.h"

#include <chrono>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace tongban::exchange {

struct ExchangeClient::Impl {
  Poco::Net::HTTPClientSession session;
  Impl(const std::string& host, uint16_t port) : session(host, port) {
    session.setKeepAlive(true);
    session.setTimeout(Poco::Timespan(30, 0));
  }
};

ExchangeClient::ExchangeClient(std::string host, uint16_t port, Credentials credentials)
    : host_(std::move(host)),
      port_(port),
      credentials_(std::move(credentials)),
      impl_(std::make_unique<Impl>(host_, port_)) {}

ExchangeClient::~ExchangeClient() = default;

Result<ExchangeClient::Response> ExchangeClient::call(const std::string& method,
                                                      const std::string& target,
                                                      const std::string& body,
                                                      const std::string& extra_name,
                                                      const std::string& extra_value) {
  size_t q = target.find('?');
  std::string path = target.substr(0, q);
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count() +
                clock_offset_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      // Set here rather than left to POCO, so that what is signed is what is sent.
      const std::string host = host_ + ":" + std::to_string(port_);
      req.setHost(host);
      if (!extra_name.empty()) req.set(extra_name, extra_value);
      if (!credentials_.key_id.empty()) {
        SignedRequest signed_request{method, host, path, query, "", body};
        const std::string idempotency_key = req.get("Idempotency-Key", "");
        signed_request.idempotency_key = idempotency_key;
        req.set("Authorization",
                authorizationHeader(credentials_, signed_request, now, newNonce()));
      }
      if (!body.empty() || method == "POST" || method == "PUT") {
        req.setContentType("application/json");
        req.setContentLength64(static_cast<int64_t>(body.size()));
      }
      std::ostream& out = impl_->session.sendRequest(req);
      out << body;
      Poco::Net::HTTPResponse resp;
      std::istream& in = impl_->session.receiveResponse(resp);
      Response r;
      r.status = resp.getStatus();
      r.content_type = resp.getContentType();
      r.retry_after = resp.get("Retry-After", "");
      Poco::StreamCopier::copyToString(in, r.body);
      return r;
    } catch (const Poco::Exception& e) {
      // A keep-alive connection the server closed: reconnect once.
      impl_->session.reset();
      if (attempt == 1) {
        return Status::unavailable("cannot reach the exchange at " + host_ + ":" +
                                   std::to_string(port_) + ": " + e.displayText());
      }
    }
  }
  return Status::unavailable("unreachable");
}

}  // namespace tongban::exchange
