#include "verify_thrift.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>

#include "gen-cpp/Verification.h"
#include "tongban/common/log.h"
#include "tongban/common/time_format.h"
#include "verify_service.h"

namespace tongban::exchange {

namespace {

namespace at = ::apache::thrift;
namespace vt = ::tongban::verification::thrift;

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A framed transport whose message-size budget (TConfiguration's max message size) is renewed
// for every frame: Thrift 0.17 counts it over the transport's life, so a long-lived connection
// died after max_message_size bytes in total (tests/verification/thrift_test.cc,
// ALongLivedConnectionCarriesManyFullBatches).
class PerMessageFramedTransport : public at::transport::TFramedTransport {
 public:
  PerMessageFramedTransport(std::shared_ptr<at::transport::TTransport> transport,
                            std::shared_ptr<at::TConfiguration> config)
      : TFramedTransport(std::move(transport), std::move(config)) {}

 protected:
  bool readFrame() override {
    resetConsumedMessageSize();
    return TFramedTransport::readFrame();
  }
};

// Frames are read with the configured limits, not Thrift's defaults (100 MB messages, 16 MB
// frames).
class LimitedFramedTransportFactory : public at::transport::TTransportFactory {
 public:
  explicit LimitedFramedTransportFactory(std::shared_ptr<at::TConfiguration> config)
      : config_(std::move(config)) {}
  std::shared_ptr<at::transport::TTransport> getTransport(
      std::shared_ptr<at::transport::TTransport> trans) override {
    return std::make_shared<PerMessageFramedTransport>(trans, config_);
  }

 private:
  std::shared_ptr<at::TConfiguration> config_;
};

class Handler : public vt::VerificationIf {
 public:
  Handler(ServiceContext& ctx, RequestAuthenticator& auth,
          VerificationThriftServer::RefusalAuditor refusals, std::string id_prefix,
          std::shared_ptr<at::TConfiguration> config)
      : ctx_(ctx),
        auth_(auth),
        refusals_(std::move(refusals)),
        id_prefix_(std::move(id_prefix)),
        config_(std::move(config)) {}

  void verifyBatch(vt::BatchResult& result, const vt::SignedBatch& request) override {
    audit::AuditEntry entry;
    const std::string request_id = id_prefix_ + "t" + std::to_string(counter_.fetch_add(1));
    entry.request_id = request_id;
    entry.method = kThriftSignedMethod;
    entry.path = std::string("/thrift/Verification/") + kThriftSignedPath;

    const SignedRequest signed_request{kThriftSignedMethod, "", kThriftSignedPath, "", "",
                                       request.batch};
    std::string key_id;
    const bool audited = ctx_.config.verification_audit;
    auto caller = auth_.authenticate(signed_request, request.authorization, unixSeconds(), &key_id,
                                     /*defer_shared_claim=*/audited);
    if (!caller) {
      if (caller.status().code() != ErrorCode::kUnauthenticated) {
        unavailable(caller.status().message());
      }
      entry.key_id = key_id.size() <= 64 ? key_id : key_id.substr(0, 64);
      entry.result = "denied";
      entry.http_status = 401;
      entry.reason = caller.status().message();
      if (audited) refusals_(std::move(entry));
      vt::Unauthenticated e;
      e.message = caller.status().message();
      throw e;
    }
    entry.app_id = caller->app_id;
    entry.department_code = caller->department_code;
    entry.key_id = caller->key_id;
    if (!caller->nonce.empty()) {
      entry.nonce_claim = audit::AuditEntry::NonceClaim{caller->key_id, caller->nonce,
                                                        caller->nonce_expires_at, unixSeconds()};
    }

    AuditFacts info;
    int64_t retry_after = 0;
    Result<VerifyOutcome> out = Status::internal("not run");
    if (!caller->client_cert_sha256.empty()) {
      // Bound to a client certificate, which only the HTTPS front door can present for it.
      out = Status(ErrorCode::kUnauthenticated,
                   "application " + caller->app_id +
                       " is bound to a client certificate: call the HTTPS API through the TLS "
                       "front door",
                   "client_certificate");
    } else {
      out = decodeAndRun(request.batch, *caller, &info, &retry_after);
    }

    entry.resource_code = std::move(info.resource_code);
    entry.fields = std::move(info.fields);
    entry.subject_keys = std::move(info.subject_keys);
    entry.matter_code = std::move(info.matter_code);
    entry.case_id = std::move(info.case_id);
    const int status = out ? 200 : httpStatusOf(out.status().code());
    entry.http_status = status;
    entry.result = status < 400                                        ? "allowed"
                   : (status == 401 || status == 403 || status == 429) ? "denied"
                                                                       : "error";
    entry.reason = out ? std::move(info.reason) : out.status().message();  // the receipt root
    if (audited) {
      auto appended = ctx_.audit->append(std::move(entry));
      if (!appended && appended.status().code() == ErrorCode::kUnauthenticated) {
        vt::Unauthenticated e;
        e.message = appended.status().message();
        throw e;
      }
      if (!appended) {
        unavailable("the audit log cannot record this call, so it was not served: " +
                    appended.status().message());
      }
    }
    if (!out) throwFor(out.status(), retry_after);
    ctx_.verified_thrift.fetch_add(out->answers.size(), std::memory_order_relaxed);
    result.answers.resize(out->answers.size());
    for (size_t i = 0; i < out->answers.size(); ++i) {
      result.answers[i].verdict = static_cast<vt::Verdict::type>(out->answers[i].verdict);
      result.answers[i].reason = verification::reasonName(out->answers[i].reason);
      if (out->receipts) {
        const size_t leaf = out->first_leaf + i;
        vt::Receipt& r = result.answers[i].receipt;
        r.leaf_index = static_cast<int64_t>(leaf);
        r.leaf = out->receipts->leaf(leaf);
        for (const auto& h : out->receipts->path(leaf)) r.path.emplace_back(h.begin(), h.end());
        result.answers[i].__isset.receipt = true;
      }
    }
    if (out->receipts) {
      const verification::SignedRoot& root = out->receipts->root();
      result.signed_root.signed_bytes = root.signed_bytes;
      result.signed_root.signature = root.signature;
      result.signed_root.algorithm = certs::algorithmName(root.algorithm);
      result.signed_root.signer_certificate = root.signer_certificate;
      result.__isset.signed_root = true;
    }
    const verification::AsOf& a = out->as_of;
    result.as_of.certs_seq = static_cast<int64_t>(a.certs_seq);
    result.as_of.population_seq = static_cast<int64_t>(a.population_seq);
    result.as_of.legal_entity_seq = static_cast<int64_t>(a.legal_entity_seq);
    result.as_of.at = formatRfc3339Micros(a.at_micros);
    result.as_of.stale = a.stale;
    result.request_id = request_id;
  }

 private:
  static int httpStatusOf(ErrorCode code) {
    switch (code) {
      case ErrorCode::kInvalidArgument:
        return 400;
      case ErrorCode::kUnauthenticated:
        return 401;
      case ErrorCode::kPermissionDenied:
        return 403;
      case ErrorCode::kPayloadTooLarge:
        return 413;
      case ErrorCode::kResourceExhausted:
        return 429;
      case ErrorCode::kUnavailable:
        return 503;
      default:
        return 500;
    }
  }

  [[noreturn]] static void unavailable(const std::string& message) {
    vt::Unavailable e;
    e.message = message;
    throw e;
  }

  [[noreturn]] static void throwFor(const Status& s, int64_t retry_after) {
    switch (s.code()) {
      case ErrorCode::kInvalidArgument:
      case ErrorCode::kPayloadTooLarge: {
        vt::InvalidRequest e;
        e.field = s.field();
        e.message = s.message();
        throw e;
      }
      case ErrorCode::kUnauthenticated: {
        vt::Unauthenticated e;
        e.message = s.message();
        throw e;
      }
      case ErrorCode::kPermissionDenied: {
        vt::Forbidden e;
        e.field = s.field();
        e.message = s.message();
        throw e;
      }
      case ErrorCode::kResourceExhausted: {
        vt::QuotaExceeded e;
        e.message = s.message();
        e.retry_after_seconds = static_cast<int32_t>(retry_after);
        throw e;
      }
      default:
        unavailable(s.message());
    }
  }

  Result<VerifyOutcome> decodeAndRun(const std::string& bytes, const Caller& caller,
                                     AuditFacts* info, int64_t* retry_after) {
    vt::CheckBatch batch;
    try {
      // OBSERVE: the buffer only reads `bytes`.
      auto buffer = std::make_shared<at::transport::TMemoryBuffer>(
          reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
          static_cast<uint32_t>(bytes.size()), at::transport::TMemoryBuffer::OBSERVE, config_);
      // No container limit: the frame bounds the list (the protocol refuses a count the
      // remaining bytes cannot hold before it allocates), and an over-long batch is then
      // refused below naming "checks".
      at::protocol::TBinaryProtocol protocol(
          buffer, static_cast<int32_t>(ctx_.config.verification_thrift_max_frame_bytes), 0, true,
          true);
      batch.read(&protocol);
      if (buffer->available_read() != 0) {
        return Status::invalid("batch", "trailing bytes after the CheckBatch");
      }
    } catch (const at::TException& e) {
      return Status::invalid("batch",
                             std::string("not a CheckBatch in the binary protocol: ") + e.what());
    }
    Purpose purpose{batch.matter_code, batch.case_id};
    info->matter_code = purpose.matter_code.substr(0, 64);
    info->case_id = purpose.case_id.substr(0, 128);
    if (Status s = checkPurpose(purpose, ""); !s) return s;
    if (batch.checks.empty()) return Status::invalid("checks", "name at least one check");
    if (batch.checks.size() > static_cast<size_t>(ctx_.config.verification_max_batch)) {
      return Status::invalid("checks", std::to_string(batch.checks.size()) +
                                           " checks: a batch holds at most " +
                                           std::to_string(ctx_.config.verification_max_batch));
    }
    std::vector<verification::Check> checks;
    checks.reserve(batch.checks.size());
    for (size_t i = 0; i < batch.checks.size(); ++i) {
      const vt::Check& t = batch.checks[i];
      CheckInput in;
      in.kind = t.kind;
      in.subject = t.subject;
      if (t.__isset.type_code) in.type_code = t.type_code;
      if (t.__isset.region) in.region = t.region;
      if (t.__isset.valid_until) in.valid_until = t.valid_until;
      if (t.__isset.on_date) in.on_date = t.on_date;
      if (t.__isset.entity) in.entity = t.entity;
      if (t.__isset.min_age) in.min_age = t.min_age;
      auto check = checkFromInput(in, "checks[" + std::to_string(i) + "]");
      if (!check) return check.status();
      checks.push_back(std::move(*check));
    }
    return runChecks(ctx_, caller, purpose, checks, "checks", info, retry_after);
  }

  ServiceContext& ctx_;
  RequestAuthenticator& auth_;
  VerificationThriftServer::RefusalAuditor refusals_;
  const std::string id_prefix_;
  std::shared_ptr<at::TConfiguration> config_;
  std::atomic<uint64_t> counter_{0};
};

// Tells start() when the server socket is listening.
class ListeningSignal : public at::server::TServerEventHandler {
 public:
  void preServe() override {
    std::lock_guard<std::mutex> lock(mutex_);
    listening_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::seconds timeout, const std::atomic<bool>& failed) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return listening_ || failed.load(); }) && listening_;
  }

