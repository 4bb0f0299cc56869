// A complete certificate hub on a fresh migrated database, for the certs module's integration
// tests: registries seeded with departments, persons and legal entities; an ECDSA P-256 root and
// issuing intermediate; a PEM key store in a temporary directory; the hub signer; and the
// transparency log, seal, type and certificate registries over one pool. The clock is the real
// time plus an offset the test may move forward.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "support/test_db.h"
#include "tongban/certs/certificate_registry.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/common/db_pool.h"

namespace tongban::certs::testing {

inline constexpr const char* kSamr = "11110000MB01832653";      // 北京市市场监督管理局
inline constexpr const char* kPolice = "11110000MB1A2B3CX2";    // 北京市公安局
inline constexpr const char* kCivil = "11110108MB1E56789W";     // 北京市海淀区民政局
inline constexpr const char* kFuzhou = "11350100MB0K12341E";    // 福州市市场监督管理局
inline constexpr const char* kTsinghua = "12100000400000624D";  // 清华大学
inline constexpr const char* kLand = "11440300MB2C90119F";      // 深圳市规划和自然资源局

inline constexpr const char* kBusinessLicence = "11100000MB0143028R001";
inline constexpr const char* kFoodLicence = "11100000MB0143028R002";
inline constexpr const char* kIdCard = "11100000000013338W001";
inline constexpr const char* kMarriage = "111000000000134346001";
inline constexpr const char* kRealEstate = "11100000MB196707X7001";
inline constexpr const char* kDegree = "11100000000012802C001";

inline constexpr const char* kZhangWei = "110108199003070016";    // man, 1990-03-07
inline constexpr const char* kLiNa = "110108199208150028";        // woman, 1992-08-15
inline constexpr const char* kWangFang = "11010519491231002X";    // woman, 1949-12-31
inline constexpr const char* kZhaoQiang = "110108198501010038";   // deceased
inline constexpr const char* kRestaurant = "91110108MA01ABCD5T";  // in business
inline constexpr const char* kDefunct = "91110108MA02WXY85U";     // deregistered

// A PNG header (signature, IHDR, IEND) of `width` x `height` pixels padded to `size` bytes.
std::string pngPicture(uint32_t width = 400, uint32_t height = 400, size_t size = 0);

class Hub {
 public:
  explicit Hub(const std::string& tag, size_t pool_size = 8);
  ~Hub();

  // A seal of `owner` with its key and certificate; the test fails if it cannot be made.
  Seal makeSeal(const std::string& owner, SignatureAlgorithm algorithm,
                const std::string& name = "证照专用章", int validity_days = 365);

  // A valid issuance request of a business licence for kRestaurant by kSamr with `seal_id`.
  IssueRequest businessLicence(const std::string& seal_id, const std::string& key) const;

  // Moves the clock forward.
  void advance(std::chrono::seconds by) { offset_seconds_ += by.count(); }
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::now() + std::chrono::seconds(offset_seconds_.load());
  }
  void exec(const std::string& sql);

  tongban::testing::TestDatabase db;
  std::string dir;  // temporary directory (keys, exported files)
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<PemKeyStore> key_store;
  EvpPkeyPtr root_key;
  X509Ptr root;
  std::string root_pem;
  HubIdentity hub;
  std::unique_ptr<TransparencyLog> log;
  std::unique_ptr<CertificateTypeRegistry> types;
  std::unique_ptr<SealRegistry> seals;
  std::unique_ptr<CertificateRegistry> certs;

 private:
  std::atomic<int64_t> offset_seconds_{0};
};

}  // namespace tongban::certs::testing
