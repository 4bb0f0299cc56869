#include "tongban/exchange/problem.h"

#include <string_view>

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
    case ErrorCode::kBadGateway:
      return 502;
    case ErrorCode::kGatewayTimeout:
      return 504;
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
    case ErrorCode::kBadGateway:
      return "Bad gateway";
    case ErrorCode::kGatewayTimeout:
      return "Gateway timeout";
  }
  return "Internal error";
}

namespace {

std::string problemDocument(std::string_view type, std::string_view title, int status,
                            std::string_view detail, std::string_view field,
                            std::string_view instance, std::string_view request_id) {
  std::string out = "{\"type\":\"urn:tongban:problem:";
  out += type;
  out += "\",\"title\":";
  appendJsonString(out, title);
  out += ",\"status\":";
  out += std::to_string(status);
  out += ",\"detail\":";
  appendJsonString(out, detail);
  if (!field.empty()) {
    out += ",\"field\":";
    appendJsonString(out, field);
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

}  // namespace

std::string problemJson(const Status& status, const std::string& instance,
                        const std::string& request_id) {
  return problemDocument(errorCodeName(status.code()), problemTitle(status.code()),
                         httpStatusFor(status.code()), status.message(), status.field(), instance,
                         request_id);
}

std::string methodNotAllowedJson(const std::string& method, const std::string& allow,
                                 const std::string& instance, const std::string& request_id) {
  return problemDocument("method_not_allowed", "Method not allowed", 405,
                         method + " is not allowed here; allowed: " + allow, "", instance,
                         request_id);
}

}  // namespace tongban::exchange
