// tongban-admin pki: the hub's PKI directory (certs/hub_pki.h).
//
// The PKI directory and its passphrase come from the configuration only (pki.dir / pki.passphrase,
// or TONGBAN_PKI_DIR / TONGBAN_PKI_PASSPHRASE): a passphrase on the command line would show in
// `ps` and in shell history. `pki init --dir` may name the directory. The seal and type commands
// are in seal_cmd.cc and type_cmd.cc.
//
// Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr), 2 usage.
#include <chrono>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>

#include <openssl/x509.h>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/common/crypto.h"
#include "tongban/common/json_writer.h"
#include "tongban/common/time_format.h"

namespace tongban::admin {
namespace {

const char kPkiUsage[] =
    "usage: tongban-admin pki init [--dir DIR] [--root-algorithm ECDSA-P256-SHA256|SM2-SM3]\n"
    "                              [--config FILE]\n"
    "       tongban-admin pki show [--dir DIR] [--config FILE]\n"
    "\n"
    "  init  creates the hub's PKI in DIR: an encrypted key store (DIR/keys), a self-signed root\n"
    "        CA valid 20 years (DIR/root.pem) and, issued by it, one key per role: the seal CA\n"
    "        (DIR/seal-ca.pem), the transparency-log signer (DIR/hub.pem), the status signer\n"
    "        (DIR/status.pem), the audit checkpoint signer (DIR/audit.pem) and the\n"
    "        verification receipt signer (DIR/verification.pem).\n"
    "        Refuses a directory that already holds a PKI. Prints the root's SHA-256\n"
    "        fingerprint: give root.pem to verifiers and have them compare it. The exchange\n"
    "        never loads the root's key (DIR/keys/root-ca.key.pem): move it offline.\n"
    "  show  loads the PKI as the exchange does (checking the passphrase and every role) and\n"
    "        prints the same.\n"
    "\n"
    "DIR defaults to pki.dir from --config FILE (or TONGBAN_PKI_DIR). The passphrase is\n"
    "pki.passphrase (or TONGBAN_PKI_PASSPHRASE), never a command-line argument. The root is\n"
    "ECDSA P-256 unless --root-algorithm SM2-SM3 (an SM2-rooted chain needs `openssl verify\n"
    "-vfyopt distid:1234567812345678`).\n";

// "AB:CD:..." over the certificate's DER, as `openssl x509 -noout -fingerprint -sha256` prints it.
std::string fingerprintSha256(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0) return "";
  const std::string digest = sha256(std::string(reinterpret_cast<char*>(der), length));
  OPENSSL_free(der);
  std::ostringstream hex;
  hex << std::hex << std::uppercase << std::setfill('0');
  for (size_t i = 0; i < digest.size(); ++i) {
    if (i) hex << ':';
    hex << std::setw(2) << static_cast<int>(static_cast<unsigned char>(digest[i]));
  }
  return hex.str();
}

std::string subjectText(X509* certificate) {
  char buffer[512] = {};
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer, sizeof buffer);
  return buffer;
}

std::string notAfterText(X509* certificate) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &tm) != 1) return "";
  return formatRfc3339Seconds(std::chrono::system_clock::from_time_t(timegm(&tm)));
}

void printPki(std::ostream& out, const std::string& dir, const certs::HubIdentity& hub) {
  const certs::HubPkiPaths paths = certs::hubPkiPaths(dir);
  Result<certs::X509Ptr> hub_certificate =
      certs::parseCertificatePem(hub.hub_signer->certificatePem());
  Result<certs::X509Ptr> root = certs::parseCertificatePem(hub.chain_pem.back());
  if (!root) {
    out << json::object([&](json::Writer& w) { json::str(w, "dir", dir); }) << "\n";
    return;
  }
  Result<certs::SignatureAlgorithm> root_algorithm =
      certs::algorithmOfKey(X509_get0_pubkey(root->get()));
  out << json::object([&](json::Writer& w) {
    json::str(w, "dir", dir);
    json::str(w, "root_certificate", paths.root_certificate);
    json::str(w, "hub_certificate", paths.hub_certificate);
    json::str(w, "seal_ca_certificate", paths.seal_ca_certificate);
    json::str(w, "status_certificate", paths.status_certificate);
    json::str(w, "audit_certificate", paths.audit_certificate);
    json::str(w, "verification_certificate", paths.verification_certificate);
    json::str(w, "key_dir", paths.key_dir);
    json::str(w, "offline_root_key", paths.root_key);
    json::str(w, "root_algorithm",
              root_algorithm ? certs::algorithmName(*root_algorithm) : "unknown");
    json::str(w, "root_subject", subjectText(root->get()));
    json::str(w, "root_serial", certs::serialHex(root->get()));
    json::str(w, "root_not_after", notAfterText(root->get()));
    json::str(w, "root_fingerprint_sha256", fingerprintSha256(root->get()));
    json::str(w, "seal_ca_subject", subjectText(hub.ca_certificate.get()));
    json::str(w, "key_role_arc", certs::kTongbanOidArc);
    json::str(w, "hub_signer_algorithm", certs::algorithmName(hub.hub_signer->algorithm()));
    if (hub_certificate) {
      json::str(w, "hub_signer_subject", subjectText(hub_certificate->get()));
      json::str(w, "hub_signer_not_after", notAfterText(hub_certificate->get()));
      json::str(w, "hub_signer_fingerprint_sha256", fingerprintSha256(hub_certificate->get()));
    }
  }) << "\n";
}

}  // namespace

int runPki(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--dir", "--root-algorithm", "--config"}, {"--help"});
  if (!args || args->has("--help") || args->positional.size() != 1) {
    return commandUsage(args, "pki", kPkiUsage, out, err);
  }
  const std::string verb = args->positional[0];
  if (verb != "init" && verb != "show") return commandUsage(args, "pki", kPkiUsage, out, err);
  const std::string cmd = "pki " + verb;
  certs::HubPkiOptions options;
  if (args->has("--root-algorithm")) {
    if (verb != "init") return commandUsage(args, "pki", kPkiUsage, out, err);
    Result<certs::SignatureAlgorithm> algorithm =
        certs::parseAlgorithm(args->get("--root-algorithm"));
    if (!algorithm) {
      err << "tongban-admin " << cmd << ": --root-algorithm must be ECDSA-P256-SHA256 or SM2-SM3\n";
      return 2;
    }
    options.root_algorithm = *algorithm;
  }
  Result<PkiSettings> pki = pkiSettings(*args, "--dir");
  if (!pki) {
    err << "tongban-admin " << cmd << ": " << pki.status().toString() << "\n";
    return 2;
  }
  if (verb == "init") {
    if (Status s = certs::initHubPki(pki->dir, pki->passphrase, options); !s) {
      return commandFailed(cmd.c_str(), s, err);
    }
  }
  Result<certs::HubIdentity> hub = certs::loadHubIdentity(pki->dir, pki->passphrase);
  if (!hub) return commandFailed(cmd.c_str(), hub.status(), err);
  printPki(out, pki->dir, *hub);
  if (verb == "init") {
    err << "PKI created in " << pki->dir
        << ".\nBack up the whole directory now, and again after every new seal; keep the\n"
           "passphrase apart from the backup: without both, the keys cannot be recovered.\n"
           "Give root.pem to verifiers with the fingerprint above.\n";
  }
  return 0;
}

}  // namespace tongban::admin
