// Tests of `tongban-admin audit verify|search`, in-process through runAudit on a real
// PostgreSQL: exit codes, the first broken link as printed, JSON lines, and usage errors.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include "support/test_db.h"
#include "tongban/admin/commands.h"
#include "tongban/audit/writer.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/signer.h"

namespace tongban::admin {
namespace {

using testing::TestDatabase;

struct CmdRun {
  int code;
  std::string out;
  std::string err;
};

CmdRun audit(const Args& args) {
  std::ostringstream out, err;
  const int code = runAudit(args, out, err);
  return {code, out.str(), err.str()};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::shared_ptr<const certs::Signer> makeSigner() {
  auto key = certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256);
  auto signer =
      certs::makeSoftwareSigner(std::move(*key), certs::SignatureAlgorithm::kEcdsaP256Sha256);
  return std::shared_ptr<const certs::Signer>(std::move(*signer));
}

std::string writeFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

class AuditCmd : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>("audit_cmd");
    db_->migrate();
    signer_ = makeSigner();
    audit::AuditWriter::Options o;
    o.conninfo = db_->conninfo();
    o.checkpoint_signer = signer_;
    o.checkpoint_every_entries = 4;
    auto log = audit::AuditWriter::open(o);
    ASSERT_TRUE(log.isOk()) << log.status().toString();
    for (int i = 1; i <= 10; ++i) {
      audit::AuditEntry e;
      e.request_id = "req-" + std::to_string(i);
      e.app_id = i <= 6 ? "app_00000000000000a1" : "app_00000000000000b2";
      e.resource_code = "population.persons";
      e.fields = {"name"};
      e.subject_keys = {i % 2 ? "11010519491231002X" : "91350100M000100Y43"};
      e.matter_code = "MAT-1";
      e.result = i == 5 ? "denied" : "allowed";
      e.http_status = i == 5 ? 403 : 200;
      ASSERT_TRUE((*log)->append(e).isOk());
    }
    (*log)->close();
    key_path_ = writeFile("audit_cmd_key.pem", signer_->publicKeyPem());
  }

  std::unique_ptr<TestDatabase> db_;
  std::shared_ptr<const certs::Signer> signer_;
  std::string key_path_;
};

TEST_F(AuditCmd, VerifyIntact) {
  const CmdRun r = audit({"verify", "--db", db_->conninfo(), "--checkpoint-key", key_path_});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "node node-1: 10 entries, 3 checkpoints checked")) << r.out;
  EXPECT_TRUE(contains(r.out, "audit log intact")) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(AuditCmd, VerifyReportsTheFirstBrokenLink) {
  {
    pqxx::connection conn(db_->conninfo());
    pqxx::work tx(conn);
    tx.exec("SET LOCAL session_replication_role = replica");
    tx.exec("UPDATE exchange.audit_log SET result = 'allowed' WHERE seq = 5");
    tx.exec("DELETE FROM exchange.audit_log WHERE seq = 8");
    tx.commit();
  }
  const CmdRun r = audit({"verify", "--db", db_->conninfo()});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.out, "BROKEN node node-1 seq 5: hash_mismatch")) << r.out;
  EXPECT_FALSE(contains(r.out, "seq 8")) << r.out;  // only the first
}

TEST_F(AuditCmd, VerifyWithTheWrongKeyFails) {
  const std::string other = writeFile("audit_cmd_other.pem", makeSigner()->publicKeyPem());
  const CmdRun r = audit({"verify", "--db", db_->conninfo(), "--checkpoint-key", other});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.out, "seq 4: bad_checkpoint_signature")) << r.out;
}

