// Tests of `tongban-admin pki | seal | type`, in-process on a fresh migrated PostgreSQL database
// and a PKI directory under the build tree: what an administrator sees (JSON lines, exit codes,
// the reason on stderr) and what lands on disk and in the database.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_db.h"
#include "support/test_env.h"
#include "tongban/admin/commands.h"
#include "tongban/certs/hub_pki.h"

namespace tongban::admin {
namespace {

using testing::TestDatabase;

constexpr const char* kSamr = "11110000MB01832653";    // 北京市市场监督管理局
constexpr const char* kPolice = "11110000MB1A2B3CX2";  // 北京市公安局
constexpr const char* kBusinessLicence = "11100000MB0143028R001";
constexpr const char* kPassphrase = "admin-pki-test-passphrase";

// A real 16x16 RGBA PNG (a red ring), made with zlib; `file` says "PNG image data, 16 x 16".
const char kSealPng[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x10\x00\x00\x00"
    "\x10"
    "\x08\x06\x00\x00\x00\x1f\xf3\xff\x61\x00\x00\x00\x44\x49\x44\x41\x54\x78\xda\x63\x60\xa0\x36"
    "\xb8"
    "\xc3\xc0\xf0\x1f\x1f\xa6\x48\x33\x5e\x43\x88\xb1\x05\xa7\x1a\xa2\x9d\x88\x4b\x2d\xb1\x9a\x71"
    "\xaa"
    "\xc7\x65\x00\xd1\xe2\xd8\x14\xe2\x0b\x38\xfa\x18\x40\xb1\x17\xc8\x0a\x44\xb2\xa3\x91\xe2\x84"
    "\x44"
    "\x95\xa4\x4c\x95\xcc\x44\x0e\x00\x00\xd6\x87\xb2\x21\xac\x22\x13\xe6\x00\x00\x00\x00\x49\x45"
    "\x4e"
    "\x44\xae\x42\x60\x82";

struct CmdRun {
  int code;
  std::string out;
  std::string err;
};

using Command = int (*)(const Args&, std::ostream&, std::ostream&);

CmdRun run(Command command, const Args& args) {
  std::ostringstream out, err;
  const int code = command(args, out, err);
  return {code, out.str(), err.str()};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

rapidjson::Document json(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  EXPECT_FALSE(d.HasParseError()) << line;
  EXPECT_TRUE(d.IsObject()) << line;
  return d;
}

std::string str(const rapidjson::Value& object, const char* name) {
  return object.IsObject() && object.HasMember(name) && object[name].IsString()
             ? object[name].GetString()
             : "";
}

void writeFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

class PkiCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The configuration file, not the environment, says where things are.
    for (const char* name : {"TONGBAN_PKI_DIR", "TONGBAN_PKI_PASSPHRASE", "TONGBAN_DATABASE_URL"}) {
      ::unsetenv(name);
    }
    db_ = std::make_unique<TestDatabase>("pki_cmd");
    db_->migrate();
    std::string pattern = tongban::testing::binaryDir() + "/pki_cmd_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    pki_ = dir_ + "/pki";
    config_ = writeConfig("tongban.ini", pki_, kPassphrase);
    picture_ = dir_ + "/seal.png";
    writeFile(picture_, std::string(kSealPng, sizeof kSealPng - 1));
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::string writeConfig(const std::string& name, const std::string& pki_dir,
                          const std::string& passphrase) {
    const std::string path = dir_ + "/" + name;
    std::ostringstream ini;
    ini << "[database]\nurl = " << db_->conninfo() << "\n[pki]\n";
    if (!pki_dir.empty()) ini << "dir = " << pki_dir << "\n";
    if (!passphrase.empty()) ini << "passphrase = " << passphrase << "\n";
    writeFile(path, ini.str());
    return path;
  }

  void addDepartments() {
    for (const auto& [code, name] :
         {std::pair<const char*, const char*>{kSamr, "北京市市场监督管理局"},
          {kPolice, "北京市公安局"}}) {
      CmdRun r = run(runDepartment, {"add", "--code", code, "--name", name, "--region", "110000",
                                     "--config", config_});
      ASSERT_EQ(r.code, 0) << r.err;
    }
  }

  Args sealCreate(const std::string& owner, const std::string& algorithm) const {
    return {"create",       "--department", owner,         "--name",      "证照专用章",
            "--kind",       "certificate",  "--algorithm", algorithm,     "--picture",
            picture_,       "--width-mm",   "42",          "--height-mm", "42",
            "--valid-days", "365",          "--config",    config_};
  }

  std::string query(const std::string& sql) {
    pqxx::connection conn(db_->conninfo());
    pqxx::read_transaction tx(conn);
    pqxx::result r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }

  std::unique_ptr<TestDatabase> db_;
  std::string dir_, pki_, config_, picture_;
};

TEST_F(PkiCmdTest, InitPrintsTheRootFingerprintAndRefusesASecondInit) {
  CmdRun init = run(runPki, {"init", "--config", config_});
  ASSERT_EQ(init.code, 0) << init.err;
  ASSERT_EQ(lines(init.out).size(), 1u) << init.out;
  rapidjson::Document d = json(init.out);
  EXPECT_EQ(str(d, "dir"), pki_);
  EXPECT_EQ(str(d, "root_certificate"), pki_ + "/root.pem");
  EXPECT_EQ(str(d, "hub_certificate"), pki_ + "/hub.pem");
  EXPECT_EQ(str(d, "root_algorithm"), "ECDSA-P256-SHA256");
  EXPECT_EQ(str(d, "hub_signer_algorithm"), "ECDSA-P256-SHA256");
  EXPECT_TRUE(contains(str(d, "root_subject"), "CN=Tongban Root CA")) << init.out;
  EXPECT_TRUE(contains(init.err, "Back up")) << init.err;

  // The fingerprint is the one `openssl` prints for root.pem.
  auto openssl = tongban::testing::runCommand("openssl x509 -noout -fingerprint -sha256 -in " +
                                              pki_ + "/root.pem");
  ASSERT_EQ(openssl.exit_code, 0) << openssl.output;
  const std::string fingerprint = str(d, "root_fingerprint_sha256");
  ASSERT_EQ(fingerprint.size(), 95u) << fingerprint;  // 32 bytes "AB:" ... "CD"
  EXPECT_TRUE(contains(openssl.output, "=" + fingerprint)) << openssl.output;

  // hub.pem chains to root.pem with plain `openssl verify`.
  auto verify = tongban::testing::runCommand("openssl verify -CAfile " + pki_ + "/root.pem " +
                                             pki_ + "/hub.pem");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;

  const std::string root = init.out;
  CmdRun again = run(runPki, {"init", "--config", config_});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(contains(again.err, "already holds a PKI")) << again.err;
  EXPECT_EQ(again.out, "");

  CmdRun show = run(runPki, {"show", "--config", config_});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(show.out, root) << "show prints what init printed";

  // Key roles: the role certificates are named, and the PKI loads with the root's key offline.
  EXPECT_EQ(str(d, "seal_ca_certificate"), pki_ + "/seal-ca.pem");
  EXPECT_EQ(str(d, "status_certificate"), pki_ + "/status.pem");
  EXPECT_EQ(str(d, "offline_root_key"), pki_ + "/keys/root-ca.key.pem");
  EXPECT_EQ(str(d, "key_role_arc"), "2.25.321785715282007672776426862569020286480");
  std::filesystem::rename(pki_ + "/keys/root-ca.key.pem", dir_ + "/root-ca.key.pem");
  CmdRun offline = run(runPki, {"show", "--config", config_});
  EXPECT_EQ(offline.code, 0) << offline.err;
  EXPECT_EQ(offline.out, root);
}

TEST_F(PkiCmdTest, InitWithDirFlagAndSm2Root) {
  const std::string other = dir_ + "/sm2-pki";
  CmdRun init =
      run(runPki, {"init", "--dir", other, "--root-algorithm", "SM2-SM3", "--config", config_});
  ASSERT_EQ(init.code, 0) << init.err;
  rapidjson::Document d = json(init.out);
  EXPECT_EQ(str(d, "dir"), other);
  EXPECT_EQ(str(d, "root_algorithm"), "SM2-SM3");
  EXPECT_TRUE(std::filesystem::exists(other + "/keys/root-ca.key.pem"));
  EXPECT_FALSE(std::filesystem::exists(pki_)) << "--dir wins over pki.dir";

  CmdRun bad = run(runPki, {"init", "--root-algorithm", "RSA", "--config", config_});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(contains(bad.err, "--root-algorithm")) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(pki_));
}

TEST_F(PkiCmdTest, InitNeedsADirectoryAndAPassphrase) {
  CmdRun no_passphrase = run(runPki, {"init", "--config", writeConfig("a.ini", pki_, "")});
  EXPECT_EQ(no_passphrase.code, 2);
  EXPECT_TRUE(contains(no_passphrase.err, "pki.passphrase")) << no_passphrase.err;
  EXPECT_TRUE(contains(no_passphrase.err, "TONGBAN_PKI_PASSPHRASE")) << no_passphrase.err;
  EXPECT_FALSE(std::filesystem::exists(pki_));

  CmdRun no_dir = run(runPki, {"init", "--config", writeConfig("b.ini", "", kPassphrase)});
  EXPECT_EQ(no_dir.code, 2);
  EXPECT_TRUE(contains(no_dir.err, "pki.dir")) << no_dir.err;

  // The environment variables work without a file.
  ::setenv("TONGBAN_PKI_DIR", pki_.c_str(), 1);
  ::setenv("TONGBAN_PKI_PASSPHRASE", kPassphrase, 1);
  CmdRun from_env = run(runPki, {"init"});
  ::unsetenv("TONGBAN_PKI_DIR");
  ::unsetenv("TONGBAN_PKI_PASSPHRASE");
  EXPECT_EQ(from_env.code, 0) << from_env.err;
  EXPECT_TRUE(std::filesystem::exists(pki_ + "/root.pem"));

  CmdRun wrong = run(runPki, {"show", "--config", writeConfig("c.ini", pki_, "wrong passphrase")});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(contains(wrong.err, "pki.passphrase")) << wrong.err;

  CmdRun missing = run(runPki, {"show", "--dir", dir_ + "/nothing", "--config", config_});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(contains(missing.err, "pki.dir")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "pki init")) << missing.err;

