// Tests of `tongban-admin catalog | requests | grants`, in-process through runCatalog,
// runRequests and runGrants on a migrated database of the test cluster. Consumers' applications
// for access are made through CatalogStore, as the exchange would.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "support/test_db.h"
#include "tongban/admin/commands.h"
#include "tongban/catalog/catalog_store.h"

namespace tongban::admin {
namespace {

using namespace std::chrono_literals;

struct CmdRun {
  int code;
  std::string out;
  std::string err;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class CatalogCmdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TestDatabase("catalog_cmd");
    db_->migrate();
    pool_ = new db::ConnectionPool({db_->conninfo(), 2, std::chrono::milliseconds(5000), nullptr});
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete db_;
  }
  // The actor's name comes from $USER; TONGBAN_DATABASE_URL is changed by some tests. Both are
  // restored for the other suites of the process.
  void SetUp() override {
    saved_user_ = getenvOrNull("USER");
    saved_url_ = getenvOrNull("TONGBAN_DATABASE_URL");
    ::setenv("USER", "operator1", 1);
  }
  void TearDown() override {
    restore("USER", saved_user_);
    restore("TONGBAN_DATABASE_URL", saved_url_);
  }
  static std::optional<std::string> getenvOrNull(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  }
  static void restore(const char* name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  std::optional<std::string> saved_user_;
  std::optional<std::string> saved_url_;

  using Fn = int (*)(const Args&, std::ostream&, std::ostream&);
  static CmdRun run(Fn fn, Args args, bool with_db = true) {
    if (with_db) {
      args.push_back("--db");
      args.push_back(db_->conninfo());
    }
    std::ostringstream out;
    std::ostringstream err;
    const int code = fn(args, out, err);
    return {code, out.str(), err.str()};
  }
  static CmdRun catalogCmd(Args a) { return run(runCatalog, std::move(a)); }
  static CmdRun requestsCmd(Args a) { return run(runRequests, std::move(a)); }
  static CmdRun grantsCmd(Args a) { return run(runGrants, std::move(a)); }

  // A consumer application of a shipped department.
  static catalog::Actor consumer() {
    static int n = 0;
    char id[32];
    std::snprintf(id, sizeof id, "app_%016x", 0xc11u + static_cast<unsigned>(++n));
    pqxx::connection conn(db_->conninfo());
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO directory.applications (app_id, department_code, name, role, created_by)"
        " VALUES ($1, '11110000000010022N', $2, 'consumer', 'test')",
        std::string(id), "cli test app " + std::to_string(n));
    tx.commit();
    return catalog::Actor{id, "11110000000010022N", catalog::Role::kConsumer};
  }

  static catalog::AccessRequest apply(const catalog::Actor& who, const std::string& code,
                                      std::vector<std::string> fields) {
    catalog::AccessApplication a;
    a.resource_code = code;
    a.fields = std::move(fields);
    a.purpose = "企业开办一件事";
    a.legal_basis = "《优化营商环境条例》";
    a.matter_codes = {"M-KB-001"};
    a.valid_to = catalog::Clock::now() + 24h * 90;
    catalog::CatalogStore store(*pool_);
    Result<catalog::AccessRequest> q = store.applyForAccess(a, who);
    EXPECT_TRUE(q.isOk()) << q.status().toString();
    return q.isOk() ? *q : catalog::AccessRequest{};
  }

  static std::string writeFile(const std::string& name, const std::string& text) {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / (db_->name() + "_" + name);
    std::ofstream(path) << text;
    return path.string();
  }

