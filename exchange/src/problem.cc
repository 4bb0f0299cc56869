#include "tongban/exchange/problem.h"

#include "tongban/common/log.h"

namespace tongban::exchange {

int httpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

const char* problemTitle(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kInvalidArgument:
      return "Invalid argument";
    case ErrorCode::kUnauthenticated:
      return "Authentication required";
    case ErrorCode::kPermissionDenied:
      return "Permission denied";
    case ErrorCode::kNotFound:
      return "Not found";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kPayloadTooLarge:
      return "Payload too large";
    case ErrorCode::kResourceExhausted:
      return "Too many requests";
    case ErrorCode::kUnavailable:
      return "Service unavailable";
    case ErrorCode::kInternal:
      return "Internal error";
  }
  return "Internal error";
}

std::string problemJson(const Status& status, const std::string& instance,
                        const std::string& request_id) {
  std::string out = "{\"type\":\"urn:tongban:problem:";
  out += errorCodeName(status.code());
  out += "\",\"title\":";
  appendJsonString(out, problemTitle(status.code()));
  out += ",\"status\":";
  out += std::to_string(httpStatusFor(status.code()));
  out += ",\"detail\":";
  appendJsonString(out, status.message());
  if (!status.field().empty()) {
    out += ",\"field\":";
    appendJsonString(out, status.field());
  }
  out += ",\"instance\":";
  appendJsonString(out, instance);
  if (!request_id.empty()) {
    out += ",\"request_id\":";
    appendJsonString(out, request_id);
  }
  out += "}";
  return out;
}

}  // namespace tongban::exchange
