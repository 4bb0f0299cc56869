// Integration tests of CatalogStore on a real PostgreSQL (tests/support/test_db.h): the shipped
// catalog, versioning, applications for access and their approval workflow, the grant state
// machine with its event rows, permission checks, and activeGrants.
//
// One migrated database for the suite; each test makes its own applications (and resources where
// it needs them), so tests do not see each other's requests and grants.
#include "tongban/catalog/catalog_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "support/test_db.h"
#include "tongban/catalog/change_listener.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/time_format.h"

namespace tongban::catalog {
namespace {

using namespace std::chrono_literals;

const char kPopDept[] = "11110000000010014U";     // shipped: 公安局人口管理总队
const char kMarketDept[] = "11110000000010022N";  // shipped: 市场监督管理局
const char kOtherDept[] = "91350100M000100Y43";   // made by the suite

class CatalogStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TestDatabase("catalog_store");
    db_->migrate();
    pool_ = new db::ConnectionPool({db_->conninfo(), 4, std::chrono::milliseconds(5000), nullptr});
    exec("INSERT INTO directory.departments (code, name, region_code, created_by) VALUES ('" +
         std::string(kOtherDept) + "', '福州市某局', '350100', 'test')");
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete db_;
  }

  static void exec(const std::string& sql) {
    pqxx::connection conn(db_->conninfo());
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  static int64_t count(const std::string& sql) {
    pqxx::connection conn(db_->conninfo());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  // A new application of `department` in directory.applications, as an Actor.
  static Actor app(const std::string& department, Role role) {
    static int n = 0;
    char id[32];
    std::snprintf(id, sizeof id, "app_%016x", ++n);
    exec(
        "INSERT INTO directory.applications (app_id, department_code, name, role, created_by)"
        " VALUES ('" +
        std::string(id) + "', '" + department + "', 'test app " + std::to_string(n) + "', '" +
        toString(role) + "', 'test')");
    return Actor{id, department, role};
  }

  CatalogStore store() { return CatalogStore(*pool_); }
  Actor admin() const { return Actor::cli("tester"); }

  static AccessApplication application(const std::string& code, std::vector<std::string> fields) {
    AccessApplication a;
    a.resource_code = code;
    a.fields = std::move(fields);
    a.purpose = "办理户籍类事项时核验申请人身份";
    a.legal_basis = "《中华人民共和国居民身份证法》";
    a.matter_codes = {"M-0001"};
    a.valid_to = Clock::now() + 24h * 365;
    a.rate_per_minute = 120;
    return a;
  }

  // "from>to by actor" for each event of the object, oldest first.
  std::vector<std::string> history(ObjectType type, const std::string& id) {
    Result<std::vector<CatalogEvent>> events = store().listEvents(type, id, admin());
    EXPECT_TRUE(events.isOk()) << events.status().toString();
    std::vector<std::string> out;
    if (!events.isOk()) return out;
    for (const CatalogEvent& e : *events) {
      out.push_back(e.from_state.value_or("") + ">" + e.to_state + " by " + e.actor);
    }
    return out;
  }

  // A published resource of population.persons with the given sharing type.
  Resource publishedPersonResource(const std::string& code, SharingType sharing) {
    ResourceDraft d;
    d.code = code;
    d.name = "测试资源 " + code;
    d.provider_department = kPopDept;
    d.source = "population.persons";
    d.key_fields = {"citizen_id"};
    d.sharing_type = sharing;
    d.update_cycle = UpdateCycle::kDaily;
    d.fields = {
        {"citizen_id", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kCitizenId, 0},
        {"name", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kName, 0},
        {"sex", FieldType::kEnum, "", Sensitivity::kInternal, MaskingRule::kNone, 0}};
    Result<Resource> r = store().createResource(d, admin());
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    Result<Resource> p = store().publishResource(code, r->version, admin());
    EXPECT_TRUE(p.isOk()) << p.status().toString();
    return *p;
  }

  static testing::TestDatabase* db_;
  static db::ConnectionPool* pool_;
};

testing::TestDatabase* CatalogStoreTest::db_ = nullptr;
db::ConnectionPool* CatalogStoreTest::pool_ = nullptr;

#define EXPECT_CODE(result, expected_code)                                    \
  do {                                                                        \
    auto&& _r = (result);                                                     \
    EXPECT_FALSE(_r.isOk());                                                  \
    EXPECT_EQ(_r.status().code(), (expected_code)) << _r.status().toString(); \
  } while (false)

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- The shipped catalog -----------------------------------------------------------------------

TEST_F(CatalogStoreTest, ShipsThePopulationAndLegalEntityResources) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<Resource> pop = store().getResource("POP-PERSON-BASIC", consumer);
  ASSERT_TRUE(pop.isOk()) << pop.status().toString();
  EXPECT_EQ(pop->version, 1);
  EXPECT_EQ(pop->status, ResourceStatus::kPublished);
  EXPECT_EQ(pop->sharing_type, SharingType::kConditional);
  EXPECT_EQ(pop->provider_department, kPopDept);
  EXPECT_EQ(pop->source, "population.persons");
  EXPECT_EQ(pop->key_fields, std::vector<std::string>{"citizen_id"});
  ASSERT_EQ(pop->fields.size(), 8u);
  EXPECT_EQ(pop->field("citizen_id")->masking, MaskingRule::kCitizenId);
  EXPECT_EQ(pop->field("name")->masking, MaskingRule::kName);
  EXPECT_EQ(pop->field("birth_date")->masking, MaskingRule::kDate);
  EXPECT_EQ(pop->field("address")->masking, MaskingRule::kAddress);
  EXPECT_EQ(pop->field("address")->sensitivity, Sensitivity::kSensitive);
  EXPECT_EQ(pop->field("updated_at"), nullptr);

  Result<Resource> le = store().getResource("LE-ENTITY-BASIC", consumer);
  ASSERT_TRUE(le.isOk()) << le.status().toString();
  EXPECT_EQ(le->sharing_type, SharingType::kUnconditional);
  EXPECT_TRUE(le->open_data);
  EXPECT_EQ(le->provider_department, kMarketDept);
  EXPECT_EQ(le->fields.size(), 10u);
  EXPECT_EQ(le->field("legal_rep_citizen_id")->masking, MaskingRule::kCitizenId);

  // Every shipped field is a column of its source, of a fitting type.
  for (const Resource* r : {&*pop, &*le}) {
    const Source* source = findSource(r->source);
    ASSERT_NE(source, nullptr);
    for (const ResourceField& f : r->fields) {
      const SourceColumn* column = source->column(f.name);
      ASSERT_NE(column, nullptr) << f.name;
      EXPECT_TRUE(fieldTypeFits(f.type, *column)) << f.name;
    }
  }
}

TEST_F(CatalogStoreTest, SourcesListExactlyTheRegistryColumns) {
  pqxx::connection conn(db_->conninfo());
  pqxx::nontransaction tx(conn);
  for (const Source& s : registrySources()) {
    const pqxx::result rows = tx.exec_params(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND"
        " table_name = $2 AND column_name <> 'updated_at' ORDER BY ordinal_position",
        std::string(s.schema), std::string(s.table));
    std::vector<std::string> actual;
    for (const pqxx::row& row : rows) actual.push_back(row[0].as<std::string>());
    std::vector<std::string> listed;
    for (const SourceColumn& c : s.columns) listed.push_back(c.name);
    EXPECT_EQ(listed, actual) << s.name;
  }
}

TEST_F(CatalogStoreTest, ListsAndSearchesPublishedResources) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  ResourceFilter by_text;
  by_text.text = "法人";
  Result<std::vector<Resource>> found = store().listResources(by_text, consumer);
  ASSERT_TRUE(found.isOk()) << found.status().toString();
  // Migration 0015's verification resources are shipped too.
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].code, "LE-ENTITY-BASIC");
  EXPECT_EQ((*found)[1].code, "VERIFY-ENTITY");

  ResourceFilter by_field;
  by_field.field = "birth_date";
  found = store().listResources(by_field, consumer);
  ASSERT_TRUE(found.isOk());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].code, "POP-PERSON-BASIC");
  EXPECT_EQ((*found)[1].code, "VERIFY-PERSON");

  ResourceFilter by_provider;
  by_provider.provider_department = kMarketDept;
  found = store().listResources(by_provider, consumer);
  ASSERT_TRUE(found.isOk());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].code, "LE-ENTITY-BASIC");
  EXPECT_EQ((*found)[0].fields.size(), 10u);
  EXPECT_EQ((*found)[1].code, "VERIFY-ENTITY");

  ResourceFilter bad_limit;
  bad_limit.limit = 0;
  EXPECT_CODE(store().listResources(bad_limit, consumer), ErrorCode::kInvalidArgument);
}

