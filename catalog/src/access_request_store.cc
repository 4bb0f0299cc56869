// CatalogStore, applications for access: apply, approve (which makes the grant), reject,
// withdraw, get, list. Part of CatalogStore over PostgreSQL (catalog_store.h, see
// store_support.h for what every part shares).
#include <set>
#include <utility>

#include "store_support.h"
#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/masking.h"
#include "tongban/catalog/sources.h"
#include "tongban/common/time_format.h"
#include "tongban/directory/references.h"

namespace tongban::catalog {

using namespace store;

Result<AccessRequest> CatalogStore::applyForAccess(const AccessApplication& app,
                                                   const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (!actor.isApplication() || (actor.role != Role::kConsumer && actor.role != Role::kProvider)) {
    return denied("only consumer or provider applications apply for access; " + actor.id + " is " +
                  toString(actor.role) + (actor.isApplication() ? "" : ", not an application"));
  }
  if (!isValidResourceCode(app.resource_code)) {
    return Status::invalid("resource_code", "'" + app.resource_code + "' is not a resource code");
  }
  const TimePoint now = clock_();
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::work tx(conn);
    const std::optional<std::string> app_status = directory::applicationStatus(tx, actor.id);
    if (!app_status) return denied("unknown application " + actor.id);
    if (*app_status != "active") {
      return denied("application " + actor.id + " is disabled");
    }
    std::optional<Resource> resource = loadResource(tx, app.resource_code, std::nullopt);
    if (!resource) return Status::notFound("no published resource " + app.resource_code);
    if (resource->sharing_type == SharingType::kNotShared) {
      return Status(ErrorCode::kPermissionDenied,
                    "resource " + app.resource_code + " is not shared (不予共享)", "resource_code");
    }
    // Fields.
    if (app.fields.empty()) return Status::invalid("fields", "ask for at least one field");
    std::set<std::string> seen;
    for (const std::string& f : app.fields) {
      if (resource->field(f) == nullptr) {
        return Status::invalid("fields", "unknown field '" + f + "' in resource " + resource->code +
                                             " version " + std::to_string(resource->version));
      }
      if (!seen.insert(f).second) {
        return Status::invalid("fields", "field '" + f + "' is listed twice");
      }
    }
    // Matters.
    if (app.matter_codes.empty()) {
      return Status::invalid("matter_codes", "name at least one service-matter code (事项编码)");
    }
    if (app.matter_codes.size() > kMaxMatterCodes) {
      return Status::invalid("matter_codes",
                             "at most " + std::to_string(kMaxMatterCodes) + " matter codes");
    }
    std::set<std::string> matters;
    for (const std::string& m : app.matter_codes) {
      if (!isValidMatterCode(m)) {
        return Status::invalid("matter_codes", "'" + m +
                                                   "' is not a matter code (1..64 of 0-9 A-Z a-z "
                                                   ". _ -)");
      }
      if (!matters.insert(m).second) {
        return Status::invalid("matter_codes", "matter code '" + m + "' is listed twice");
      }
    }
    // Purpose and legal basis.
    const bool conditional = resource->sharing_type == SharingType::kConditional;
    if (Status s = validateText("purpose", app.purpose, kMaxTextChars, conditional); !s) return s;
    if (Status s = validateText("legal_basis", app.legal_basis, kMaxTextChars, conditional); !s) {
      return s;
    }
    // Window and rate.
    const TimePoint from = app.valid_from.value_or(now);
    if (app.valid_to <= from) {
      return Status::invalid("valid_to", "valid_to must be after valid_from");
    }
    if (app.valid_to <= now) return Status::invalid("valid_to", "valid_to is in the past");
    if (app.valid_to - from > kMaxGrantWindow) {
      return Status::invalid("valid_to", "the validity window is longer than " +
                                             std::to_string(kMaxGrantWindow.count() / 24) +
                                             " days");
    }
    if (Status s = validateRate("rate_per_minute", app.rate_per_minute); !s) return s;

    const bool at_once = resource->sharing_type == SharingType::kUnconditional;
    const std::string reason = at_once ? "unconditional sharing (无条件共享)" : "";
    const pqxx::row inserted = tx.exec_params1(
        "INSERT INTO catalog.access_requests (app_id, resource_code, resource_version, fields,"
        " purpose, legal_basis, matter_codes, valid_from, valid_to, rate_per_minute, state,"
        " decided_by, decided_at, reason, created_by) VALUES ($1, $2, $3, $4::text[], $5, $6,"
        " $7::text[], " +
            ts(8) + ", " + ts(9) +
            ", $10, $11, $12, CASE WHEN $13 THEN now() END, $14, $1) RETURNING id",
        actor.id, resource->code, resource->version, arrayLiteral(app.fields), app.purpose,
        app.legal_basis, arrayLiteral(app.matter_codes), toMicros(from), toMicros(app.valid_to),
        app.rate_per_minute, std::string(at_once ? "approved" : "pending"),
        at_once ? std::optional<std::string>(kSystemActor) : std::nullopt, at_once, reason);
    const int64_t id = inserted[0].as<int64_t>();
    addEvent(tx, ObjectType::kRequest, std::to_string(id), std::nullopt, "pending", actor.id,
             app.purpose);
    if (at_once) {
      addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "approved", kSystemActor,
               reason);
      const pqxx::row grant = tx.exec_params1(
          "INSERT INTO catalog.grants (request_id, app_id, resource_code, resource_version, fields,"
          " matter_codes, valid_from, valid_to, rate_per_minute, created_by, updated_by)"
          " SELECT id, app_id, resource_code, resource_version, fields, matter_codes, valid_from,"
          " valid_to, rate_per_minute, $2, $2 FROM catalog.access_requests WHERE id = $1"
          " RETURNING id",
          id, std::string(kSystemActor));
      addEvent(tx, ObjectType::kGrant, std::to_string(grant[0].as<int64_t>()), std::nullopt,
               "active", kSystemActor, reason);
    }
    AccessRequest result = loadRequest(tx, id);
    tx.commit();
    return result;
  });
}

