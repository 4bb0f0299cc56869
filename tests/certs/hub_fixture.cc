#include "hub_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace tongban::certs::testing {

std::string pngPicture(uint32_t width, uint32_t height, size_t size) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  auto be32 = [&png](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      png.push_back(static_cast<char>((v >> shift) & 0xFF));
  };
  be32(13);
  png += "IHDR";
  be32(width);
  be32(height);
  png += std::string("\x08\x06\x00\x00\x00", 5);
  be32(0);  // CRC: not checked by the hub
  be32(0);
  png += "IEND";
  be32(0xAE426082);
  if (png.size() < size) png.append(size - png.size(), '\0');
  return png;
}

Hub::Hub(const std::string& tag, size_t pool_size) : db(tag) {
  db.migrate();
  std::string pattern = "/tmp/tongban_certs_" + tag + "_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir = pattern;
  pool = std::make_unique<db::ConnectionPool>(
      db::PoolOptions{db.conninfo(), pool_size, std::chrono::milliseconds(10000), nullptr});
  exec(std::string("INSERT INTO directory.departments (code, name, region_code, created_by) VALUES "
                   "('") +
       kSamr + "', '北京市市场监督管理局', '110000', 'test'), ('" + kPolice +
       "', '北京市公安局', '110000', 'test'), ('" + kCivil +
       "', '北京市海淀区民政局', '110108', 'test'), ('" + kFuzhou +
       "', '福州市市场监督管理局', '350100', 'test'), ('" + kTsinghua +
       "', '清华大学', '110108', 'test'), ('" + kLand +
       "', '深圳市规划和自然资源局', '440300', 'test')");
  exec(
      std::string("INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, "
                  "address, status) VALUES ('") +
      kZhangWei +
      "', '张伟', 'M', '1990-03-07', '110108', '北京市海淀区中关村大街1号', 'living'), ('" + kLiNa +
      "', '李娜', 'F', '1992-08-15', '110108', '北京市海淀区中关村大街1号', 'living'), ('" +
      kWangFang + "', '王芳', 'F', '1949-12-31', '110105', '北京市朝阳区建国路2号', 'living'), ('" +
      kZhaoQiang + "', '赵强', 'M', '1985-01-01', '110108', '北京市海淀区学院路3号', 'deceased')");
  exec(
      std::string("INSERT INTO legal_entity.entities (credit_code, name, entity_type, "
                  "legal_rep_citizen_id, registered_capital, established_on, region_code, address, "
                  "status, business_scope) VALUES ('") +
      kRestaurant + "', '北京智慧餐饮管理有限公司', 'llc', '" + kZhangWei +
      "', 1000000, '2020-05-20', '110108', '北京市海淀区知春路8号', 'in_business', '餐饮服务'), "
      "('" +
      kDefunct + "', '北京旧日贸易有限公司', 'llc', '" + kLiNa +
      "', 500000, '2015-01-10', '110108', '北京市海淀区知春路9号', 'deregistered', '贸易')");
  exec(std::string("INSERT INTO certs.type_issuers VALUES ('") + kBusinessLicence + "', '" + kSamr +
       "'), ('" + kFoodLicence + "', '" + kSamr + "'), ('" + kIdCard + "', '" + kPolice + "'), ('" +
       kMarriage + "', '" + kCivil + "'), ('" + kRealEstate + "', '" + kLand + "'), ('" + kDegree +
       "', '" + kTsinghua + "'), ('" + kBusinessLicence + "', '" + kFuzhou + "')");
  // These tests issue many business licences to kRestaurant; the uniqueness of a type per
  // holder (0008) is tested on its own (CertsUnique), which turns it back on.
  exec("UPDATE certs.certificate_types SET unique_per_holder = false");

  // PKI: ECDSA root -> seal CA (EKU seal) -> seal certificates; the log and status signers
  // issued by the root with their roles.
  key_store = std::move(*PemKeyStore::open(dir + "/keys", "test-passphrase"));
  const std::time_t t = std::time(nullptr);
  root_key = std::move(*generateKey(SignatureAlgorithm::kEcdsaP256Sha256));
  root =
      std::move(*createRootCertificate(root_key.get(), {"Tongban Root CA", "Tongban", "", "CN", ""},
                                       {t - 86400, t + 20 * 365 * 86400LL}));
  root_pem = *certificatePem(root.get());
  EXPECT_TRUE(key_store->generateKey("hub-ca", SignatureAlgorithm::kEcdsaP256Sha256));
  hub.ca_key = std::move(*key_store->loadPrivateKey("hub-ca"));
  auto ca_public = parsePublicKeyPem(*key_store->publicKeyPem("hub-ca"));
  hub.ca_certificate = std::move(*issueCertificate(
      root_key.get(), root.get(), ca_public->get(), {"Tongban Seal CA", "Tongban", "", "CN", ""},
      {t - 86400, t + 10 * 365 * 86400LL}, CertificateKind::kIntermediateCa, KeyRole::kSeal));
  hub.chain_pem = {*certificatePem(hub.ca_certificate.get()), root_pem};
  auto roleSigner = [&](const char* key_id, const char* name, KeyRole role) {
    EXPECT_TRUE(key_store->generateKey(key_id, SignatureAlgorithm::kEcdsaP256Sha256));
    auto key_public = parsePublicKeyPem(*key_store->publicKeyPem(key_id));
    auto certificate = issueCertificate(
        root_key.get(), root.get(), key_public->get(), {name, "Tongban", "", "CN", ""},
        {t - 86400, t + 5 * 365 * 86400LL}, CertificateKind::kSeal, role);
    EXPECT_TRUE(key_store->storeCertificate(key_id, *certificatePem(certificate->get())));
    return std::shared_ptr<const Signer>(std::move(*key_store->signer(key_id)));
  };
  hub.hub_signer = roleSigner("hub-log", "Tongban Transparency Log", KeyRole::kTransparencyLog);
  hub.status_signer = roleSigner("hub-status", "Tongban Status", KeyRole::kStatus);

  Clock clock = [this] { return now(); };
  log = std::make_unique<TransparencyLog>(*pool, hub.hub_signer, clock);
  types = std::make_unique<CertificateTypeRegistry>(*pool);
  seals = std::make_unique<SealRegistry>(*pool, *key_store, hub, clock);
  certs = std::make_unique<CertificateRegistry>(*pool, *types, *seals, *log, hub, clock);
}