// --- Versioning --------------------------------------------------------------------------------

TEST_F(CatalogStoreTest, EditingMakesANewDraftVersionAndPublishingRetiresTheOld) {
  publishedPersonResource("TEST-VERSIONS", SharingType::kConditional);
  Result<Resource> v1 = store().getResource("TEST-VERSIONS", admin());
  ASSERT_TRUE(v1.isOk());
  EXPECT_EQ(v1->version, 1);

  // Edit: same code, one field more.
  ResourceDraft edit;
  edit.code = "TEST-VERSIONS";
  edit.name = "测试资源（第二版）";
  edit.provider_department = kPopDept;
  edit.source = "population.persons";
  edit.key_fields = {"citizen_id"};
  edit.sharing_type = SharingType::kConditional;
  edit.update_cycle = UpdateCycle::kDaily;
  edit.fields = {
      {"citizen_id", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kCitizenId, 0},
      {"region_code", FieldType::kString, "", Sensitivity::kInternal, MaskingRule::kNone, 0}};
  Result<Resource> v2 = store().createResource(edit, admin());
  ASSERT_TRUE(v2.isOk()) << v2.status().toString();
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->status, ResourceStatus::kDraft);
  EXPECT_EQ(v2->fields.size(), 2u);
  EXPECT_EQ(v2->fields[1].position, 2);

  // The published one is still version 1; a second draft is refused.
  EXPECT_EQ(store().getResource("TEST-VERSIONS", admin())->version, 1);
  EXPECT_CODE(store().createResource(edit, admin()), ErrorCode::kConflict);

  Result<Resource> published = store().publishResource("TEST-VERSIONS", 2, admin());
  ASSERT_TRUE(published.isOk()) << published.status().toString();
  EXPECT_EQ(published->status, ResourceStatus::kPublished);
  EXPECT_EQ(store().getResource("TEST-VERSIONS", admin())->version, 2);
  EXPECT_EQ(store().getResource("TEST-VERSIONS", admin(), 1)->status, ResourceStatus::kRetired);
  EXPECT_EQ(count("SELECT count(*) FROM catalog.resources WHERE code = 'TEST-VERSIONS' AND"
                  " status = 'published'"),
            1);

  EXPECT_EQ(history(ObjectType::kResource, "TEST-VERSIONS/1"),
            (std::vector<std::string>{">draft by cli:tester", "draft>published by cli:tester",
                                      "published>retired by cli:tester"}));
  EXPECT_EQ(history(ObjectType::kResource, "TEST-VERSIONS/2"),
            (std::vector<std::string>{">draft by cli:tester", "draft>published by cli:tester"}));

  // Only drafts can be published, and never one older than the published version.
  EXPECT_CODE(store().publishResource("TEST-VERSIONS", 2, admin()), ErrorCode::kConflict);
  EXPECT_CODE(store().publishResource("TEST-VERSIONS", 1, admin()), ErrorCode::kConflict);
  EXPECT_CODE(store().publishResource("TEST-VERSIONS", 9, admin()), ErrorCode::kNotFound);
  EXPECT_CODE(store().publishResource("NO-SUCH", 1, admin()), ErrorCode::kNotFound);
  Result<Resource> v3 = store().createResource(edit, admin());
  ASSERT_TRUE(v3.isOk());
  EXPECT_EQ(v3->version, 3);
}

TEST_F(CatalogStoreTest, RetiringLeavesNoPublishedVersion) {
  publishedPersonResource("TEST-RETIRE", SharingType::kUnconditional);
  Result<Resource> retired = store().retireResource("TEST-RETIRE", admin());
  ASSERT_TRUE(retired.isOk()) << retired.status().toString();
  EXPECT_EQ(retired->status, ResourceStatus::kRetired);
  EXPECT_CODE(store().getResource("TEST-RETIRE", admin()), ErrorCode::kNotFound);
  EXPECT_CODE(store().retireResource("TEST-RETIRE", admin()), ErrorCode::kConflict);
  EXPECT_CODE(store().retireResource("TEST-RETIRE", admin(), 1), ErrorCode::kConflict);
  // Nobody can apply for it.
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  EXPECT_CODE(store().applyForAccess(application("TEST-RETIRE", {"name"}), consumer),
              ErrorCode::kNotFound);
  EXPECT_EQ(history(ObjectType::kResource, "TEST-RETIRE/1").back(),
            "published>retired by cli:tester");
}