  EXPECT_EQ(run(runPki, {}).code, 2);
  EXPECT_EQ(run(runPki, {"destroy"}).code, 2);
  EXPECT_EQ(run(runPki, {"--help"}).code, 0);
}

TEST_F(PkiCmdTest, SealLifecycle) {
  addDepartments();
  ASSERT_EQ(run(runPki, {"init", "--config", config_}).code, 0);

  CmdRun created = run(runSeal, sealCreate(kSamr, "SM2-SM3"));
  ASSERT_EQ(created.code, 0) << created.err;
  rapidjson::Document seal = json(created.out);
  const std::string seal_id = str(seal, "seal_id");
  EXPECT_EQ(seal_id.rfind(std::string("ES") + kSamr, 0), 0u) << seal_id;
  EXPECT_EQ(str(seal, "status"), "active");
  EXPECT_EQ(str(seal, "algorithm"), "SM2-SM3");
  EXPECT_EQ(str(seal, "kind"), "certificate");
  EXPECT_EQ(str(seal, "owner_name"), "北京市市场监督管理局");
  ASSERT_TRUE(seal.HasMember("width_mm") && seal["width_mm"].IsNumber());
  EXPECT_EQ(seal["width_mm"].GetDouble(), 42.0);

  // Its key is in the PKI's key store, encrypted, and its certificate chains to root.pem.
  EXPECT_TRUE(std::filesystem::exists(pki_ + "/keys/" + seal_id + ".key.pem"));
  auto verify =
      tongban::testing::runCommand("openssl verify -CAfile " + pki_ + "/root.pem -untrusted " +
                                   pki_ + "/seal-ca.pem " + pki_ + "/keys/" + seal_id + ".crt.pem");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_EQ(
      query("SELECT encode(picture_png, 'hex') FROM certs.seals WHERE seal_id = '" + seal_id + "'")
          .size(),
      2 * (sizeof kSealPng - 1));
  EXPECT_EQ(query("SELECT signer_certificate FROM certs.seals WHERE seal_id = '" + seal_id + "'"),
            [&] {
              std::ifstream in(pki_ + "/keys/" + seal_id + ".crt.pem");
              std::ostringstream b;
              b << in.rdbuf();
              return b.str();
            }());

  CmdRun second = run(runSeal, sealCreate(kPolice, "ECDSA-P256-SHA256"));
  ASSERT_EQ(second.code, 0) << second.err;

  CmdRun all = run(runSeal, {"list", "--config", config_});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(lines(all.out).size(), 2u) << all.out;
  CmdRun mine = run(runSeal, {"list", "--department", kSamr, "--config", config_});
  ASSERT_EQ(mine.code, 0) << mine.err;
  ASSERT_EQ(lines(mine.out).size(), 1u) << mine.out;
  EXPECT_EQ(str(json(mine.out), "seal_id"), seal_id);

  // Status changes need only the database: a config without the PKI is enough.
  const std::string db_only = writeConfig("db_only.ini", "", "");
  CmdRun suspended =
      run(runSeal, {"suspend", seal_id, "--reason", "seal lost", "--config", db_only});
  ASSERT_EQ(suspended.code, 0) << suspended.err;
  EXPECT_EQ(str(json(suspended.out), "status"), "suspended");
  EXPECT_EQ(query("SELECT reason FROM certs.seal_events WHERE seal_id = '" + seal_id +
                  "' AND action = 'suspend'"),
            "seal lost");
  CmdRun resumed = run(runSeal, {"resume", seal_id, "--config", db_only});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(str(json(resumed.out), "status"), "active");
  CmdRun revoked =
      run(runSeal, {"revoke", seal_id, "--reason", "key compromised", "--config", db_only});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  EXPECT_EQ(str(json(revoked.out), "status"), "revoked");
  EXPECT_TRUE(contains(query("SELECT actor FROM certs.seal_events WHERE seal_id = '" + seal_id +
                             "' AND action = 'revoke'"),
                       "cli:"));

  // Revocation is final; unknown seals are named.
  CmdRun again = run(runSeal, {"resume", seal_id, "--config", db_only});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(contains(again.err, "revoked")) << again.err;
  CmdRun unknown = run(runSeal, {"suspend", "ES11110000MB01832653999999", "--config", db_only});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(contains(unknown.err, "no seal")) << unknown.err;
  EXPECT_EQ(query("SELECT count(*) FROM certs.seal_events WHERE seal_id = '" + seal_id + "'"), "4");
}

TEST_F(PkiCmdTest, SealCreateRefusals) {
  addDepartments();

  // No PKI yet: the directory is named.
  CmdRun no_pki = run(runSeal, sealCreate(kSamr, "SM2-SM3"));
  EXPECT_EQ(no_pki.code, 1);
  EXPECT_TRUE(contains(no_pki.err, "pki.dir")) << no_pki.err;
  EXPECT_TRUE(contains(no_pki.err, "pki init")) << no_pki.err;

  ASSERT_EQ(run(runPki, {"init", "--config", config_}).code, 0);

  // A wrong passphrase writes no seal key.
  Args wrong = sealCreate(kSamr, "SM2-SM3");
  wrong.back() = writeConfig("wrong.ini", pki_, "wrong passphrase");
  CmdRun wrong_run = run(runSeal, wrong);
  EXPECT_EQ(wrong_run.code, 1);
  EXPECT_TRUE(contains(wrong_run.err, "pki.passphrase")) << wrong_run.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(pki_ + "/keys"),
                          std::filesystem::directory_iterator()),
            6);  // root, seal CA, log, status, audit and verification-receipt keys

  // Not a PNG, too large, unreadable.
  const std::string text = dir_ + "/seal.txt";
  writeFile(text, std::string(200, 'x'));
  Args not_png = sealCreate(kSamr, "SM2-SM3");
  not_png[10] = text;
  CmdRun not_png_run = run(runSeal, not_png);
  EXPECT_EQ(not_png_run.code, 1);
  EXPECT_TRUE(contains(not_png_run.err, "picture")) << not_png_run.err;
  const std::string big = dir_ + "/big.png";
  writeFile(big, std::string(kSealPng, sizeof kSealPng - 1) + std::string(300 * 1024, '\0'));
  Args too_big = sealCreate(kSamr, "SM2-SM3");
  too_big[10] = big;
  CmdRun too_big_run = run(runSeal, too_big);
  EXPECT_EQ(too_big_run.code, 1);
  EXPECT_TRUE(contains(too_big_run.err, "at most 262144")) << too_big_run.err;
  Args missing = sealCreate(kSamr, "SM2-SM3");
  missing[10] = dir_ + "/missing.png";
  CmdRun missing_run = run(runSeal, missing);
  EXPECT_EQ(missing_run.code, 1);
  EXPECT_TRUE(contains(missing_run.err, "missing.png")) << missing_run.err;

  // An unregistered department, a size out of range.
  CmdRun unknown = run(runSeal, sealCreate("91350100M000100Y43", "SM2-SM3"));
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(contains(unknown.err, "no department")) << unknown.err;
  Args tiny = sealCreate(kSamr, "SM2-SM3");
  tiny[12] = "5";
  CmdRun tiny_run = run(runSeal, tiny);
  EXPECT_EQ(tiny_run.code, 1);
  EXPECT_TRUE(contains(tiny_run.err, "width_mm")) << tiny_run.err;
  EXPECT_EQ(query("SELECT count(*) FROM certs.seals"), "0");

  // Usage errors.
  Args bad_kind = sealCreate(kSamr, "SM2-SM3");
  bad_kind[6] = "rubber";
  EXPECT_EQ(run(runSeal, bad_kind).code, 2);
  Args bad_algorithm = sealCreate(kSamr, "RSA");
  EXPECT_EQ(run(runSeal, bad_algorithm).code, 2);
  Args bad_width = sealCreate(kSamr, "SM2-SM3");
  bad_width[12] = "wide";
  EXPECT_EQ(run(runSeal, bad_width).code, 2);
  EXPECT_EQ(run(runSeal, {"create", "--department", kSamr, "--config", config_}).code, 2);
  EXPECT_EQ(run(runSeal, {}).code, 2);
  EXPECT_EQ(run(runSeal, {"resume", "ES1", "--reason", "x", "--config", config_}).code, 2);
  EXPECT_EQ(run(runSeal, {"suspend", "--config", config_}).code, 2);
  EXPECT_EQ(run(runSeal, {"list", "--bogus", "--config", config_}).code, 2);
  EXPECT_EQ(run(runSeal, {"--help"}).code, 0);
}

