// Signature algorithms the hub signs and verifies with (SM2-with-SM3 and ECDSA P-256/SHA-256).
//
// The wire names ("SM2-SM3", "ECDSA-P256-SHA256") appear in bundles, seal records and the API;
// they are stable. SM2 signatures always use the GM/T 0009 distinguishing ID below: OpenSSL 3.0's
// default is the empty ID, which other SM2 implementations do not accept.
#pragma once

#include <string_view>

#include "tongban/common/result.h"

namespace tongban::certs {

enum class SignatureAlgorithm {
  kSm2Sm3,           // SM2 with SM3 (国密), GM/T 0003 / GB/T 32918; OID 1.2.156.10197.1.501
  kEcdsaP256Sha256,  // ECDSA on NIST P-256 with SHA-256
};

// GM/T 0009-2012's default user ID, set explicitly on every SM2 sign and verify.
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

// "SM2-SM3" or "ECDSA-P256-SHA256".
const char* algorithmName(SignatureAlgorithm algorithm);

// Parses a wire name; InvalidArgument (field "algorithm") for anything else.
Result<SignatureAlgorithm> parseAlgorithm(std::string_view name);

}  // namespace tongban::certs
