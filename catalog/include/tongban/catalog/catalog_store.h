// CatalogStore: the data resource catalog, applications for access and grants, in PostgreSQL
// (schema `catalog`, deploy/sql/0004_catalog.sql).
//
// The exchange's HTTP handlers and tongban-admin call it on behalf of an Actor; every method
// checks the actor's role and returns kPermissionDenied with a message saying what is missing.
// Who may do what:
//   - read published resources: everyone; drafts and retired versions: admin, or a provider
//     application of the resource's provider department;
//   - create, publish, retire resources: admin, or a provider application of the resource's
//     provider department; creating and publishing also need the resource's source to be owned
//     by that department (catalog.source_owners), and only the owner's provider applications
//     declare a field's masking weaker than the source's default (sources.h);
//   - see the owners of sources: everyone; change one: admin;
//   - apply for access: consumer and provider applications (for themselves); withdraw: the
//     applicant;
//   - approve, reject requests; suspend, resume, revoke grants: admin, or a provider application
//     of the resource's provider department;
//   - list requests and grants: admin all; a provider its own and those on its department's
//     resources; a consumer its own.
//
// Invariants (kept by the store and by the schema's constraints):
//   1. At most one version of a resource code is published.
//   2. Every state change of a resource, request or grant is written in the same transaction as
//      its row in catalog.events (who, from, to, why, when).
//   3. A request leaves `pending` once; a grant exists only for an approved request.
//   4. A revoked grant stays revoked.
//   5. Every published resource is provided by the department that owns its source (publishing
//      checks it; changing an owner retires the other departments' published resources).
//   6. A grant names the resource version it was approved for and never serves more than that
//      version listed (grant_view.h).
//
// Failure codes common to every method: kUnavailable when the database cannot be reached,
// kInternal on an unexpected SQL error. Thread-safe: the store holds no state beyond the pool
// (which must outlive it), so one instance may be shared by all threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tongban/catalog/model.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::catalog {

// NOTIFY channel on which changes to grants ("grant <app_id> <resource_code>") and to resource
// status ("resource <code>") are announced, by triggers, so that caches can be dropped.
inline constexpr char kCatalogChannel[] = "tongban_catalog";

// Bounds the store enforces on applications and grants.
inline constexpr int kMaxRatePerMinute = 60000;
inline constexpr std::chrono::hours kMaxGrantWindow{24 * 366 * 3};  // about three years
inline constexpr size_t kMaxListLimit = 1000;

struct ResourceFilter {
  std::string text;                 // substring of name or description (case-insensitive)
  std::string provider_department;  // exact
  std::string field;                // resources carrying a field of this name
  std::optional<ResourceStatus> status = ResourceStatus::kPublished;  // nullopt: any
  size_t limit = 100;                                                 // 1..kMaxListLimit
  size_t offset = 0;
};

struct RequestFilter {
  std::optional<RequestState> state;
  std::string app_id;
  std::string resource_code;
  std::string provider_department;  // requests on this department's resources
  size_t limit = 100;
  size_t offset = 0;
};

struct GrantFilter {
  std::string app_id;
  std::string resource_code;
  std::optional<GrantState> state;
  size_t limit = 100;
  size_t offset = 0;
};

struct ApprovalOptions {
  // Fields whose masking the grant lifts: each must be a requested field with a masking rule.
  std::vector<std::string> unmasked_fields;
  std::optional<int> rate_per_minute;  // overrides the requested rate (1..kMaxRatePerMinute)
  std::string reason;                  // optional note recorded with the decision
};

// Which department owns a registry source (sources.h).
struct SourceOwner {
  std::string source;           // "population.persons"
  std::string department_code;  // empty: nobody; no resource over the source can be made
  std::string updated_by;       // empty when unowned
  std::optional<TimePoint> updated_at;
};

struct Approval {
  AccessRequest request;
  Grant grant;
};

class CatalogStore {
 public:
  // `pool` must outlive the store. `clock` gives "now" for validating windows (tests inject one).
  explicit CatalogStore(db::ConnectionPool& pool, std::function<TimePoint()> clock = Clock::now)
      : pool_(pool), clock_(std::move(clock)) {}

  // --- Resources -------------------------------------------------------------------------------

  // Creates version 1 of a new code, or the next version of an existing code (editing a resource
  // makes a new version), as a draft. kInvalidArgument naming the field for a malformed code,
  // name, unknown department or source, a field that is not a column of the source or whose type
  // does not fit it, a duplicate field, a key field that is not a lookup column of the source,
  // open data that is not unconditional; kInvalidArgument when the provider department differs
  // from the earlier versions'; kConflict when a draft version of the code already exists.
  Result<Resource> createResource(const ResourceDraft& draft, const Actor& actor);

  // Publishes a draft, retiring the previously published version in the same transaction.
  // kNotFound; kConflict when the version is not a draft or is older than the published one.
  Result<Resource> publishResource(const std::string& code, int version, const Actor& actor);