namespace {

// The request row locked for a decision, with its resource's provider and sharing type.
struct LockedRequest {
  AccessRequest request;
  std::string provider_department;
  SharingType sharing_type = SharingType::kConditional;
};

std::optional<LockedRequest> lockRequest(pqxx::transaction_base& tx, int64_t id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT " + requestColumns() +
          ", r.provider_department, r.sharing_type FROM catalog.access_requests q"
          " JOIN catalog.resources r ON r.code = q.resource_code AND r.version = q.resource_version"
          " WHERE q.id = $1 FOR UPDATE OF q",
      id);
  if (rows.empty()) return std::nullopt;
  LockedRequest locked;
  locked.request = readRequest(rows[0]);
  locked.provider_department = rows[0][kRequestColumnCount].as<std::string>();
  locked.sharing_type = parseSharingType(rows[0][kRequestColumnCount + 1].as<std::string>())
                            .value_or(SharingType::kNotShared);
  return locked;
}

Status checkDecision(const LockedRequest& locked, const Actor& actor, const std::string& verb) {
  if (!canManage(actor, locked.provider_department)) {
    return denied(
        needsManager(verb + " access requests for resource " + locked.request.resource_code,
                     locked.provider_department));
  }
  if (locked.request.state != RequestState::kPending) {
    return conflict("access request " + std::to_string(locked.request.id) + " is " +
                    toString(locked.request.state) + ", not pending");
  }
  return Status::ok();
}

}  // namespace

Result<Approval> CatalogStore::approveRequest(int64_t id, const Actor& actor,
                                              const ApprovalOptions& options) {
  if (Status s = checkActor(actor); !s) return s;
  if (options.rate_per_minute) {
    if (Status s = validateRate("rate_per_minute", *options.rate_per_minute); !s) return s;
  }
  if (Status s = validateText("reason", options.reason, kMaxTextChars, false); !s) return s;
  const TimePoint now = clock_();
  return run(pool_, [&](pqxx::connection& conn) -> Result<Approval> {
    pqxx::work tx(conn);
    std::optional<LockedRequest> locked = lockRequest(tx, id);
    if (!locked) return Status::notFound("no access request " + std::to_string(id));
    if (Status s = checkDecision(*locked, actor, "approving"); !s) return s;
    const AccessRequest& q = locked->request;
    if (!options.unmasked_fields.empty()) {
      if (locked->sharing_type != SharingType::kConditional) {
        return Status::invalid("unmasked_fields",
                               "masking can be lifted only on conditional resources");
      }
      std::optional<Resource> resource = loadResource(tx, q.resource_code, q.resource_version);
      std::set<std::string> seen;
      for (const std::string& f : options.unmasked_fields) {
        if (std::find(q.fields.begin(), q.fields.end(), f) == q.fields.end()) {
          return Status::invalid("unmasked_fields", "'" + f + "' is not a requested field");
        }
        const ResourceField* field = resource ? resource->field(f) : nullptr;
        if (field == nullptr || field->masking == MaskingRule::kNone) {
          return Status::invalid("unmasked_fields", "field '" + f + "' has no masking to lift");
        }
        if (!seen.insert(f).second) {
          return Status::invalid("unmasked_fields", "field '" + f + "' is listed twice");
        }
      }
    }
    if (q.valid_to <= now) {
      return conflict("access request " + std::to_string(id) +
                      " asked for a period that ended at " + formatRfc3339Seconds(q.valid_to) +
                      "; reject it and apply again");
    }
    tx.exec_params(
        "UPDATE catalog.access_requests SET state = 'approved', decided_by = $2,"
        " decided_at = now(), reason = $3 WHERE id = $1",
        id, actor.id, options.reason);
    addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "approved", actor.id,
             options.reason);
    const pqxx::row grant = tx.exec_params1(
        "INSERT INTO catalog.grants (request_id, app_id, resource_code, resource_version, fields,"
        " unmasked_fields, matter_codes, valid_from, valid_to, rate_per_minute, created_by,"
        " updated_by)"
        " SELECT id, app_id, resource_code, resource_version, fields, $2::text[], matter_codes,"
        " valid_from, valid_to, COALESCE($3, rate_per_minute), $4, $4 FROM catalog.access_requests"
        " WHERE id = $1 RETURNING id",
        id, arrayLiteral(options.unmasked_fields), options.rate_per_minute, actor.id);
    const int64_t grant_id = grant[0].as<int64_t>();
    addEvent(tx, ObjectType::kGrant, std::to_string(grant_id), std::nullopt, "active", actor.id,
             options.reason);
    Approval result{loadRequest(tx, id), loadGrant(tx, grant_id)};
    tx.commit();
    return result;
  });
}