Hub::~Hub() {
  certs.reset();
  seals.reset();
  types.reset();
  log.reset();
  pool.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

void Hub::exec(const std::string& sql) {
  pqxx::connection conn(db.conninfo());
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

Seal Hub::makeSeal(const std::string& owner, SignatureAlgorithm algorithm, const std::string& name,
                   int validity_days) {
  SealRequest request;
  request.owner_code = owner;
  request.name = name;
  request.kind = SealKind::kCertificate;
  request.algorithm = algorithm;
  request.picture_png = pngPicture();
  request.validity_days = validity_days;
  request.actor = "admin";
  Result<Seal> seal = seals->create(request);
  EXPECT_TRUE(seal) << seal.status().toString();
  return seal ? *seal : Seal();
}

IssueRequest Hub::businessLicence(const std::string& seal_id, const std::string& key) const {
  IssueRequest r;
  r.issuer_code = kSamr;
  r.idempotency_key = key;
  r.type_code = kBusinessLicence;
  r.seal_id = seal_id;
  r.holder_code = kRestaurant;
  r.holder_name = "北京智慧餐饮管理有限公司";
  r.surface_json =
      std::string(R"({"name":"北京智慧餐饮管理有限公司","credit_code":")") + kRestaurant +
      R"(","entity_type":"有限责任公司","legal_representative":"张伟",)"
      R"("registered_capital":"100万元","established_on":"2020-05-20",)"
      R"("business_term_from":"2020-05-20","address":"北京市海淀区知春路8号",)"
      R"("business_scope":"餐饮服务；食品销售","registration_authority":"北京市海淀区市场监督管理局"})";
  r.actor = "app_0123456789abcdef";
  return r;
}

}  // namespace tongban::certs::testing
