#include "tongban/exchange/server.h"

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "http_server.h"
#include "service_context.h"
#include "tongban/catalog/masking.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/signer.h"
#include "tongban/common/crypto.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/encoding.h"
#include "tongban/common/log.h"
#include "tongban/common/migrations.h"
#include "tongban/exchange/http.h"
#include "tongban/exchange/metrics.h"
#include "tongban/exchange/problem.h"
#include "tongban/exchange/request_signing.h"

namespace tongban::exchange {

// ---------------------------------------------------------------------------------------------
// Router

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

Router::Route& Router::add(std::string method, std::string pattern, Handler handler) {
  Route r;
  r.method = std::move(method);
  r.segments = splitPath(pattern);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  r.reads_only = r.method == "GET";
  routes_.push_back(std::move(r));
  return routes_.back();
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  // A trailing slash is a different resource; "/v1/x/" does not match "/v1/x".
  if (path.size() > 1 && path.back() == '/') return m;
  std::vector<std::string> segs = splitPath(path);
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (isParam(r.segments[i])) {
        params.push_back(segs[i]);
      } else {
        ok = r.segments[i] == segs[i];
      }
    }
    if (!ok) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.route = &r;
      m.params = std::move(params);
      m.allow.clear();
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Server

namespace {

using Clock = std::chrono::steady_clock;

// Refusals of unauthenticated requests (401 with no authenticated caller) are not audited one row
// each, or a flood would fill the permanent log: per key id (empty when the request named none)
// and minute, the first is audited in full and the rest are counted, then audited as one summary
// row when the minute is over. At most kMaxKeys distinct key ids per minute are sampled; the
// rest share the bucket "*". Thread-safe.
class RefusalSampler {
 public:
  static constexpr size_t kMaxKeys = 100;
  struct Summary {
    std::string key_id;
    uint64_t count = 0;  // refusals not audited one by one
    int64_t minute = 0;  // unix seconds at the start of the minute
  };

  // True when this refusal is to be audited in full. Summaries of minutes that are over are
  // appended to `done`.
  bool note(const std::string& key_id, int64_t now, std::vector<Summary>* done) {
    std::lock_guard<std::mutex> lock(mutex_);
    rollOver(now, false, done);
    auto it = counts_.find(key_id);
    if (it == counts_.end() && counts_.size() >= kMaxKeys) it = counts_.find("*");
    if (it == counts_.end()) {
      counts_.emplace(counts_.size() >= kMaxKeys ? "*" : key_id, 0);
      return true;
    }
    ++it->second;
    return false;
  }

  // Summaries of the minutes that are over (or of every minute, `all`, when stopping).
  std::vector<Summary> drain(int64_t now, bool all) {
    std::vector<Summary> done;
    std::lock_guard<std::mutex> lock(mutex_);
    rollOver(now, all, &done);
    return done;
  }

 private:
  void rollOver(int64_t now, bool all, std::vector<Summary>* done) {
    const int64_t minute = now - now % 60;
    if (!all && minute == minute_) return;
    for (const auto& [key, n] : counts_) {
      if (n > 0) done->push_back({key, n, minute_});
    }
    counts_.clear();
    minute_ = minute;
  }