TEST_F(PkiCmdTest, TypesListShowAuthorize) {
  addDepartments();
  CmdRun list = run(runType, {"list", "--config", config_});
  ASSERT_EQ(list.code, 0) << list.err;
  ASSERT_EQ(lines(list.out).size(), 6u) << list.out;
  bool found = false;
  for (const std::string& line : lines(list.out)) {
    rapidjson::Document t = json(line);
    EXPECT_FALSE(t.HasMember("surface_schema")) << line;
    if (str(t, "code") == kBusinessLicence) {
      found = true;
      EXPECT_EQ(str(t, "name"), "营业执照");
      EXPECT_EQ(str(t, "holder_kind"), "entity");
      EXPECT_EQ(str(t, "holder_code_type"), "001");
      EXPECT_TRUE(t["default_validity_months"].IsNull());
    }
  }
  EXPECT_TRUE(found) << list.out;

  CmdRun show = run(runType, {"show", kBusinessLicence, "--config", config_});
  ASSERT_EQ(show.code, 0) << show.err;
  ASSERT_EQ(lines(show.out).size(), 1u);
  rapidjson::Document t = json(show.out);
  ASSERT_TRUE(t.HasMember("surface_schema") && t["surface_schema"].IsObject()) << show.out;
  EXPECT_TRUE(t["surface_schema"].HasMember("fields"));
  ASSERT_TRUE(t["issuers"].IsArray());
  const rapidjson::SizeType issuers_before = t["issuers"].Size();

  CmdRun authorize = run(runType, {"authorize", kBusinessLicence, kSamr, "--config", config_});
  ASSERT_EQ(authorize.code, 0) << authorize.err;
  rapidjson::Document after = json(authorize.out);
  ASSERT_EQ(after["issuers"].Size(), issuers_before + 1) << authorize.out;
  EXPECT_TRUE(contains(authorize.out, kSamr));
  EXPECT_EQ(query(std::string("SELECT count(*) FROM certs.type_issuers WHERE type_code = '") +
                  kBusinessLicence + "' AND department_code = '" + kSamr + "'"),
            "1");
  // Granting again changes nothing; lower case is normalised.
  std::string lower = kSamr;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CmdRun twice = run(runType, {"authorize", kBusinessLicence, lower, "--config", config_});
  ASSERT_EQ(twice.code, 0) << twice.err;
  EXPECT_EQ(json(twice.out)["issuers"].Size(), issuers_before + 1);

  CmdRun unknown_type = run(runType, {"show", "11100000MB0143028R999", "--config", config_});
  EXPECT_EQ(unknown_type.code, 1);
  CmdRun bad_type = run(runType, {"authorize", "nonsense", kSamr, "--config", config_});
  EXPECT_EQ(bad_type.code, 1);
  EXPECT_TRUE(contains(bad_type.err, "type_code")) << bad_type.err;
  CmdRun bad_department =
      run(runType, {"authorize", kBusinessLicence, "11110000MB0183265X", "--config", config_});
  EXPECT_EQ(bad_department.code, 1);
  EXPECT_TRUE(contains(bad_department.err, "department_code")) << bad_department.err;
  CmdRun unregistered =
      run(runType, {"authorize", kBusinessLicence, "91350100M000100Y43", "--config", config_});
  EXPECT_EQ(unregistered.code, 1);
  EXPECT_TRUE(contains(unregistered.err, "no department")) << unregistered.err;

  EXPECT_EQ(run(runType, {"authorize", kBusinessLicence, "--config", config_}).code, 2);
  EXPECT_EQ(run(runType, {"show", "--config", config_}).code, 2);
  EXPECT_EQ(run(runType, {"--help"}).code, 0);
  CmdRun no_db = run(runType, {"list"});
  EXPECT_EQ(no_db.code, 2);
  EXPECT_TRUE(contains(no_db.err, "TONGBAN_DATABASE_URL")) << no_db.err;
}

}  // namespace
}  // namespace tongban::admin
