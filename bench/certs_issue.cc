// Certificate issuance throughput (stored, logged, in one transaction each) per algorithm, beside
// the raw signing rate of the same key type (an EVP_DigestSign loop, what `openssl speed` measures)
// in the same run.
//
//   certs_issue CONNINFO [CERTIFICATES_PER_ALGORITHM=2000] [THREADS=4]
//
// CONNINFO names a PostgreSQL cluster where the benchmark may create (and drop) a database
// (deploy/pg.sh start DIR prints one). Prints one line per algorithm.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include <unistd.h>

#include "tongban/certs/certificate_registry.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/common/migrations.h"

using namespace tongban;
using namespace tongban::certs;
using Steady = std::chrono::steady_clock;

namespace {

constexpr const char* kIssuer = "11110000MB01832653";
constexpr const char* kHolder = "91110108MA01ABCD5T";

double rawSignsPerSecond(SignatureAlgorithm algorithm, double seconds) {
  EvpPkeyPtr key = std::move(*generateKey(algorithm));
  const std::string data(600, 'x');  // about a payload's size
  const auto start = Steady::now();
  size_t n = 0;
  while (std::chrono::duration<double>(Steady::now() - start).count() < seconds) {
    for (int i = 0; i < 50; ++i) (void)signWithKey(key.get(), algorithm, data).value();
    n += 50;
  }
  return n / std::chrono::duration<double>(Steady::now() - start).count();
}

std::string png() {
  std::string p("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x90\0\0\x01\x90\x08\x06\0\0\0\0\0\0\0",
                33);
  return p;
}

void exec(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  tx.exec(sql);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: certs_issue CONNINFO [CERTIFICATES_PER_ALGORITHM] [THREADS]\n";
    return 2;
  }
  const std::string cluster = argv[1];
  const int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 4;
  const std::string dbname = "bench_certs_" + std::to_string(::getpid());
  exec(cluster, "CREATE DATABASE " + dbname);
  const std::string conninfo = cluster.substr(0, cluster.find("dbname=")) + "dbname=" + dbname;
  {
    pqxx::connection conn(conninfo);
    if (!db::migrate(conn)) return 1;
  }
  exec(conninfo, std::string("INSERT INTO exchange.departments VALUES ('") + kIssuer +
                     "', '北京市市场监督管理局', '110000', now(), 'bench');"
                     "INSERT INTO legal_entity.entities (credit_code, name, entity_type, "
                     "legal_rep_citizen_id, established_on, region_code, address, business_scope) "
                     "VALUES ('" +
                     kHolder +
                     "', '北京智慧餐饮管理有限公司', 'llc', "
                     "'110108199003070016', '2020-05-20', '110108', '北京', '餐饮');"
                     "INSERT INTO certs.type_issuers VALUES ('11100000MB0143028R001', '" +
                     kIssuer + "')");

  const std::string dir = "/tmp/tongban_bench_certs_" + std::to_string(::getpid());
  auto store = std::move(*PemKeyStore::open(dir, "bench-passphrase"));
  const std::time_t t = std::time(nullptr);
  HubIdentity hub;
  EvpPkeyPtr root_key = std::move(*generateKey(SignatureAlgorithm::kEcdsaP256Sha256));
  hub.ca_certificate = std::move(*createRootCertificate(
      root_key.get(), {"Bench Root", "", "", "CN", ""}, {t - 86400, t + 3650 * 86400LL}));
  hub.chain_pem = {*certificatePem(hub.ca_certificate.get())};
  (void)store->importKey("root", root_key.get());
  hub.ca_key = std::move(root_key);
  (void)store->generateKey("log", SignatureAlgorithm::kEcdsaP256Sha256);
  auto log_public = parsePublicKeyPem(*store->publicKeyPem("log"));
  (void)store->storeCertificate(
      "log",
      *certificatePem(issueCertificate(hub.ca_key.get(), hub.ca_certificate.get(),
                                       log_public->get(), {"Bench Log", "", "", "CN", ""},
                                       {t - 86400, t + 3650 * 86400LL}, CertificateKind::kSeal)
                          ->get()));
  hub.hub_signer = std::move(*store->signer("log"));

  db::ConnectionPool pool(
      {conninfo, static_cast<size_t>(threads + 2), std::chrono::seconds(30), nullptr});
  TransparencyLog log(pool, hub.hub_signer);
  CertificateTypeRegistry types(pool);
  SealRegistry seals(pool, *store, hub);
  CertificateRegistry registry(pool, types, seals, log, hub);

  std::printf(
      "certs_issue: %d certificates per algorithm, %d threads, one transaction each "
      "(synchronous_commit as configured)\n",
      count, threads);
  for (SignatureAlgorithm algorithm :
       {SignatureAlgorithm::kEcdsaP256Sha256, SignatureAlgorithm::kSm2Sm3}) {
    SealRequest sr;
    sr.owner_code = kIssuer;
    sr.name = "证照专用章";
    sr.algorithm = algorithm;
    sr.picture_png = png();
    sr.actor = "bench";
    Seal seal = std::move(*seals.create(sr));
    std::atomic<int> next{0}, failures{0};
    auto issueOne = [&](int i) {
      IssueRequest r;
      r.issuer_code = kIssuer;
      r.idempotency_key = std::string(algorithmName(algorithm)) + "-" + std::to_string(i);
      r.type_code = "11100000MB0143028R001";
      r.seal_id = seal.seal_id;
      r.holder_code = kHolder;
      r.holder_name = "北京智慧餐饮管理有限公司";
      r.surface_json =
          std::string(R"({"name":"北京智慧餐饮管理有限公司","credit_code":")") + kHolder +
          R"(","entity_type":"有限责任公司","legal_representative":"张伟",)"
          R"("registered_capital":"100万元","established_on":"2020-05-20",)"
          R"("business_term_from":"2020-05-20","address":"北京市海淀区知春路8号",)"
          R"("business_scope":"餐饮服务；食品销售","registration_authority":"北京市海淀区市场监督管理局"})";
      r.actor = "bench";
      if (!registry.issue(r)) ++failures;
    };
    issueOne(-1);  // warm: the seal's signer is decrypted once and cached
    const auto start = Steady::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
      workers.emplace_back([&] {
        for (int i = next++; i < count; i = next++) issueOne(i);
      });
    }
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    const double raw = rawSignsPerSecond(algorithm, 2.0);
    std::printf(
        "%-18s issued %6.0f/s (%d in %.2f s, %d failed) | raw EVP sign, 1 thread %7.0f/s | ratio "
        "%.2f\n",
        algorithmName(algorithm), count / seconds, count, seconds, failures.load(), raw,
        count / seconds / raw);
  }
  std::filesystem::remove_all(dir);
  exec(cluster, "DROP DATABASE " + dbname + " WITH (FORCE)");
  return 0;
}
