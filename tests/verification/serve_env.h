// A running exchange with the verification routes and the Thrift service on, answering from the
// verification index loaded from its database, seeded before it starts (seed.h) with the data its
// tests ask about: certificates of one type in every state, persons, entities.
#pragma once

#include <string>

#include "exchange/exchange_env.h"

namespace tongban::exchange::verifytest {

inline constexpr const char* kType = "11110000000010022N001";  // defined by market regulation
inline constexpr const char* kOtherType = "11110000000010022N002";
inline constexpr const char* kMatter = "11110000000010022N4000123";
inline constexpr const char* kLiving = "11010519491231002X";  // testenv::kPersonId, 110105
inline constexpr const char* kEntity = "91350100M000100Y43";  // its legal representative
inline constexpr int kMaxBatch = 100;                         // configured for the tests

// A GB/T 36904 certificate identifier of kType issued by market regulation, with its check
// character.
std::string certificateId(const std::string& serial, const std::string& type = kType);
// A citizen id with a correct check character: 17 digits given.
std::string citizenId(const std::string& first17);

// The hub PKI the env's exchange loads (certs::initHubPki, made once per process): its root.pem
// verifies the receipts the answers carry.
inline constexpr const char* kPkiPassphrase = "verify-serve-pki";
const std::string& pkiDir();

// The certificates the seed holds.
struct Seeded {
  std::string valid, revoked, suspended, expired, superseded, unknown;
  std::string deceased;  // a deceased person's citizen id
};
const Seeded& seeded();

// Seeds the database, starts an ExchangeEnv with the Thrift port on, and
// publishes CERT-<kType> (fields certificate_id, holder_code, certificate) as migration 0008's
// certificate resources are published.
testenv::ExchangeEnv* startVerifyEnv(const std::string& tag);

}  // namespace tongban::exchange::verifytest