  static testing::TestDatabase* db_;
  static db::ConnectionPool* pool_;
};

testing::TestDatabase* CatalogCmdTest::db_ = nullptr;
db::ConnectionPool* CatalogCmdTest::pool_ = nullptr;

TEST_F(CatalogCmdTest, UsageErrorsExitTwo) {
  for (Fn fn : {runCatalog, runRequests, runGrants}) {
    CmdRun r = run(fn, {});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "usage: tongban-admin")) << r.err;
    EXPECT_EQ(run(fn, {"frobnicate"}).code, 2);
    EXPECT_EQ(run(fn, {"list", "--colour", "red"}).code, 2);
    EXPECT_EQ(run(fn, {"list", "--limit"}, false).code, 2);
    CmdRun help = run(fn, {"--help"}, false);
    EXPECT_EQ(help.code, 0);
    EXPECT_TRUE(contains(help.out, "usage:"));
  }
  EXPECT_EQ(catalogCmd({"publish", "POP-PERSON-BASIC"}).code, 2);
  EXPECT_EQ(catalogCmd({"publish", "POP-PERSON-BASIC", "one"}).code, 2);
  EXPECT_EQ(catalogCmd({"create"}).code, 2);
  EXPECT_EQ(catalogCmd({"list", "--status", "gone"}).code, 2);
  EXPECT_EQ(requestsCmd({"approve", "x1"}).code, 2);
  EXPECT_EQ(requestsCmd({"reject", "1"}).code, 2);  // --reason is required
  EXPECT_EQ(requestsCmd({"list", "--state", "maybe"}).code, 2);
  EXPECT_EQ(grantsCmd({"suspend", "1"}).code, 2);
  EXPECT_EQ(grantsCmd({"revoke", "1"}).code, 2);
  EXPECT_EQ(grantsCmd({"list", "--db", "x", "--config", "y"}).code, 2);

  ::unsetenv("TONGBAN_DATABASE_URL");
  CmdRun no_db = run(runCatalog, {"list"}, false);
  EXPECT_EQ(no_db.code, 2);
  EXPECT_TRUE(contains(no_db.err, "no database")) << no_db.err;
}