TEST_F(CatalogStoreTest, DraftsAreHiddenFromConsumers) {
  ResourceDraft d;
  d.code = "TEST-DRAFT-HIDDEN";
  d.name = "草稿";
  d.provider_department = kMarketDept;
  d.source = "legal_entity.entities";
  d.key_fields = {"credit_code"};
  d.sharing_type = SharingType::kUnconditional;
  d.update_cycle = UpdateCycle::kMonthly;
  d.fields = {{"credit_code", FieldType::kString, "", Sensitivity::kPublic, MaskingRule::kNone, 0}};
  const Actor provider = app(kMarketDept, Role::kProvider);
  Result<Resource> created = store().createResource(d, provider);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  EXPECT_EQ(created->created_by, provider.id);

  const Actor consumer = app(kMarketDept, Role::kConsumer);
  EXPECT_CODE(store().getResource("TEST-DRAFT-HIDDEN", consumer, 1), ErrorCode::kNotFound);
  EXPECT_TRUE(store().getResource("TEST-DRAFT-HIDDEN", provider, 1).isOk());
  EXPECT_TRUE(store().getResource("TEST-DRAFT-HIDDEN", admin(), 1).isOk());
  EXPECT_CODE(store().getResource("TEST-DRAFT-HIDDEN", admin()), ErrorCode::kNotFound);

  ResourceFilter drafts;
  drafts.status = ResourceStatus::kDraft;
  EXPECT_CODE(store().listResources(drafts, consumer), ErrorCode::kPermissionDenied);
  Result<std::vector<Resource>> mine = store().listResources(drafts, provider);
  ASSERT_TRUE(mine.isOk());
  bool seen = false;
  for (const Resource& r : *mine) {
    EXPECT_EQ(r.provider_department, kMarketDept);
    seen = seen || r.code == "TEST-DRAFT-HIDDEN";
  }
  EXPECT_TRUE(seen);
  const Actor other_provider = app(kOtherDept, Role::kProvider);
  Result<std::vector<Resource>> theirs = store().listResources(drafts, other_provider);
  ASSERT_TRUE(theirs.isOk());
  for (const Resource& r : *theirs) EXPECT_NE(r.code, "TEST-DRAFT-HIDDEN");
  EXPECT_TRUE(store().listResources(ResourceFilter{}, consumer).isOk());
}

TEST_F(CatalogStoreTest, OnlyAdminsAndTheProviderManageResources) {
  ResourceDraft d;
  d.code = "TEST-PERMS";
  d.name = "权限";
  d.provider_department = kPopDept;
  d.source = "population.persons";
  d.key_fields = {"citizen_id"};
  d.fields = {
      {"citizen_id", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kCitizenId, 0}};
  EXPECT_CODE(store().createResource(d, app(kPopDept, Role::kConsumer)),
              ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().createResource(d, app(kOtherDept, Role::kProvider)),
              ErrorCode::kPermissionDenied);
  ASSERT_TRUE(store().createResource(d, app(kPopDept, Role::kProvider)).isOk());
  EXPECT_CODE(store().publishResource("TEST-PERMS", 1, app(kOtherDept, Role::kProvider)),
              ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().publishResource("TEST-PERMS", 1, app(kPopDept, Role::kConsumer)),
              ErrorCode::kPermissionDenied);
  ASSERT_TRUE(store().publishResource("TEST-PERMS", 1, app(kPopDept, Role::kProvider)).isOk());
  EXPECT_CODE(store().retireResource("TEST-PERMS", app(kOtherDept, Role::kProvider)),
              ErrorCode::kPermissionDenied);
  // The provider department of a code cannot change in a new version.
  d.provider_department = kOtherDept;
  EXPECT_CODE(store().createResource(d, admin()), ErrorCode::kInvalidArgument);
}

TEST_F(CatalogStoreTest, ResourceDefinitionsAreValidated) {
  const auto base = [] {
    ResourceDraft d;
    d.code = "TEST-VALID";
    d.name = "校验";
    d.provider_department = kPopDept;
    d.source = "population.persons";
    d.key_fields = {"citizen_id"};
    d.sharing_type = SharingType::kConditional;
    d.fields = {
        {"citizen_id", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kCitizenId, 0},
        {"birth_date", FieldType::kDate, "", Sensitivity::kSensitive, MaskingRule::kDate, 0}};
    return d;
  };
  struct Case {
    const char* what;
    void (*change)(ResourceDraft*);
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {"bad code", [](ResourceDraft* d) { d->code = "test-valid"; }, "code", "must match"},
      {"unknown source", [](ResourceDraft* d) { d->source = "population.secrets"; }, "source",
       "unknown source 'population.secrets'"},
      {"not a column", [](ResourceDraft* d) { d->fields[1].name = "salary"; }, "fields[1].name",
       "'salary' is not a column of population.persons"},
      {"duplicate field", [](ResourceDraft* d) { d->fields[1].name = "citizen_id"; },
       "fields[1].name", "listed twice"},
      {"type mismatch", [](ResourceDraft* d) { d->fields[1].type = FieldType::kInteger; },
       "fields[1].type", "the column is date"},
      {"key not a lookup column", [](ResourceDraft* d) { d->key_fields = {"birth_date"}; },
       "key_fields", "not a lookup column"},
      {"key not a field", [](ResourceDraft* d) { d->key_fields = {"name"}; }, "key_fields",
       "not a field"},
      {"open data must be unconditional", [](ResourceDraft* d) { d->open_data = true; },
       "open_data", "unconditional"},
      {"unknown department",
       [](ResourceDraft* d) { d->provider_department = "11110000000099999X"; },
       "provider_department", "unknown department"},
      {"no fields", [](ResourceDraft* d) { d->fields.clear(); }, "fields", "at least one"},
      {"empty name", [](ResourceDraft* d) { d->name = " "; }, "name", "required"},
  };
  for (const Case& c : cases) {
    ResourceDraft d = base();
    c.change(&d);
    Result<Resource> r = store().createResource(d, admin());
    ASSERT_FALSE(r.isOk()) << c.what;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << c.what;
    EXPECT_EQ(r.status().field(), c.field) << c.what;
    EXPECT_TRUE(contains(r.status().message(), c.message))
        << c.what << ": " << r.status().message();
  }
  EXPECT_EQ(count("SELECT count(*) FROM catalog.resources WHERE code = 'TEST-VALID'"), 0);
}

