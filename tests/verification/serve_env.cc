#include "verification/serve_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_env.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/common/identifiers.h"
#include "verification/seed.h"

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

const std::string& pkiDir() {
  static const std::string dir = [] {
    const std::string d =
        tongban::testing::binaryDir() + "/verify-serve-pki-" + std::to_string(::getpid());
    tongban::testing::runCommand("rm -rf " + d);
    const Status made = certs::initHubPki(d, kPkiPassphrase, {});
    EXPECT_TRUE(made) << made.toString();
    return d;
  }();
  return dir;
}

namespace {

// Seeds the certificate tables and the registries the way the certs module and the registries'
// owners write them (tests/verification/seed.h), before the exchange starts and loads its index.
void seedDatabase(const std::string& owner_conninfo) {
  const Seeded& s = seeded();
  verification::testing::Seeder seed(owner_conninfo);
  seed.exec(std::string("INSERT INTO directory.departments (code, name, region_code, created_by) "
                        "VALUES ('") +
            testenv::kMarketRegulation +
            "', '市场监督管理局', '350102', 'test') "
            "ON CONFLICT (code) DO NOTHING");
  for (const char* type : {kType, kOtherType}) {
    seed.exec(std::string("INSERT INTO certs.certificate_types SELECT (jsonb_populate_record("
                          "NULL::certs.certificate_types, to_jsonb(t) || jsonb_build_object("
                          "'code', '") +
              type + "', 'name', '测试证照" + std::string(type).substr(18) +
              "'))).* FROM certs.certificate_types t WHERE t.code = "
              "'11100000MB0143028R002' ON CONFLICT DO NOTHING");
  }
  const std::string seal = seed.seal(testenv::kMarketRegulation);
  // Serials 2026000001.. in this order: the ids of seeded().
  const std::string ids[] = {
      seed.certificate(kType, testenv::kMarketRegulation, seal, kEntity, "2026-01-01", ""),
      seed.certificate(kType, testenv::kMarketRegulation, seal, kEntity, "2026-01-01", "",
                       "revoked"),
      seed.certificate(kType, testenv::kMarketRegulation, seal, kLiving, "2026-01-01", "",
                       "suspended"),
      seed.certificate(kType, testenv::kMarketRegulation, seal, kLiving, "2019-01-01",
                       "2020-01-01"),
      seed.certificate(kType, testenv::kMarketRegulation, seal, kLiving, "2026-01-01", "",
                       "superseded")};
  const std::string expected[] = {s.valid, s.revoked, s.suspended, s.expired, s.superseded};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(ids[i], expected[i]);
  seed.person(s.deceased, "330106", "deceased");
}

void configure(ExchangeConfig& c) {
  // The env's exchange runs as the runtime role; seeding needs the owner (the cluster's user).
  std::string owner = c.database_url;
  const std::string runtime_user = "user=tongban_test_runtime";
  if (auto pos = owner.find(runtime_user); pos != std::string::npos) {
    owner.replace(pos, runtime_user.size(), "user=postgres");
  }
  seedDatabase(owner);
  c.verification_thrift_port = 0;
  c.verification_max_batch = kMaxBatch;
  c.verification_max_body_bytes = 256 * 1024;
  c.verification_thrift_max_frame_bytes = 256 * 1024;
  c.verification_thrift_idle_timeout_s = 5;
  // The hub's PKI, so that answers carry receipts signed by its verification key.
  c.pki_dir = pkiDir();
  c.pki_passphrase = kPkiPassphrase;
}

}  // namespace

testenv::ExchangeEnv* startVerifyEnv(const std::string& tag) {
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
