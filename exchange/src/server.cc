// The exchange server's wiring: builds the stores and services from the configuration, opens the
// audit writer, registers the routes, starts the periodic tasks (background_tasks.h), binds and
// serves through the dispatcher (dispatch_handler.h), and drains on stop.
#include "tongban/exchange/server.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include "adapter_wiring.h"
#include "background_tasks.h"
#include "dispatch_handler.h"
#include "http_server.h"
#include "server_state.h"
#include "service_context.h"
#include "tongban/audit/writer.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/signer.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/log.h"
#include "tongban/directory/secret_box.h"
#include "verify_service.h"
#include "verify_thrift.h"

namespace tongban::exchange {
namespace {

using Clock = std::chrono::steady_clock;

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
    auto box = directory::SecretBox::fromBase64(config.master_key);
    if (!box) return box.status();
    const std::string conninfo = db::withConnectTimeout(config.database_url, 3);
    db::PoolOptions opts;
    opts.conninfo = conninfo;
    opts.size = static_cast<size_t>(config.pool_size);
    opts.acquire_timeout = std::chrono::milliseconds(config.pool_acquire_timeout_ms);
    opts.on_connect = prepareQueryStatements;
    state_.pool = std::make_unique<db::ConnectionPool>(std::move(opts));
    state_.registry = std::make_unique<directory::AppRegistry>(
        *state_.pool, std::move(*box), std::chrono::milliseconds(config.key_cache_ms),
        std::chrono::milliseconds(config.unknown_key_cache_ms));
    state_.nonces = std::make_unique<PgNonceStore>(*state_.pool, conninfo);
    state_.auth = std::make_unique<RequestAuthenticator>(
        *state_.registry, std::chrono::seconds(config.max_clock_skew_s), state_.nonces.get());
    state_.catalog = std::make_unique<catalog::CatalogStore>(*state_.pool);

    audit::AuditWriter::Options audit;
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
    auto log = audit::AuditWriter::open(std::move(audit));
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
    if (Status s = installAdapters(ctx); !s) return s;
    ctx.audit = state_.audit.get();
    auto index = openVerificationIndex(config);
    if (!index) return index.status();
    ctx.verification = std::move(*index);
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
    startServerTasks(state_, tasks_);
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
    if (config.verification_receipts && c->hub.verification_signer) {
      enableReceipts(state_.services, c->hub.verification_signer);
    }
    state_.services.certs = std::move(c);
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
          Poco::SharedPtr<StoppableHandlerFactory>(new DispatchHandlerFactory(state_)), *threads_,
          socket, params, state_.config.max_connections_per_address);
      http_->start();
      port_ = socket.address().port();
    } catch (const Poco::Exception& e) {
      return Status::unavailable("cannot listen on " + state_.config.host + ":" +
                                 std::to_string(state_.config.port) + ": " + e.displayText());
    }
    if (state_.config.verification_thrift_port >= 0) {
      auto thrift = VerificationThriftServer::start(
          state_.services, *state_.auth,
          [this](audit::AuditEntry entry) {
            std::vector<RefusalSampler::Summary> done;
            if (state_.refusals.note(entry.key_id, unixNow(), &done)) {
              auto appended = state_.audit->append(std::move(entry));
              if (!appended) {
                logJson(*state_.log, Poco::Message::PRIO_ERROR, "audit append failed",
                        {{"error", appended.status().message()}});
              }
            }
            auditRefusalSummaries(state_, done);
          },
          state_.request_id_prefix);
      if (!thrift) return thrift.status();
      thrift_ = std::move(*thrift);
    }
    if (!state_.config.port_file.empty()) {
      std::ofstream f(state_.config.port_file, std::ios::trunc);
      f << port_ << "\n";
      if (!f) return Status::invalid("server.port_file", "cannot write " + state_.config.port_file);
    }
    return Status::ok();
  }

  uint16_t port() const override { return port_; }
  uint16_t thriftPort() const override { return thrift_ ? thrift_->port() : 0; }

  void stop() override {
    if (stopped_.exchange(true)) return;
    state_.draining = true;
    if (thrift_) thrift_->stop();
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
    tasks_.stop();
    if (state_.audit) {
      auditRefusalSummaries(state_, state_.refusals.drain(unixNow(), true));
      state_.audit->close();
    }
  }

 private:
  void addRoutes() {
    Router& r = state_.router;
    addOperationalRoutes(r, state_);
    addConsumerRoutes(r, state_.services);
    addCertificateRoutes(r, state_.services);
    addStatusFilterRoutes(r, state_.services);
    addAdminRoutes(r, state_.services);
    addVerificationRoutes(r, state_.services);
    addMatterRoutes(r, state_.services);
    addConsoleRoutes(r, state_.services);
    registerServerMetrics(state_);
  }

  ServerState state_;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<VerificationThriftServer> thrift_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  PeriodicTasks tasks_;  // the nonce purge, refusal summaries and certificate expiry
};

}  // namespace

Result<std::unique_ptr<ExchangeServer>> ExchangeServer::start(const ExchangeConfig& config) {
  auto server = std::make_unique<ExchangeServerImpl>(config);
  if (Status s = server->init(); !s) return s;
  if (Status s = server->listen(); !s) return s;
  return std::unique_ptr<ExchangeServer>(std::move(server));
}

}  // namespace tongban::exchange