// --- Applications for access -------------------------------------------------------------------

TEST_F(CatalogStoreTest, UnconditionalResourcesAreGrantedAtOnce) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  AccessApplication a = application("LE-ENTITY-BASIC", {"credit_code", "name", "status"});
  a.purpose = "";
  a.legal_basis = "";  // not needed for unconditional resources
  Result<AccessRequest> q = store().applyForAccess(a, consumer);
  ASSERT_TRUE(q.isOk()) << q.status().toString();
  EXPECT_EQ(q->state, RequestState::kApproved);
  EXPECT_EQ(q->decided_by, std::string("system:auto"));
  ASSERT_TRUE(q->grant_id);
  EXPECT_EQ(q->resource_version, 1);

  Result<Grant> g = store().getGrant(*q->grant_id, consumer);
  ASSERT_TRUE(g.isOk()) << g.status().toString();
  EXPECT_EQ(g->state, GrantState::kActive);
  EXPECT_EQ(g->fields, a.fields);
  EXPECT_EQ(g->matter_codes, a.matter_codes);
  EXPECT_EQ(g->rate_per_minute, 120);
  EXPECT_TRUE(g->unmasked_fields.empty());

  Result<std::vector<Grant>> active =
      store().activeGrants(consumer.id, "LE-ENTITY-BASIC", Clock::now());
  ASSERT_TRUE(active.isOk()) << active.status().toString();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, g->id);

  const std::string id = std::to_string(q->id);
  EXPECT_EQ(
      history(ObjectType::kRequest, id),
      (std::vector<std::string>{">pending by " + consumer.id, "pending>approved by system:auto"}));
  EXPECT_EQ(history(ObjectType::kGrant, std::to_string(g->id)),
            (std::vector<std::string>{">active by system:auto"}));
}

TEST_F(CatalogStoreTest, ConditionalResourcesWaitForApproval) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q = store().applyForAccess(
      application("POP-PERSON-BASIC", {"citizen_id", "name", "sex"}), consumer);
  ASSERT_TRUE(q.isOk()) << q.status().toString();
  EXPECT_EQ(q->state, RequestState::kPending);
  EXPECT_FALSE(q->grant_id);
  EXPECT_FALSE(q->decided_at);
  EXPECT_TRUE(store().activeGrants(consumer.id, "POP-PERSON-BASIC", Clock::now())->empty());

  ApprovalOptions options;
  options.unmasked_fields = {"name"};
  options.rate_per_minute = 30;
  options.reason = "符合共享条件";
  Result<Approval> approval = store().approveRequest(q->id, admin(), options);
  ASSERT_TRUE(approval.isOk()) << approval.status().toString();
  EXPECT_EQ(approval->request.state, RequestState::kApproved);
  EXPECT_EQ(approval->request.decided_by, std::string("cli:tester"));
  EXPECT_EQ(approval->request.reason, "符合共享条件");
  EXPECT_EQ(approval->request.grant_id, approval->grant.id);
  EXPECT_EQ(approval->grant.unmasked_fields, std::vector<std::string>{"name"});
  EXPECT_EQ(approval->grant.rate_per_minute, 30);
  EXPECT_TRUE(approval->grant.liftsMasking("name"));
  EXPECT_FALSE(approval->grant.liftsMasking("citizen_id"));

  EXPECT_EQ(
      history(ObjectType::kRequest, std::to_string(q->id)),
      (std::vector<std::string>{">pending by " + consumer.id, "pending>approved by cli:tester"}));
  EXPECT_EQ(history(ObjectType::kGrant, std::to_string(approval->grant.id)),
            (std::vector<std::string>{">active by cli:tester"}));

  // A decision is final.
  EXPECT_CODE(store().approveRequest(q->id, admin(), {}), ErrorCode::kConflict);
  Result<AccessRequest> again = store().rejectRequest(q->id, admin(), "too late");
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_TRUE(contains(again.status().message(), "approved")) << again.status().message();
  EXPECT_CODE(store().withdrawRequest(q->id, consumer), ErrorCode::kConflict);
  EXPECT_EQ(history(ObjectType::kRequest, std::to_string(q->id)).size(), 2u);
}

TEST_F(CatalogStoreTest, RejectAndWithdraw) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  const AccessApplication a = application("POP-PERSON-BASIC", {"name"});
  Result<AccessRequest> q1 = store().applyForAccess(a, consumer);
  ASSERT_TRUE(q1.isOk());
  EXPECT_CODE(store().rejectRequest(q1->id, admin(), "  "), ErrorCode::kInvalidArgument);
  Result<AccessRequest> rejected = store().rejectRequest(q1->id, admin(), "用途与事项不符");
  ASSERT_TRUE(rejected.isOk()) << rejected.status().toString();
  EXPECT_EQ(rejected->state, RequestState::kRejected);
  EXPECT_EQ(rejected->reason, "用途与事项不符");
  EXPECT_FALSE(rejected->grant_id);
  Result<Approval> late = store().approveRequest(q1->id, admin(), {});
  ASSERT_FALSE(late.isOk());
  EXPECT_EQ(late.status().code(), ErrorCode::kConflict);
  EXPECT_TRUE(contains(late.status().message(), "rejected")) << late.status().message();
  EXPECT_CODE(store().withdrawRequest(q1->id, consumer), ErrorCode::kConflict);

  Result<AccessRequest> q2 = store().applyForAccess(a, consumer);
  ASSERT_TRUE(q2.isOk());
  EXPECT_CODE(store().withdrawRequest(q2->id, app(kOtherDept, Role::kConsumer)),
              ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().withdrawRequest(q2->id, admin()), ErrorCode::kPermissionDenied);
  Result<AccessRequest> withdrawn = store().withdrawRequest(q2->id, consumer);
  ASSERT_TRUE(withdrawn.isOk()) << withdrawn.status().toString();
  EXPECT_EQ(withdrawn->state, RequestState::kWithdrawn);
  EXPECT_EQ(withdrawn->decided_by, consumer.id);
  EXPECT_CODE(store().approveRequest(q2->id, admin(), {}), ErrorCode::kConflict);
  EXPECT_CODE(store().rejectRequest(q2->id, admin(), "x"), ErrorCode::kConflict);
  EXPECT_CODE(store().withdrawRequest(q2->id, consumer), ErrorCode::kConflict);
  EXPECT_CODE(store().approveRequest(999999, admin(), {}), ErrorCode::kNotFound);

  EXPECT_EQ(
      history(ObjectType::kRequest, std::to_string(q1->id)),
      (std::vector<std::string>{">pending by " + consumer.id, "pending>rejected by cli:tester"}));
  EXPECT_EQ(history(ObjectType::kRequest, std::to_string(q2->id)),
            (std::vector<std::string>{">pending by " + consumer.id,
                                      "pending>withdrawn by " + consumer.id}));
  EXPECT_EQ(count("SELECT count(*) FROM catalog.grants WHERE request_id IN (" +
                  std::to_string(q1->id) + ", " + std::to_string(q2->id) + ")"),
            0);
}

