// tongban-admin seal: departments' electronic seals (电子印章, certs::SealRegistry).
//
// Creating a seal needs the PKI (its certificate is issued by the seal CA, its record signed by the
// log key: pki.dir / pki.passphrase, see pki_cmd.cc); listing seals and changing their status need
// only the database, so that an administrator can suspend or revoke a compromised seal from any
// machine that reaches the database.
//
// Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr), 2 usage.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/certs/hub_pki.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/json_writer.h"

namespace tongban::admin {
namespace {

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

void printSeal(std::ostream& out, const certs::Seal& seal) {
  Result<certs::X509Ptr> certificate = certs::parseCertificatePem(seal.certificate_pem);
  out << json::object([&](json::Writer& w) {
    json::str(w, "seal_id", seal.seal_id);
    json::str(w, "owner_code", seal.owner_code);
    json::str(w, "owner_name", seal.owner_name);
    json::str(w, "name", seal.name);
    json::str(w, "kind", certs::sealKindName(seal.kind));
    json::str(w, "algorithm", certs::algorithmName(seal.algorithm));
    json::str(w, "status", certs::sealStatusName(seal.status));
    json::str(w, "valid_from", seal.valid_from);
    json::str(w, "valid_to", seal.valid_to);
    w.Key("width_mm");
    w.Double(seal.width_mm);
    w.Key("height_mm");
    w.Double(seal.height_mm);
    json::str(w, "key_id", seal.key_id);
    json::str(w, "certificate_serial", certificate ? certs::serialHex(certificate->get()) : "");
    json::num(w, "log_index", seal.last_event_index);
  }) << "\n";
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
  if (!picture) return commandFailed(cmd, picture.status(), err);
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
  if (!hub) return commandFailed(cmd, hub.status(), err);
  Result<std::unique_ptr<certs::PemKeyStore>> keys =
      certs::openHubKeyStore(pki->dir, pki->passphrase);
  if (!keys) return commandFailed(cmd, keys.status(), err);
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  certs::SealRegistry seals(pool, **keys, *hub);
  Result<certs::Seal> seal = seals.create(request);
  if (!seal) return commandFailed(cmd, seal.status(), err);
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
    for (const auto& row : tx.exec("SELECT code FROM directory.departments ORDER BY code")) {
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
      if (!code) return commandFailed(cmd.c_str(), code.status(), err);
      owners.push_back(*code);
    } else {
      Result<std::vector<std::string>> codes = departmentCodes(pool);
      if (!codes) return commandFailed(cmd.c_str(), codes.status(), err);
      owners = std::move(*codes);
    }
    for (const std::string& owner : owners) {
      Result<std::vector<certs::Seal>> list = seals.listByOwner(owner);
      if (!list) return commandFailed(cmd.c_str(), list.status(), err);
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
  if (!seal) return commandFailed(cmd.c_str(), seal.status(), err);
  printSeal(out, *seal);
  return 0;
}

}  // namespace

int runSeal(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a,
                        {"--db", "--config", "--department", "--name", "--kind", "--algorithm",
                         "--picture", "--width-mm", "--height-mm", "--valid-days", "--reason"},
                        {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    return commandUsage(args, "seal", kSealUsage, out, err);
  }
  const std::string verb = args->positional[0];
  const size_t n = args->positional.size();
  if (verb == "create" && n == 1) return sealCreate(*args, out, err);
  if (verb == "list" && n == 1) return sealOther(verb, *args, out, err);
  if ((verb == "suspend" || verb == "revoke") && n == 2) return sealOther(verb, *args, out, err);
  if (verb == "resume" && n == 2 && !args->has("--reason")) return sealOther(verb, *args, out, err);
  return commandUsage(args, "seal", kSealUsage, out, err);
}

}  // namespace tongban::admin
