// Tests of the sample-registry generator (RegistryGenerator) and of `tongban-admin seed`.
//
// Unit tests check what a user of the data would notice: determinism, valid identifiers that
// agree with the other columns, representatives that exist, realistic proportions. Integration
// tests load a fresh database of the test cluster through runSeed.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "support/test_db.h"
#include "tongban/admin/commands.h"
#include "tongban/admin/registry_generator.h"
#include "tongban/common/identifiers.h"

namespace tongban::admin {
namespace {

struct Generated {
  std::vector<PersonRecord> persons;
  std::vector<EntityRecord> entities;
  std::string csv;  // both tables, CSV
};

Generated generate(uint64_t seed, size_t persons, size_t entities) {
  Generated g;
  auto gen = RegistryGenerator::create(seed, persons, entities);
  EXPECT_TRUE(gen.isOk()) << gen.status().toString();
  if (!gen.isOk()) return g;
  PersonRecord p;
  while ((*gen)->nextPerson(&p)) {
    appendPersonCsv(p, &g.csv);
    g.persons.push_back(p);
  }
  EntityRecord e;
  for (;;) {
    Result<bool> more = (*gen)->nextEntity(&e);
    EXPECT_TRUE(more.isOk()) << more.status().toString();
    if (!more.isOk() || !*more) break;
    appendEntityCsv(e, &g.csv);
    g.entities.push_back(e);
  }
  return g;
}

int daysOf(const Date& d) { return d.year * 372 + d.month * 31 + d.day; }  // order only

size_t utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A fixed sample shared by the unit tests.
const Generated& sample() {
  static const Generated g = generate(42, 20000, 4000);
  return g;
}

TEST(RegistryGeneratorTest, SameSeedGivesIdenticalRows) {
  const Generated a = generate(7, 3000, 600);
  const Generated b = generate(7, 3000, 600);
  ASSERT_EQ(a.persons.size(), 3000u);
  ASSERT_EQ(a.entities.size(), 600u);
  EXPECT_EQ(a.csv, b.csv);
}

TEST(RegistryGeneratorTest, DifferentSeedGivesDifferentRows) {
  const Generated a = generate(7, 1000, 200);
  const Generated b = generate(8, 1000, 200);
  EXPECT_NE(a.csv, b.csv);
  size_t same_ids = 0;
  std::set<std::string> ids;
  for (const auto& p : a.persons) ids.insert(p.citizen_id);
  for (const auto& p : b.persons) same_ids += ids.count(p.citizen_id);
  EXPECT_LT(same_ids, 10u);
}

TEST(RegistryGeneratorTest, PersonsDoNotDependOnTheEntityCount) {
  const Generated a = generate(3, 500, 0);
  const Generated b = generate(3, 500, 300);
  ASSERT_EQ(a.persons.size(), b.persons.size());
  for (size_t i = 0; i < a.persons.size(); ++i) {
    EXPECT_EQ(a.persons[i].citizen_id, b.persons[i].citizen_id);
    EXPECT_EQ(a.persons[i].address, b.persons[i].address);
  }
}

TEST(RegistryGeneratorTest, CitizenIdsAreValidUniqueAndAgreeWithTheRow) {
  std::set<std::string> seen;
  for (const PersonRecord& p : sample().persons) {
    Result<std::string> id = ids::normalizeCitizenId(p.citizen_id);
    ASSERT_TRUE(id.isOk()) << p.citizen_id << ": " << id.status().toString();
    EXPECT_EQ(*id, p.citizen_id);
    EXPECT_TRUE(seen.insert(p.citizen_id).second) << "duplicate " << p.citizen_id;
    EXPECT_EQ(ids::citizenIdSex(p.citizen_id), p.sex) << p.citizen_id;
    std::string ymd = p.birth_date.toString();
    ymd.erase(std::remove(ymd.begin(), ymd.end(), '-'), ymd.end());
    EXPECT_EQ(p.citizen_id.substr(6, 8), ymd);
    EXPECT_GE(p.birth_date.year, 1930);
    EXPECT_LE(p.birth_date.year, 2008);
    // The id's region is a real county-level code.
    EXPECT_TRUE(ids::normalizeRegionCode(p.citizen_id.substr(0, 6)).isOk()) << p.citizen_id;
    EXPECT_NE(p.citizen_id.substr(4, 2), "00");
    // Household registration: a known county; the address starts with its full name.
    ASSERT_TRUE(ids::normalizeRegionCode(p.region_code).isOk()) << p.region_code;
    EXPECT_EQ(p.address.rfind(ids::regionName(p.region_code), 0), 0u) << p.address;
    EXPECT_LE(utf8Length(p.address), 256u);
    EXPECT_GE(utf8Length(p.name), 2u);
    EXPECT_LE(utf8Length(p.name), 4u);
    EXPECT_TRUE(p.status == "living" || p.status == "deceased" || p.status == "emigrated");
  }
}

TEST(RegistryGeneratorTest, CreditCodesAreValidUniqueAndAgreeWithTheRow) {
  std::set<std::string> seen;
  for (const EntityRecord& e : sample().entities) {
    Result<std::string> code = ids::normalizeCreditCode(e.credit_code);
    ASSERT_TRUE(code.isOk()) << e.credit_code << ": " << code.status().toString();
    EXPECT_EQ(*code, e.credit_code);
    EXPECT_TRUE(seen.insert(e.credit_code).second) << "duplicate " << e.credit_code;
    EXPECT_EQ(e.credit_code[0], '9');
    const char kind = e.entity_type == "individual_business"  ? '2'
                      : e.entity_type == "farmer_cooperative" ? '3'
                                                              : '1';
    EXPECT_EQ(e.credit_code[1], kind) << e.credit_code << " " << e.entity_type;
    EXPECT_EQ(e.credit_code.substr(2, 6), e.region_code);
    EXPECT_EQ(e.address.rfind(ids::regionName(e.region_code), 0), 0u) << e.address;
    EXPECT_GE(utf8Length(e.name), 2u);
    EXPECT_LE(utf8Length(e.name), 128u);
    EXPECT_LE(utf8Length(e.business_scope), 2000u);
    EXPECT_FALSE(e.business_scope.empty());
    const bool no_capital = e.entity_type == "individual_business" || e.entity_type == "branch";
    EXPECT_EQ(e.registered_capital_fen.has_value(), !no_capital) << e.name;
    if (e.registered_capital_fen) {
      EXPECT_GT(*e.registered_capital_fen, 0);
    }
  }
}

TEST(RegistryGeneratorTest, NamesMatchTheEntityType) {
  auto endsWith = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const EntityRecord& e : sample().entities) {
    if (e.entity_type == "llc") {
      EXPECT_TRUE(endsWith(e.name, "有限公司") || endsWith(e.name, "有限责任公司")) << e.name;
      EXPECT_EQ(e.name.find("股份"), std::string::npos) << e.name;
    } else if (e.entity_type == "joint_stock") {
      EXPECT_TRUE(endsWith(e.name, "股份有限公司")) << e.name;
    } else if (e.entity_type == "branch") {
      EXPECT_TRUE(endsWith(e.name, "分公司")) << e.name;
    } else if (e.entity_type == "farmer_cooperative") {
      EXPECT_TRUE(endsWith(e.name, "专业合作社")) << e.name;
    } else if (e.entity_type == "partnership") {
      EXPECT_TRUE(endsWith(e.name, "合伙）")) << e.name;
    } else {
      // Individual businesses and sole proprietorships are not companies.
      EXPECT_EQ(e.name.find("公司"), std::string::npos) << e.name;
    }
  }
}

TEST(RegistryGeneratorTest, RepresentativesAreLivingAdultPersons) {
  std::map<std::string, const PersonRecord*> by_id;
  for (const PersonRecord& p : sample().persons) by_id[p.citizen_id] = &p;
  for (const EntityRecord& e : sample().entities) {
    auto it = by_id.find(e.legal_rep_citizen_id);
    ASSERT_NE(it, by_id.end()) << e.legal_rep_citizen_id << " of " << e.name;
    const PersonRecord& rep = *it->second;
    EXPECT_EQ(rep.status, "living");
    Date adult = rep.birth_date;
    adult.year += 18;
    EXPECT_GE(daysOf(e.established_on), daysOf(adult)) << e.legal_rep_citizen_id;
    EXPECT_GE(e.established_on.year, 1990);
    EXPECT_LE(daysOf(e.established_on), daysOf(kReferenceDate));
    if (e.entity_type == "farmer_cooperative") {
      EXPECT_GE(e.established_on.year, 2007);
    }
  }
}

TEST(RegistryGeneratorTest, ProportionsAreRealistic) {
  const Generated& g = sample();
  std::map<std::string, double> status, ethnicity, type, entity_status;
  double male = 0, wang = 0, born_after_1985 = 0, born_before_1950 = 0;
  for (const PersonRecord& p : g.persons) {
    status[p.status] += 1;
    ethnicity[p.ethnicity] += 1;
    male += p.sex == 'M';
    wang += p.name.rfind("王", 0) == 0;
    born_after_1985 += p.birth_date.year >= 1985;
    born_before_1950 += p.birth_date.year < 1950;
  }
  const double n = static_cast<double>(g.persons.size());
  EXPECT_NEAR(status["living"] / n, 0.97, 0.015);
  EXPECT_GT(status["deceased"], 0);
  EXPECT_GT(status["emigrated"], 0);
  EXPECT_NEAR(male / n, 0.512, 0.02);
  // 王 is the commonest surname: 7.1% nationally, ~8.7% among the ~120 listed surnames.
  EXPECT_NEAR(wang / n, 0.087, 0.015);
  EXPECT_GT(ethnicity["汉族"] / n, 0.85);
  EXPECT_GE(ethnicity.size(), 5u);
  EXPECT_NEAR(born_after_1985 / n, 0.38, 0.06);
  EXPECT_LT(born_before_1950 / n, 0.11);

  for (const EntityRecord& e : g.entities) {
    type[e.entity_type] += 1;
    entity_status[e.status] += 1;
  }
  const double m = static_cast<double>(g.entities.size());
  EXPECT_NEAR(type["individual_business"] / m, 0.64, 0.04);
  EXPECT_NEAR(type["llc"] / m, 0.28, 0.04);
  for (const char* t :
       {"joint_stock", "sole_proprietorship", "partnership", "farmer_cooperative", "branch"}) {
    EXPECT_GT(type[t], 0) << t;
    EXPECT_LT(type[t] / m, 0.05) << t;
  }
  EXPECT_GT(entity_status["in_business"] / m, 0.80);
  for (const char* s : {"abnormal", "revoked", "deregistered"}) EXPECT_GT(entity_status[s], 0) << s;
}

TEST(RegistryGeneratorTest, RefusesImpossibleCounts) {
  auto no_persons = RegistryGenerator::create(1, 0, 5);
  ASSERT_FALSE(no_persons.isOk());
  EXPECT_EQ(no_persons.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(RegistryGenerator::create(1, RegistryGenerator::kMaxRows + 1, 0).isOk());
  EXPECT_TRUE(RegistryGenerator::create(1, 0, 0).isOk());
}

TEST(RegistryGeneratorTest, RowFormatsEscapeWhatNeedsIt) {
  PersonRecord p;
  p.citizen_id = "11010519491231002X";
  p.name = "a,\"b\"";
  p.sex = 'F';
  p.birth_date = {1949, 12, 31};
  p.ethnicity = "汉族";
  p.region_code = "110105";
  p.address = "tab\there";
  p.status = "living";
  std::string csv, text;
  appendPersonCsv(p, &csv);
  appendPersonCopyText(p, &text);
  EXPECT_EQ(csv, "11010519491231002X,\"a,\"\"b\"\"\",F,1949-12-31,汉族,110105,tab\there,living\n");
  EXPECT_EQ(text, "11010519491231002X\ta,\"b\"\tF\t1949-12-31\t汉族\t110105\ttab\\there\tliving\n");
  EntityRecord e;
  e.credit_code = "91350100M000100Y43";
  e.name = "n";
  e.entity_type = "branch";
  e.legal_rep_citizen_id = p.citizen_id;
  e.established_on = {2020, 1, 2};
  e.region_code = "350100";
  e.address = "x";
  e.status = "in_business";
  e.business_scope = "s";
  csv.clear();
  text.clear();
  appendEntityCsv(e, &csv);
  appendEntityCopyText(e, &text);
  EXPECT_NE(csv.find(",11010519491231002X,,2020-01-02,"), std::string::npos) << csv;
  EXPECT_NE(text.find("\t\\N\t"), std::string::npos) << text;
  e.registered_capital_fen = 123456789;
  csv.clear();
  appendEntityCsv(e, &csv);
  EXPECT_NE(csv.find(",1234567.89,"), std::string::npos) << csv;
}

// ---------------------------------------------------------------------------------------------
// runSeed on a real database

struct SeedRun {
  int code;
  std::string out;
  std::string err;
};

SeedRun seed(const Args& args) {
  std::ostringstream out, err;
  const int code = runSeed(args, out, err);
  return {code, out.str(), err.str()};
}

int64_t count(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

std::string digest(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx
      .exec1(
          "SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY citizen_id), '')) || "
          "md5(coalesce((SELECT string_agg(e::text, '|' ORDER BY credit_code) FROM "
          "(SELECT credit_code, name, entity_type, legal_rep_citizen_id, registered_capital, "
          "established_on, region_code, address, status, business_scope "
          "FROM legal_entity.entities) e), '')) "
          "FROM (SELECT citizen_id, name, sex, birth_date, ethnicity, region_code, address, status "
          "FROM population.persons) p")[0]
      .as<std::string>();
}

std::string tempDir(const std::string& tag) {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("tongban_seed_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  std::filesystem::remove_all(dir);
  return dir.string();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SeedCommandTest, LoadsRefusesToOverwriteAndReplaces) {
  testing::TestDatabase db("seed");
  db.migrate();
  const std::string& ci = db.conninfo();

  SeedRun first = seed({"--persons", "3000", "--entities", "500", "--db", ci});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(first.out.rfind("seeded 3000 persons and 500 entities in ", 0), 0u) << first.out;
  EXPECT_NE(first.out.find(" rows/s)\n"), std::string::npos) << first.out;
  EXPECT_EQ(count(ci, "SELECT count(*) FROM population.persons"), 3000);
  EXPECT_EQ(count(ci, "SELECT count(*) FROM legal_entity.entities"), 500);
  EXPECT_EQ(count(ci,
                  "SELECT count(*) FROM legal_entity.entities e LEFT JOIN population.persons p "
                  "ON p.citizen_id = e.legal_rep_citizen_id "
                  "WHERE p.citizen_id IS NULL OR p.status <> 'living'"),
            0);
  EXPECT_EQ(count(ci,
                  "SELECT count(*) FROM legal_entity.entities WHERE registered_capital IS NULL "
                  "AND entity_type NOT IN ('individual_business', 'branch')"),
            0);
  const std::string loaded = digest(ci);

  // Again without --replace: refused, nothing changed.
  SeedRun again = seed({"--persons", "100", "--entities", "10", "--seed", "9", "--db", ci});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("already ha"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--replace"), std::string::npos) << again.err;
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(digest(ci), loaded);

  // With --replace: the new rows only.
  SeedRun replaced =
      seed({"--persons", "1000", "--entities", "100", "--seed", "9", "--replace", "--db", ci});
  ASSERT_EQ(replaced.code, 0) << replaced.err;
  EXPECT_EQ(count(ci, "SELECT count(*) FROM population.persons"), 1000);
  EXPECT_EQ(count(ci, "SELECT count(*) FROM legal_entity.entities"), 100);
  EXPECT_NE(digest(ci), loaded);

  // The first seed again: byte-identical rows.
  SeedRun back = seed({"--persons", "3000", "--entities", "500", "--replace", "--db", ci});
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(digest(ci), loaded);
}

TEST(SeedCommandTest, WritesTheSameRowsAsCsv) {
  testing::TestDatabase db("seedcsv");
  db.migrate();
  const std::string with_db = tempDir("db");
  const std::string files_only = tempDir("files");

  SeedRun loaded = seed({"--persons", "800", "--entities", "150", "--seed", "5", "--csv", with_db,
                         "--db", db.conninfo()});
  ASSERT_EQ(loaded.code, 0) << loaded.err;
  // Files only when no database is configured (TONGBAN_DATABASE_URL would count as one).
  if (std::getenv("TONGBAN_DATABASE_URL") == nullptr) {
    SeedRun files =
        seed({"--persons", "800", "--entities", "150", "--seed", "5", "--csv", files_only});
    ASSERT_EQ(files.code, 0) << files.err;
    EXPECT_NE(files.out.find("CSV files only"), std::string::npos) << files.out;
    EXPECT_EQ(readFile(files_only + "/persons.csv"), readFile(with_db + "/persons.csv"));
    EXPECT_EQ(readFile(files_only + "/entities.csv"), readFile(with_db + "/entities.csv"));
  }

  const std::string persons = readFile(with_db + "/persons.csv");
  EXPECT_EQ(persons.rfind(std::string(kPersonColumns) + "\n", 0), 0u);
  EXPECT_EQ(std::count(persons.begin(), persons.end(), '\n'), 801);
  const std::string entities = readFile(with_db + "/entities.csv");
  EXPECT_EQ(entities.rfind(std::string(kEntityColumns) + "\n", 0), 0u);
  EXPECT_EQ(std::count(entities.begin(), entities.end(), '\n'), 151);

  // The file holds what the database holds: load it into a copy of the table and compare.
  {
    pqxx::connection conn(db.conninfo());
    pqxx::work tx(conn);
    tx.exec0("CREATE TABLE persons_csv (LIKE population.persons INCLUDING ALL)");
    std::istringstream lines(persons);
    std::string line;
    std::getline(lines, line);  // header
    int64_t rows = 0;
    while (std::getline(lines, line)) {
      // No field of the generated persons needs quoting, so a split on ',' is exact.
      std::vector<std::string> f;
      std::stringstream fields(line);
      std::string field;
      while (std::getline(fields, field, ',')) f.push_back(field);
      ASSERT_EQ(f.size(), 8u) << line;
      rows += tx.exec_params0(
                    "INSERT INTO persons_csv (citizen_id, name, sex, birth_date, ethnicity, "
                    "region_code, address, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7])
                  .affected_rows();
    }
    EXPECT_EQ(rows, 800);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM (SELECT citizen_id, name, sex, birth_date, "
                       "ethnicity, region_code, address, status FROM persons_csv EXCEPT "
                       "SELECT citizen_id, name, sex, birth_date, ethnicity, region_code, "
                       "address, status FROM population.persons) d")[0]
                  .as<int64_t>(),
              0);
  }
  std::filesystem::remove_all(with_db);
  std::filesystem::remove_all(files_only);
}

TEST(SeedCommandTest, ReadsTheDatabaseFromAConfigFile) {
  testing::TestDatabase db("seedcfg");
  db.migrate();
  const std::string dir = tempDir("cfg");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/tongban.ini";
  std::ofstream(path) << "[database]\nurl = " << db.conninfo() << "\n";
  SeedRun r = seed({"--persons", "200", "--entities", "20", "--config", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count(db.conninfo(), "SELECT count(*) FROM population.persons"), 200);
  std::filesystem::remove_all(dir);

  SeedRun missing = seed({"--persons", "1", "--entities", "0", "--config", dir + "/nope.ini"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("nope.ini"), std::string::npos) << missing.err;
}

TEST(SeedCommandTest, BadArgumentsExit2AndTouchNothing) {
  testing::TestDatabase db("seedargs");
  db.migrate();
  const std::string ci = db.conninfo();
  const std::vector<Args> bad = {
      {"--persons", "abc", "--entities", "1", "--db", ci},
      {"--persons", "-5", "--entities", "1", "--db", ci},
      {"--persons", "10", "--entities", "1.5", "--db", ci},
      {"--entities", "1", "--db", ci},
      {"--persons", "10", "--db", ci},
      {"--persons", "10", "--entities", "1", "--db"},
      {"--persons", "0", "--entities", "5", "--db", ci},
      {"--persons", "50000001", "--entities", "0", "--db", ci},
      {"--persons", "10", "--entities", "1", "--seed", "x", "--db", ci},
      {"--persons", "10", "--entities", "1", "--bogus", "--db", ci},
      {"--persons", "10", "--entities", "1", "--db", ci, "--config", "/dev/null"},
  };
  for (const Args& args : bad) {
    SeedRun r = seed(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << "\n" << r.err;
    EXPECT_NE(r.err.find("usage: tongban-admin seed"), std::string::npos) << joined;
    EXPECT_EQ(r.out, "") << joined;
  }
  EXPECT_EQ(count(ci, "SELECT count(*) FROM population.persons"), 0);
}

TEST(SeedCommandTest, DatabaseProblemsExit1WithTheReason) {
  SeedRun unreachable = seed({"--persons", "10", "--entities", "1", "--db",
                              "host=127.0.0.1 port=1 dbname=none connect_timeout=3"});
  EXPECT_EQ(unreachable.code, 1);
  EXPECT_NE(unreachable.err.find("cannot reach the database"), std::string::npos)
      << unreachable.err;

  testing::TestDatabase db("seednomig");  // not migrated: no tables
  SeedRun no_tables = seed({"--persons", "10", "--entities", "1", "--db", db.conninfo()});
  EXPECT_EQ(no_tables.code, 1);
  EXPECT_NE(no_tables.err.find("migrations"), std::string::npos) << no_tables.err;
}

}  // namespace
}  // namespace tongban::admin