TEST_F(CatalogStoreTest, WhoMayDecide) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q =
      store().applyForAccess(application("POP-PERSON-BASIC", {"name"}), consumer);
  ASSERT_TRUE(q.isOk());
  // The applicant, another consumer of the provider's department, a provider of another
  // department: refused.
  for (const Actor& who : {consumer, app(kPopDept, Role::kConsumer),
                           app(kOtherDept, Role::kProvider), app(kMarketDept, Role::kProvider)}) {
    Result<Approval> r = store().approveRequest(q->id, who, {});
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied) << who.id;
    EXPECT_TRUE(contains(r.status().message(), kPopDept)) << r.status().message();
    EXPECT_CODE(store().rejectRequest(q->id, who, "no"), ErrorCode::kPermissionDenied);
  }
  EXPECT_EQ(store().getRequest(q->id, admin())->state, RequestState::kPending);
  // A provider application of the resource's department may.
  const Actor provider = app(kPopDept, Role::kProvider);
  Result<Approval> ok = store().approveRequest(q->id, provider, {});
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->request.decided_by, provider.id);

  // An admin application may too.
  Result<AccessRequest> q2 =
      store().applyForAccess(application("POP-PERSON-BASIC", {"sex"}), consumer);
  ASSERT_TRUE(q2.isOk());
  EXPECT_TRUE(store().approveRequest(q2->id, app(kOtherDept, Role::kAdmin), {}).isOk());
}

TEST_F(CatalogStoreTest, WhoMayApply) {
  const AccessApplication a = application("LE-ENTITY-BASIC", {"name"});
  EXPECT_CODE(store().applyForAccess(a, admin()), ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().applyForAccess(a, app(kOtherDept, Role::kAdmin)),
              ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().applyForAccess(a, Actor{"app_ffffffffffffffff", kOtherDept, Role::kConsumer}),
              ErrorCode::kPermissionDenied);
  const Actor disabled = app(kOtherDept, Role::kConsumer);
  exec("UPDATE directory.applications SET status = 'disabled' WHERE app_id = '" + disabled.id +
       "'");
  EXPECT_CODE(store().applyForAccess(a, disabled), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(store().applyForAccess(a, app(kOtherDept, Role::kProvider)).isOk());
}

TEST_F(CatalogStoreTest, NotSharedResourcesCannotBeAppliedFor) {
  publishedPersonResource("TEST-NOT-SHARED", SharingType::kNotShared);
  Result<AccessRequest> q = store().applyForAccess(application("TEST-NOT-SHARED", {"name"}),
                                                   app(kOtherDept, Role::kConsumer));
  ASSERT_FALSE(q.isOk());
  EXPECT_EQ(q.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(q.status().message(), "not shared (不予共享)")) << q.status().message();
  EXPECT_EQ(count("SELECT count(*) FROM catalog.access_requests WHERE resource_code ="
                  " 'TEST-NOT-SHARED'"),
            0);
}

TEST_F(CatalogStoreTest, ApplicationsAreValidated) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  struct Case {
    const char* what;
    void (*change)(AccessApplication*);
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {"unknown field",
       [](AccessApplication* a) {
         a->fields = {"name", "salary"};
       },
       "fields", "unknown field 'salary'"},
      {"no fields", [](AccessApplication* a) { a->fields.clear(); }, "fields", "at least one"},
      {"duplicate field",
       [](AccessApplication* a) {
         a->fields = {"name", "name"};
       },
       "fields", "listed twice"},
      {"no matter", [](AccessApplication* a) { a->matter_codes.clear(); }, "matter_codes",
       "at least one"},
      {"bad matter", [](AccessApplication* a) { a->matter_codes = {"a b"}; }, "matter_codes",
       "not a matter code"},
      {"no purpose", [](AccessApplication* a) { a->purpose = ""; }, "purpose", "required"},
      {"no legal basis", [](AccessApplication* a) { a->legal_basis = " "; }, "legal_basis",
       "required"},
      {"inverted window",
       [](AccessApplication* a) { a->valid_from = a->valid_to + std::chrono::hours(1); },
       "valid_to", "after valid_from"},
      {"past window",
       [](AccessApplication* a) {
         a->valid_from = Clock::now() - 48h;
         a->valid_to = Clock::now() - 24h;
       },
       "valid_to", "in the past"},
      {"long window", [](AccessApplication* a) { a->valid_to = Clock::now() + 24h * 365 * 4; },
       "valid_to", "longer than"},
      {"zero rate", [](AccessApplication* a) { a->rate_per_minute = 0; }, "rate_per_minute",
       "1..60000"},
      {"huge rate", [](AccessApplication* a) { a->rate_per_minute = 1000000; }, "rate_per_minute",
       "1..60000"},
      {"bad code", [](AccessApplication* a) { a->resource_code = "pop"; }, "resource_code",
       "not a resource code"},
  };
  for (const Case& c : cases) {
    AccessApplication a = application("POP-PERSON-BASIC", {"name"});
    c.change(&a);
    Result<AccessRequest> q = store().applyForAccess(a, consumer);
    ASSERT_FALSE(q.isOk()) << c.what;
    EXPECT_EQ(q.status().code(), ErrorCode::kInvalidArgument) << c.what;
    EXPECT_EQ(q.status().field(), c.field) << c.what;
    EXPECT_TRUE(contains(q.status().message(), c.message))
        << c.what << ": " << q.status().message();
  }
  EXPECT_CODE(store().applyForAccess(application("NO-SUCH-RESOURCE", {"name"}), consumer),
              ErrorCode::kNotFound);
  EXPECT_EQ(
      count("SELECT count(*) FROM catalog.access_requests WHERE app_id = '" + consumer.id + "'"),
      0);
}

