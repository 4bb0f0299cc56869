// The dispatcher: every request the HTTP server accepts goes through DispatchHandler. It splits
// the target, asks the Router for the route, authenticates signed routes (before the body is
// read), runs the handler, appends the audit record and only then sends the response.
#include "dispatch_handler.h"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "request_target.h"
#include "tongban/certs/pki.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/log.h"
#include "tongban/exchange/problem.h"
#include "tongban/exchange/request_signing.h"

namespace tongban::exchange {

void auditRefusalSummaries(ServerState& state,
                           const std::vector<RefusalSampler::Summary>& summaries) {
  for (const auto& s : summaries) {
    audit::AuditEntry e;
    e.key_id = s.key_id;
    e.result = "denied";
    e.http_status = 401;
    e.reason = std::to_string(s.count) + " more unauthenticated requests refused" +
               (s.key_id.empty()  ? std::string(" without credentials")
                : s.key_id == "*" ? std::string(" for other key ids")
                                  : " for key " + s.key_id) +
               " in the minute from unix time " + std::to_string(s.minute) +
               " (the first was audited in full)";
    auto appended = state.services.audit->append(std::move(e));
    if (!appended) {
      logJson(*state.log, Poco::Message::PRIO_ERROR, "audit append failed",
              {{"error", appended.status().message()}});
    }
  }
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kClientCertHeader = "X-Tongban-Client-Cert";

const char* auditResult(int status) {
  if (status < 400) return "allowed";
  if (status == 401 || status == 403 || status == 429) return "denied";
  return "error";
}

class DispatchHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit DispatchHandler(ServerState& state) : state_(state) {}

  void handleRequest(Poco::Net::HTTPServerRequest& raw,
                     Poco::Net::HTTPServerResponse& resp) override {
    const auto start = Clock::now();
    state_.inflight.fetch_add(1, std::memory_order_relaxed);
    std::string request_id = raw.get("X-Request-Id", "");
    if (!saneRequestId(request_id)) {
      request_id = state_.request_id_prefix + std::to_string(state_.request_counter.fetch_add(1));
    }
    HttpRequest req{raw, raw.getMethod(), "", "", {}, "", request_id, std::nullopt, ""};
    size_t route_index = state_.unmatched_route;
    std::string route_label = "unmatched";
    const Router::Route* route = nullptr;
    std::string key_id;
    bool body_read = false;
    Refusal refusal = Refusal::kNone;
    HandlerResult handled = dispatch(req, &route, &key_id, &body_read, &refusal);
    Result<HttpResponse>& result = handled.response;
    if (route) {
      route_index = route->metrics_index;
      route_label = route->pattern;
    }
    HttpResponse out;
    bool close = false;
    std::string failure;
    if (result) {
      out = std::move(result).value();
    } else {
      const Status& s = result.status();
      failure = s.message();
      out = problemResponse(s, req);
      if (s.code() == ErrorCode::kPayloadTooLarge) close = true;  // body left unread
      if (s.code() == ErrorCode::kInternal) {
        logJson(*state_.log, Poco::Message::PRIO_ERROR, "request failed",
                {{"request_id", request_id}, {"route", route_label}, {"error", s.message()}});
      }
    }
    // A body that was not read (refused before it) would be taken for the next request.
    if (!body_read && (raw.getChunkedTransferEncoding() ||
                       (raw.hasContentLength() && raw.getContentLength64() > 0))) {
      close = true;
    }
    if (route && route->access != Access::kPublic && route->audited) {
      if (out.status == 401 && !req.caller && refusal == Refusal::kNone) {
        // Refused after the key was found (authenticate), or by a holder route's handler.
        refusal = route->access == Access::kHolder    ? Refusal::kHolderToken
                  : route->access == Access::kConsole ? Refusal::kConsoleSession
                                                      : Refusal::kKnownKey;
      }
      if (refusal != Refusal::kNone) {
        state_.refusal_counts[static_cast<size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
      }
      if (out.status == 401 && !req.caller && refusal != Refusal::kKnownKey) {
        std::vector<RefusalSampler::Summary> done;
        const std::string sample_key = key_id.size() <= 64 ? key_id : key_id.substr(0, 64);
        if (state_.refusals.note(sample_key, unixNow(), &done)) {
          audit(req, handled.audit, key_id, out.status, failure, &out);
        }
        auditRefusalSummaries(state_, done);
      } else {
        audit(req, handled.audit, key_id, out.status, failure, &out);
      }
    }
    send(raw, resp, out, request_id, close);
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    state_.metrics.record(route_index, out.status, secs);
    state_.inflight.fetch_sub(1, std::memory_order_relaxed);
    if (state_.config.access_log) {
      logJson(*state_.access_log, Poco::Message::PRIO_INFORMATION, "request",
              {{"method", req.method},
               {"path", maskCitizenIds(req.path.empty() ? raw.getURI() : req.path)},
               {"route", route_label},
               {"status", out.status},
               {"duration_ms", secs * 1000.0},
               {"bytes", static_cast<int64_t>(out.body.size())},
               {"remote", remoteAddress(raw)},
               {"app_id", req.caller ? req.caller->app_id : std::string()},
               {"request_id", request_id}});
    }
  }

 private:
  HttpResponse problemResponse(const Status& s, const HttpRequest& req) {
    HttpResponse out;
    out.status = httpStatusFor(s.code());
    out.content_type = kProblemContentType;
    out.body = problemJson(s, req.path.empty() ? req.raw.getURI() : req.path, req.request_id);
    if (s.code() == ErrorCode::kResourceExhausted && !req.retry_after.empty()) {
      out.headers.emplace_back("Retry-After", req.retry_after);
    }
    if (s.code() == ErrorCode::kUnauthenticated) {
      out.headers.emplace_back("WWW-Authenticate", kSignatureScheme);
    }
    return out;
  }

  // Appends the request to the audit log before the response leaves. If the log cannot take it,
  // the response is replaced: nothing is disclosed without its audit record.
  void audit(HttpRequest& req, AuditFacts& facts, const std::string& key_id, int status,
             const std::string& failure, HttpResponse* out) {
    audit::AuditEntry e;
    e.request_id = req.request_id;
    if (req.caller) {
      e.app_id = req.caller->app_id;
      e.department_code = req.caller->department_code;
      e.key_id = req.caller->key_id;
    } else {
      e.key_id = key_id.size() <= 64 ? key_id : key_id.substr(0, 64);
    }
    e.method = req.method;
    e.path = req.path;
    e.resource_code = std::move(facts.resource_code);
    e.fields = std::move(facts.fields);
    e.subject_keys = std::move(facts.subject_keys);
    e.matter_code = std::move(facts.matter_code);
    e.case_id = std::move(facts.case_id);
    e.result = auditResult(status);
    e.http_status = status;
    e.reason = failure.empty() ? std::move(facts.reason) : failure;
    if (req.caller && !req.caller->nonce.empty()) {
      e.nonce_claim = audit::AuditEntry::NonceClaim{req.caller->key_id, req.caller->nonce,
                                                    req.caller->nonce_expires_at, unixNow()};
    }
    auto appended = state_.services.audit->append(std::move(e));
    if (!appended && appended.status().code() == ErrorCode::kUnauthenticated) {
      // A replay of a read: recorded as refused, and its answer does not leave.
      *out = problemResponse(appended.status(), req);
      return;
    }
    if (!appended) {
      logJson(*state_.log, Poco::Message::PRIO_ERROR, "audit append failed",
              {{"request_id", req.request_id}, {"error", appended.status().message()}});
      *out = problemResponse(Status::unavailable("the audit log cannot record this request, so it "
                                                 "was not served: " +
                                                 appended.status().message()),
                             req);
    }
  }

  HandlerResult dispatch(HttpRequest& req, const Router::Route** route_out, std::string* key_id,
                         bool* body_read, Refusal* refusal) {
    const std::string& target = req.raw.getURI();
    if (Status s = splitTarget(target, &req.path, &req.query); !s) return s;
    Router::Match m = state_.router.match(req.method, req.path);
    if (!m.route) {
      if (!m.allow.empty()) {
        HttpResponse r;
        r.status = 405;
        r.content_type = kProblemContentType;
        r.body = methodNotAllowedJson(req.method, m.allow, req.path, req.request_id);
        r.headers.emplace_back("Allow", m.allow);
        return r;
      }
      return Status::notFound("no such endpoint: " + req.path);
    }
    *route_out = m.route;
    req.params = std::move(m.params);
    if (m.route->access == Access::kSigned) {
      // Who is calling is settled before the body is read: a request without a usable key is
      // refused with its body unread (the connection is then closed).
      const std::string& authorization = req.raw.get("Authorization", "");
      bool unknown_key = false;
      if (Status s = state_.auth->precheck(authorization, unixNow(), key_id, &unknown_key); !s) {
        if (s.code() == ErrorCode::kUnauthenticated) {
          *refusal = unknown_key             ? Refusal::kUnknownKey
                     : authorization.empty() ? Refusal::kNoCredentials
                     : key_id->empty()       ? Refusal::kMalformed
                                             : Refusal::kKnownKey;
        }
        return s;
      }
    }
    *body_read = true;
    if (Status s = readBody(req, m.route->max_body_bytes); !s) return s;
    if (m.route->access == Access::kSigned) {
      // The signature covers the path and query exactly as sent on the request line.
      size_t q = target.find('?');
      std::string_view raw_path = std::string_view(target).substr(0, q);
      std::string_view raw_query =
          q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
      const std::string host = req.raw.get("Host", "");
      const std::string idempotency_key = req.raw.get("Idempotency-Key", "");
      SignedRequest signed_request{req.method,      host,    raw_path, raw_query,
                                   idempotency_key, req.body};
      // A route that only reads claims its nonce in the shared replay guard with its audit
      // entry, which is written before the answer leaves (one statement per audit batch); any
      // other route claims it now, before its handler runs.
      auto caller = state_.auth->authenticate(signed_request, req.raw.get("Authorization", ""),
                                              unixNow(), key_id, m.route->reads_only);
      if (!caller) return caller.status();
      req.caller = std::move(*caller);
      if (!req.caller->client_cert_sha256.empty()) {
        if (Status s = checkClientCertificate(req); !s) {
          *refusal = Refusal::kKnownKey;
          return s;
        }
      }
    }
    try {
      return m.route->handler(req);
    } catch (const std::exception& e) {
      return Status::internal(std::string("unexpected error: ") + e.what());
    }
  }

  bool fromTrustedProxy(const Poco::Net::HTTPServerRequest& raw) const {
    const std::string peer = raw.clientAddress().host().toString();
    for (const auto& p : state_.trusted_proxies) {
      if (p == peer) return true;
    }
    return false;
  }

  // The client's address: the peer's, or behind a trusted proxy the last X-Forwarded-For entry
  // (the address the proxy saw; earlier entries are the client's own claims).
  std::string remoteAddress(const Poco::Net::HTTPServerRequest& raw) const {
    std::string peer = raw.clientAddress().host().toString();
    const std::string forwarded = raw.get("X-Forwarded-For", "");
    if (forwarded.empty() || !fromTrustedProxy(raw)) return peer;
    std::string last =
        forwarded.substr(forwarded.rfind(',') == std::string::npos ? 0 : forwarded.rfind(',') + 1);
    last.erase(0, last.find_first_not_of(" \t"));
    last.erase(last.find_last_not_of(" \t") + 1);
    return last.empty() || last.size() > 64 ? peer : last;
  }

  // An application bound to a client certificate is served only when the front door (a peer in
  // server.trusted_proxies) says the TLS client presented that certificate: it passes the
  // certificate, URL-escaped PEM (nginx's $ssl_client_escaped_cert), in X-Tongban-Client-Cert.
  Status checkClientCertificate(const HttpRequest& req) {
    const auto refuse = [&](const std::string& why) {
      return Status(
          ErrorCode::kUnauthenticated,
          "application " + req.caller->app_id + " is bound to a client certificate: " + why,
          "client_certificate");
    };
    const std::string escaped = fromTrustedProxy(req.raw) ? req.raw.get(kClientCertHeader, "") : "";
    if (escaped.empty()) {
      return refuse("call through the TLS front door and present it");
    }
    std::string pem;
    for (size_t i = 0; i < escaped.size(); ++i) {
      if (escaped[i] == '%' && i + 2 < escaped.size() && hexDigit(escaped[i + 1]) >= 0 &&
          hexDigit(escaped[i + 2]) >= 0) {
        pem.push_back(static_cast<char>(hexDigit(escaped[i + 1]) * 16 + hexDigit(escaped[i + 2])));
        i += 2;
      } else {
        pem.push_back(escaped[i]);
      }
    }
    auto cert = certs::parseCertificatePem(pem);
    if (!cert) return refuse("the front door passed a certificate that does not parse");
    unsigned char* der = nullptr;
    int len = i2d_X509(cert->get(), &der);
    if (len <= 0) return refuse("the front door passed a certificate that does not encode");
    std::string fingerprint =
        hexEncode(sha256(std::string_view(reinterpret_cast<const char*>(der), len)));
    OPENSSL_free(der);
    if (fingerprint != req.caller->client_cert_sha256) {
      return refuse("the certificate presented (SHA-256 " + fingerprint + ") is not that one");
    }
    return Status::ok();
  }

  // Reads the request body, refusing more than max_body_bytes without reading it all.
  Status readBody(HttpRequest& req, int64_t route_limit) {
    const int64_t limit = route_limit > 0 ? route_limit : state_.config.max_body_bytes;
    const auto too_large = [&] {
      return Status(ErrorCode::kPayloadTooLarge,
                    "request body exceeds the limit of " + std::to_string(limit) + " bytes",
                    "body");
    };
    if (req.raw.hasContentLength() && req.raw.getContentLength64() > limit) return too_large();
    if (!req.raw.hasContentLength() && !req.raw.getChunkedTransferEncoding()) return Status::ok();
    std::istream& in = req.raw.stream();
    char buf[8192];
    while (in) {
      in.read(buf, sizeof buf);
      req.body.append(buf, static_cast<size_t>(in.gcount()));
      if (static_cast<int64_t>(req.body.size()) > limit) return too_large();
    }
    return Status::ok();
  }

  static void send(Poco::Net::HTTPServerRequest& raw, Poco::Net::HTTPServerResponse& resp,
                   const HttpResponse& out, const std::string& request_id, bool close) {
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    resp.setContentType(out.content_type);
    resp.set("X-Request-Id", request_id);
    for (const auto& h : out.headers) resp.set(h.first, h.second);
    if (close) resp.setKeepAlive(false);
    if (raw.getMethod() == "HEAD") {
      resp.setContentLength64(static_cast<int64_t>(out.body.size()));
      resp.send();
      return;
    }
    resp.sendBuffer(out.body.data(), out.body.size());
  }

  ServerState& state_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* DispatchHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
  return new DispatchHandler(state_);  // POCO takes ownership
}

}  // namespace tongban::exchange
