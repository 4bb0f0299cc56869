// How the exchange authorises a read of shared data (query_handlers.cc): the published catalog
// resource, the caller's grant on it covering the stated purpose (matter code + case id) and the
// fields asked for, and the grant's rate quota. Registry queries, subject views, registry lookups
// and certificate reads (certs_handlers.cc) all go through these; there is no second grant check.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "service_context.h"
#include "tongban/catalog/grant_view.h"
#include "tongban/catalog/model.h"

namespace tongban::exchange {

// Why data is read: the service matter (事项编码) and the case (办件编号).
struct Purpose {
  std::string matter_code;
  std::string case_id;
};

// kInvalidArgument naming `prefix` + "matter_code" / "case_id" when either is malformed.
Status checkPurpose(const Purpose& p, const std::string& prefix);

// Purpose from the query string of a GET (?matter_code=...&case_id=...); both required.
Result<Purpose> purposeFromQuery(const HttpRequest& req);

// The published version of resource `code` (cached). kInvalidArgument for a malformed code,
// kNotFound when nothing of that code is published.
Result<std::shared_ptr<const catalog::Resource>> publishedResource(ServiceContext& ctx,
                                                                   const std::string& code);

// A grant inside the cached snapshot of an application's grants on a resource (the snapshot is
// kept alive with it), and what it returns from the published version now: the fields of both
// the version it was approved for and the published one, each with the stronger masking
// (grant_view.h).
struct GrantRef {
  std::shared_ptr<const std::vector<catalog::Grant>> snapshot;
  const catalog::Grant* grant = nullptr;
  std::vector<catalog::FieldView> view;
  const catalog::Grant* operator->() const { return grant; }
  const catalog::Grant& operator*() const { return *grant; }
  std::vector<std::string> fieldNames() const {
    std::vector<std::string> names;
    for (const auto& f : view) names.push_back(f.name);
    return names;
  }
};

// The grant that allows `fields` of `resource` for the matter; kPermissionDenied naming what is
// missing otherwise (field "resource_code", "purpose.matter_code" or `fields_path`[i]). With
// `fields` empty, the first grant covering the matter.
Result<GrantRef> authorise(ServiceContext& ctx, const Caller& caller,
                           const catalog::Resource& resource,
                           const std::vector<std::string>& fields, const std::string& matter_code,
                           const std::string& fields_path);

// One request of the grant's per-minute quota; kResourceExhausted (and req.retry_after) when
// spent.
Status takeQuota(ServiceContext& ctx, const catalog::Grant& g, HttpRequest& req);

}  // namespace tongban::exchange