TEST_F(CatalogStoreTest, UnmaskingIsCheckedOnApproval) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q =
      store().applyForAccess(application("POP-PERSON-BASIC", {"citizen_id", "sex"}), consumer);
  ASSERT_TRUE(q.isOk());
  ApprovalOptions not_requested;
  not_requested.unmasked_fields = {"name"};
  EXPECT_CODE(store().approveRequest(q->id, admin(), not_requested), ErrorCode::kInvalidArgument);
  ApprovalOptions no_masking;
  no_masking.unmasked_fields = {"sex"};
  Result<Approval> r = store().approveRequest(q->id, admin(), no_masking);
  ASSERT_FALSE(r.isOk());
  EXPECT_TRUE(contains(r.status().message(), "no masking")) << r.status().message();
  ApprovalOptions bad_rate;
  bad_rate.rate_per_minute = 0;
  EXPECT_CODE(store().approveRequest(q->id, admin(), bad_rate), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().getRequest(q->id, admin())->state, RequestState::kPending);
}

// --- Grants ------------------------------------------------------------------------------------

TEST_F(CatalogStoreTest, GrantStateMachine) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q =
      store().applyForAccess(application("LE-ENTITY-BASIC", {"name"}), consumer);
  ASSERT_TRUE(q.isOk());
  const int64_t id = *q->grant_id;
  const Actor provider = app(kMarketDept, Role::kProvider);

  EXPECT_CODE(store().suspendGrant(id, admin(), ""), ErrorCode::kInvalidArgument);
  EXPECT_CODE(store().suspendGrant(id, consumer, "x"), ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().suspendGrant(id, app(kPopDept, Role::kProvider), "x"),
              ErrorCode::kPermissionDenied);
  EXPECT_CODE(store().resumeGrant(id, admin()), ErrorCode::kConflict);  // active already

  Result<Grant> g = store().suspendGrant(id, provider, "超范围使用，暂停核查");
  ASSERT_TRUE(g.isOk()) << g.status().toString();
  EXPECT_EQ(g->state, GrantState::kSuspended);
  EXPECT_EQ(g->updated_by, provider.id);
  EXPECT_TRUE(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", Clock::now())->empty());
  EXPECT_CODE(store().suspendGrant(id, admin(), "again"), ErrorCode::kConflict);

  g = store().resumeGrant(id, admin());
  ASSERT_TRUE(g.isOk()) << g.status().toString();
  EXPECT_EQ(g->state, GrantState::kActive);
  EXPECT_EQ(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", Clock::now())->size(), 1u);

  EXPECT_CODE(store().revokeGrant(id, admin(), ""), ErrorCode::kInvalidArgument);
  g = store().revokeGrant(id, admin(), "事项已办结");
  ASSERT_TRUE(g.isOk()) << g.status().toString();
  EXPECT_EQ(g->state, GrantState::kRevoked);
  for (auto r : {store().revokeGrant(id, admin(), "again"), store().resumeGrant(id, admin(), ""),
                 store().suspendGrant(id, admin(), "x")}) {
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), ErrorCode::kConflict);
    EXPECT_TRUE(contains(r.status().message(), "revoked")) << r.status().message();
  }
  EXPECT_TRUE(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", Clock::now())->empty());
  EXPECT_CODE(store().suspendGrant(999999, admin(), "x"), ErrorCode::kNotFound);

  EXPECT_EQ(
      history(ObjectType::kGrant, std::to_string(id)),
      (std::vector<std::string>{">active by system:auto", "active>suspended by " + provider.id,
                                "suspended>active by cli:tester", "active>revoked by cli:tester"}));
  Result<std::vector<CatalogEvent>> events =
      store().listEvents(ObjectType::kGrant, std::to_string(id), admin());
  ASSERT_TRUE(events.isOk());
  EXPECT_EQ((*events)[1].reason, "超范围使用，暂停核查");
  EXPECT_CODE(store().listEvents(ObjectType::kGrant, std::to_string(id), consumer),
              ErrorCode::kPermissionDenied);
  // A suspended grant can be revoked directly.
  Result<AccessRequest> q2 =
      store().applyForAccess(application("LE-ENTITY-BASIC", {"status"}), consumer);
  ASSERT_TRUE(q2.isOk());
  ASSERT_TRUE(store().suspendGrant(*q2->grant_id, admin(), "x").isOk());
  EXPECT_TRUE(store().revokeGrant(*q2->grant_id, admin(), "y").isOk());
}