  std::mutex mutex_;  // guards counts_, minute_
  std::unordered_map<std::string, uint64_t> counts_;
  int64_t minute_ = 0;
};

// Why an unauthenticated request was refused (metrics label). Refusals naming a key the registry
// knows (a bad signature, a replay, a disabled key, a clock off) are audited in full: they are
// about a real application. The others are sampled (RefusalSampler).
enum class Refusal {
  kNone,
  kNoCredentials,
  kMalformed,
  kUnknownKey,
  kKnownKey,
  kHolderToken,
  kConsoleSession
};
constexpr size_t kRefusalKinds = 7;
constexpr const char* kRefusalLabels[kRefusalKinds] = {
    "",          "no_credentials", "malformed",      "unknown_key",
    "known_key", "holder_token",   "console_session"};

struct ServerState {
  ExchangeConfig config;
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<AppRegistry> registry;
  std::unique_ptr<PgNonceStore> nonces;  // shared replay guard; before auth, which uses it
  std::unique_ptr<RequestAuthenticator> auth;
  std::unique_ptr<catalog::CatalogStore> catalog;
  std::unique_ptr<AuditLog> audit;
  ServiceContext services;
  Router router;
  Metrics metrics;
  size_t unmatched_route = 0;  // metrics index for requests that matched no route
  std::atomic<bool> draining{false};
  std::atomic<int64_t> inflight{0};
  Poco::Logger* access_log = nullptr;
  Poco::Logger* log = nullptr;
  std::string request_id_prefix;
  std::atomic<uint64_t> request_counter{0};
  std::vector<std::string> trusted_proxies;  // from server.trusted_proxies
  RefusalSampler refusals;
  std::array<std::atomic<uint64_t>, kRefusalKinds> refusal_counts{};
};

constexpr const char* kClientCertHeader = "X-Tongban-Client-Cert";

bool saneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits an origin-form request target into its percent-decoded path and its raw query.
// kInvalidArgument (field "uri") for anything else or a malformed escape. (Poco::URI does the
// same with a full parse and several allocations; this is on every request.)
Status splitTarget(const std::string& target, std::string* path, std::string* query) {
  if (target.empty() || target[0] != '/') {
    return Status::invalid("uri", "request target must be an absolute path");
  }
  size_t q = target.find('?');
  size_t end = q == std::string::npos ? target.size() : q;
  size_t hash = target.find('#');
  if (hash != std::string::npos && hash < end) end = hash;
  path->clear();
  path->reserve(end);
  for (size_t i = 0; i < end; ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= end || hexDigit(target[i + 1]) < 0 || hexDigit(target[i + 2]) < 0) {
        return Status::invalid("uri", "malformed request target: bad percent-encoding");
      }
      int hi = hexDigit(target[i + 1]), lo = hexDigit(target[i + 2]);
      path->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::invalid("uri", "malformed request target: control character or space");
    } else {
      path->push_back(c);
    }
  }
  if (q == std::string::npos) {
    query->clear();
  } else {
    size_t qend = target.find('#', q);
    *query = target.substr(q + 1, (qend == std::string::npos ? target.size() : qend) - q - 1);
  }
  return Status::ok();
}

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool looksLikeCitizenId(std::string_view s) {
  if (s.size() != 18) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return (s[17] >= '0' && s[17] <= '9') || s[17] == 'X' || s[17] == 'x';
}

}  // namespace

// Every token of `text` shaped like a citizen id (17 digits and a digit or X, not inside a longer
// run of letters and digits) masked as the catalog masks it: 110105********002X. For lines that
// leave the audit log's protection (the access log).
std::string maskCitizenIds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!isAlnum(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && isAlnum(text[j])) ++j;
    std::string_view token = text.substr(i, j - i);
    if (looksLikeCitizenId(token)) {
      out += catalog::maskValue(catalog::MaskingRule::kCitizenId, token);
    } else {
      out.append(token);
    }
    i = j;
  }
  return out;
}

