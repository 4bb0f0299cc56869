// The verification core's Thrift service (idl/verification.thrift): binary protocol, framed
// transport, on its own port inside tongban-exchange (verification.thrift_port). It answers the
// same checks as POST /v1/verify/batch through the same function (verify_service.h): signed like
// the HTTP calls (the Authorization value over the serialized CheckBatch), authorised by the same
// grants and quotas, audited the same way (one record per call, durable before the answer).
//
// Hostile input never crashes or stalls it: frames over verification.thrift_max_frame_bytes,
// string lengths over the frame, negative sizes, truncated or malformed frames and unknown
// methods end that connection (or get a TApplicationException) and nothing else; a connection
// that sends nothing for verification.thrift_idle_timeout_s is closed; at most
// verification.thrift_max_connections are served at once, one thread each.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "service_context.h"
#include "tongban/exchange/request_auth.h"

namespace tongban::exchange {

class VerificationThriftServer {
 public:
  // Audits a refusal of an unauthenticated call (the server samples them as it does the HTTP
  // ones: server.cc's RefusalSampler).
  using RefusalAuditor = std::function<void(audit::AuditEntry entry)>;

  // Binds config.host:verification_thrift_port and starts serving on a thread of its own.
  // kUnavailable when the port cannot be bound. `ctx`, `auth` and `refusals` must outlive it.
  static Result<std::unique_ptr<VerificationThriftServer>> start(ServiceContext& ctx,
                                                                 RequestAuthenticator& auth,
                                                                 RefusalAuditor refusals,
                                                                 const std::string& id_prefix);

  virtual ~VerificationThriftServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, interrupts the connections and joins the server thread. Idempotent.
  virtual void stop() = 0;
};

// The canonical request a Thrift call's signature covers: method "THRIFT", empty host, this path,
// empty query, no Idempotency-Key, the CheckBatch bytes as body.
inline constexpr const char* kThriftSignedMethod = "THRIFT";
inline constexpr const char* kThriftSignedPath = "verifyBatch";

}  // namespace tongban::exchange
