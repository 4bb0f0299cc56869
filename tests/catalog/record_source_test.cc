// Integration tests of the record sources (record_source.h, record_source_registry.h) on a real
// PostgreSQL: the local registries as "pg" sources found by name, lookups by key with only the
// fields asked for, lookups by a non-key field ordered by key and bounded, and the registry's
// refusals (unknown kind, taken name, unknown field).
#include "tongban/catalog/record_source_registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "support/test_db.h"

namespace tongban::catalog {
namespace {

const char kPerson[] = "11010519491231002X";

class RecordSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TestDatabase("record_source");
    db_->migrate();
    db::PoolOptions opts;
    opts.conninfo = db_->conninfo();
    opts.size = 2;
    opts.on_connect = preparePgRecordSources;
    pool_ = new db::ConnectionPool(std::move(opts));
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO population.persons (citizen_id, name, sex, birth_date, region_code, address) "
        "VALUES ('11010519491231002X', '张秀英', 'F', '1949-12-31', '110105', '北京市朝阳区')");
    // Two entities represented by the same person, inserted out of key order.
    tx.exec(
        "INSERT INTO legal_entity.entities (credit_code, name, entity_type, legal_rep_citizen_id, "
        "established_on, region_code, address, business_scope) VALUES "
        "('91350100M000100Y43', '福州闽江软件有限公司', 'llc', '11010519491231002X', "
        "'2008-06-18', '350102', '福州', '软件'), "
        "('91110105MA00000012', '北京某某有限公司', 'llc', '11010519491231002X', "
        "'2010-01-01', '110105', '北京', '咨询')");
    tx.commit();
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete db_;
  }

  static std::unique_ptr<RecordSourceRegistry> sources() {
    auto r = localRecordSources(*pool_);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return std::move(*r);
  }

  static testing::TestDatabase* db_;
  static db::ConnectionPool* pool_;
};

testing::TestDatabase* RecordSourceTest::db_ = nullptr;
db::ConnectionPool* RecordSourceTest::pool_ = nullptr;

TEST_F(RecordSourceTest, LocalRegistriesAreFoundByName) {
  auto registry = sources();
  const RecordSource* persons = registry->find("population.persons");
  const RecordSource* entities = registry->find("legal_entity.entities");
  ASSERT_NE(persons, nullptr);
  ASSERT_NE(entities, nullptr);
  EXPECT_EQ(persons->keyField(), "citizen_id");
  EXPECT_EQ(entities->keyField(), "credit_code");
  EXPECT_EQ(registry->find("population"), nullptr);
  EXPECT_EQ(registry->find("certs:11100000MB0143028R001"), nullptr);
}

TEST_F(RecordSourceTest, LookupCarriesOnlyTheFieldsAskedForInOrder) {
  auto registry = sources();
  auto r = registry->find("population.persons")->lookup(kPerson, {"name", "birth_date", "sex"});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_TRUE(r->has_value());
  const Record& rec = **r;
  ASSERT_EQ(rec.fields().size(), 3u);
  EXPECT_EQ(rec.fields()[0].first, "name");
  EXPECT_EQ(rec.fields()[1].first, "birth_date");
  EXPECT_EQ(rec.value("name"), "张秀英");
  EXPECT_EQ(rec.value("birth_date"), "1949-12-31");
  EXPECT_EQ(rec.value("sex"), "F");
  EXPECT_EQ(rec.find("address"), nullptr);  // not asked for: not carried
}

TEST_F(RecordSourceTest, NullValueIsCarriedWithoutValue) {
  auto registry = sources();
  auto r = registry->find("legal_entity.entities")
               ->lookup("91350100M000100Y43", {"registered_capital", "name"});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_TRUE(r->has_value());
  const std::optional<std::string>* capital = (*r)->find("registered_capital");
  ASSERT_NE(capital, nullptr);
  EXPECT_FALSE(capital->has_value());
}

TEST_F(RecordSourceTest, LookupOfAnAbsentKeyIsEmpty) {
  auto registry = sources();
  auto r = registry->find("population.persons")->lookup("110101199003070011", {"name"});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_FALSE(r->has_value());
}

