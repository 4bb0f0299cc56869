// Tests of `tongban-admin import` (adapters/flowback) on a real PostgreSQL: malformed records go to
// the reject file with their line numbers while the good ones load; a file imported twice
// duplicates and changes nothing (no row is even touched, so no change event fires); a record the
// database refuses costs only itself; and the built binary killed with SIGKILL mid-import resumes
// to the same table contents and reject file as one clean import.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "support/test_db.h"
#include "support/test_env.h"
#include "tongban/admin/commands.h"
#include "tongban/admin/registry_generator.h"
#include "tongban/common/identifiers.h"

extern char** environ;

namespace tongban::admin {
namespace {

struct CmdRun {
  int code;
  std::string out;
  std::string err;
};

CmdRun import(const Args& args) {
  std::ostringstream out, err;
  const int code = runImport(args, out, err);
  return {code, out.str(), err.str()};
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string dirFor(const std::string& test) {
  const std::string dir = testing::binaryDir() + "/import-test/" + test;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string writeFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A valid citizen id: region, birth date YYYYMMDD, 3-digit order.
std::string citizenId(const std::string& region, const std::string& birth,
                      const std::string& order) {
  const std::string first17 = region + birth + order;
  return first17 + ids::citizenIdCheckChar(first17);
}

// Rows of population.persons without updated_at, in key order, and their count.
std::string personsDigest(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  const pqxx::row r = tx.exec1(
      "SELECT count(*), coalesce(md5(string_agg(p::text, E'\\n' ORDER BY citizen_id)), '') FROM "
      "(SELECT citizen_id, name, sex, birth_date, ethnicity, region_code, address, status "
      "FROM population.persons) p");
  return r[0].as<std::string>() + " " + r[1].as<std::string>();
}

// Every row's key, xmin and updated_at: changes when any row is written.
std::string personsVersions(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  return tx
      .exec1(
          "SELECT coalesce(string_agg(citizen_id || ':' || xmin::text || ':' || "
          "updated_at::text, ',' ORDER BY citizen_id), '') FROM population.persons")[0]
      .as<std::string>();
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override { db_.migrate(); }
  std::string db() const { return db_.conninfo(); }
  int64_t count(const std::string& sql) {
    pqxx::connection c(db());
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  void exec(const std::string& sql) {
    pqxx::connection c(db());
    pqxx::work tx(c);
    tx.exec0(sql);
    tx.commit();
  }
  testing::TestDatabase db_{"import"};
};

const char kPersonHeader[] = "citizen_id,name,sex,birth_date,ethnicity,region_code,address,status";

TEST_F(ImportTest, MalformedRecordsAreRejectedWithLineNumbersAndGoodOnesLoad) {
  const std::string dir = dirFor("malformed");
  const std::string a = citizenId("110105", "19491231", "002");  // F
  const std::string b = citizenId("110105", "19800101", "011");  // M
  const std::string c = citizenId("330113", "20000229", "024");  // F
  std::string bad_check = citizenId("110105", "19700101", "013");
  bad_check.back() = bad_check.back() == '0' ? '1' : '0';
  const std::string file = writeFile(
      dir + "/persons.csv",
      "\xEF\xBB\xBF" + std::string(kPersonHeader) + "\r\n" +                  // 1
          a + ",张三,F,1949-12-31,汉族,110105,北京市朝阳区1号,living\r\n" +   // 2
          bad_check + ",李四,M,1970-01-01,汉族,110105,地址,living\r\n" +      // 3
          b + ",王五,M,1980-01-01,汉族,110105,地址\r\n" +                     // 4 (7 fields)
          b + ",\xE7\x8E\x8B\xFF,M,1980-01-01,汉族,110105,地址,living\r\n" +  // 5
          b + ",王五,M,1980-01-01,汉族,110105,地址,alive\r\n" +               // 6
          b + ",王五,M,1980-13-01,汉族,110105,地址,living\r\n" +              // 7
          b + "," + std::string(65, 'n') + ",M,1980-01-01,汉族,110105,地址,living\r\n" +  // 8
          b + ",王五,M,1980-01-01,汉族,110105,\"杭州市, 临平区\r\n二号\",living\r\n" +    // 9-10
          c + ",\"赵\"\"六\",F,2000-02-29,回族,330113,\"x\",deceased\r\n");               // 11
  const std::string rejects = dir + "/rejects.csv";
  const CmdRun r = import({"population", file, "--reject-file", rejects, "--db", db()});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 9, inserted 3, updated 0, unchanged 0, rejected 6")) << r.out;
  EXPECT_TRUE(contains(r.out, "rejected records: " + rejects)) << r.out;

  EXPECT_EQ(count("SELECT count(*) FROM population.persons"), 3);
  pqxx::connection conn(db());
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec_params1("SELECT address FROM population.persons WHERE citizen_id = $1", b)[0]
                .as<std::string>(),
            "杭州市, 临平区\r\n二号");
  EXPECT_EQ(tx.exec_params1("SELECT name FROM population.persons WHERE citizen_id = $1", c)[0]
                .as<std::string>(),
            "赵\"六");

  // Compare line by line: the reasons, and that each line number is the record's.
  std::vector<std::string> lines;
  std::istringstream in(readFile(rejects));
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 7u) << readFile(rejects);
  EXPECT_EQ(lines[0], "line,reason,record");
  EXPECT_EQ(lines[1], "3,\"citizen_id: check character is '" + std::string(1, bad_check.back()) +
                          "', expected '" +
                          std::string(1, ids::citizenIdCheckChar(bad_check.substr(0, 17))) +
                          "'\",\"" + bad_check + ",李四,M,1970-01-01,汉族,110105,地址,living\"");
  EXPECT_EQ(lines[2], "4,\"record: expected 8 fields, found 7\",\"" + b +
                          ",王五,M,1980-01-01,汉族,110105,地址\"");
  EXPECT_EQ(lines[3], "5,name: is not valid UTF-8,\"" + b +
                          ",\xE7\x8E\x8B\xEF\xBF\xBD,M,1980-01-01,汉族,110105,地址,living\"");
  EXPECT_EQ(lines[4], "6,\"status: 'alive' is not one of living, deceased, emigrated\",\"" + b +
                          ",王五,M,1980-01-01,汉族,110105,地址,alive\"");
  EXPECT_TRUE(lines[5].rfind("7,birth_date: '1980-13-01' is not a real date", 0) == 0) << lines[5];
  EXPECT_TRUE(lines[6].rfind("8,\"name: must be 1 to 64 characters, got 65\"", 0) == 0) << lines[6];
}

TEST_F(ImportTest, ImportingTheSameFileTwiceChangesNothing) {
  // A row trigger standing in for the verification core's change feed.
  exec(
      "CREATE TABLE public.person_events (citizen_id text, op text);"
      "CREATE FUNCTION public.person_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO public.person_events VALUES (NEW.citizen_id, TG_OP); RETURN NEW; END $$;"
      "CREATE TRIGGER person_event AFTER INSERT OR UPDATE ON population.persons "
      "FOR EACH ROW EXECUTE FUNCTION public.person_event()");
  const std::string dir = dirFor("twice");
  std::string content = std::string(kPersonHeader) + "\n";
  for (int i = 0; i < 50; ++i) {
    char order[4];
    std::snprintf(order, sizeof order, "%03d", i);
    content += citizenId("110105", "19900101", order) + ",某人" + std::to_string(i) +
               (i % 2 ? ",M" : ",F") + ",1990-01-01,汉族,110105,地址" + std::to_string(i) +
               ",living\n";
  }
  const std::string file = writeFile(dir + "/p.csv", content);
  CmdRun r = import({"population", file, "--db", db(), "--batch-rows", "7"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 50, inserted 50, updated 0, unchanged 0, rejected 0")) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM public.person_events"), 50);
  const std::string versions = personsVersions(db());

  // Again, under another name: the same content is the same file.
  const std::string copy = writeFile(dir + "/copy.csv", content);
  r = import({"population", copy, "--db", db()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "was imported into population.persons before; nothing to do"))
      << r.out;
  // --again reads it all and writes nothing: every row identical.
  r = import({"population", file, "--db", db(), "--again", "--batch-rows", "7"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 50, inserted 0, updated 0, unchanged 50, rejected 0")) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM population.persons"), 50);
  EXPECT_EQ(personsVersions(db()), versions);
  EXPECT_EQ(count("SELECT count(*) FROM public.person_events"), 50);

  // One row changed: one update, one event.
  const std::string changed_id = citizenId("110105", "19900101", "007");
  const size_t at = content.find(changed_id);
  const size_t end = content.find('\n', at);
  content.replace(content.rfind("living", end), 6, "emigrated");
  r = import({"population", writeFile(dir + "/changed.csv", content), "--db", db()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 50, inserted 0, updated 1, unchanged 49")) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM public.person_events WHERE op = 'UPDATE' AND "
                  "citizen_id = '" +
                  changed_id + "'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM public.person_events"), 51);
}

TEST_F(ImportTest, RepeatedKeyInABatchKeepsTheLastRecord) {
  const std::string dir = dirFor("repeated");
  const std::string id = citizenId("110105", "19900101", "001");
  const std::string file =
      writeFile(dir + "/p.csv", std::string("citizen_id,name,region_code,address\n") + id +
                                    ",甲,110105,一\n" + id + ",乙,110105,二\n");
  const CmdRun r = import({"population", file, "--db", db()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "inserted 1, updated 0, unchanged 0, rejected 0, superseded 1"))
      << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM population.persons WHERE name = '乙' AND sex = 'M' AND "
                  "status = 'living' AND ethnicity = '汉族'"),
            1);
}

TEST_F(ImportTest, JsonLinesIntoLegalEntities) {
  const std::string dir = dirFor("jsonl");
  const std::string rep = citizenId("110105", "19700101", "013");
  const std::string file = writeFile(
      dir + "/e.jsonl",
      R"({"credit_code":"91350100M000100Y43","name":"某某有限公司","entity_type":"llc",)"
      R"("legal_rep_citizen_id":")" +
          rep +
          R"(","registered_capital":"100.50","established_on":"2001-02-03",)"
          R"("region_code":"350100","address":"福州市","business_scope":"软件"})"
          "\n"
          "\n"  // blank: skipped
          R"({"credit_code":"91350100M000100Y44","name":"错","entity_type":"llc"})"
          "\n"
          "[1,2]\n"
          "{\"credit_code\": \"91350100M000100Y43\"\n"  // not JSON
          R"({"credit_code":"91350100M000100Y43","name":"某某有限公司","entity_type":"llc",)"
          R"("legal_rep_citizen_id":")" +
          rep +
          R"(","registered_capital":null,"established_on":"2001-02-03",)"
          R"("region_code":"350100","address":"福州市","business_scope":"软件","extra":1})"
          "\n");
  const CmdRun r = import({"legal_entity", file, "--db", db()});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 5, inserted 1, updated 0, unchanged 0, rejected 4")) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM legal_entity.entities WHERE registered_capital = 100.50"),
            1);
  const std::string rejects = readFile(file + ".rejects.csv");
  EXPECT_TRUE(contains(rejects, "\n3,")) << rejects;
  EXPECT_TRUE(contains(rejects, "\n4,record: must be a JSON object")) << rejects;
  EXPECT_TRUE(contains(rejects, "\n5,")) << rejects;
  EXPECT_TRUE(contains(rejects, "\n6,extra: key 'extra' is not among the first record's keys"))
      << rejects;
}

