// Thrift adapter transport (transports.h): TaxClearanceClient over TBinaryProtocol and
// TFramedTransport on a TSocket with connect, send and receive timeouts; open clients are kept
// for reuse. Frames are capped at max_response_bytes, so a garbage length prefix cannot make the
// client allocate or wait for gigabytes.
#include <memory>
#include <mutex>
#include <vector>

#include <thrift/TApplicationException.h>
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

#include "TaxClearance.h"
#include "transports.h"

namespace tongban::adapters {

namespace {

namespace tt = apache::thrift::transport;
namespace tp = apache::thrift::protocol;
using tongban::idl::tax::ClearanceRecord;
using tongban::idl::tax::TaxClearanceClient;

struct Connection {
  std::shared_ptr<tt::TTransport> transport;
  std::unique_ptr<TaxClearanceClient> client;
};

class ThriftTransport : public Transport {
 public:
  ThriftTransport(std::string host, int port, ConnectionSettings c)
      : host_(std::move(host)), port_(port), settings_(std::move(c)) {}

  Result<std::optional<UpstreamRecord>> fetch(const std::string& key) override {
    for (int round = 0; round < 2; ++round) {
      bool reused = false;
      std::unique_ptr<Connection> conn;
      try {
        conn = take(&reused);
      } catch (const tt::TTransportException& e) {
        return connectFailure(e);
      }
      bool sent = false;
      try {
        ClearanceRecord r;
        conn->client->send_getClearance(key);
        sent = true;
        conn->client->recv_getClearance(r);
        giveBack(std::move(conn));
        UpstreamRecord out;
        out["taxpayer_id"] = r.taxpayer_id;
        out["taxpayer_name"] = r.taxpayer_name;
        out["clearance"] = r.clearance;
        auto opt = [](bool set, const std::string& v) {
          return set ? std::optional<std::string>(v) : std::nullopt;
        };
        out["arrears_amount"] = opt(r.__isset.arrears_amount, r.arrears_amount);
        out["checked_on"] = opt(r.__isset.checked_on, r.checked_on);
        out["tax_office"] = opt(r.__isset.tax_office, r.tax_office);
        return std::optional<UpstreamRecord>(std::move(out));
      } catch (const tongban::idl::tax::NoSuchTaxpayer&) {
        giveBack(std::move(conn));
        return std::optional<UpstreamRecord>();
      } catch (const tongban::idl::tax::UpstreamFailure& e) {
        giveBack(std::move(conn));
        return Status(ErrorCode::kBadGateway, "answered failure " + std::to_string(e.code) + ": " +
                                                  e.message.substr(0, 500));
      } catch (const tt::TTransportException& e) {
        if (e.getType() == tt::TTransportException::TIMED_OUT) {
          return Status(
              ErrorCode::kGatewayTimeout,
              "did not answer within " + std::to_string(settings_.request_timeout.count()) + " ms");
        }
        // A kept connection the server closed while idle: try once on a new one.
        if (reused && round == 0 &&
            (!sent ||
             (settings_.idempotent && e.getType() == tt::TTransportException::END_OF_FILE))) {
          continue;
        }
        return Status(ErrorCode::kBadGateway,
                      std::string("dropped the connection (") + e.what() + ")");
      } catch (const tp::TProtocolException& e) {
        return Status(ErrorCode::kBadGateway,
                      std::string("answered something that is not Thrift: ") + e.what());
      } catch (const apache::thrift::TApplicationException& e) {
        return Status(ErrorCode::kBadGateway,
                      std::string("answered an application error: ") + e.what());
      } catch (const apache::thrift::TException& e) {
        return Status(ErrorCode::kBadGateway, std::string("call failed: ") + e.what());
      }
    }
    return Status(ErrorCode::kBadGateway, "dropped the connection");
  }

 private:
  Status connectFailure(const tt::TTransportException& e) {
    const std::string what = e.what();
    if (e.getType() == tt::TTransportException::TIMED_OUT ||
        what.find("timed out") != std::string::npos) {
      return Status(ErrorCode::kGatewayTimeout,
                    "did not accept a connection within " +
                        std::to_string(settings_.connect_timeout.count()) + " ms");
    }
    if (what.find("refused") != std::string::npos) {
      return Status(ErrorCode::kBadGateway, "refused the connection (is it listening?)");
    }
    return Status(ErrorCode::kBadGateway, "cannot connect: " + what);
  }

  std::unique_ptr<Connection> take(bool* reused) {
    {
      std::lock_guard<std::mutex> lock(idle_mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        *reused = true;
        return c;
      }
    }
    *reused = false;
    auto config = std::make_shared<apache::thrift::TConfiguration>(
        static_cast<int>(settings_.max_response_bytes),
        static_cast<int>(settings_.max_response_bytes), 64);
    auto socket = std::make_shared<tt::TSocket>(host_, port_, config);
    socket->setConnTimeout(static_cast<int>(settings_.connect_timeout.count()));
    socket->setRecvTimeout(static_cast<int>(settings_.request_timeout.count()));
    socket->setSendTimeout(static_cast<int>(settings_.request_timeout.count()));
    auto framed = std::make_shared<tt::TFramedTransport>(socket, config);
    auto protocol = std::make_shared<tp::TBinaryProtocol>(framed);
    auto c = std::make_unique<Connection>();
    c->transport = framed;
    c->client = std::make_unique<TaxClearanceClient>(protocol);
    framed->open();
    return c;
  }

  void giveBack(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(idle_mutex_);
    if (static_cast<int>(idle_.size()) < settings_.pool_size) idle_.push_back(std::move(c));
  }

  const std::string host_;
  const int port_;
  const ConnectionSettings settings_;
  std::mutex idle_mutex_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

Result<std::unique_ptr<Transport>> makeThriftTransport(const Settings& s,
                                                       const ConnectionSettings& c) {
  auto service = s.str("service", false, "tax_clearance");
  if (!service) return service.status();
  if (*service != "tax_clearance") {
    return Status::invalid(s.key("service"),
                           s.key("service") + ": the Thrift services known are: tax_clearance");
  }
  const size_t colon = c.endpoint.rfind(':');
  int port = 0;
  if (colon != std::string::npos && colon > 0) {
    try {
      port = std::stoi(c.endpoint.substr(colon + 1));
    } catch (...) {
      port = 0;
    }
  }
  if (port <= 0 || port > 65535 || c.endpoint.find('/') != std::string::npos) {
    return Status::invalid(s.key("endpoint"),
                           s.key("endpoint") + " of a thrift adapter is host:port");
  }
  if (!c.tls_ca_file.empty() || !c.tls_cert_file.empty()) {
    return Status::invalid(s.key("tls_ca_file"),
                           "the thrift adapter has no TLS yet: reach it through a TLS tunnel");
  }
  return std::unique_ptr<Transport>(
      std::make_unique<ThriftTransport>(c.endpoint.substr(0, colon), port, c));
}

}  // namespace tongban::adapters
