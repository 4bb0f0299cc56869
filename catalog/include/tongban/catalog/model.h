// The data resource catalog's vocabulary (政务数据资源目录): resources and their fields,
// applications for access (申请), grants (授权), catalog events, and the actor on whose behalf a
// call is made.
//
// Plain values, no behaviour beyond string conversions: the store (catalog_store.h) validates and
// persists them, json.h converts them to and from JSON. Every enum has a stable lower-case
// spelling, the same as in the database's CHECK constraints (deploy/sql/0004_catalog.sql).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tongban::catalog {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// 共享类型: unconditional (无条件共享), conditional (有条件共享), not shared (不予共享).
enum class SharingType { kUnconditional, kConditional, kNotShared };
// 更新周期.
enum class UpdateCycle { kRealtime, kDaily, kWeekly, kMonthly, kQuarterly, kYearly, kIrregular };
enum class ResourceStatus { kDraft, kPublished, kRetired };
enum class FieldType { kString, kDate, kInteger, kDecimal, kTimestamp, kEnum };
enum class Sensitivity { kPublic, kInternal, kSensitive, kSecret };
// How a field's value is shown when the grant does not lift its masking (masking.h).
enum class MaskingRule { kNone, kCitizenId, kCreditCode, kName, kPhone, kAddress, kDate, kFull };
enum class RequestState { kPending, kApproved, kRejected, kWithdrawn };
enum class GrantState { kActive, kSuspended, kRevoked };
// An application's role (directory.applications.role).
enum class Role { kConsumer, kProvider, kAdmin };

const char* toString(SharingType v);
const char* toString(UpdateCycle v);
const char* toString(ResourceStatus v);
const char* toString(FieldType v);
const char* toString(Sensitivity v);
const char* toString(MaskingRule v);
const char* toString(RequestState v);
const char* toString(GrantState v);
const char* toString(Role v);

// Exact, case-sensitive inverses of toString; nullopt for anything else.
std::optional<SharingType> parseSharingType(std::string_view s);
std::optional<UpdateCycle> parseUpdateCycle(std::string_view s);
std::optional<ResourceStatus> parseResourceStatus(std::string_view s);
std::optional<FieldType> parseFieldType(std::string_view s);
std::optional<Sensitivity> parseSensitivity(std::string_view s);
std::optional<MaskingRule> parseMaskingRule(std::string_view s);
std::optional<RequestState> parseRequestState(std::string_view s);
std::optional<GrantState> parseGrantState(std::string_view s);
std::optional<Role> parseRole(std::string_view s);

// Resource codes: ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$, at most 64 characters ("POP-PERSON-BASIC").
bool isValidResourceCode(std::string_view code);
// Field names: ^[a-z][a-z0-9_]{0,62}$ (they are column names of the source).
bool isValidFieldName(std::string_view name);
// Service-matter codes (政务服务事项编码): 1..64 of [0-9A-Za-z._-], starting with a letter or
// digit.
bool isValidMatterCode(std::string_view code);

struct ResourceField {
  std::string name;  // a column of the resource's source
  FieldType type = FieldType::kString;
  std::string description;
  Sensitivity sensitivity = Sensitivity::kInternal;
  MaskingRule masking = MaskingRule::kNone;
  int position = 0;  // 1-based display order; assigned by the store from the list order
};

// What an editor supplies to create a resource or its next version.
struct ResourceDraft {
  std::string code;
  std::string name;
  std::string description;
  std::string provider_department;  // directory.departments.code (credit code of the department)
  std::string source;               // a registry source of sources.h, e.g. "population.persons"
  std::vector<std::string> key_fields;
  SharingType sharing_type = SharingType::kConditional;
  bool open_data = false;
  UpdateCycle update_cycle = UpdateCycle::kIrregular;
  std::vector<ResourceField> fields;  // in display order
};

