// The exchange server: POCO HTTPServer + router + connection pool + metrics + access log.
//
// ExchangeServer::start binds, starts serving and returns; the caller (tongban-exchange serve, or a
// test) owns it and calls stop(). Endpoints in this issue:
//   GET /healthz                          the process is up
//   GET /readyz                           database reachable and migrations current, not draining
//   GET /metrics                          Prometheus text
//   GET /v1/registry/persons/{citizen_id} population registry lookup
//   GET /v1/registry/entities/{credit_code} legal-entity registry lookup
#pragma once

#include <cstdint>
#include <memory>

#include "tongban/common/result.h"
#include "tongban/exchange/exchange_config.h"

namespace tongban::exchange {

class ExchangeServer {
 public:
  // Creates the pool (connections open lazily), registers routes and starts listening on
  // config.host:config.port. kUnavailable when the address cannot be bound. Migrations are the
  // caller's business (main runs them before start when migrate_on_start).
  static Result<std::unique_ptr<ExchangeServer>> start(const ExchangeConfig& config);

  virtual ~ExchangeServer() = default;

  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;

  // The verification Thrift service's bound port; 0 when it is off (verification.thrift_port
  // unset).
  virtual uint16_t thriftPort() const { return 0; }

  // Graceful stop: /readyz turns 503, no new connections are accepted, requests in flight finish
  // (up to config.shutdown_grace_s), then the remaining connections are closed. Idempotent.
  virtual void stop() = 0;
};

}  // namespace tongban::exchange