// Key roles (issue 7, hole 5): a certificate given as the checkpoint key must carry the audit
// checkpoint role; the same key certified as a seal is refused.
TEST_F(AuditCmd, CheckpointCertificateMustHaveTheAuditRole) {
  const std::time_t t = std::time(nullptr);
  auto root_key = certs::generateKey(certs::SignatureAlgorithm::kEcdsaP256Sha256);
  auto root = certs::createRootCertificate(root_key->get(), {"Root", "", "", "CN", ""},
                                           {t - 60, t + 86400});
  auto public_key = certs::parsePublicKeyPem(signer_->publicKeyPem());
  auto certify = [&](certs::KeyRole role, const char* name) {
    auto certificate = certs::issueCertificate(root_key->get(), root->get(), public_key->get(),
                                               {"Audit", "", "", "CN", ""}, {t - 60, t + 86400},
                                               certs::CertificateKind::kSeal, role);
    return writeFile(name, *certs::certificatePem(certificate->get()));
  };
  const CmdRun audit_role = audit({"verify", "--db", db_->conninfo(), "--checkpoint-key",
                                   certify(certs::KeyRole::kAuditCheckpoint, "audit_role.pem")});
  EXPECT_EQ(audit_role.code, 0) << audit_role.out << audit_role.err;
  const CmdRun seal_role = audit({"verify", "--db", db_->conninfo(), "--checkpoint-key",
                                  certify(certs::KeyRole::kSeal, "seal_role.pem")});
  EXPECT_EQ(seal_role.code, 1);
  EXPECT_TRUE(contains(seal_role.err, "not an audit checkpoint certificate")) << seal_role.err;
}

TEST_F(AuditCmd, VerifyReadsTheDatabaseFromAConfigFile) {
  const std::string config =
      writeFile("audit_cmd.ini", "[database]\nurl = " + db_->conninfo() + "\n");
  const CmdRun r = audit({"verify", "--config", config});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(AuditCmd, SearchPrintsJsonLines) {
  const CmdRun r = audit({"search", "--db", db_->conninfo(), "--app", "app_00000000000000a1",
                          "--subject", "11010519491231002X"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<int64_t> seqs;
  while (std::getline(lines, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    ASSERT_FALSE(d.HasParseError()) << line;
    seqs.push_back(d["seq"].GetInt64());
    EXPECT_STREQ(d["subject_keys"][0].GetString(), "11010519491231002X");
    EXPECT_TRUE(d["key_id"].IsNull());
    EXPECT_EQ(std::string(d["at"].GetString()).size(), 27u);  // 2026-...T..:..:...ffffffZ
  }
  EXPECT_EQ(seqs, (std::vector<int64_t>{5, 3, 1}));

  const CmdRun limited = audit({"search", "--db", db_->conninfo(), "--limit", "2"});
  EXPECT_EQ(limited.code, 0);
  EXPECT_EQ(std::count(limited.out.begin(), limited.out.end(), '\n'), 2);
  const CmdRun future =
      audit({"search", "--db", db_->conninfo(), "--from", "2999-01-01T00:00:00+08:00"});
  EXPECT_EQ(future.code, 0);
  EXPECT_EQ(future.out, "");
  const CmdRun past = audit({"search", "--db", db_->conninfo(), "--to", "2000-01-01"});
  EXPECT_EQ(past.out, "");
}

TEST(AuditCmdUsage, BadArgumentsAreUsageErrors) {
  for (const Args& args : std::vector<Args>{{},
                                            {"frobnicate"},
                                            {"verify", "--app", "x"},
                                            {"search", "--checkpoint-key", "k"},
                                            {"search", "--limit", "0"},
                                            {"search", "--limit", "ten"},
                                            {"search", "--from", "yesterday"},
                                            {"search", "--from", "2026-02-30"},
                                            {"search", "--to", "2026-01-01T10:00:00"},
                                            {"verify", "--db"}}) {
    const CmdRun r = audit(args);
    EXPECT_EQ(r.code, 2) << (args.empty() ? "(none)" : args[0]) << " " << r.err;
    EXPECT_TRUE(contains(r.err, "usage:")) << r.err;
  }
}

TEST(AuditCmdUsage, UnreachableDatabaseIsAFailure) {
  const CmdRun r = audit({"verify", "--db", "host=127.0.0.1 port=1 dbname=x connect_timeout=2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "database")) << r.err;
}

}  // namespace
}  // namespace tongban::admin
