// CatalogStore, resources: create (a new version), publish, retire, get, list.
// Part of CatalogStore over PostgreSQL (catalog_store.h, deploy/sql/0004_catalog.sql).
// How every part of the store works: store_support.h.
#include <set>
#include <utility>

#include "store_support.h"
#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/masking.h"
#include "tongban/catalog/sources.h"
#include "tongban/directory/references.h"

namespace tongban::catalog {

using namespace store;

namespace {

constexpr size_t kMaxFields = 200;

// The department owning `source` (catalog.source_owners), or nullopt when nobody does.
std::optional<std::string> sourceOwner(pqxx::transaction_base& tx, const std::string& source) {
  const pqxx::result rows =
      tx.exec_params("SELECT department_code FROM catalog.source_owners WHERE source = $1", source);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

// Only the owner's provider applications and administrators make and publish resources over a
// source; a source without an owner admits nobody. kPermissionDenied naming "source".
// `department` when it defines certificate type `type` (the code's first 18 characters) or is
// authorised to issue it: the owner of source certs:<type> for that department's resources.
std::optional<std::string> certificateTypeOfferer(pqxx::transaction_base& tx,
                                                  const std::string& type,
                                                  const std::string& department) {
  if (tx.exec_params("SELECT 1 FROM certs.certificate_types t WHERE t.code = $1 AND "
                     "(left(t.code, 18) = $2 OR EXISTS (SELECT 1 FROM certs.type_issuers i "
                     "WHERE i.type_code = t.code AND i.department_code = $2))",
                     type, department)
          .empty()) {
    return std::nullopt;
  }
  return department;
}

Status checkSourceOwner(const Actor& a, const std::string& source,
                        const std::optional<std::string>& owner, const std::string& verb) {
  if (!owner) {
    return Status(ErrorCode::kPermissionDenied,
                  "source " + source +
                      " has no owning department; a hub administrator sets one first "
                      "(tongban-admin catalog sources set-owner)",
                  "source");
  }
  if (isAdmin(a) || isProviderOf(a, *owner)) return Status::ok();
  return Status(ErrorCode::kPermissionDenied,
                "source " + source + " belongs to department " + *owner +
                    "; only its provider applications or a hub administrator " + verb +
                    " resources over it",
                "source");
}

Status validateDraft(const ResourceDraft& d) {
  if (!isValidResourceCode(d.code)) {
    return Status::invalid("code", "resource code '" + d.code +
                                       "' must match ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$ and be at "
                                       "most 64 characters");
  }
  if (Status s = validateText("name", d.name, 128, true); !s) return s;
  if (Status s = validateText("description", d.description, 2000, false); !s) return s;
  if (d.provider_department.size() != 18) {
    return Status::invalid("provider_department",
                           "provider_department must be an 18-character department code");
  }
  const Source* source = findSource(d.source);
  const std::optional<std::string> certificate_type = certificateSourceType(d.source);
  if (certificate_type) {
    source = &certificateSource();
    if (d.code != certificateResourceCode(*certificate_type)) {
      return Status::invalid("code", "the resource over " + d.source + " is coded " +
                                         certificateResourceCode(*certificate_type));
    }
  }
  if (source == nullptr) {
    std::string known;
    for (const Source& s : registrySources())
      known += (known.empty() ? "" : ", ") + std::string(s.name);
    return Status::invalid("source", "unknown source '" + d.source + "' (known: " + known + ")");
  }
  if (d.fields.empty()) return Status::invalid("fields", "a resource needs at least one field");
  if (d.fields.size() > kMaxFields) {
    return Status::invalid("fields", "at most " + std::to_string(kMaxFields) + " fields");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < d.fields.size(); ++i) {
    const ResourceField& f = d.fields[i];
    const std::string where = "fields[" + std::to_string(i) + "]";
    const SourceColumn* column = source->column(f.name);
    if (column == nullptr) {
      return Status::invalid(where + ".name",
                             "field '" + f.name + "' is not a column of " + source->name);
    }
    if (!names.insert(f.name).second) {
      return Status::invalid(where + ".name", "field '" + f.name + "' is listed twice");
    }
    if (!fieldTypeFits(f.type, *column)) {
      return Status::invalid(where + ".type", "field '" + f.name + "' cannot be " +
                                                  toString(f.type) + ": the column is " +
                                                  column->sql_type);
    }
    if (Status s = validateText(where + ".description", f.description, 500, false); !s) return s;
    if (certificate_type && f.masking != MaskingRule::kNone) {
      return Status::invalid(where + ".masking",
                             "a certificate is signed and disclosed whole: its fields take "
                             "masking none");
    }
  }
  if (d.key_fields.empty()) return Status::invalid("key_fields", "at least one key field");
  for (const std::string& key : d.key_fields) {
    if (names.count(key) == 0) {
      return Status::invalid("key_fields",
                             "key field '" + key + "' is not a field of the resource");
    }
    const SourceColumn* column = source->column(key);
    if (!column->key && !column->lookup) {
      return Status::invalid("key_fields",
                             "key field '" + key + "' is not a lookup column of " + source->name);
    }
  }
  if (std::set<std::string>(d.key_fields.begin(), d.key_fields.end()).size() !=
      d.key_fields.size()) {
    return Status::invalid("key_fields", "a key field is listed twice");
  }
  if (d.open_data && d.sharing_type != SharingType::kUnconditional) {
    return Status::invalid("open_data",
                           "open data must be shared unconditionally (sharing_type "
                           "unconditional)");
  }
  return Status::ok();
}

}  // namespace

Result<Resource> CatalogStore::createResource(const ResourceDraft& draft, const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (!canManage(actor, draft.provider_department)) {
    return Status(ErrorCode::kPermissionDenied,
                  needsManager("creating a resource of a department", draft.provider_department),
                  "provider_department");
  }
  if (Status s = validateDraft(draft); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::work tx(conn);
    if (!directory::departmentExists(tx, draft.provider_department)) {
      return Status::invalid("provider_department",
                             "unknown department '" + draft.provider_department + "'");
    }
    // The source's owner decides what is published over it and how openly. A certificate type
    // (certs:<type>) is offered by the department that defines it or one authorised to issue it.
    const std::optional<std::string> certificate_type = certificateSourceType(draft.source);
    std::optional<std::string> owner;
    if (certificate_type) {
      owner = certificateTypeOfferer(tx, *certificate_type, draft.provider_department);
      if (!owner) {
        return Status::invalid(
            "source", "certificate type " + *certificate_type + " is unknown, or department " +
                          draft.provider_department + " neither defines nor issues it");
      }
    } else {
      owner = sourceOwner(tx, draft.source);
    }
    if (Status s = checkSourceOwner(actor, draft.source, owner, "create"); !s) return s;
    if (draft.provider_department != *owner) {
      return Status::invalid(
          "provider_department",
          "resources over " + draft.source + " are provided by its owner, department " + *owner);
    }
    // (A certificate resource's fields are unmasked by definition: validateDraft.)
    if (!certificate_type && !isProviderOf(actor, *owner)) {
      const Source* source = findSource(draft.source);
      for (size_t i = 0; i < draft.fields.size(); ++i) {
        const ResourceField& f = draft.fields[i];
        const SourceColumn* column = source->column(f.name);
        if (!atLeastAsStrong(f.masking, column->masking)) {
          return Status(ErrorCode::kPermissionDenied,
                        "masking '" + std::string(toString(f.masking)) + "' of field '" + f.name +
                            "' is weaker than the source's default '" + toString(column->masking) +
                            "'; only a provider application of the owning department " + *owner +
                            " may weaken it",
                        "fields[" + std::to_string(i) + "].masking");
        }
      }
    }
    const pqxx::result versions = tx.exec_params(
        "SELECT version, status, provider_department FROM catalog.resources WHERE code = $1"
        " ORDER BY version FOR UPDATE",
        draft.code);
    int next = 1;
    for (const pqxx::row& row : versions) {
      const int v = row[0].as<int>();
      if (row[1].as<std::string>() == "draft") {
        return conflict("resource " + draft.code + " already has a draft, version " +
                        std::to_string(v) + ": publish or retire it first");
      }
      if (row[2].as<std::string>() != draft.provider_department) {
        return Status::invalid("provider_department",
                               "resource " + draft.code + " belongs to department " +
                                   row[2].as<std::string>() +
                                   "; a new version cannot change the provider");
      }
      next = v + 1;
    }
    tx.exec_params(
        "INSERT INTO catalog.resources (code, version, name, description, provider_department,"
        " source, key_fields, sharing_type, open_data, update_cycle, status, created_by,"
        " updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10, 'draft', $11, $11)",
        draft.code, next, draft.name, draft.description, draft.provider_department, draft.source,
        arrayLiteral(draft.key_fields), std::string(toString(draft.sharing_type)), draft.open_data,
        std::string(toString(draft.update_cycle)), actor.id);
    for (size_t i = 0; i < draft.fields.size(); ++i) {
      const ResourceField& f = draft.fields[i];
      tx.exec_params(
          "INSERT INTO catalog.resource_fields (resource_code, resource_version, position, name,"
          " type, description, sensitivity, masking) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          draft.code, next, static_cast<int>(i + 1), f.name, std::string(toString(f.type)),
          f.description, std::string(toString(f.sensitivity)), std::string(toString(f.masking)));
    }
    addEvent(tx, ObjectType::kResource, resourceObjectId(draft.code, next), std::nullopt, "draft",
             actor.id, next == 1 ? "created" : "new version");
    std::optional<Resource> created = loadResource(tx, draft.code, next);
    tx.commit();
    return std::move(*created);
  });
}

Result<Resource> CatalogStore::publishResource(const std::string& code, int version,
                                               const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::work tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT version, status, provider_department, source FROM catalog.resources"
        " WHERE code = $1 ORDER BY version FOR UPDATE",
        code);
    if (rows.empty()) return Status::notFound("no resource " + code);
    std::optional<std::string> target_status;
    std::string source;
    std::optional<int> published;
    const std::string department = rows[0][2].as<std::string>();
    for (const pqxx::row& row : rows) {
      if (row[0].as<int>() == version) {
        target_status = row[1].as<std::string>();
        source = row[3].as<std::string>();
      }
      if (row[1].as<std::string>() == "published") published = row[0].as<int>();
    }
    if (!target_status) {
      return Status::notFound("resource " + code + " has no version " + std::to_string(version));
    }
    if (!canManage(actor, department)) {
      return denied(needsManager("publishing resource " + code, department));
    }
    // Lock the owner row: an owner change waits for this publication, or this one sees it.
    std::optional<std::string> owner;
    if (const auto certificate_type = certificateSourceType(source)) {
      owner = certificateTypeOfferer(tx, *certificate_type, department);
    } else {
      const pqxx::result owner_rows = tx.exec_params(
          "SELECT department_code FROM catalog.source_owners WHERE source = $1 FOR SHARE", source);
      if (!owner_rows.empty()) owner = owner_rows[0][0].as<std::string>();
    }
    if (Status s = checkSourceOwner(actor, source, owner, "publish"); !s) return s;
    if (department != *owner) {
      return Status(ErrorCode::kPermissionDenied,
                    "source " + source + " belongs to department " + *owner +
                        ", not to this resource's provider " + department +
                        "; the owner publishes resources over it",
                    "source");
    }
    if (*target_status != "draft") {
      return conflict("resource " + code + " version " + std::to_string(version) + " is " +
                      *target_status + "; only a draft can be published");
    }
    if (published && *published > version) {
      return conflict("resource " + code + " version " + std::to_string(version) +
                      " is older than the published version " + std::to_string(*published));
    }
    if (published) {
      tx.exec_params(
          "UPDATE catalog.resources SET status = 'retired', updated_by = $3, updated_at = now()"
          " WHERE code = $1 AND version = $2",
          code, *published, actor.id);
      addEvent(tx, ObjectType::kResource, resourceObjectId(code, *published), "published",
               "retired", actor.id, "superseded by version " + std::to_string(version));
    }
    tx.exec_params(
        "UPDATE catalog.resources SET status = 'published', updated_by = $3, updated_at = now()"
        " WHERE code = $1 AND version = $2",
        code, version, actor.id);
    addEvent(tx, ObjectType::kResource, resourceObjectId(code, version), "draft", "published",
             actor.id, "");
    std::optional<Resource> result = loadResource(tx, code, version);
    tx.commit();
    return std::move(*result);
  });
}

