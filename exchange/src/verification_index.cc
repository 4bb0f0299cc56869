// Where the exchange gets its verification index: the PostgreSQL-fed index of the verification
// core (verification/include/tongban/verification/index.h), loaded with COPY at start and kept
// current from the change feeds.
#include "service_context.h"
#include "tongban/verification/index.h"

namespace tongban::exchange {

Result<std::unique_ptr<verification::Index>> openVerificationIndex(const ExchangeConfig& config) {
  if (!config.verification_enabled) return std::unique_ptr<verification::Index>();
  verification::IndexOptions options;
  options.database_url = config.database_url;
  options.stale_after = std::chrono::milliseconds(config.verification_stale_after_ms);
  return verification::openIndex(options);
}

}  // namespace tongban::exchange