TEST_F(CatalogCmdTest, ListsAndShowsTheCatalog) {
  CmdRun list = catalogCmd({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(lines(list.out), 4u) << list.out;  // and 0015's VERIFY-PERSON, VERIFY-ENTITY
  EXPECT_TRUE(contains(list.out, "\"code\":\"LE-ENTITY-BASIC\""));
  EXPECT_TRUE(contains(list.out, "\"code\":\"POP-PERSON-BASIC\""));

  CmdRun search = catalogCmd({"list", "--field", "legal_rep_citizen_id"});
  ASSERT_EQ(search.code, 0) << search.err;
  EXPECT_EQ(lines(search.out), 2u);  // and VERIFY-ENTITY
  EXPECT_TRUE(contains(search.out, "LE-ENTITY-BASIC"));

  CmdRun show = catalogCmd({"show", "POP-PERSON-BASIC"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(lines(show.out), 1u);
  EXPECT_TRUE(contains(show.out, "\"sharing_type\":\"conditional\"")) << show.out;
  EXPECT_TRUE(contains(show.out, "\"name\":\"address\",\"type\":\"string\"")) << show.out;

  CmdRun missing = catalogCmd({"show", "NO-SUCH"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_TRUE(contains(missing.err, "not_found")) << missing.err;
}

TEST_F(CatalogCmdTest, CreatePublishRetire) {
  const std::string file = writeFile("resource.json", R"({
    "code": "LE-ENTITY-STATUS", "name": "法人登记状态", "description": "登记状态核验",
    "provider_department": "11110000000010022N", "source": "legal_entity.entities",
    "key_fields": ["credit_code"], "sharing_type": "unconditional", "open_data": true,
    "update_cycle": "daily",
    "fields": [{"name": "credit_code", "type": "string", "sensitivity": "public"},
               {"name": "status", "type": "enum", "sensitivity": "public"}]
  })");
  CmdRun created = catalogCmd({"create", "--file", file});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_TRUE(contains(created.out, "\"version\":1")) << created.out;
  EXPECT_TRUE(contains(created.out, "\"status\":\"draft\""));
  EXPECT_TRUE(contains(created.out, "\"created_by\":\"cli:operator1\""));

  CmdRun drafts = catalogCmd({"list", "--status", "draft"});
  ASSERT_EQ(drafts.code, 0);
  EXPECT_TRUE(contains(drafts.out, "LE-ENTITY-STATUS"));

  CmdRun published = catalogCmd({"publish", "LE-ENTITY-STATUS", "1"});
  ASSERT_EQ(published.code, 0) << published.err;
  EXPECT_TRUE(contains(published.out, "\"status\":\"published\""));
  CmdRun again = catalogCmd({"publish", "LE-ENTITY-STATUS", "1"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(contains(again.err, "conflict")) << again.err;

  // Edit: a new version, published over the old.
  CmdRun v2 = catalogCmd({"create", "--file", file});
  ASSERT_EQ(v2.code, 0) << v2.err;
  EXPECT_TRUE(contains(v2.out, "\"version\":2"));
  ASSERT_EQ(catalogCmd({"publish", "LE-ENTITY-STATUS", "2"}).code, 0);
  CmdRun v1 = catalogCmd({"show", "LE-ENTITY-STATUS", "--version", "1"});
  ASSERT_EQ(v1.code, 0) << v1.err;
  EXPECT_TRUE(contains(v1.out, "\"status\":\"retired\""));

  CmdRun history = catalogCmd({"history", "resource", "LE-ENTITY-STATUS/1"});
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_EQ(lines(history.out), 3u) << history.out;
  EXPECT_TRUE(contains(history.out, "\"to_state\":\"retired\",\"actor\":\"cli:operator1\""));

  CmdRun retired = catalogCmd({"retire", "LE-ENTITY-STATUS"});
  ASSERT_EQ(retired.code, 0) << retired.err;
  EXPECT_TRUE(contains(retired.out, "\"version\":2"));
  EXPECT_EQ(catalogCmd({"retire", "LE-ENTITY-STATUS"}).code, 1);
}

TEST_F(CatalogCmdTest, CreateRefusesABadDefinitionNamingTheField) {
  const std::string bad_json = writeFile("bad.json", R"({"code": "X-1", "name": )");
  CmdRun r = catalogCmd({"create", "--file", bad_json});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "malformed JSON")) << r.err;

  const std::string bad_field = writeFile("bad_field.json", R"({
    "code": "POP-SALARY", "name": "工资", "provider_department": "11110000000010014U",
    "source": "population.persons", "key_fields": ["citizen_id"],
    "sharing_type": "conditional", "update_cycle": "monthly",
    "fields": [{"name": "citizen_id", "type": "string"}, {"name": "salary", "type": "decimal"}]
  })");
  r = catalogCmd({"create", "--file", bad_field});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "fields[1].name")) << r.err;
  EXPECT_TRUE(contains(r.err, "salary")) << r.err;

  r = catalogCmd({"create", "--file", "/nonexistent/resource.json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "cannot read")) << r.err;
}

TEST_F(CatalogCmdTest, SourcesAndTheirOwners) {
  CmdRun list = catalogCmd({"sources"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(lines(list.out), 2u) << list.out;
  EXPECT_TRUE(contains(list.out,
                       R"({"source":"population.persons","department_code":"11110000000010014U",)"))
      << list.out;
  EXPECT_TRUE(contains(
      list.out, R"({"source":"legal_entity.entities","department_code":"11110000000010022N",)"))
      << list.out;

  // Bad input names what is wrong.
  CmdRun unknown = catalogCmd({"sources", "set-owner", "population.secrets", "11110000000010022N"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(contains(unknown.err, "source")) << unknown.err;
  CmdRun no_dept = catalogCmd({"sources", "set-owner", "population.persons", "11110000000099999X"});
  EXPECT_EQ(no_dept.code, 1);
  EXPECT_TRUE(contains(no_dept.err, "department_code")) << no_dept.err;
  EXPECT_EQ(catalogCmd({"sources", "set-owner", "population.persons"}).code, 2);
  EXPECT_EQ(catalogCmd({"sources", "frobnicate"}).code, 2);
  EXPECT_EQ(catalogCmd({"list", "--reason", "x"}).code, 2);

  // Setting the current owner again changes nothing and records nothing.
  CmdRun same = catalogCmd(
      {"sources", "set-owner", "legal_entity.entities", "11110000000010022N", "--reason", "确认"});
  ASSERT_EQ(same.code, 0) << same.err;
  CmdRun history = catalogCmd({"history", "source", "legal_entity.entities"});
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_EQ(lines(history.out), 1u) << history.out;  // the shipped owner
}

TEST_F(CatalogCmdTest, ApproveAndRejectRequests) {
  const catalog::Actor app = consumer();
  const catalog::AccessRequest q1 = apply(app, "POP-PERSON-BASIC", {"citizen_id", "name"});
  const catalog::AccessRequest q2 = apply(app, "POP-PERSON-BASIC", {"sex"});

  CmdRun pending = requestsCmd({"list", "--state", "pending", "--app", app.id});
  ASSERT_EQ(pending.code, 0) << pending.err;
  EXPECT_EQ(lines(pending.out), 2u) << pending.out;

  CmdRun approved = requestsCmd(
      {"approve", std::to_string(q1.id), "--unmask", "name", "--rate", "30", "--reason", "同意"});
  ASSERT_EQ(approved.code, 0) << approved.err;
  EXPECT_EQ(lines(approved.out), 1u);
  EXPECT_TRUE(contains(approved.out, "{\"request\":{")) << approved.out;
  EXPECT_TRUE(contains(approved.out, "\"state\":\"approved\""));
  EXPECT_TRUE(contains(approved.out, "\"decided_by\":\"cli:operator1\""));
  EXPECT_TRUE(contains(approved.out, "\"unmasked_fields\":[\"name\"]")) << approved.out;
  EXPECT_TRUE(contains(approved.out, "\"rate_per_minute\":30"));

  CmdRun twice = requestsCmd({"approve", std::to_string(q1.id)});
  EXPECT_EQ(twice.code, 1);
  EXPECT_TRUE(contains(twice.err, "approved, not pending")) << twice.err;

  CmdRun bad_unmask = requestsCmd({"approve", std::to_string(q2.id), "--unmask", "sex"});
  EXPECT_EQ(bad_unmask.code, 1);
  EXPECT_TRUE(contains(bad_unmask.err, "no masking")) << bad_unmask.err;

  CmdRun rejected = requestsCmd({"reject", std::to_string(q2.id), "--reason", "用途不明确"});
  ASSERT_EQ(rejected.code, 0) << rejected.err;
  EXPECT_TRUE(contains(rejected.out, "\"state\":\"rejected\""));
  EXPECT_TRUE(contains(rejected.out, "\"reason\":\"用途不明确\""));

  EXPECT_EQ(requestsCmd({"show", std::to_string(q2.id)}).code, 0);
  CmdRun missing = requestsCmd({"approve", "987654"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(contains(missing.err, "not_found")) << missing.err;
}

TEST_F(CatalogCmdTest, SuspendResumeRevokeGrants) {
  const catalog::Actor app = consumer();
  const catalog::AccessRequest q = apply(app, "LE-ENTITY-BASIC", {"credit_code", "name"});
  ASSERT_TRUE(q.grant_id);
  const std::string id = std::to_string(*q.grant_id);

  CmdRun list = grantsCmd({"list", "--app", app.id});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(lines(list.out), 1u);
  EXPECT_TRUE(contains(list.out, "\"id\":" + id));

  CmdRun suspended = grantsCmd({"suspend", id, "--reason", "核查中"});
  ASSERT_EQ(suspended.code, 0) << suspended.err;
  EXPECT_TRUE(contains(suspended.out, "\"state\":\"suspended\""));
  EXPECT_EQ(grantsCmd({"list", "--app", app.id, "--state", "active"}).out, "");
  ASSERT_EQ(grantsCmd({"resume", id}).code, 0);
  CmdRun revoked = grantsCmd({"revoke", id, "--reason", "事项办结"});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  EXPECT_TRUE(contains(revoked.out, "\"state\":\"revoked\""));

  CmdRun final_state = grantsCmd({"resume", id});
  EXPECT_EQ(final_state.code, 1);
  EXPECT_TRUE(contains(final_state.err, "revocation is final")) << final_state.err;

  CmdRun history = catalogCmd({"history", "grant", id});
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_EQ(lines(history.out), 4u) << history.out;
  EXPECT_TRUE(contains(history.out, "\"reason\":\"核查中\""));
}

TEST_F(CatalogCmdTest, DatabaseFromConfigFile) {
  const std::string ini = writeFile("tongban.ini", "[database]\nurl = " + db_->conninfo() + "\n");
  ::unsetenv("TONGBAN_DATABASE_URL");
  CmdRun r = run(runCatalog, {"show", "LE-ENTITY-BASIC", "--config", ini}, false);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "LE-ENTITY-BASIC"));

  ::setenv("TONGBAN_DATABASE_URL", db_->conninfo().c_str(), 1);
  r = run(runGrants, {"list"}, false);
  ::unsetenv("TONGBAN_DATABASE_URL");
  EXPECT_EQ(r.code, 0) << r.err;

  CmdRun unreachable = run(runCatalog, {"list", "--db", "host=127.0.0.1 port=1 dbname=x"}, false);
  EXPECT_EQ(unreachable.code, 1);
  EXPECT_TRUE(contains(unreachable.err, "unavailable")) << unreachable.err;
}

}  // namespace
}  // namespace tongban::admin