Result<Resource> CatalogStore::retireResource(const std::string& code, const Actor& actor,
                                              std::optional<int> version) {
  if (Status s = checkActor(actor); !s) return s;
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::work tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT version, status, provider_department FROM catalog.resources WHERE code = $1"
        " ORDER BY version FOR UPDATE",
        code);
    if (rows.empty()) return Status::notFound("no resource " + code);
    const std::string department = rows[0][2].as<std::string>();
    std::optional<int> target;
    std::string status;
    for (const pqxx::row& row : rows) {
      const int v = row[0].as<int>();
      const std::string s = row[1].as<std::string>();
      if (version ? v == *version : s == "published") {
        target = v;
        status = s;
      }
    }
    if (!target) {
      if (version) {
        return Status::notFound("resource " + code + " has no version " + std::to_string(*version));
      }
      return conflict("resource " + code + " has no published version to retire");
    }
    if (!canManage(actor, department)) {
      return denied(needsManager("retiring resource " + code, department));
    }
    if (status == "retired") {
      return conflict("resource " + code + " version " + std::to_string(*target) +
                      " is already retired");
    }
    tx.exec_params(
        "UPDATE catalog.resources SET status = 'retired', updated_by = $3, updated_at = now()"
        " WHERE code = $1 AND version = $2",
        code, *target, actor.id);
    addEvent(tx, ObjectType::kResource, resourceObjectId(code, *target), status, "retired",
             actor.id, "");
    std::optional<Resource> result = loadResource(tx, code, *target);
    tx.commit();
    return std::move(*result);
  });
}