TEST_F(RecordSourceTest, UnknownFieldIsRefusedNamingIt) {
  auto registry = sources();
  auto r = registry->find("population.persons")->lookup(kPerson, {"name", "updated_at"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "fields[1]");
}

TEST_F(RecordSourceTest, LookupByIsOrderedByKeyAndBounded) {
  auto registry = sources();
  const RecordSource* entities = registry->find("legal_entity.entities");
  auto all = entities->lookupBy("legal_rep_citizen_id", kPerson, {"credit_code", "name"}, 100);
  ASSERT_TRUE(all.isOk()) << all.status().toString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].value("credit_code"), "91110105MA00000012");
  EXPECT_EQ((*all)[1].value("credit_code"), "91350100M000100Y43");
  auto one = entities->lookupBy("legal_rep_citizen_id", kPerson, {"credit_code"}, 1);
  ASSERT_TRUE(one.isOk()) << one.status().toString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].value("credit_code"), "91110105MA00000012");
  // Not a lookup field (no index): refused, never a scan.
  auto bad = entities->lookupBy("address", "福州", {"credit_code"}, 10);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "field");
}

TEST_F(RecordSourceTest, RegistryRefusesUnknownKindsTakenNamesAndUnknownRegistries) {
  RecordSourceRegistry registry;
  RecordSourceConfig config;
  config.name = "population.persons";
  config.pool = pool_;
  EXPECT_EQ(registry.add("thrift", config).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(registry.add("pg", config).isOk());
  EXPECT_EQ(registry.add("pg", config).code(), ErrorCode::kConflict);
  config.name = "population.households";
  EXPECT_EQ(registry.add("pg", config).code(), ErrorCode::kInvalidArgument);
  config.name = "legal_entity.entities";
  config.settings["url"] = "http://example.invalid";
  EXPECT_EQ(registry.add("pg", config).field(), "settings.url");
  EXPECT_NE(registry.factory("pg"), nullptr);
  EXPECT_EQ(registry.factory("thrift"), nullptr);
}

// A kind of source registered from outside the catalog, as the adapters will: one record per
// instance, its key and value taken from the instance's settings.
class FixedSource : public RecordSource {
 public:
  FixedSource(std::string name, std::string key, std::string value)
      : name_(std::move(name)), key_field_("id"), key_(std::move(key)), value_(std::move(value)) {}
  const std::string& name() const override { return name_; }
  const std::string& keyField() const override { return key_field_; }
  Result<std::optional<Record>> lookup(const std::string& key,
                                       const std::vector<std::string>& fields) const override {
    if (key != key_) return std::optional<Record>();
    Record r;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i] != "value") {
        return Status::invalid("fields[" + std::to_string(i) + "]", "unknown field");
      }
      r.add("value", value_);
    }
    return std::optional<Record>(std::move(r));
  }
  Result<std::vector<Record>> lookupBy(std::string_view, const std::string&,
                                       const std::vector<std::string>&, size_t) const override {
    return Status::invalid("field", "no lookup fields");
  }

 private:
  std::string name_, key_field_, key_, value_;
};

class FixedSourceFactory : public RecordSourceFactory {
 public:
  std::string kind() const override { return "fixed"; }
  Result<std::unique_ptr<RecordSource>> create(const RecordSourceConfig& config) const override {
    auto key = config.settings.find("key");
    if (key == config.settings.end()) return Status::invalid("settings.key", "required");
    auto value = config.settings.find("value");
    return std::unique_ptr<RecordSource>(std::make_unique<FixedSource>(
        config.name, key->second, value == config.settings.end() ? "" : value->second));
  }
};

TEST_F(RecordSourceTest, AnotherKindIsRegisteredByNameAndConfiguredPerInstance) {
  auto registry = sources();
  ASSERT_TRUE(registry->registerFactory(std::make_unique<FixedSourceFactory>()).isOk());
  EXPECT_EQ(registry->registerFactory(std::make_unique<FixedSourceFactory>()).code(),
            ErrorCode::kConflict);
  RecordSourceConfig a;
  a.name = "ministry.a";
  EXPECT_EQ(registry->add("fixed", a).field(), "settings.key");
  a.settings = {{"key", "1"}, {"value", "甲"}};
  RecordSourceConfig b;
  b.name = "ministry.b";
  b.settings = {{"key", "2"}, {"value", "乙"}};
  ASSERT_TRUE(registry->add("fixed", a).isOk());
  ASSERT_TRUE(registry->add("fixed", b).isOk());
  auto ra = registry->find("ministry.a")->lookup("1", {"value"});
  ASSERT_TRUE(ra.isOk() && ra->has_value());
  EXPECT_EQ((*ra)->value("value"), "甲");
  auto rb = registry->find("ministry.b")->lookup("1", {"value"});
  ASSERT_TRUE(rb.isOk());
  EXPECT_FALSE(rb->has_value());
  // The local registries are still there beside them.
  EXPECT_NE(registry->find("population.persons"), nullptr);
}

}  // namespace
}  // namespace tongban::catalog