TEST_F(ImportTest, ARecordTheDatabaseRefusesCostsOnlyItself) {
  // A rule the validation does not know (as a trigger or a later constraint could add).
  exec("ALTER TABLE population.persons ADD CONSTRAINT test_no_refused CHECK (name <> '拒绝')");
  const std::string dir = dirFor("refused");
  std::string content = "citizen_id,name,region_code,address\n";
  for (int i = 0; i < 5; ++i) {
    content += citizenId("110105", "19900101", "00" + std::to_string(i)) +
               (i == 2 ? ",拒绝" : ",接受") + ",110105,地址\n";
  }
  const CmdRun r = import({"population", writeFile(dir + "/p.csv", content), "--db", db()});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 5, inserted 4, updated 0, unchanged 0, rejected 1")) << r.out;
  const std::string rejects = readFile(dir + "/p.csv.rejects.csv");
  EXPECT_TRUE(contains(rejects, "\n4,\"database refused the record:")) << rejects;
  EXPECT_TRUE(contains(rejects, "test_no_refused")) << rejects;
  EXPECT_EQ(count("SELECT count(*) FROM population.persons"), 4);
}

TEST_F(ImportTest, UsageAndHeaderErrors) {
  const std::string dir = dirFor("usage");
  const std::string file = writeFile(dir + "/p.csv", "citizen_id,name,region_code,addr\n");
  CmdRun r = import({"population", file, "--db", db()});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "addr: column 'addr' is not a column of population.persons"))
      << r.err;
  r = import({"population", file, "--db", db(), "--fast"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "unknown option --fast")) << r.err;
  r = import({"people", file, "--db", db()});
  EXPECT_EQ(r.code, 2);
  r = import({"population", file, "--db", db(), "--batch-rows", "0"});
  EXPECT_EQ(r.code, 2);
  r = import({"population", dir + "/missing.csv", "--db", db()});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "cannot open")) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM adapters.import_checkpoints"), 0);

  // The reject file may not be the input (opening it truncates it), under any name.
  const std::string good =
      writeFile(dir + "/good.csv", "citizen_id,name,region_code,address\n" +
                                       citizenId("110105", "19900101", "001") + ",甲,110105,一\n");
  const std::string before = readFile(good);
  r = import({"population", good, "--db", db(), "--reject-file", dir + "/../usage/good.csv"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "is the file being imported")) << r.err;
  EXPECT_EQ(readFile(good), before);
  EXPECT_EQ(count("SELECT count(*) FROM population.persons"), 0);
}

