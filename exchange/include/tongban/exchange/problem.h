// The one place that maps error codes to HTTP statuses and RFC 9457 problem documents.
//
// A problem document is application/problem+json:
//   {"type":"urn:tongban:problem:invalid_argument","title":"Invalid argument","status":400,
//    "detail":"check character is '3', expected 'X'","field":"citizen_id",
//    "instance":"/v1/registry/persons/...","request_id":"..."}
// `type` is stable and documented in docs/api.md; `field` names the offending input when there
// is one.
#pragma once

#include <string>

#include "tongban/common/result.h"

namespace tongban::exchange {

int httpStatusFor(ErrorCode code);
const char* problemTitle(ErrorCode code);

// The JSON body for `status` (must not be OK).
std::string problemJson(const Status& status, const std::string& instance,
                        const std::string& request_id);

// The 405 body for `method` on a path that allows only `allow` ("GET, POST").
std::string methodNotAllowedJson(const std::string& method, const std::string& allow,
                                 const std::string& instance, const std::string& request_id);

inline constexpr const char* kProblemContentType = "application/problem+json";

}  // namespace tongban::exchange