Result<Resource> CatalogStore::getResource(const std::string& code, const Actor& actor,
                                           std::optional<int> version) {
  if (Status s = checkActor(actor); !s) return s;
  if (!isValidResourceCode(code)) {
    return Status::invalid("code", "'" + code + "' is not a resource code");
  }
  return run(pool_, [&](pqxx::connection& conn) -> Result<Resource> {
    pqxx::nontransaction tx(conn);
    std::optional<Resource> r = loadResource(tx, code, version);
    const std::string which = version ? "resource " + code + " version " + std::to_string(*version)
                                      : "published resource " + code;
    if (!r) return Status::notFound("no " + which);
    if (r->status != ResourceStatus::kPublished && !canManage(actor, r->provider_department)) {
      return Status::notFound("no " + which);
    }
    return std::move(*r);
  });
}

Result<std::vector<Resource>> CatalogStore::listResources(const ResourceFilter& filter,
                                                          const Actor& actor) {
  if (Status s = checkActor(actor); !s) return s;
  if (Status s = validateList(filter.limit); !s) return s;
  const bool published_only = filter.status == ResourceStatus::kPublished;
  std::string visible_department;  // non-empty: non-published rows only of this department
  if (!published_only && !isAdmin(actor)) {
    if (actor.role != Role::kProvider) {
      return denied("listing draft or retired resources needs an admin or a provider application");
    }
    visible_department = actor.department_code;
  }
  return run(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Resource>> {
    pqxx::nontransaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT " + resourceColumns() +
            " FROM catalog.resources r"
            " WHERE ($1::text = '' OR strpos(lower(r.name), lower($1::text)) > 0"
            "        OR strpos(lower(r.description), lower($1::text)) > 0)"
            "   AND ($2::text = '' OR r.provider_department::text = $2::text)"
            "   AND ($3::text = '' OR EXISTS (SELECT 1 FROM catalog.resource_fields f"
            "        WHERE f.resource_code = r.code AND f.resource_version = r.version"
            "          AND f.name = $3::text))"
            "   AND ($4::text = '' OR r.status = $4::text)"
            "   AND ($5::text = '' OR r.status = 'published'"
            "        OR r.provider_department::text = $5::text)"
            " ORDER BY r.code, r.version LIMIT $6 OFFSET $7",
        filter.text, filter.provider_department, filter.field,
        std::string(filter.status ? toString(*filter.status) : ""), visible_department,
        static_cast<int64_t>(filter.limit), static_cast<int64_t>(filter.offset));
    std::vector<Resource> out;
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) out.push_back(readResource(row));
    loadFields(tx, &out);
    return out;
  });
}

}  // namespace tongban::catalog