namespace {

const char* auditResult(int status) {
  if (status < 400) return "allowed";
  if (status == 401 || status == 403 || status == 429) return "denied";
  return "error";
}

// One audit row per key id and minute for the refusals RefusalSampler did not audit one by one.
void auditRefusalSummaries(ServerState& state,
                           const std::vector<RefusalSampler::Summary>& summaries) {
  for (const auto& s : summaries) {
    AuditEntry e;
    e.key_id = s.key_id;
    e.result = "denied";
    e.http_status = 401;
    e.reason = std::to_string(s.count) + " more unauthenticated requests refused" +
               (s.key_id.empty()  ? std::string(" without credentials")
                : s.key_id == "*" ? std::string(" for other key ids")
                                  : " for key " + s.key_id) +
               " in the minute from unix time " + std::to_string(s.minute) +
               " (the first was audited in full)";
    auto appended = state.audit->append(std::move(e));
    if (!appended) {
      logJson(*state.log, Poco::Message::PRIO_ERROR, "audit append failed",
              {{"error", appended.status().message()}});
    }
  }
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
    HttpRequest req{raw, raw.getMethod(), "", "", {}, "", request_id, std::nullopt, {}, ""};
    size_t route_index = state_.unmatched_route;
    std::string route_label = "unmatched";
    const Router::Route* route = nullptr;
    std::string key_id;
    bool body_read = false;
    Refusal refusal = Refusal::kNone;
    Result<HttpResponse> result = dispatch(req, &route, &key_id, &body_read, &refusal);
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
    if (route && route->access != Access::kPublic) {
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
          audit(req, key_id, out.status, failure, &out);
        }
        auditRefusalSummaries(state_, done);
      } else {
        audit(req, key_id, out.status, failure, &out);
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
  void audit(HttpRequest& req, const std::string& key_id, int status, const std::string& failure,
             HttpResponse* out) {
    AuditEntry e;
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
    e.resource_code = req.audit.resource_code;
    e.fields = req.audit.fields;
    e.subject_keys = req.audit.subject_keys;
    e.matter_code = req.audit.matter_code;
    e.case_id = req.audit.case_id;
    e.result = auditResult(status);
    e.http_status = status;
    e.reason = failure.empty() ? req.audit.reason : failure;
    if (req.caller && !req.caller->nonce.empty()) {
      e.nonce_claim = AuditEntry::NonceClaim{req.caller->key_id, req.caller->nonce,
                                             req.caller->nonce_expires_at, unixNow()};
    }
    auto appended = state_.audit->append(std::move(e));
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

  Result<HttpResponse> dispatch(HttpRequest& req, const Router::Route** route_out,
                                std::string* key_id, bool* body_read, Refusal* refusal) {
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
    if (Status s = readBody(req); !s) return s;
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
  Status readBody(HttpRequest& req) {
    const int64_t limit = state_.config.max_body_bytes;
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

class Factory : public StoppableHandlerFactory {
 public:
  explicit Factory(ServerState& state) : state_(state) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new DispatchHandler(state_);  // POCO takes ownership
  }

 private:
  ServerState& state_;
};

std::string randomPrefix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x-", rd());
  return buf;
}

Result<std::string> readFile(const std::string& path, const char* field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid(field, "cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ExchangeServerImpl : public ExchangeServer {
 public:
  explicit ExchangeServerImpl(const ExchangeConfig& config) {
    state_.config = config;
    state_.log = &Poco::Logger::get("exchange");
    state_.access_log = &Poco::Logger::get("access");
    state_.request_id_prefix = randomPrefix();
    const std::string& proxies = config.trusted_proxies;
    for (size_t i = 0; i <= proxies.size();) {
      size_t j = proxies.find(',', i);
      if (j == std::string::npos) j = proxies.size();
      std::string p = proxies.substr(i, j - i);
      p.erase(0, p.find_first_not_of(" \t"));
      p.erase(p.find_last_not_of(" \t") + 1);
      if (!p.empty()) state_.trusted_proxies.push_back(p);
      i = j + 1;
    }
  }

  ~ExchangeServerImpl() override { stop(); }

  Status init() {
    const ExchangeConfig& config = state_.config;
    auto box = SecretBox::fromBase64(config.master_key);
    if (!box) return box.status();
    const std::string conninfo = withConnectTimeout(config.database_url, 3);
    db::PoolOptions opts;
    opts.conninfo = conninfo;
    opts.size = static_cast<size_t>(config.pool_size);
    opts.acquire_timeout = std::chrono::milliseconds(config.pool_acquire_timeout_ms);
    opts.on_connect = prepareQueryStatements;
    state_.pool = std::make_unique<db::ConnectionPool>(std::move(opts));
    state_.registry = std::make_unique<AppRegistry>(
        *state_.pool, std::move(*box), std::chrono::milliseconds(config.key_cache_ms),
        std::chrono::milliseconds(config.unknown_key_cache_ms));
    state_.nonces = std::make_unique<PgNonceStore>(*state_.pool, conninfo);
    state_.auth = std::make_unique<RequestAuthenticator>(
        *state_.registry, std::chrono::seconds(config.max_clock_skew_s), state_.nonces.get());
    state_.catalog = std::make_unique<catalog::CatalogStore>(*state_.pool);
    // Nonces past the clock-skew window are deleted once a minute, off the request path.
    nonce_purge_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(expiry_mutex_);
      while (!expiry_cv_.wait_for(lock, std::chrono::seconds(60),
                                  [this] { return stopped_.load(); })) {
        lock.unlock();
        auto n = state_.nonces->purgeExpired(unixNow());
        if (!n) {
          logJson(*state_.log, Poco::Message::PRIO_WARNING, "nonce purge failed",
                  {{"error", n.status().message()}});
        }
        lock.lock();
      }
    });

    AuditLog::Options audit;
    audit.conninfo = conninfo;
    audit.node_id = config.audit_node_id;
    audit.max_batch = config.audit_max_batch;
    audit.commit_delay_us = config.audit_commit_delay_us;
    audit.checkpoint_every_entries = config.audit_checkpoint_entries;
    audit.checkpoint_every_seconds = config.audit_checkpoint_s;
    if (!config.audit_checkpoint_key_file.empty()) {
      auto pem = readFile(config.audit_checkpoint_key_file, "audit.checkpoint_key_file");
      if (!pem) return pem.status();
      auto key = certs::decryptPrivateKeyPem(*pem, config.audit_checkpoint_key_passphrase);
      if (!key) {
        return Status::invalid("audit.checkpoint_key_file", key.status().message());
      }
      auto algorithm = certs::algorithmOfKey(key->get());
      if (!algorithm)
        return Status::invalid("audit.checkpoint_key_file", algorithm.status().message());
      auto signer = certs::makeSoftwareSigner(std::move(*key), *algorithm);
      if (!signer) return signer.status();
      audit.checkpoint_signer = std::shared_ptr<const certs::Signer>(std::move(*signer));
    }
    auto log = AuditLog::open(std::move(audit));
    if (!log) return log.status();
    state_.audit = std::move(*log);

    ServiceContext& ctx = state_.services;
    ctx.config = config;
    ctx.pool = state_.pool.get();
    ctx.registry = state_.registry.get();
    ctx.catalog = state_.catalog.get();
    auto record_sources = catalog::localRecordSources(*state_.pool);
    if (!record_sources) return record_sources.status();
    ctx.record_sources = std::move(*record_sources);
    ctx.audit = state_.audit.get();
    listenForCatalogChanges(ctx, conninfo);
    if (!config.holder_idp_public_key_file.empty()) {
      auto pem = readFile(config.holder_idp_public_key_file, "holders.idp_public_key_file");
      if (!pem) return pem.status();
      auto key = certs::parsePublicKeyPem(*pem);
      if (!key) return Status::invalid("holders.idp_public_key_file", key.status().message());
      ctx.holder_idp_key = std::move(*key);
    }
    if (!config.pki_dir.empty()) {
      if (Status s = openCertificateHub(config); !s) return s;
    }
    addRoutes();
    // Summaries of unauthenticated refusals are written when their minute is over.
    refusal_flush_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(expiry_mutex_);
      while (
          !expiry_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return stopped_.load(); })) {
        lock.unlock();
        auditRefusalSummaries(state_, state_.refusals.drain(unixNow(), false));
        lock.lock();
      }
    });
    return Status::ok();
  }

  Status openCertificateHub(const ExchangeConfig& config) {
    auto identity = certs::loadHubIdentity(config.pki_dir, config.pki_passphrase);
    if (!identity) return identity.status();
    auto keys = certs::openHubKeyStore(config.pki_dir, config.pki_passphrase);
    if (!keys) return keys.status();
    auto c = std::make_unique<CertsServices>();
    c->hub = std::move(*identity);
    c->keys = std::move(*keys);
    c->log = std::make_unique<certs::TransparencyLog>(*state_.pool, c->hub.hub_signer);
    c->types = std::make_unique<certs::CertificateTypeRegistry>(*state_.pool);
    c->seals = std::make_unique<certs::SealRegistry>(*state_.pool, *c->keys, c->hub);
    c->certificates = std::make_unique<certs::CertificateRegistry>(*state_.pool, *c->types,
                                                                   *c->seals, *c->log, c->hub);
    state_.services.certs = std::move(c);
    // Certificates past their validity end are marked expired, with their log leaves, once a
    // minute (and once at start).
    expiry_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(expiry_mutex_);
      do {
        lock.unlock();
        auto n = state_.services.certs->certificates->expireDue("system:expiry");
        if (!n) {
          logJson(*state_.log, Poco::Message::PRIO_WARNING, "certificate expiry failed",
                  {{"error", n.status().message()}});
        } else if (*n > 0) {
          logJson(*state_.log, Poco::Message::PRIO_NOTICE, "certificates expired",
                  {{"count", static_cast<int64_t>(*n)}});
        }
        lock.lock();
      } while (
          !expiry_cv_.wait_for(lock, std::chrono::seconds(60), [this] { return stopped_.load(); }));
    });
    return Status::ok();
  }

  Status listen() {
    try {
      Poco::Net::SocketAddress addr(state_.config.host, state_.config.port);
      Poco::Net::ServerSocket socket;
      socket.bind(addr, true);
      socket.listen(1024);
      auto* params = new Poco::Net::HTTPServerParams;  // HTTPServer takes ownership
      params->setServerName("tongban-exchange");
      params->setMaxThreads(state_.config.max_threads);
      params->setMaxQueued(state_.config.max_queued);
      params->setKeepAlive(true);
      params->setKeepAliveTimeout(Poco::Timespan(state_.config.keep_alive_timeout_s, 0));
      params->setMaxKeepAliveRequests(0);  // unlimited
      params->setTimeout(Poco::Timespan(state_.config.read_timeout_s, 0));
      threads_ = std::make_unique<Poco::ThreadPool>(2, state_.config.max_threads + 2, 60);
      http_ = std::make_unique<HttpServer>(
          Poco::SharedPtr<StoppableHandlerFactory>(new Factory(state_)), *threads_, socket, params,
          state_.config.max_connections_per_address);
      http_->start();
      port_ = socket.address().port();
    } catch (const Poco::Exception& e) {
      return Status::unavailable("cannot listen on " + state_.config.host + ":" +
                                 std::to_string(state_.config.port) + ": " + e.displayText());
    }
    if (!state_.config.port_file.empty()) {
      std::ofstream f(state_.config.port_file, std::ios::trunc);
      f << port_ << "\n";
      if (!f) return Status::invalid("server.port_file", "cannot write " + state_.config.port_file);
    }
    return Status::ok();
  }

  uint16_t port() const override { return port_; }

  void stop() override {
    if (stopped_.exchange(true)) return;
    state_.draining = true;
    if (http_) {
      // Stops accepting; each connection finishes the request it is serving, then closes. This
      // returns once the requests in flight are done.
      http_->stopAll(false);
      const auto deadline = Clock::now() + std::chrono::seconds(state_.config.shutdown_grace_s);
      while ((http_->currentConnections() > 0 || state_.inflight.load() > 0) &&
             Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (http_->currentConnections() > 0) http_->stopAll(true);
      threads_->joinAll();
      http_.reset();
    }
    { std::lock_guard<std::mutex> lock(expiry_mutex_); }
    expiry_cv_.notify_all();
    if (expiry_.joinable()) expiry_.join();
    if (refusal_flush_.joinable()) refusal_flush_.join();
    if (nonce_purge_.joinable()) nonce_purge_.join();
    if (state_.audit) {
      auditRefusalSummaries(state_, state_.refusals.drain(unixNow(), true));
      state_.audit->close();
    }
  }

 private:
  void addRoutes() {
    Router& r = state_.router;
    r.add("GET", "/healthz", [](HttpRequest&) -> Result<HttpResponse> {
       return HttpResponse::json("{\"status\":\"ok\"}");
     }).access = Access::kPublic;
    r.add("GET", "/readyz", [this](HttpRequest&) { return ready(); }).access = Access::kPublic;
    r.add("GET", "/metrics", [this](HttpRequest&) -> Result<HttpResponse> {
       HttpResponse out;
       out.content_type = "text/plain; version=0.0.4; charset=utf-8";
       out.body = state_.metrics.render();
       return out;
     }).access = Access::kPublic;
    addConsumerRoutes(r, state_.services);
    addCertificateRoutes(r, state_.services);
    addAdminRoutes(r, state_.services);
    addConsoleRoutes(r, state_.services);
    for (auto& route : r.routes()) route.metrics_index = state_.metrics.addRoute(route.pattern);
    state_.unmatched_route = state_.metrics.addRoute("unmatched");

    db::ConnectionPool* pool = state_.pool.get();
    auto stat = [pool](size_t db::PoolStats::*field) {
      return [pool, field] { return static_cast<double>(pool->stats().*field); };
    };
    auto counter = [pool](uint64_t db::PoolStats::*field) {
      return [pool, field] { return static_cast<double>(pool->stats().*field); };
    };
    state_.metrics.addGauge(
        "tongban_db_pool_connections", "gauge", "Database connections by state.",
        {{"tongban_db_pool_connections{state=\"max\"}", "", stat(&db::PoolStats::size)},
         {"tongban_db_pool_connections{state=\"open\"}", "", stat(&db::PoolStats::open)},
         {"tongban_db_pool_connections{state=\"in_use\"}", "", stat(&db::PoolStats::in_use)}});
    state_.metrics.addGauge(
        "tongban_db_pool_acquire_timeouts_total", "counter",
        "Requests that gave up waiting for a database connection.",
        {{"tongban_db_pool_acquire_timeouts_total", "", counter(&db::PoolStats::timeouts)}});
    state_.metrics.addGauge("tongban_db_pool_connect_failures_total", "counter",
                            "Failed attempts to open a database connection.",
                            {{"tongban_db_pool_connect_failures_total", "",
                              counter(&db::PoolStats::connect_failures)}});
    state_.metrics.addGauge("tongban_http_inflight_requests", "gauge", "Requests being served now.",
                            {{"tongban_http_inflight_requests", "",
                              [this] { return static_cast<double>(state_.inflight.load()); }}});
    std::vector<Metrics::Gauge> refusals;
    for (size_t i = 1; i < kRefusalKinds; ++i) {
      refusals.push_back(
          {std::string("tongban_auth_refusals_total{reason=\"") + kRefusalLabels[i] + "\"}", "",
           [this, i] { return double(state_.refusal_counts[i].load()); }});
    }
    state_.metrics.addGauge("tongban_auth_refusals_total", "counter",
                            "Unauthenticated requests refused with 401, by reason (audited one "
                            "row per key id and minute, not one each).",
                            std::move(refusals));
    AppRegistry* registry = state_.registry.get();
    state_.metrics.addGauge(
        "tongban_auth_unknown_key_cache_hits_total", "counter",
        "Unknown key ids answered from the negative cache, without a database query.",
        {{"tongban_auth_unknown_key_cache_hits_total", "",
          [registry] { return double(registry->unknownKeyCacheHits()); }}});
    AuditLog* audit = state_.audit.get();
    state_.metrics.addGauge(
        "tongban_audit_entries_total", "counter", "Audit entries committed by this node.",
        {{"tongban_audit_entries_total", "", [audit] { return double(audit->stats().appended); }}});
    state_.metrics.addGauge(
        "tongban_audit_batches_total", "counter",
        "Audit transactions committed (one WAL flush each: group commit).",
        {{"tongban_audit_batches_total", "", [audit] { return double(audit->stats().batches); }}});
    state_.metrics.addGauge("tongban_audit_failed_entries_total", "counter",
                            "Audit appends that failed (their requests were answered 503).",
                            {{"tongban_audit_failed_entries_total", "",
                              [audit] { return double(audit->stats().failed_entries); }}});
  }

  Result<HttpResponse> ready() {
    if (state_.draining) return Status::unavailable("shutting down");
    auto lease = state_.pool->acquire();
    if (!lease) return lease.status();
    Status s = db::checkMigrationsCurrent(**lease);
    if (!s) {
      if (!(*lease)->is_open()) lease->discard();
      return Status::unavailable("not ready: " + s.message());
    }
    return HttpResponse::json("{\"status\":\"ready\"}");
  }

  ServerState state_;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<HttpServer> http_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread expiry_;
  std::thread refusal_flush_;
  std::thread nonce_purge_;
  std::mutex expiry_mutex_;  // with expiry_cv_: wakes the expiry, refusal flush and nonce purge
                             // threads on stop
  std::condition_variable expiry_cv_;
};

}  // namespace

Result<std::unique_ptr<ExchangeServer>> ExchangeServer::start(const ExchangeConfig& config) {
  auto server = std::make_unique<ExchangeServerImpl>(config);
  if (Status s = server->init(); !s) return s;
  if (Status s = server->listen(); !s) return s;
  return std::unique_ptr<ExchangeServer>(std::move(server));
}

}  // namespace tongban::exchange
