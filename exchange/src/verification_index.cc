// Where the exchange gets its verification index: the one function to change when the
// PostgreSQL-fed index (verification::openIndex) replaces the seed list.
#include "service_context.h"
#include "tongban/verification/memory_index.h"

namespace tongban::exchange {

Result<std::unique_ptr<verification::Index>> openVerificationIndex(const ExchangeConfig& config) {
  // SEED: until the index of the verification core is merged, a plain list
  // (verification/include/tongban/verification/memory_index.h). At merge:
  //   return verification::openIndex({config.database_url, ...});
  if (config.verification_seed_file.empty()) return std::unique_ptr<verification::Index>();
  return verification::loadSeedIndexFile(config.verification_seed_file, "verification.seed_file");
}

}  // namespace tongban::exchange