TEST_F(ImportTest, TheRuntimeRoleMayNotImport) {
  const std::string dir = dirFor("runtime");
  const std::string file =
      writeFile(dir + "/p.csv", "citizen_id,name,region_code,address\n" +
                                    citizenId("110105", "19900101", "001") + ",甲,110105,一\n");
  const CmdRun r = import({"population", file, "--db", db_.runtimeConninfo()});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "may not write population.persons")) << r.err;
  EXPECT_TRUE(contains(r.err, "database.owner_url")) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM population.persons"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM adapters.import_checkpoints"), 0);
}

TEST_F(ImportTest, OneImportPerRegistryAtATime) {
  const std::string dir = dirFor("locked");
  const std::string file =
      writeFile(dir + "/p.csv", "citizen_id,name,region_code,address\n" +
                                    citizenId("110105", "19900101", "001") + ",甲,110105,一\n");
  // Another import of the population registry holds its lock (as the importer takes it).
  pqxx::connection holder(db());
  pqxx::nontransaction nt(holder);
  nt.exec1("SELECT pg_advisory_lock(hashtext('tongban.import'), hashtext('population'))");
  CmdRun r = import({"population", file, "--db", db()});  // waits its 10 s, then gives up
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "another import into population is running")) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM adapters.import_checkpoints"), 0);
  nt.exec1("SELECT pg_advisory_unlock_all()");
  r = import({"population", file, "--db", db()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(ImportTest, AHeaderOnlyFileCompletesWithNothingToLoad) {
  const std::string dir = dirFor("header-only");
  const CmdRun r = import(
      {"population", writeFile(dir + "/p.csv", std::string(kPersonHeader) + "\r\n"), "--db", db()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "read 0, inserted 0")) << r.out;
  EXPECT_EQ(
      count("SELECT count(*) FROM adapters.import_checkpoints WHERE completed_at IS NOT NULL"), 1);
}

// A persons file of `n` generated records with a malformed one (a wrong check character) after
// every 997th.
void writeBigPersonsFile(const std::string& path, size_t n) {
  auto gen = RegistryGenerator::create(7, n, 0);
  ASSERT_TRUE(gen.isOk());
  std::string content = std::string(kPersonColumns) + "\n";
  PersonRecord p;
  size_t i = 0;
  while ((*gen)->nextPerson(&p)) {
    appendPersonCsv(p, &content);
    if (++i % 997 == 0) {
      p.citizen_id.back() = p.citizen_id.back() == '1' ? '2' : '1';
      appendPersonCsv(p, &content);
    }
  }
  writeFile(path, content);
}

// Starts the built tongban-admin with `args`, its output to `log`. The child's pid.
pid_t spawnAdmin(const std::vector<std::string>& args, const std::string& log) {
  const std::string bin = testing::binaryDir() + "/admin/tongban-admin";
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << bin;
  return rc == 0 ? pid : -1;
}

TEST_F(ImportTest, KilledMidImportResumesToTheSameResultAsOneCleanImport) {
  const std::string dir = dirFor("kill");
  const std::string file = dir + "/persons.csv";
  writeBigPersonsFile(file, 60000);
  ASSERT_FALSE(HasFailure());

  // The clean import, in a database of its own.
  testing::TestDatabase clean_db("import_clean");
  clean_db.migrate();
  const std::string clean_rejects = dir + "/clean.rejects.csv";
  const CmdRun clean = import({"population", file, "--db", clean_db.conninfo(), "--reject-file",
                               clean_rejects, "--batch-rows", "500"});
  ASSERT_EQ(clean.code, 3) << clean.out << clean.err;
  EXPECT_TRUE(contains(clean.out,
                       "read 60060, inserted 60000, updated 0, unchanged 0, "
                       "rejected 60"))
      << clean.out;

  // The same file through the binary, killed once a few batches have committed.
  const std::string rejects = dir + "/killed.rejects.csv";
  const pid_t pid = spawnAdmin(
      {"import", "population", file, "--db", db(), "--reject-file", rejects, "--batch-rows", "500"},
      dir + "/first-run.log");
  ASSERT_GT(pid, 0);
  {
    pqxx::connection c(db());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int64_t read = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pqxx::work tx(c);
      const pqxx::result r = tx.exec(
          "SELECT rows_read FROM adapters.import_checkpoints WHERE registry = 'population'");
      if (!r.empty()) read = r[0][0].as<int64_t>();
      if (read >= 5000) break;  // ten batches committed
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_GE(read, 5000) << readFile(dir + "/first-run.log");
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the import ended before it was killed: " << readFile(dir + "/first-run.log");
  EXPECT_EQ(count("SELECT count(*) FROM adapters.import_checkpoints WHERE completed_at IS NULL"),
            1);
  EXPECT_LT(count("SELECT count(*) FROM population.persons"), 60000);

  // CmdRun again: it resumes, and the end is the clean import's.
  const CmdRun resumed =
      import({"population", file, "--db", db(), "--reject-file", rejects, "--batch-rows", "500"});
  ASSERT_EQ(resumed.code, 3) << resumed.out << resumed.err;
  EXPECT_TRUE(contains(resumed.out, "resumed at line")) << resumed.out;
  EXPECT_TRUE(contains(resumed.out,
                       "read 60060, inserted 60000, updated 0, unchanged 0, "
                       "rejected 60"))
      << resumed.out;
  EXPECT_EQ(personsDigest(db()), personsDigest(clean_db.conninfo()));
  EXPECT_EQ(readFile(rejects), readFile(clean_rejects));
  const std::string reject_text = readFile(rejects);
  EXPECT_EQ(std::count(reject_text.begin(), reject_text.end(), '\n'), 61);
}

}  // namespace
}  // namespace tongban::admin
