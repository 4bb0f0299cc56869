// Seeding the registries and the certificate tables with SQL for the verification tests: valid
// identifiers (check characters computed), minimal seals and certificates (the index reads their
// status, dates, seal and holder; signatures and surfaces are placeholders), and the changes the
// certs module writes with every lifecycle event.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/pqxx>

namespace tongban::verification::testing {

// "91" + region + 8-digit organisation number + its check + the credit-code check.
std::string creditCode(const std::string& region, uint32_t number);
// region (6) + birth (YYYYMMDD) + order (3 digits) + check.
std::string citizenId(const std::string& region, const std::string& birth, uint32_t order);
// 1.2.156.3005.2.{type}.{issuer}.{serial}.{version}.{check}
std::string certificateId(const std::string& type, const std::string& issuer,
                          const std::string& serial, int version = 1);

constexpr const char* kLicenceType = "11100000MB0143028R001";      // 营业执照 (entity)
constexpr const char* kIdCardType = "11100000000013338W001";       // 居民身份证 (person)
constexpr const char* kFoodLicenceType = "11100000MB0143028R002";  // 食品经营许可证

class Seeder {
 public:
  explicit Seeder(const std::string& conninfo) : conn_(conninfo) {}
  pqxx::connection& conn() { return conn_; }

  void department(const std::string& code, const std::string& region);
  // A seal of `owner`, status active unless said.
  std::string seal(const std::string& owner, const std::string& status = "active");
  void person(const std::string& id, const std::string& region,
              const std::string& status = "living");
  void entity(const std::string& code, const std::string& rep,
              const std::string& status = "in_business");
  // Inserts a certificate with its 'issue' change row; returns its id. valid_to "" = long-term.
  std::string certificate(const std::string& type, const std::string& issuer,
                          const std::string& seal, const std::string& holder,
                          const std::string& valid_from, const std::string& valid_to,
                          const std::string& status = "valid");
  // What the certs module does on a lifecycle event: the new status and a change row, in one
  // transaction.
  void setStatus(const std::string& certificate_id, const std::string& status);
  void exec(const std::string& sql);
  // Continues after what another Seeder wrote (seals, serials, log leaves), for seeding a
  // database that already holds seeded certificates.
  void continueAfterExisting();

 private:
  pqxx::connection conn_;
  uint64_t next_serial_ = 2026000001;
  uint64_t next_leaf_ = 0;
  int seals_ = 0;
};

}  // namespace tongban::verification::testing
