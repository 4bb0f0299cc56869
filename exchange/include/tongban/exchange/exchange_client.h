// A signed HTTP/1.1 client for the exchange: what `tongban-admin call`, the tests and the
// benchmarks use to talk to it as an application would, signing every request as
// docs/request-signing.md says (request_signing.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tongban/common/result.h"
#include "tongban/exchange/request_signing.h"

namespace tongban::exchange {

// A signed HTTP/1.1 client for one exchange (keep-alive). Not thread-safe: one per thread.
class ExchangeClient {
 public:
  ExchangeClient(std::string host, uint16_t port, Credentials credentials);
  ~ExchangeClient();

  struct Response {
    int status = 0;
    std::string content_type;
    std::string body;
    std::string retry_after;
  };
  // `target` is the path with an optional "?query". kUnavailable when the server cannot be
  // reached. One extra header may be given (name and value); it is sent as given and, when it is
  // Idempotency-Key, signed. The Host header sent (and signed) is "host:port".
  Result<Response> call(const std::string& method, const std::string& target,
                        const std::string& body = "", const std::string& extra_header_name = "",
                        const std::string& extra_header_value = "");

  // Signs with this clock instead of the system's (tests of skew).
  void setClockOffset(int64_t seconds) { clock_offset_ = seconds; }

 private:
  struct Impl;
  std::string host_;
  uint16_t port_;
  Credentials credentials_;
  int64_t clock_offset_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tongban::exchange
