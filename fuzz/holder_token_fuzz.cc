// Fuzzes holder-token verification (exchange/holder_token.h): base64url parts, JSON header and
// claims from an untrusted holder. Nothing may crash; nothing but a correctly signed token is
// accepted (the fuzzer cannot sign, so every input must be refused with a reason).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tongban/certs/keys.h"
#include "tongban/exchange/holder_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tongban::certs::EvpPkeyPtr key = [] {
    auto k = tongban::certs::generateKey(tongban::certs::SignatureAlgorithm::kEcdsaP256Sha256);
    if (!k) std::abort();
    return std::move(*k);
  }();
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto claims = tongban::exchange::verifyHolderToken(token, key.get(), 1767225600);
  if (claims || claims.status().message().empty()) std::abort();
  return 0;
}
