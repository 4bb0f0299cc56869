#include "http_client.h"

#include <chrono>
#include <istream>

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>

namespace tongban::adapters {

namespace {

Poco::Timespan span(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

std::string millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

void initializeSslOnce() {
  static const bool done = [] {
    Poco::Net::initializeSSL();
    return true;
  }();
  (void)done;
}

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::create(const Settings& s,
                                                       const ConnectionSettings& c) {
  Poco::URI uri;
  try {
    uri = Poco::URI(c.endpoint);
  } catch (const Poco::Exception& e) {
    return Status::invalid(s.key("endpoint"), s.key("endpoint") + ": " + e.displayText());
  }
  if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
    return Status::invalid(s.key("endpoint"),
                           s.key("endpoint") + " must be an http:// or https:// URL");
  }
  if (!uri.getUserInfo().empty()) {
    return Status::invalid(s.key("endpoint"), s.key("endpoint") +
                                                  " must not carry credentials: use username "
                                                  "and password_file");
  }
  Poco::Net::Context::Ptr context;
  if (uri.getScheme() == "https") {
    initializeSslOnce();
    try {
      Poco::Net::Context::Params p;
      p.privateKeyFile = c.tls_key_file;
      p.certificateFile = c.tls_cert_file;
      p.caLocation = c.tls_ca_file;
      p.loadDefaultCAs = c.tls_ca_file.empty();
      p.verificationMode =
          c.tls_verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
      p.verificationDepth = 9;
      context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
      context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
      return Status::invalid(s.key("tls_ca_file"),
                             "TLS settings of adapter " + s.upstream() + ": " + e.displayText());
    }
  }
  return std::unique_ptr<HttpClient>(new HttpClient(c, uri, context));
}

HttpClient::HttpClient(const ConnectionSettings& c, Poco::URI uri, Poco::Net::Context::Ptr context)
    : settings_(c), uri_(std::move(uri)), context_(std::move(context)) {
  base_path_ = uri_.getPath();
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
}

HttpClient::~HttpClient() = default;

std::unique_ptr<Poco::Net::HTTPClientSession> HttpClient::take(bool* reused) {
  {
    std::lock_guard<std::mutex> lock(idle_mutex_);
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      *reused = true;
      return s;
    }
  }
  *reused = false;
  std::unique_ptr<Poco::Net::HTTPClientSession> s;
  if (context_) {
    s = std::make_unique<Poco::Net::HTTPSClientSession>(uri_.getHost(), uri_.getPort(), context_);
  } else {
    s = std::make_unique<Poco::Net::HTTPClientSession>(uri_.getHost(), uri_.getPort());
  }
  s->setKeepAlive(true);
  s->setTimeout(span(settings_.connect_timeout), span(settings_.request_timeout),
                span(settings_.request_timeout));
  return s;
}

void HttpClient::giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session) {
  std::lock_guard<std::mutex> lock(idle_mutex_);
  if (static_cast<int>(idle_.size()) < settings_.pool_size) idle_.push_back(std::move(session));
}

Result<HttpReply> HttpClient::send(Poco::Net::HTTPRequest& request, const std::string& body) {
  request.setKeepAlive(true);
  request.setHost(uri_.getHost(), uri_.getPort());
  if (!settings_.username.empty()) {
    Poco::Net::HTTPBasicCredentials(settings_.username, settings_.password).authenticate(request);
  } else if (!settings_.token.empty()) {
    request.set("Authorization", "Bearer " + settings_.token);
  }
  if (!body.empty() || request.getMethod() == Poco::Net::HTTPRequest::HTTP_POST) {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  for (int round = 0; round < 2; ++round) {
    bool reused = false;
    auto session = take(&reused);
    const auto deadline = std::chrono::steady_clock::now() + settings_.request_timeout;
    bool sent = false;
    try {
      std::ostream& out = session->sendRequest(request);
      out << body;
      out.flush();
      sent = true;
      // Small requests and answers on a kept connection: no Nagle delay on the next request.
      if (!reused) session->socket().setNoDelay(true);
      Poco::Net::HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      HttpReply reply;
      reply.status = static_cast<int>(response.getStatus());
      reply.content_type = response.getContentType();
      char buf[8192];
      while (in) {
        in.read(buf, sizeof buf);
        reply.body.append(buf, static_cast<size_t>(in.gcount()));
        if (reply.body.size() > settings_.max_response_bytes) {
          return Status(
              ErrorCode::kBadGateway,
              "answered more than " + std::to_string(settings_.max_response_bytes) + " bytes");
        }
        if (std::chrono::steady_clock::now() > deadline) {
          return Status(ErrorCode::kGatewayTimeout,
                        "did not finish its answer within " + millis(settings_.request_timeout));
        }
      }
      if (in.bad()) {
        return Status(ErrorCode::kBadGateway, "dropped the connection in the middle of its answer");
      }
      if (response.getKeepAlive()) giveBack(std::move(session));
      return reply;
    } catch (const Poco::TimeoutException&) {
      return Status(
          ErrorCode::kGatewayTimeout,
          sent ? "did not answer within " + millis(settings_.request_timeout)
               : "did not accept a connection within " + millis(settings_.connect_timeout));
    } catch (const Poco::Net::ConnectionRefusedException&) {
      return Status(ErrorCode::kBadGateway, "refused the connection (is it listening?)");
    } catch (const Poco::Net::SSLException& e) {
      return Status(ErrorCode::kBadGateway, "TLS failed: " + e.displayText());
    } catch (const Poco::Net::NoMessageException&) {
      // Closed while idle in our pool: send again on a new connection (when it is safe to).
      if (reused && round == 0 && (!sent || settings_.idempotent)) continue;
      return Status(ErrorCode::kBadGateway, "closed the connection without answering");
    } catch (const Poco::Net::ConnectionResetException&) {
      if (reused && round == 0 && (!sent || settings_.idempotent)) continue;
      return Status(ErrorCode::kBadGateway, "dropped the connection");
    } catch (const Poco::Net::MessageException& e) {
      return Status(ErrorCode::kBadGateway, "answered with malformed HTTP: " + e.displayText());
    } catch (const Poco::IOException& e) {
      if (reused && round == 0 && !sent) continue;
      return Status(ErrorCode::kBadGateway, "connection failed: " + e.displayText());
    } catch (const Poco::Exception& e) {
      return Status(ErrorCode::kBadGateway, "call failed: " + e.displayText());
    }
  }
  return Status(ErrorCode::kBadGateway, "dropped the connection");
}

}  // namespace tongban::adapters
