#include "tongban/common/result.h"

namespace tongban {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kBadGateway:
      return "bad_gateway";
    case ErrorCode::kGatewayTimeout:
      return "gateway_timeout";
  }
  return "internal";
}

std::string Status::toString() const {
  if (isOk()) return "ok";
  if (field_.empty()) return message_;
  return field_ + ": " + message_;
}

}  // namespace tongban