 private:
  std::mutex mutex_;  // guards listening_
  std::condition_variable cv_;
  bool listening_ = false;
};

// Thrift's own diagnostics (a client that died, a frame refused) go to the exchange's log, not to
// stderr.
void thriftOutput(const char* message) {
  logJson(Poco::Logger::get("exchange"), Poco::Message::PRIO_INFORMATION, "thrift",
          {{"message", std::string(message)}});
}

class ThriftServerImpl : public VerificationThriftServer {
 public:
  ~ThriftServerImpl() override { stop(); }

  Status start(ServiceContext& ctx, RequestAuthenticator& auth, RefusalAuditor refusals,
               const std::string& id_prefix) {
    const ExchangeConfig& c = ctx.config;
    at::GlobalOutput.setOutputFunction(thriftOutput);
    const int frame = static_cast<int>(c.verification_thrift_max_frame_bytes);
    // A message is one frame; nesting in a CheckBatch is 3 deep.
    auto config = std::make_shared<at::TConfiguration>(frame, frame, 16);
    auto handler = std::make_shared<Handler>(ctx, auth, std::move(refusals), id_prefix, config);
    auto processor = std::make_shared<vt::VerificationProcessor>(handler);
    socket_ = std::make_shared<at::transport::TServerSocket>(c.host, c.verification_thrift_port);
    socket_->setRecvTimeout(c.verification_thrift_idle_timeout_s * 1000);
    socket_->setSendTimeout(c.verification_thrift_idle_timeout_s * 1000);
    socket_->setInterruptableChildren(true);
    server_ = std::make_shared<at::server::TThreadedServer>(
        processor, socket_, std::make_shared<LimitedFramedTransportFactory>(config),
        std::make_shared<at::protocol::TBinaryProtocolFactory>(frame, c.verification_max_batch,
                                                               true, true));
    server_->setConcurrentClientLimit(c.verification_thrift_max_connections);
    auto signal = std::make_shared<ListeningSignal>();
    server_->setServerEventHandler(signal);
    thread_ = std::thread([this] {
      try {
        server_->serve();
      } catch (const std::exception& e) {
        error_ = e.what();
        failed_ = true;
      }
    });
    if (!signal->wait(std::chrono::seconds(10), failed_)) {
      stop();
      return Status::unavailable("cannot serve Thrift on " + c.host + ":" +
                                 std::to_string(c.verification_thrift_port) + ": " + error_);
    }
    port_ = static_cast<uint16_t>(socket_->getPort());
    return Status::ok();
  }

  uint16_t port() const override { return port_; }

  void stop() override {
    if (stopped_.exchange(true)) return;
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::shared_ptr<at::transport::TServerSocket> socket_;
  std::shared_ptr<at::server::TThreadedServer> server_;
  std::thread thread_;
  std::atomic<bool> failed_{false};
  std::string error_;  // written by the server thread before failed_ is set
  std::atomic<bool> stopped_{false};
  uint16_t port_ = 0;
};

}  // namespace

Result<std::unique_ptr<VerificationThriftServer>> VerificationThriftServer::start(
    ServiceContext& ctx, RequestAuthenticator& auth, RefusalAuditor refusals,
    const std::string& id_prefix) {
  auto server = std::make_unique<ThriftServerImpl>();
  if (Status s = server->start(ctx, auth, std::move(refusals), id_prefix); !s) return s;
  return std::unique_ptr<VerificationThriftServer>(std::move(server));
}

}  // namespace tongban::exchange