Result<AccessRequest> CatalogStore::rejectRequest(int64_t id, const Actor& actor,
                                                  const std::string& reason) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateText("reason", reason, kMaxTextChars, true); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::work tx(conn);
    std::optional<LockedRequest> locked = lockRequest(tx, id);
    if (!locked) return Status::notFound("no access request " + std::to_string(id));
    if (Status s = checkDecision(*locked, actor, "rejecting"); !s) return s;
    tx.exec_params(
        "UPDATE catalog.access_requests SET state = 'rejected', decided_by = $2,"
        " decided_at = now(), reason = $3 WHERE id = $1",
        id, actor.id, reason);
    addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "rejected", actor.id, reason);
    AccessRequest result = loadRequest(tx, id);
    tx.commit();
    return result;
  });
}

Result<AccessRequest> CatalogStore::withdrawRequest(int64_t id, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::work tx(conn);
    std::optional<LockedRequest> locked = lockRequest(tx, id);
    if (!locked) return Status::notFound("no access request " + std::to_string(id));
    if (locked->request.app_id != actor.id) {
      return denied("only the applicant, " + locked->request.app_id +
                    ", can withdraw access request " + std::to_string(id));
    }
    if (locked->request.state != RequestState::kPending) {
      return conflict("access request " + std::to_string(id) + " is " +
                      toString(locked->request.state) + ", not pending");
    }
    tx.exec_params(
        "UPDATE catalog.access_requests SET state = 'withdrawn', decided_by = $2,"
        " decided_at = now(), reason = 'withdrawn by the applicant' WHERE id = $1",
        id, actor.id);
    addEvent(tx, ObjectType::kRequest, std::to_string(id), "pending", "withdrawn", actor.id, "");
    AccessRequest result = loadRequest(tx, id);
    tx.commit();
    return result;
  });
}

Result<AccessRequest> CatalogStore::getRequest(int64_t id, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<AccessRequest> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows =
        tx.exec_params("SELECT " + requestColumns() +
                           ", r.provider_department FROM catalog.access_requests q"
                           " JOIN catalog.resources r ON r.code = q.resource_code"
                           "  AND r.version = q.resource_version WHERE q.id = $1",
                       id);
    if (rows.empty()) return Status::notFound("no access request " + std::to_string(id));
    AccessRequest q = readRequest(rows[0]);
    if (!canManage(actor, rows[0][kRequestColumnCount].as<std::string>()) && q.app_id != actor.id) {
      return Status::notFound("no access request " + std::to_string(id));
    }
    return q;
  });
}

Result<std::vector<AccessRequest>> CatalogStore::listRequests(const RequestFilter& filter,
                                                              const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateList(filter.limit); !s) return s;
  std::string own_app;
  std::string own_department;
  if (Status s = visibility(actor, filter.app_id, &own_app, &own_department); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<AccessRequest>> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows =
        tx.exec_params("SELECT " + requestColumns() +
                           " FROM catalog.access_requests q"
                           " JOIN catalog.resources r ON r.code = q.resource_code"
                           "  AND r.version = q.resource_version"
                           " WHERE ($1::text = '' OR q.state = $1::text)"
                           "   AND ($2::text = '' OR q.app_id = $2::text)"
                           "   AND ($3::text = '' OR q.resource_code = $3::text)"
                           "   AND ($4::text = '' OR r.provider_department::text = $4::text)"
                           "   AND ($5::text = '' OR q.app_id = $5::text"
                           "        OR r.provider_department::text = $6::text)"
                           " ORDER BY q.id DESC LIMIT $7 OFFSET $8",
                       std::string(filter.state ? toString(*filter.state) : ""), filter.app_id,
                       filter.resource_code, filter.provider_department, own_app, own_department,
                       static_cast<int64_t>(filter.limit), static_cast<int64_t>(filter.offset));
    std::vector<AccessRequest> out;
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) out.push_back(readRequest(row));
    return out;
  });
}

}  // namespace tongban::catalog