struct Resource {
  std::string code;
  int version = 0;
  std::string name;
  std::string description;
  std::string provider_department;
  std::string source;
  std::vector<std::string> key_fields;
  SharingType sharing_type = SharingType::kConditional;
  bool open_data = false;
  UpdateCycle update_cycle = UpdateCycle::kIrregular;
  ResourceStatus status = ResourceStatus::kDraft;
  std::vector<ResourceField> fields;  // by position
  std::string created_by;
  TimePoint created_at;
  std::string updated_by;
  TimePoint updated_at;

  // The field called `name`, or nullptr.
  const ResourceField* field(std::string_view name) const;
};

// What a consumer asks for (申请): fields of a resource, for stated matters, for a period.
struct AccessApplication {
  std::string resource_code;  // the published version is applied for
  std::vector<std::string> fields;
  std::string purpose;      // required for conditional resources
  std::string legal_basis;  // 法律依据; required for conditional resources
  std::vector<std::string> matter_codes;
  std::optional<TimePoint> valid_from;  // default: now
  TimePoint valid_to;
  int rate_per_minute = 60;
};

struct AccessRequest {
  int64_t id = 0;
  std::string app_id;
  std::string resource_code;
  int resource_version = 0;
  std::vector<std::string> fields;
  std::string purpose;
  std::string legal_basis;
  std::vector<std::string> matter_codes;
  TimePoint valid_from;
  TimePoint valid_to;
  int rate_per_minute = 0;
  RequestState state = RequestState::kPending;
  std::optional<std::string> decided_by;
  std::optional<TimePoint> decided_at;
  std::string reason;  // of the decision; empty while pending
  std::string created_by;
  TimePoint created_at;
  std::optional<int64_t> grant_id;  // the grant made when approved
};

struct Grant {
  int64_t id = 0;
  int64_t request_id = 0;
  std::string app_id;
  std::string resource_code;
  // The version the grant was approved for. A later version never widens what the grant returns
  // (grant_view.h): fields it drops are no longer served, stronger masking applies.
  int resource_version = 0;
  std::vector<std::string> fields;
  std::vector<std::string> unmasked_fields;  // fields whose masking this grant lifts
  std::vector<std::string> matter_codes;
  TimePoint valid_from;
  TimePoint valid_to;
  int rate_per_minute = 0;
  GrantState state = GrantState::kActive;
  std::string created_by;
  TimePoint created_at;
  std::string updated_by;
  TimePoint updated_at;

  bool grantsField(std::string_view field) const;
  bool liftsMasking(std::string_view field) const;
  bool coversMatter(std::string_view matter_code) const;
  // Active and now in [valid_from, valid_to).
  bool usableAt(TimePoint now) const;
};

enum class ObjectType { kResource, kRequest, kGrant, kSource };
const char* toString(ObjectType v);

// One state change, as recorded in catalog.events.
struct CatalogEvent {
  int64_t id = 0;
  ObjectType object_type = ObjectType::kResource;
  std::string object_id;  // "<code>/<version>" for resources, the source name for sources (its
                          // to_state is the owning department), else the number
  std::optional<std::string> from_state;  // nullopt when the object was created
  std::string to_state;
  std::string actor;
  std::string reason;
  TimePoint at;
};

// On whose behalf a store method runs: an application authenticated by the exchange
// (id "app_…", its department and role) or the command-line tool (id "cli:<user>", admin).
struct Actor {
  std::string id;
  std::string department_code;  // empty for the command-line tool
  Role role = Role::kConsumer;

  static Actor cli(const std::string& user) { return Actor{"cli:" + user, "", Role::kAdmin}; }
  bool isApplication() const { return id.rfind("app_", 0) == 0; }
  // A person using the administrators' console ("console:<username>", docs/console.md): an admin,
  // or a provider of the one department they approve for.
  bool isPerson() const { return id.rfind("console:", 0) == 0; }
};

}  // namespace tongban::catalog
