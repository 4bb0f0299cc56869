// Certificate issuance throughput (durably stored and logged: fsync as the cluster is configured)
// per algorithm and number of concurrent issuers, beside the raw signing rate of the same key
// type in the same run (an EVP_DigestSign loop on one thread, and `openssl speed` parsed), and
// where the time goes: request-thread CPU (preparation, signing), the group commit's phases
// (sequencer wall time per batch), and the whole process's CPU per certificate.
//
//   certs_issue CONNINFO [CERTIFICATES_PER_RUN=2000] [THREADS=1,4,16,64]
//
// CONNINFO names a PostgreSQL cluster where the benchmark may create (and drop) a database
// (deploy/pg.sh start DIR prints one). TONGBAN_BENCH_NO_OPENSSL_SPEED=1 skips `openssl speed`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include <sys/resource.h>
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

// sign/s of `openssl speed -seconds 3 NAME` (its last line's sign/s column), 0 if unavailable.
double opensslSpeed(const char* name) {
  if (std::getenv("TONGBAN_BENCH_NO_OPENSSL_SPEED")) return 0;
  const std::string command = std::string("openssl speed -seconds 3 ") + name + " 2>/dev/null";
  FILE* f = popen(command.c_str(), "r");
  if (!f) return 0;
  char line[512];
  std::string last;
  while (std::fgets(line, sizeof line, f)) {
    if (std::string(line).find("bits") != std::string::npos) last = line;
  }
  pclose(f);
  // " 256 bits ecdsa (nistp256)   0.0000s   0.0000s  67290.0  23230.3"
  std::istringstream in(last.substr(last.find(')') == std::string::npos ? 0 : last.find(')') + 1));
  std::string sign_time, verify_time;
  double sign_per_s = 0;
  in >> sign_time >> verify_time >> sign_per_s;
  return sign_per_s;
}

double processCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<int> parseThreads(const char* text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (std::atoi(item.c_str()) > 0) out.push_back(std::atoi(item.c_str()));
  }
  return out;
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
    std::cerr << "usage: certs_issue CONNINFO [CERTIFICATES_PER_RUN] [THREADS,...]\n";
    return 2;
  }
  const std::string cluster = argv[1];
  const int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  const std::vector<int> thread_counts = parseThreads(argc > 3 ? argv[3] : "1,4,16,64");
  if (thread_counts.empty()) return 2;
  const int max_threads = *std::max_element(thread_counts.begin(), thread_counts.end());
  const std::string dbname = "bench_certs_" + std::to_string(::getpid());
  exec(cluster, "CREATE DATABASE " + dbname);
  const std::string conninfo = cluster.substr(0, cluster.find("dbname=")) + "dbname=" + dbname;
  {
    pqxx::connection conn(conninfo);
    if (!db::migrate(conn)) return 1;
  }
  exec(conninfo, std::string("INSERT INTO directory.departments VALUES ('") + kIssuer +
                     "', '北京市市场监督管理局', '110000', now(), 'bench');"
                     "INSERT INTO legal_entity.entities (credit_code, name, entity_type, "
                     "legal_rep_citizen_id, established_on, region_code, address, business_scope) "
                     "VALUES ('" +
                     kHolder +
                     "', '北京智慧餐饮管理有限公司', 'llc', "
                     "'110108199003070016', '2020-05-20', '110108', '北京', '餐饮');"
                     "INSERT INTO certs.type_issuers VALUES ('11100000MB0143028R001', '" +
                     kIssuer +
                     "');"
                     // Every issuance here goes to one company; a licence is unique per holder.
                     "UPDATE certs.certificate_types SET unique_per_holder = false "
                     "WHERE code = '11100000MB0143028R001'");

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
  hub.status_signer = hub.hub_signer;  // roles are not checked here

  db::ConnectionPool pool(
      {conninfo, static_cast<size_t>(max_threads + 2), std::chrono::seconds(30), nullptr});
  TransparencyLog log(pool, hub.hub_signer);
  CertificateTypeRegistry types(pool);
  SealRegistry seals(pool, *store, hub);
  CertificateRegistry registry(pool, types, seals, log, hub);

  std::printf(
      "certs_issue: %d certificates per run, each durably committed with its log leaf, event and "
      "change row (fsync=%s, synchronous_commit=%s); %u cores\n",
      count, pqxx::nontransaction(*pool.acquire().value()).exec1("SHOW fsync")[0].c_str(),
      pqxx::nontransaction(*pool.acquire().value()).exec1("SHOW synchronous_commit")[0].c_str(),
      std::thread::hardware_concurrency());
  int round = 0;
  for (SignatureAlgorithm algorithm :
       {SignatureAlgorithm::kEcdsaP256Sha256, SignatureAlgorithm::kSm2Sm3}) {
    SealRequest sr;
    sr.owner_code = kIssuer;
    sr.name = "证照专用章";
    sr.algorithm = algorithm;
    sr.picture_png = png();
    sr.actor = "bench";
    Seal seal = std::move(*seals.create(sr));
    const double raw = rawSignsPerSecond(algorithm, 2.0);
    const double speed =
        opensslSpeed(algorithm == SignatureAlgorithm::kSm2Sm3 ? "sm2" : "ecdsap256");
    std::printf(
        "\n%s: raw EVP sign, 1 thread %.0f/s; openssl speed sign %.0f/s (one core); aim = half "
        "of that = %.0f/s\n",
        algorithmName(algorithm), raw, speed, (speed > 0 ? speed : raw) / 2);
    std::printf(
        "  issuers  issued/s  vs-speed | per certificate, us: prepare-cpu sign-cpu proc-cpu | "
        "batches avg-batch | per batch, ms: lookup sign-wait write commit idle\n");
    for (int threads : thread_counts) {
      ++round;
      std::atomic<int> next{0}, failures{0};
      auto issueOne = [&](int i) {
        IssueRequest r;
        r.issuer_code = kIssuer;
        r.idempotency_key = std::string(algorithmName(algorithm)) + "-" + std::to_string(round) +
                            "-" + std::to_string(i);
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
      const IssuanceStats before = registry.issuanceStats();
      const double cpu_before = processCpuSeconds();
      const auto start = Steady::now();
      std::vector<std::thread> workers;
      for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&] {
          for (int i = next++; i < count; i = next++) issueOne(i);
        });
      }
      for (auto& w : workers) w.join();
      const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
      const double cpu = processCpuSeconds() - cpu_before;
      const IssuanceStats after = registry.issuanceStats();
      const double issued = static_cast<double>(after.issued - before.issued);
      const double batches = static_cast<double>(after.batches - before.batches);
      auto perBatchMs = [&](uint64_t IssuanceStats::*field) {
        return batches > 0 ? (after.*field - before.*field) / batches / 1000.0 : 0.0;
      };
      const double busy_ms =
          perBatchMs(&IssuanceStats::lookup_us) + perBatchMs(&IssuanceStats::sign_wait_us) +
          perBatchMs(&IssuanceStats::write_us) + perBatchMs(&IssuanceStats::commit_us);
      std::printf(
          "  %7d  %8.0f  %8.3f | %11.1f %8.1f %8.1f | %7.0f %9.1f | %14.2f %9.2f %5.2f %6.2f "
          "%4.2f%s\n",
          threads, count / seconds, count / seconds / (speed > 0 ? speed : raw),
          (after.prepare_cpu_us - before.prepare_cpu_us) / issued,
          (after.sign_cpu_us - before.sign_cpu_us) / issued, cpu * 1e6 / count, batches,
          issued / batches, perBatchMs(&IssuanceStats::lookup_us),
          perBatchMs(&IssuanceStats::sign_wait_us), perBatchMs(&IssuanceStats::write_us),
          perBatchMs(&IssuanceStats::commit_us),
          batches > 0 ? std::max(0.0, seconds * 1000 / batches - busy_ms) : 0.0,
          failures.load() ? (" FAILED " + std::to_string(failures.load())).c_str() : "");
    }
  }
  std::filesystem::remove_all(dir);
  exec(cluster, "DROP DATABASE " + dbname + " WITH (FORCE)");
  return 0;
}
