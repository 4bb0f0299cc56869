// JSON forms of the catalog's values, shared by the exchange's HTTP handlers and tongban-admin so
// that both speak the same shapes.
//
// Writers return compact JSON text (embed it with rapidjson::Writer::RawValue). Parsers are
// strict: the text must be one JSON object; an unknown member, a wrong type or a bad value is
// kInvalidArgument whose field names the member ("fields[2].masking"). Timestamps are RFC 3339
// strings (model.h). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tongban/catalog/catalog_store.h"
#include "tongban/catalog/model.h"
#include "tongban/common/result.h"

namespace tongban::catalog {

// {"code","version","name","description","provider_department","source","key_fields",
//  "sharing_type","open_data","update_cycle","status","fields":[{"name","type","description",
//  "sensitivity","masking"}],"created_by","created_at","updated_by","updated_at"}
std::string toJson(const Resource& resource);
// {"id","app_id","resource_code","resource_version","fields","purpose","legal_basis",
//  "matter_codes","valid_from","valid_to","rate_per_minute","state","decided_by","decided_at",
//  "reason","created_by","created_at","grant_id"} (decided_* and grant_id null when unset)
std::string toJson(const AccessRequest& request);
// {"id","request_id","app_id","resource_code","resource_version","fields","unmasked_fields","matter_codes",
//  "valid_from","valid_to","rate_per_minute","state","created_by","created_at","updated_by",
//  "updated_at"}
std::string toJson(const Grant& grant);
// {"source","department_code","updated_by","updated_at"} (the last three null when unowned)
std::string toJson(const SourceOwner& owner);
// {"id","object_type","object_id","from_state","to_state","actor","reason","at"}
std::string toJson(const CatalogEvent& event);

// A resource definition, as written by an editor (tongban-admin catalog create --file):
// {"code","name","description"?,"provider_department","source","key_fields":[..],
//  "sharing_type","open_data"?,"update_cycle","fields":[{"name","type","description"?,
//  "sensitivity"?,"masking"?}]}. Required members must be present.
Result<ResourceDraft> parseResourceDraft(std::string_view json);

// An application for access: {"resource_code","fields":[..],"purpose"?,"legal_basis"?,
// "matter_codes":[..],"valid_from"?,"valid_to","rate_per_minute"?}.
Result<AccessApplication> parseAccessApplication(std::string_view json);

// The body of an approval: {"unmasked_fields"?:[..],"rate_per_minute"?,"reason"?}; empty text
// means no options.
Result<ApprovalOptions> parseApprovalOptions(std::string_view json);

}  // namespace tongban::catalog
