#include "tongban/exchange/server.h"

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "service_context.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/signer.h"
#include "tongban/common/db_pool.h"
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

struct ServerState {
  ExchangeConfig config;
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<AppRegistry> registry;
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
};

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
    HttpRequest req{raw, raw.getMethod(), "", "", {}, "", request_id, std::nullopt, {}, ""};
    size_t route_index = state_.unmatched_route;
    std::string route_label = "unmatched";
    const Router::Route* route = nullptr;
    std::string key_id;
    Result<HttpResponse> result = dispatch(req, &route, &key_id);
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
    if (route && route->access != Access::kPublic) {
      audit(req, key_id, out.status, failure, &out);
    }
    send(raw, resp, out, request_id, close);
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    state_.metrics.record(route_index, out.status, secs);
    state_.inflight.fetch_sub(1, std::memory_order_relaxed);
    if (state_.config.access_log) {
      logJson(*state_.access_log, Poco::Message::PRIO_INFORMATION, "request",
              {{"method", req.method},
               {"path", req.path.empty() ? raw.getURI() : req.path},
               {"route", route_label},
               {"status", out.status},
               {"duration_ms", secs * 1000.0},
               {"bytes", static_cast<int64_t>(out.body.size())},
               {"remote", raw.clientAddress().host().toString()},
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
    auto appended = state_.audit->append(std::move(e));
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
                                std::string* key_id) {
    const std::string& target = req.raw.getURI();
    if (Status s = splitTarget(target, &req.path, &req.query); !s) return s;
    Router::Match m = state_.router.match(req.method, req.path);
    if (!m.route) {
      if (!m.allow.empty()) {
        HttpResponse r;
        r.status = 405;
        r.content_type = kProblemContentType;
        r.body =
            "{\"type\":\"urn:tongban:problem:method_not_allowed\",\"title\":\"Method not "
            "allowed\",\"status\":405,\"detail\":\"" +
            req.method + " is not allowed here; allowed: " + m.allow + "\",\"instance\":";
        appendJsonString(r.body, req.path);
        r.body += ",\"request_id\":";
        appendJsonString(r.body, req.request_id);
        r.body += "}";
        r.headers.emplace_back("Allow", m.allow);
        return r;
      }
      return Status::notFound("no such endpoint: " + req.path);
    }
    *route_out = m.route;
    req.params = std::move(m.params);
    if (Status s = readBody(req); !s) return s;
    if (m.route->access == Access::kSigned) {
      // The signature covers the path and query exactly as sent on the request line.
      size_t q = target.find('?');
      std::string_view raw_path = std::string_view(target).substr(0, q);
      std::string_view raw_query =
          q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
      auto caller = state_.auth->authenticate(req.method, raw_path, raw_query, req.body,
                                              req.raw.get("Authorization", ""), unixNow(), key_id);
      if (!caller) return caller.status();
      req.caller = std::move(*caller);
    }
    try {
      return m.route->handler(req);
    } catch (const std::exception& e) {
      return Status::internal(std::string("unexpected error: ") + e.what());
    }
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
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
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

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
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
    state_.registry = std::make_unique<AppRegistry>(*state_.pool, std::move(*box),
                                                    std::chrono::milliseconds(config.key_cache_ms));
    state_.auth = std::make_unique<RequestAuthenticator>(
        *state_.registry, std::chrono::seconds(config.max_clock_skew_s));
    state_.catalog = std::make_unique<catalog::CatalogStore>(*state_.pool);

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
      params->setTimeout(Poco::Timespan(60, 0));
      threads_ = std::make_unique<Poco::ThreadPool>(2, state_.config.max_threads + 2, 60);
      http_ =
          std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), *threads_, socket, params);
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
    if (state_.audit) state_.audit->close();
  }

 private:
  void addRoutes() {
    Router& r = state_.router;
    r.add("GET", "/healthz", [](HttpRequest&) -> Result<HttpResponse> {
      return HttpResponse::json("{\"status\":\"ok\"}");
    });
    r.add("GET", "/readyz", [this](HttpRequest&) { return ready(); });
    r.add("GET", "/metrics", [this](HttpRequest&) -> Result<HttpResponse> {
      HttpResponse out;
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
      out.body = state_.metrics.render();
      return out;
    });
    addConsumerRoutes(r, state_.services);
    addCertificateRoutes(r, state_.services);
    addAdminRoutes(r, state_.services);
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
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread expiry_;
  std::mutex expiry_mutex_;  // with expiry_cv_: wakes the expiry thread on stop
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