  // Retires the published version (or, given `version`, that draft or published version).
  // Grants on the code are kept but nothing is served from a retired resource. kNotFound;
  // kConflict when there is no published version or the version is already retired.
  Result<Resource> retireResource(const std::string& code, const Actor& actor,
                                  std::optional<int> version = std::nullopt);

  // The published version, or the given version. kNotFound (also when a non-published version
  // is hidden from the actor).
  Result<Resource> getResource(const std::string& code, const Actor& actor,
                               std::optional<int> version = std::nullopt);

  // Resources matching the filter, by code then version. kPermissionDenied when a consumer asks
  // for non-published ones; a provider sees non-published versions of its own department only.
  Result<std::vector<Resource>> listResources(const ResourceFilter& filter, const Actor& actor);

  // --- Applications for access -----------------------------------------------------------------

  // Applies for the published version of a resource. Unconditional resources are approved at
  // once and the grant made (request.grant_id set); conditional ones are left pending.
  // kPermissionDenied for not_shared resources ("not shared (不予共享)") and for actors that are
  // not consumer/provider applications; kNotFound when there is no published version;
  // kInvalidArgument naming the field: an unknown or duplicate field (the message names it), no
  // or a malformed matter code, empty purpose or legal basis (conditional), valid_to not after
  // valid_from or already past or the window longer than kMaxGrantWindow, rate outside
  // 1..kMaxRatePerMinute.
  Result<AccessRequest> applyForAccess(const AccessApplication& application, const Actor& actor);

  // Approves a pending request and makes its grant. kNotFound; kPermissionDenied (see top);
  // kConflict naming the current state when not pending; kInvalidArgument for unmasked fields
  // that are not requested or have no masking, or on an unconditional resource, or a bad rate.
  Result<Approval> approveRequest(int64_t id, const Actor& actor, const ApprovalOptions& options);

  // Rejects a pending request; `reason` is required (kInvalidArgument). Otherwise as approve.
  Result<AccessRequest> rejectRequest(int64_t id, const Actor& actor, const std::string& reason);

  // Withdraws a pending request; only the applicant may. kNotFound, kPermissionDenied,
  // kConflict naming the current state.
  Result<AccessRequest> withdrawRequest(int64_t id, const Actor& actor);

  // kNotFound also when the actor may not see it.
  Result<AccessRequest> getRequest(int64_t id, const Actor& actor);

  // Newest first. kPermissionDenied when a consumer filters by another application.
  Result<std::vector<AccessRequest>> listRequests(const RequestFilter& filter, const Actor& actor);

  // --- Grants ----------------------------------------------------------------------------------

  // kNotFound also when the actor may not see it.
  Result<Grant> getGrant(int64_t id, const Actor& actor);

  // Newest first. kPermissionDenied when a consumer filters by another application.
  Result<std::vector<Grant>> listGrants(const GrantFilter& filter, const Actor& actor);

  // active → suspended; reason required. kNotFound, kPermissionDenied, kConflict naming the
  // current state, kInvalidArgument for an empty reason.
  Result<Grant> suspendGrant(int64_t id, const Actor& actor, const std::string& reason);
  // suspended → active; reason optional.
  Result<Grant> resumeGrant(int64_t id, const Actor& actor, const std::string& reason = {});
  // active | suspended → revoked (final); reason required.
  Result<Grant> revokeGrant(int64_t id, const Actor& actor, const std::string& reason);

  // The grants of `app_id` on `resource_code` usable at `now`: active and now within
  // [valid_from, valid_to). The exchange's hot path: one indexed query (grants_active_idx), no
  // actor check — the caller has authenticated app_id. Empty when there are none.
  Result<std::vector<Grant>> activeGrants(const std::string& app_id,
                                          const std::string& resource_code, TimePoint now);

  // --- Sources ---------------------------------------------------------------------------------

  // Every registry source of sources.h with its owner, by name. Any actor.
  Result<std::vector<SourceOwner>> listSourceOwners(const Actor& actor);
  // The owner of one source (a registry or a remote source, sources.h). Any actor.
  Result<SourceOwner> ownerOf(const std::string& source, const Actor& actor);

  // Makes `department` the owner of `source`, recorded in catalog.events with `reason`
  // (optional). Published resources over the source provided by another department are retired
  // in the same transaction. Admin only (kPermissionDenied); kInvalidArgument naming "source"
  // (not a registry source) or "department_code" (malformed or unknown).
  Result<SourceOwner> setSourceOwner(const std::string& source, const std::string& department,
                                     const Actor& actor, const std::string& reason = {});

  // --- History ---------------------------------------------------------------------------------

  // The state changes of one object, oldest first. Admin only (kPermissionDenied otherwise).
  // object_id: "<code>/<version>" for resources, the decimal id for requests and grants, the
  // source name for sources.
  Result<std::vector<CatalogEvent>> listEvents(ObjectType type, const std::string& object_id,
                                               const Actor& actor);

 private:
  Result<Grant> transitionGrant(int64_t id, const Actor& actor, const std::string& reason,
                                GrantState to);

  db::ConnectionPool& pool_;
  const std::function<TimePoint()> clock_;
};

}  // namespace tongban::catalog
