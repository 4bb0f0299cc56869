// Status and Result<T>: how expected failures travel across module interfaces.
//
// A Status is a code plus a human message and, for validation failures, the name of the offending
// field. Result<T> holds either a value or a non-OK Status. Exceptions from POCO, libpqxx or
// OpenSSL are caught at the edge that calls the library and turned into one of these; they never
// cross a module interface. The single mapping from codes to HTTP statuses lives in the exchange.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tongban {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,    // the caller sent something malformed (400)
  kUnauthenticated,    // who are you? (401)
  kPermissionDenied,   // known caller, not allowed (403)
  kNotFound,           // no such thing (404)
  kConflict,           // state forbids it, or it already exists (409)
  kPayloadTooLarge,    // over a configured size limit (413)
  kResourceExhausted,  // quota or rate limit (429)
  kUnavailable,        // a dependency (database, upstream) is down (503)
  kInternal,           // a bug or an unexpected library failure (500)
  kBadGateway,         // an upstream system answered wrongly: an error, a fault, garbage (502)
  kGatewayTimeout,     // an upstream system did not answer in time (504)
};

// Stable lower-case name of a code ("invalid_argument"); used in problem-document type URIs.
const char* errorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status ok() { return Status(); }
  static Status invalid(std::string field, std::string message) {
    return Status(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
  }
  static Status notFound(std::string message) {
    return Status(ErrorCode::kNotFound, std::move(message));
  }
  static Status unavailable(std::string message) {
    return Status(ErrorCode::kUnavailable, std::move(message));
  }
  static Status internal(std::string message) {
    return Status(ErrorCode::kInternal, std::move(message));
  }

  bool isOk() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return isOk(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The request or record field the failure is about; empty when it is not about one field.
  const std::string& field() const { return field_; }
  // "field: message" or just the message; for logs and command-line output.
  std::string toString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string field_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).isOk() && "Result built from an OK status has no value");
  }

  bool isOk() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return isOk(); }

  // Precondition: isOk().
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  // OK status when a value is held.
  Status status() const { return isOk() ? Status() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace tongban
