// tongban-admin pki | seal | type: the hub's PKI directory (certs/hub_pki.h), departments'
// electronic seals (电子印章, certs::SealRegistry) and certificate types (证照类型,
// certs::CertificateTypeRegistry).
//
// The PKI directory and its passphrase come from the configuration only (pki.dir / pki.passphrase,
// or TONGBAN_PKI_DIR / TONGBAN_PKI_PASSPHRASE): a passphrase on the command line would show in
// `ps` and in shell history. `pki init --dir` may name the directory. Creating a seal needs the
// PKI (its certificate is issued by the seal CA, its record signed by the log key); listing seals
// and changing their status need only the database, so that an administrator can suspend or
// revoke a compromised seal from any machine that reaches the database.
//
// Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr), 2 usage.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <openssl/x509.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <pqxx/pqxx>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/crypto.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/json.h"
#include "tongban/common/log.h"

namespace tongban::admin {
namespace {

const char kOutputHelp[] =
    "Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr),\n"
    "2 usage.\n";

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

const char kSealUsage[] =
    "usage: tongban-admin seal create --department CODE --name NAME --kind KIND\n"
    "                                 --algorithm SM2-SM3|ECDSA-P256-SHA256 --picture FILE.png\n"
    "                                 --width-mm W --height-mm H [--valid-days N]\n"
    "       tongban-admin seal list [--department CODE]\n"
    "       tongban-admin seal suspend SEAL_ID [--reason TEXT]\n"
    "       tongban-admin seal resume SEAL_ID\n"
    "       tongban-admin seal revoke SEAL_ID [--reason TEXT]      (final)\n"
    "  options: [--db CONNINFO | --config FILE]\n"
    "\n"
    "KIND: official (公章), business (业务专用章), contract, finance, certificate (证照专用章),\n"
    "legal_rep. The picture: a PNG of at most 256 KiB and 2048x2048 pixels, 10..100 mm a side.\n"
    "--valid-days: 1..3650, default 1095. `create` needs the PKI (pki.dir, pki.passphrase).\n"
    "Database: --db CONNINFO, else database.url from --config FILE, else TONGBAN_DATABASE_URL.\n";

const char kTypeUsage[] =
    "usage: tongban-admin type list\n"
    "       tongban-admin type show CODE\n"
    "       tongban-admin type authorize TYPE_CODE DEPARTMENT_CODE\n"
    "  options: [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list       every certificate type and the departments that may issue it\n"
    "  show       one type with its surface schema\n"
    "  authorize  lets a department issue a type (certs.type_issuers)\n"
    "Database: --db CONNINFO, else database.url from --config FILE, else TONGBAN_DATABASE_URL.\n";

std::string q(const std::string& s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

// Prints the usage to `out` for --help (exit 0) or to `err` otherwise (exit 2), after the parse
// error if there was one.
int usage(const Result<ParsedArgs>& args, const char* cmd, const char* text, std::ostream& out,
          std::ostream& err) {
  if (!args) err << "tongban-admin " << cmd << ": " << args.status().message() << "\n";
  const bool help = args && args->has("--help");
  (help ? out : err) << text << kOutputHelp;
  return help ? 0 : 2;
}

int fail(const char* cmd, const Status& status, std::ostream& err) {
  err << "tongban-admin " << cmd << ": " << status.toString() << "\n";
  return 1;
}

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
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// The PKI directory and passphrase: `dir_flag` (when given) or pki.dir, and pki.passphrase.
struct PkiSettings {
  std::string dir;
  std::string passphrase;
};

Result<PkiSettings> pkiSettings(const ParsedArgs& args, const std::string& dir_flag) {
  auto config = loadConfig(args);
  if (!config) return config.status();
  PkiSettings s;
  s.dir =
      !dir_flag.empty() && args.has(dir_flag) ? args.get(dir_flag) : config->getString("pki.dir");
  auto passphrase = config->getSecret("pki.passphrase");
  if (!passphrase) return passphrase.status();
  s.passphrase = std::move(*passphrase);
  if (s.dir.empty()) {
    return Status::invalid("pki.dir",
                           "no PKI directory: give --dir DIR, or set pki.dir in --config "
                           "FILE or " +
                               Config::envName("pki.dir"));
  }
  if (s.passphrase.empty()) {
    return Status::invalid("pki.passphrase",
                           "no PKI passphrase: set pki.passphrase_file (or pki.passphrase) in "
                           "--config FILE, or " +
                               Config::envName("pki.passphrase") +
                               " (an empty passphrase is refused)");
  }
  return s;
}

void printPki(std::ostream& out, const std::string& dir, const certs::HubIdentity& hub) {
  const certs::HubPkiPaths paths = certs::hubPkiPaths(dir);
  Result<certs::X509Ptr> hub_certificate =
      certs::parseCertificatePem(hub.hub_signer->certificatePem());
  Result<certs::X509Ptr> root = certs::parseCertificatePem(hub.chain_pem.back());
  if (!root) {
    out << "{\"dir\":" << q(dir) << "}\n";
    return;
  }
  Result<certs::SignatureAlgorithm> root_algorithm =
      certs::algorithmOfKey(X509_get0_pubkey(root->get()));
  out << "{\"dir\":" << q(dir) << ",\"root_certificate\":" << q(paths.root_certificate)
      << ",\"hub_certificate\":" << q(paths.hub_certificate)
      << ",\"seal_ca_certificate\":" << q(paths.seal_ca_certificate)
      << ",\"status_certificate\":" << q(paths.status_certificate)
      << ",\"audit_certificate\":" << q(paths.audit_certificate)
      << ",\"verification_certificate\":" << q(paths.verification_certificate)
      << ",\"key_dir\":" << q(paths.key_dir) << ",\"offline_root_key\":" << q(paths.root_key)
      << ",\"root_algorithm\":"
      << q(root_algorithm ? certs::algorithmName(*root_algorithm) : "unknown")
      << ",\"root_subject\":" << q(subjectText(root->get()))
      << ",\"root_serial\":" << q(certs::serialHex(root->get()))
      << ",\"root_not_after\":" << q(notAfterText(root->get()))
      << ",\"root_fingerprint_sha256\":" << q(fingerprintSha256(root->get()))
      << ",\"seal_ca_subject\":" << q(subjectText(hub.ca_certificate.get()))
      << ",\"key_role_arc\":" << q(certs::kTongbanOidArc)
      << ",\"hub_signer_algorithm\":" << q(certs::algorithmName(hub.hub_signer->algorithm()));
  if (hub_certificate) {
    out << ",\"hub_signer_subject\":" << q(subjectText(hub_certificate->get()))
        << ",\"hub_signer_not_after\":" << q(notAfterText(hub_certificate->get()))
        << ",\"hub_signer_fingerprint_sha256\":" << q(fingerprintSha256(hub_certificate->get()));
  }
  out << "}\n";
}

// ---- seals

void printSeal(std::ostream& out, const certs::Seal& seal) {
  Result<certs::X509Ptr> certificate = certs::parseCertificatePem(seal.certificate_pem);
  std::ostringstream mm;
  mm << ",\"width_mm\":" << seal.width_mm << ",\"height_mm\":" << seal.height_mm;
  out << "{\"seal_id\":" << q(seal.seal_id) << ",\"owner_code\":" << q(seal.owner_code)
      << ",\"owner_name\":" << q(seal.owner_name) << ",\"name\":" << q(seal.name)
      << ",\"kind\":" << q(certs::sealKindName(seal.kind))
      << ",\"algorithm\":" << q(certs::algorithmName(seal.algorithm))
      << ",\"status\":" << q(certs::sealStatusName(seal.status))
      << ",\"valid_from\":" << q(seal.valid_from) << ",\"valid_to\":" << q(seal.valid_to)
      << mm.str() << ",\"key_id\":" << q(seal.key_id)
      << ",\"certificate_serial\":" << q(certificate ? certs::serialHex(certificate->get()) : "")
      << ",\"log_index\":" << seal.last_event_index << "}\n";
}

// A key store that refuses everything: the registry for listing seals and changing their status,
// which sign nothing and generate no key, so need neither the PKI nor its passphrase.
class NoKeyStore final : public certs::KeyStore {
 public:
  Status generateKey(const std::string&, certs::SignatureAlgorithm) override { return refused(); }
  Status storeCertificate(const std::string&, const std::string&) override { return refused(); }
  Result<std::string> publicKeyPem(const std::string&) const override { return refused(); }
  Result<std::unique_ptr<certs::Signer>> signer(const std::string&) const override {
    return refused();
  }

 private:
  static Status refused() { return Status::internal("no key store: the PKI was not loaded"); }
};

Result<double> parseNumber(const ParsedArgs& args, const std::string& flag) {
  const std::string text = args.get(flag);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    return Status::invalid(flag, flag + " must be a number");
  }
  return value;
}

Result<std::string> readPicture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid("--picture", "cannot read " + path);
  // One byte more than allowed is enough for the registry to say the picture is too large.
  std::string bytes(certs::kMaxSealPictureBytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

int sealCreate(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  const char* cmd = "seal create";
  for (const char* flag : {"--department", "--name", "--kind", "--algorithm", "--picture",
                           "--width-mm", "--height-mm"}) {
    if (!args.has(flag)) {
      err << "tongban-admin " << cmd << ": " << flag << " is required\n" << kSealUsage;
      return 2;
    }
  }
  certs::SealRequest request;
  request.owner_code = args.get("--department");
  request.name = args.get("--name");
  Result<certs::SealKind> kind = certs::parseSealKind(args.get("--kind"));
  Result<certs::SignatureAlgorithm> algorithm = certs::parseAlgorithm(args.get("--algorithm"));
  Result<double> width = parseNumber(args, "--width-mm");
  Result<double> height = parseNumber(args, "--height-mm");
  for (const Status& s : {kind.status(), algorithm.status(), width.status(), height.status()}) {
    if (!s) {
      err << "tongban-admin " << cmd << ": " << s.toString() << "\n";
      return 2;
    }
  }
  request.kind = *kind;
  request.algorithm = *algorithm;
  request.width_mm = *width;
  request.height_mm = *height;
  if (args.has("--valid-days")) {
    const std::string days = args.get("--valid-days");
    if (days.empty() || days.size() > 5 ||
        days.find_first_not_of("0123456789") != std::string::npos) {
      err << "tongban-admin " << cmd << ": --valid-days must be a number of days (1..3650)\n";
      return 2;
    }
    request.validity_days = std::stoi(days);
  }
  request.actor = "cli:" + cliUser();
  Result<std::string> picture = readPicture(args.get("--picture"));
  if (!picture) return fail(cmd, picture.status(), err);
  request.picture_png = std::move(*picture);

  auto db = resolveDatabase(args);
  if (!db) {
    err << "tongban-admin " << cmd << ": " << db.status().message() << "\n";
    return 2;
  }
  Result<PkiSettings> pki = pkiSettings(args, "");
  if (!pki) {
    err << "tongban-admin " << cmd << ": " << pki.status().toString() << "\n";
    return 2;
  }
  Result<certs::HubIdentity> hub = certs::loadHubIdentity(pki->dir, pki->passphrase);
  if (!hub) return fail(cmd, hub.status(), err);
  Result<std::unique_ptr<certs::PemKeyStore>> keys =
      certs::openHubKeyStore(pki->dir, pki->passphrase);
  if (!keys) return fail(cmd, keys.status(), err);
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  certs::SealRegistry seals(pool, **keys, *hub);
  Result<certs::Seal> seal = seals.create(request);
  if (!seal) return fail(cmd, seal.status(), err);
  printSeal(out, *seal);
  err << "seal " << seal->seal_id << " created; its key is in "
      << certs::hubPkiPaths(pki->dir).key_dir << ": back up the PKI directory\n";
  return 0;
}

// Every department's code, for `seal list` without --department.
Result<std::vector<std::string>> departmentCodes(db::ConnectionPool& pool) {
  return db::withConnection(pool, [](pqxx::connection& conn) -> Result<std::vector<std::string>> {
    pqxx::read_transaction tx(conn);
    std::vector<std::string> codes;
    for (const auto& row : tx.exec("SELECT code FROM exchange.departments ORDER BY code")) {
      codes.push_back(row[0].c_str());
    }
    return codes;
  });
}

int sealOther(const std::string& verb, const ParsedArgs& args, std::ostream& out,
              std::ostream& err) {
  const std::string cmd = "seal " + verb;
  auto db = resolveDatabase(args);
  if (!db) {
    err << "tongban-admin " << cmd << ": " << db.status().message() << "\n";
    return 2;
  }
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  NoKeyStore no_keys;
  const certs::HubIdentity no_hub;
  certs::SealRegistry seals(pool, no_keys, no_hub);
  if (verb == "list") {
    std::vector<std::string> owners;
    if (args.has("--department")) {
      Result<std::string> code = ids::normalizeCreditCode(args.get("--department"), "department");
      if (!code) return fail(cmd.c_str(), code.status(), err);
      owners.push_back(*code);
    } else {
      Result<std::vector<std::string>> codes = departmentCodes(pool);
      if (!codes) return fail(cmd.c_str(), codes.status(), err);
      owners = std::move(*codes);
    }
    for (const std::string& owner : owners) {
      Result<std::vector<certs::Seal>> list = seals.listByOwner(owner);
      if (!list) return fail(cmd.c_str(), list.status(), err);
      for (const certs::Seal& seal : *list) printSeal(out, seal);
    }
    return 0;
  }
  const std::string& seal_id = args.positional[1];
  const std::string actor = "cli:" + cliUser();
  const std::string reason = args.get("--reason");
  Result<certs::Seal> seal = verb == "suspend"  ? seals.suspend(seal_id, reason, actor)
                             : verb == "resume" ? seals.resume(seal_id, actor)
                                                : seals.revoke(seal_id, reason, actor);
  if (!seal) return fail(cmd.c_str(), seal.status(), err);
  printSeal(out, *seal);
  return 0;
}

// ---- certificate types

void printType(std::ostream& out, const certs::CertificateType& type, bool with_schema) {
  out << "{\"code\":" << q(type.code) << ",\"name\":" << q(type.name) << ",\"holder_kind\":"
      << q(type.holder_kind == certs::HolderKind::kPerson ? "person" : "entity")
      << ",\"holder_code_type\":" << q(certs::holderCodeType(type.holder_kind))
      << ",\"holder_check\":" << (type.holder_check ? "true" : "false")
      << ",\"unique_per_holder\":" << (type.unique_per_holder ? "true" : "false")
      << ",\"default_validity_months\":";
  if (type.default_validity_months) {
    out << *type.default_validity_months;
  } else {
    out << "null";
  }
  out << ",\"issuers\":[";
  for (size_t i = 0; i < type.issuer_codes.size(); ++i) {
    out << (i ? "," : "") << q(type.issuer_codes[i]);
  }
  out << "]";
  if (with_schema) {
    // Re-serialised compactly so the line stays one line whatever the stored text looks like.
    rapidjson::Document schema;
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    if (parseJson(type.schema_json, schema, "surface_schema") && schema.Accept(writer)) {
      out << ",\"surface_schema\":" << buffer.GetString();
    }
  }
  out << "}\n";
}

}  // namespace

int runPki(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--dir", "--root-algorithm", "--config"}, {"--help"});
  if (!args || args->has("--help") || args->positional.size() != 1) {
    return usage(args, "pki", kPkiUsage, out, err);
  }
  const std::string verb = args->positional[0];
  if (verb != "init" && verb != "show") return usage(args, "pki", kPkiUsage, out, err);
  const std::string cmd = "pki " + verb;
  certs::HubPkiOptions options;
  if (args->has("--root-algorithm")) {
    if (verb != "init") return usage(args, "pki", kPkiUsage, out, err);
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
      return fail(cmd.c_str(), s, err);
    }
  }
  Result<certs::HubIdentity> hub = certs::loadHubIdentity(pki->dir, pki->passphrase);
  if (!hub) return fail(cmd.c_str(), hub.status(), err);
  printPki(out, pki->dir, *hub);
  if (verb == "init") {
    err << "PKI created in " << pki->dir
        << ".\nBack up the whole directory now, and again after every new seal; keep the\n"
           "passphrase apart from the backup: without both, the keys cannot be recovered.\n"
           "Give root.pem to verifiers with the fingerprint above.\n";
  }
  return 0;
}

int runSeal(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a,
                        {"--db", "--config", "--department", "--name", "--kind", "--algorithm",
                         "--picture", "--width-mm", "--height-mm", "--valid-days", "--reason"},
                        {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    return usage(args, "seal", kSealUsage, out, err);
  }
  const std::string verb = args->positional[0];
  const size_t n = args->positional.size();
  if (verb == "create" && n == 1) return sealCreate(*args, out, err);
  if (verb == "list" && n == 1) return sealOther(verb, *args, out, err);
  if ((verb == "suspend" || verb == "revoke") && n == 2) return sealOther(verb, *args, out, err);
  if (verb == "resume" && n == 2 && !args->has("--reason")) return sealOther(verb, *args, out, err);
  return usage(args, "seal", kSealUsage, out, err);
}

int runType(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--db", "--config"}, {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    return usage(args, "type", kTypeUsage, out, err);
  }
  const std::string verb = args->positional[0];
  const size_t n = args->positional.size();
  if (!((verb == "list" && n == 1) || (verb == "show" && n == 2) ||
        (verb == "authorize" && n == 3))) {
    return usage(args, "type", kTypeUsage, out, err);
  }
  const std::string cmd = "type " + verb;
  auto db = resolveDatabase(*args);
  if (!db) {
    err << "tongban-admin " << cmd << ": " << db.status().message() << "\n";
    return 2;
  }
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  certs::CertificateTypeRegistry types(pool);
  if (verb == "list") {
    Result<std::vector<certs::CertificateType>> list = types.list();
    if (!list) return fail(cmd.c_str(), list.status(), err);
    for (const certs::CertificateType& type : *list) printType(out, type, false);
    return 0;
  }
  Result<std::shared_ptr<const certs::CertificateType>> type = types.get(args->positional[1]);
  if (!type) return fail(cmd.c_str(), type.status(), err);
  if (verb == "show") {
    printType(out, **type, true);
    return 0;
  }
  Result<std::string> department = ids::normalizeCreditCode(args->positional[2], "department_code");
  if (!department) return fail(cmd.c_str(), department.status(), err);
  if (Status s = types.authorizeIssuer((*type)->code, *department); !s) {
    return fail(cmd.c_str(), s, err);
  }
  Result<std::shared_ptr<const certs::CertificateType>> updated = types.get((*type)->code);
  if (!updated) return fail(cmd.c_str(), updated.status(), err);
  printType(out, **updated, false);
  return 0;
}

}  // namespace tongban::admin