TEST_F(CatalogStoreTest, ActiveGrantsRespectTheWindow) {
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  const TimePoint now = Clock::now();
  AccessApplication a = application("LE-ENTITY-BASIC", {"name", "credit_code"});
  a.valid_from = now + 24h;
  a.valid_to = now + 24h * 30;
  Result<AccessRequest> q = store().applyForAccess(a, consumer);
  ASSERT_TRUE(q.isOk()) << q.status().toString();

  EXPECT_TRUE(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", now)->empty());
  Result<std::vector<Grant>> inside =
      store().activeGrants(consumer.id, "LE-ENTITY-BASIC", now + 48h);
  ASSERT_TRUE(inside.isOk());
  ASSERT_EQ(inside->size(), 1u);
  EXPECT_EQ((*inside)[0].fields, (std::vector<std::string>{"name", "credit_code"}));
  EXPECT_EQ(formatRfc3339Seconds((*inside)[0].valid_to), formatRfc3339Seconds(now + 24h * 30));
  EXPECT_EQ(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", *a.valid_from)->size(), 1u);
  EXPECT_TRUE(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", a.valid_to)->empty());
  EXPECT_TRUE(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", now + 24h * 31)->empty());
  // Other applications and resources see nothing of it.
  EXPECT_TRUE(store().activeGrants(consumer.id, "POP-PERSON-BASIC", now + 48h)->empty());
  EXPECT_TRUE(store()
                  .activeGrants(app(kOtherDept, Role::kConsumer).id, "LE-ENTITY-BASIC", now + 48h)
                  ->empty());
  // A second grant adds up.
  AccessApplication b = application("LE-ENTITY-BASIC", {"status"});
  ASSERT_TRUE(store().applyForAccess(b, consumer).isOk());
  EXPECT_EQ(store().activeGrants(consumer.id, "LE-ENTITY-BASIC", now + 48h)->size(), 2u);
}

TEST_F(CatalogStoreTest, ListsShowEachActorWhatItMaySee) {
  const Actor a1 = app(kOtherDept, Role::kConsumer);
  const Actor a2 = app(kOtherDept, Role::kConsumer);
  ASSERT_TRUE(store().applyForAccess(application("POP-PERSON-BASIC", {"name"}), a1).isOk());
  ASSERT_TRUE(store().applyForAccess(application("LE-ENTITY-BASIC", {"name"}), a1).isOk());
  ASSERT_TRUE(store().applyForAccess(application("POP-PERSON-BASIC", {"sex"}), a2).isOk());

  Result<std::vector<AccessRequest>> mine = store().listRequests({}, a1);
  ASSERT_TRUE(mine.isOk()) << mine.status().toString();
  EXPECT_EQ(mine->size(), 2u);
  for (const AccessRequest& q : *mine) EXPECT_EQ(q.app_id, a1.id);
  RequestFilter theirs;
  theirs.app_id = a2.id;
  EXPECT_CODE(store().listRequests(theirs, a1), ErrorCode::kPermissionDenied);
  EXPECT_EQ(store().listRequests(theirs, admin())->size(), 1u);

  RequestFilter pending;
  pending.state = RequestState::kPending;
  pending.app_id = a1.id;
  Result<std::vector<AccessRequest>> p = store().listRequests(pending, admin());
  ASSERT_TRUE(p.isOk());
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].resource_code, "POP-PERSON-BASIC");

  // The market-regulation provider sees requests on its resources, not the population ones.
  const Actor market = app(kMarketDept, Role::kProvider);
  Result<std::vector<AccessRequest>> for_market = store().listRequests({}, market);
  ASSERT_TRUE(for_market.isOk());
  EXPECT_FALSE(for_market->empty());
  for (const AccessRequest& q : *for_market) EXPECT_EQ(q.resource_code, "LE-ENTITY-BASIC");
  EXPECT_CODE(store().getRequest((*p)[0].id, market), ErrorCode::kNotFound);
  EXPECT_CODE(store().getRequest((*p)[0].id, a2), ErrorCode::kNotFound);
  EXPECT_TRUE(store().getRequest((*p)[0].id, a1).isOk());

  Result<std::vector<Grant>> grants = store().listGrants({}, a1);
  ASSERT_TRUE(grants.isOk());
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].resource_code, "LE-ENTITY-BASIC");
  EXPECT_TRUE(store().listGrants({}, a2)->empty());
  GrantFilter others;
  others.app_id = a1.id;
  EXPECT_CODE(store().listGrants(others, a2), ErrorCode::kPermissionDenied);
  EXPECT_EQ(store().listGrants(others, admin())->size(), 1u);
  EXPECT_CODE(store().getGrant((*grants)[0].id, a2), ErrorCode::kNotFound);
  EXPECT_TRUE(store().getGrant((*grants)[0].id, market).isOk());
}

TEST_F(CatalogStoreTest, ChangesAreAnnouncedForCaches) {
  pqxx::connection listener(db_->conninfo());
  struct Receiver : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } receiver(listener, kCatalogChannel);
  listener.get_notifs();  // issues the LISTEN
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q =
      store().applyForAccess(application("LE-ENTITY-BASIC", {"name"}), consumer);
  ASSERT_TRUE(q.isOk());
  ASSERT_TRUE(store().suspendGrant(*q->grant_id, admin(), "x").isOk());
  for (int i = 0; i < 50 && receiver.payloads.size() < 2; ++i) {
    listener.await_notification(0, 100000);
  }
  ASSERT_EQ(receiver.payloads.size(), 2u);
  EXPECT_EQ(receiver.payloads[0], "grant " + consumer.id + " LE-ENTITY-BASIC");
}

// --- Registry sources belong to their department ------------------------------------------------

ResourceDraft personDraft(const std::string& code, const std::string& provider) {
  ResourceDraft d;
  d.code = code;
  d.name = "人口 " + code;
  d.provider_department = provider;
  d.source = "population.persons";
  d.key_fields = {"citizen_id"};
  d.sharing_type = SharingType::kUnconditional;
  d.fields = {
      {"citizen_id", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kCitizenId, 0},
      {"name", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kName, 0},
      {"address", FieldType::kString, "", Sensitivity::kSensitive, MaskingRule::kAddress, 0}};
  return d;
}

TEST_F(CatalogStoreTest, OnlyTheSourceOwnerOrAnAdminMakesResourcesOverIt) {
  // The market regulator's provider, as its own provider department: refused, naming the source.
  const Actor market = app(kMarketDept, Role::kProvider);
  Result<Resource> r = store().createResource(personDraft("MR-PERSONS", kMarketDept), market);
  EXPECT_CODE(r, ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.status().field(), "source");
  EXPECT_TRUE(contains(r.status().message(), kPopDept)) << r.status().toString();
  // An admin may not make another department the provider of the population registry.
  r = store().createResource(personDraft("MR-PERSONS", kMarketDept), admin());
  EXPECT_CODE(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "provider_department");
  // Only the owner weakens masking below the source's default.
  ResourceDraft clear = personDraft("PS-PERSONS-CLEAR", kPopDept);
  clear.fields[2].masking = MaskingRule::kNone;
  r = store().createResource(clear, admin());
  EXPECT_CODE(r, ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.status().field(), "fields[2].masking");
  clear.fields[1].masking = MaskingRule::kAddress;  // a different partial rule is no stronger
  clear.fields[2].masking = MaskingRule::kAddress;
  r = store().createResource(clear, admin());
  EXPECT_EQ(r.status().field(), "fields[1].masking") << r.status().toString();
  clear.fields[1].masking = MaskingRule::kFull;  // stronger is always allowed
  EXPECT_TRUE(store().createResource(clear, admin()).isOk());
  ResourceDraft owner_clear = personDraft("PS-PERSONS-OWNER", kPopDept);
  owner_clear.fields[1].masking = MaskingRule::kNone;
  const Actor owner = app(kPopDept, Role::kProvider);
  Result<Resource> mine = store().createResource(owner_clear, owner);
  ASSERT_TRUE(mine.isOk()) << mine.status().toString();
  EXPECT_TRUE(store().publishResource("PS-PERSONS-OWNER", 1, owner).isOk());
  EXPECT_EQ(count("SELECT count(*) FROM catalog.resources WHERE code = 'MR-PERSONS'"), 0);
}

