#include "verification/serve_env.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tongban/common/identifiers.h"

namespace tongban::exchange::verifytest {

std::string certificateId(const std::string& serial, const std::string& type) {
  const std::string issuer = testenv::kMarketRegulation;
  const std::string version = "001";
  return "1.2.156.3005.2." + type + "." + issuer + "." + serial + "." + version + "." +
         std::string(1, ids::mod3736CheckChar(type + issuer + serial + version));
}

std::string citizenId(const std::string& first17) {
  return first17 + std::string(1, ids::citizenIdCheckChar(first17));
}

const Seeded& seeded() {
  static const Seeded s = [] {
    Seeded x;
    x.valid = certificateId("2026000001");
    x.revoked = certificateId("2026000002");
    x.suspended = certificateId("2026000003");
    x.expired = certificateId("2026000004");
    x.superseded = certificateId("2026000005");
    x.unknown = certificateId("2026000999");
    x.deceased = citizenId("33010619300101001");
    return x;
  }();
  return s;
}

namespace {

std::string& seedPath() {
  static std::string path;
  return path;
}

void configure(ExchangeConfig& c) {
  c.verification_seed_file = seedPath();
  c.verification_thrift_port = 0;
  c.verification_max_batch = kMaxBatch;
  c.verification_max_body_bytes = 256 * 1024;
  c.verification_thrift_max_frame_bytes = 256 * 1024;
  c.verification_thrift_idle_timeout_s = 5;
}

}  // namespace

testenv::ExchangeEnv* startVerifyEnv(const std::string& tag) {
  const Seeded& s = seeded();
  seedPath() = std::string(TONGBAN_BINARY_DIR) + "/verification-seed-" + tag + ".txt";
  {
    std::ofstream f(seedPath(), std::ios::trunc);
    f << "# seed for tests/verification\n"
      << "as_of 42 7 9 1767225600000000\n"
      << "certificate " << s.valid << " " << kEntity << " valid 2026-01-01 - 350102\n"
      << "certificate " << s.revoked << " " << kEntity << " revoked 2026-01-01 - 350102\n"
      << "certificate " << s.suspended << " " << kLiving << " suspended 2026-01-01 - 350102\n"
      << "certificate " << s.expired << " " << kLiving << " valid 2019-01-01 2020-01-01 350102\n"
      << "certificate " << s.superseded << " " << kLiving << " superseded 2026-01-01 - 350102\n"
      << "person " << kLiving << " living 110105\n"
      << "person " << s.deceased << " deceased 330106\n"
      << "entity " << kEntity << " in_business " << kLiving << "\n";
  }
  auto* env = new testenv::ExchangeEnv(tag, configure);
  // The certificate type's catalog resource, as its department publishes it (certs_api_test
  // does it through the API with a real PKI; the verification routes only read the catalog).
  env->sql(
      std::string("INSERT INTO catalog.resources (code, version, name, description, "
                  "provider_department, source, key_fields, sharing_type, open_data, update_cycle, "
                  "status, created_by, updated_by) VALUES ('CERT-") +
      kType + "', 1, '食品经营许可证', '', '" + testenv::kMarketRegulation + "', 'certs:" + kType +
      "', '{certificate_id}', 'conditional', false, 'realtime', 'published', 't', 't')");
  env->sql(std::string("INSERT INTO catalog.resource_fields (resource_code, resource_version, "
                       "position, name, type, description, sensitivity, masking) VALUES "
                       "('CERT-") +
           kType + "', 1, 1, 'certificate_id', 'string', '', 'public', 'none'), ('CERT-" + kType +
           "', 1, 2, 'holder_code', 'string', '', 'sensitive', 'none'), ('CERT-" + kType +
           "', 1, 3, 'certificate', 'string', '', 'sensitive', 'none')");
  return env;
}

}  // namespace tongban::exchange::verifytest