TEST_F(CatalogStoreTest, AResourceMadeByANonOwnerBeforeTheFixIsNeverPublished) {
  // As the attack left it: a draft over population.persons provided by the market regulator.
  exec(
      "INSERT INTO catalog.resources (code, version, name, provider_department, source,"
      " key_fields, sharing_type, update_cycle, status, created_by, updated_by) VALUES"
      " ('MR-LEFTOVER', 1, '遗留', '" +
      std::string(kMarketDept) +
      "', 'population.persons', '{citizen_id}', 'unconditional', 'daily', 'draft', 'x', 'x')");
  exec(
      "INSERT INTO catalog.resource_fields (resource_code, resource_version, position, name,"
      " type, masking) VALUES ('MR-LEFTOVER', 1, 1, 'citizen_id', 'string', 'none')");
  Result<Resource> p = store().publishResource("MR-LEFTOVER", 1, app(kMarketDept, Role::kProvider));
  EXPECT_CODE(p, ErrorCode::kPermissionDenied);
  EXPECT_EQ(p.status().field(), "source");
  p = store().publishResource("MR-LEFTOVER", 1, admin());
  EXPECT_CODE(p, ErrorCode::kPermissionDenied);
  EXPECT_EQ(p.status().field(), "source");
}

TEST_F(CatalogStoreTest, AGrantNamesTheVersionItWasApprovedFor) {
  publishedPersonResource("TEST-PINNED", SharingType::kUnconditional);
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q = store().applyForAccess(application("TEST-PINNED", {"name"}), consumer);
  ASSERT_TRUE(q.isOk()) << q.status().toString();
  ResourceDraft v2 = personDraft("TEST-PINNED", kPopDept);
  ASSERT_TRUE(store().createResource(v2, admin()).isOk());
  ASSERT_TRUE(store().publishResource("TEST-PINNED", 2, admin()).isOk());
  Result<std::vector<Grant>> grants =
      store().activeGrants(consumer.id, "TEST-PINNED", Clock::now());
  ASSERT_TRUE(grants.isOk());
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].resource_version, 1);
  Result<AccessRequest> q2 = store().applyForAccess(application("TEST-PINNED", {"name"}), consumer);
  ASSERT_TRUE(q2.isOk());
  EXPECT_EQ(store().getGrant(*q2->grant_id, admin())->resource_version, 2);
}

TEST_F(CatalogStoreTest, AListenerHearsGrantChangesAndReportsALostConnection) {
  std::mutex mutex;
  std::vector<std::string> payloads;
  std::atomic<int> listening_changes{0};
  ChangeListener::Callbacks callbacks;
  callbacks.on_change = [&](const std::string& p) {
    std::lock_guard<std::mutex> lock(mutex);
    payloads.push_back(p);
  };
  callbacks.on_listening = [&](bool) { ++listening_changes; };
  auto listener = ChangeListener::start(db_->conninfo(), callbacks, 50ms);
  auto waitFor = [](auto&& condition) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!condition() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(5ms);
    }
    return condition();
  };
  ASSERT_TRUE(waitFor([&] { return listener->listening(); }));
  const Actor consumer = app(kOtherDept, Role::kConsumer);
  Result<AccessRequest> q =
      store().applyForAccess(application("LE-ENTITY-BASIC", {"name"}), consumer);
  ASSERT_TRUE(q.isOk());
  ASSERT_TRUE(store().revokeGrant(*q->grant_id, admin(), "用途已结束").isOk());
  const std::string expected = "grant " + consumer.id + " LE-ENTITY-BASIC";
  EXPECT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return std::count(payloads.begin(), payloads.end(), expected) >= 2;  // made, revoked
  }));
  // The listener's connection is killed: it says so, and listens again.
  const int before = listening_changes.load();
  exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND "
      "datname = current_database()");
  EXPECT_TRUE(waitFor([&] { return listening_changes.load() >= before + 2; }))
      << "lost and regained LISTEN";
  EXPECT_TRUE(waitFor([&] { return listener->listening(); }));
}

// Owner changes, on a database of their own (they retire the shipped resources).
TEST(SourceOwnerTest, AnAdminMovesASourceAndTheOldOwnersResourcesRetire) {
  testing::TestDatabase db("catalog_owner");
  db.migrate();
  db::ConnectionPool pool({db.conninfo(), 2, std::chrono::milliseconds(5000), nullptr});
  CatalogStore store(pool);
  const Actor admin = Actor::cli("tester");
  Result<std::vector<SourceOwner>> owners = store.listSourceOwners(admin);
  ASSERT_TRUE(owners.isOk());
  ASSERT_EQ(owners->size(), registrySources().size());
  EXPECT_EQ((*owners)[0].source, "population.persons");
  EXPECT_EQ((*owners)[0].department_code, kPopDept);
  EXPECT_EQ((*owners)[1].department_code, kMarketDept);

  const Actor provider{"app_0000000000000001", kPopDept, Role::kProvider};
  Result<SourceOwner> denied = store.setSourceOwner("population.persons", kMarketDept, provider);
  EXPECT_CODE(denied, ErrorCode::kPermissionDenied);
  EXPECT_CODE(store.setSourceOwner("population.salaries", kMarketDept, admin),
              ErrorCode::kInvalidArgument);
  EXPECT_CODE(store.setSourceOwner("population.persons", "11110000000099999X", admin),
              ErrorCode::kInvalidArgument);

  Result<SourceOwner> moved =
      store.setSourceOwner("population.persons", kMarketDept, admin, "机构改革");
  ASSERT_TRUE(moved.isOk()) << moved.status().toString();
  EXPECT_EQ(moved->department_code, kMarketDept);
  EXPECT_EQ(moved->updated_by, "cli:tester");
  // The public security resource over it is no longer published.
  EXPECT_CODE(store.getResource("POP-PERSON-BASIC", admin), ErrorCode::kNotFound);
  Result<std::vector<CatalogEvent>> events =
      store.listEvents(ObjectType::kSource, "population.persons", admin);
  ASSERT_TRUE(events.isOk());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(events->back().from_state.value_or(""), kPopDept);
  EXPECT_EQ(events->back().to_state, kMarketDept);
  EXPECT_EQ(events->back().reason, "机构改革");
  // Now public security is the one refused.
  Result<Resource> r = store.createResource(personDraft("PS-AFTER", kPopDept), provider);
  EXPECT_CODE(r, ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.status().field(), "source");
}

}  // namespace
}  // namespace tongban::catalog
