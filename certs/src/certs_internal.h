// Internal helpers of the certs module's database code: bytea conversion, times and dates, JSON
// building, certificate payloads and leaves (PostgreSQL array literals and RFC 3339 times are
// common's: pg_copy.h, time_format.h; the transparency log's writer is transparency_log_append.h).
// Nobody outside certs/src includes this.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include "tongban/certs/merkle.h"
#include "tongban/common/result.h"

namespace tongban::certs::internal {

// ---- values
// --------------------------------------------------------------------------------------
inline pqxx::binarystring toBytea(std::string_view bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}
inline std::string fromBytea(const pqxx::field& field) {
  pqxx::binarystring b(field);
  return b.str();
}
inline MerkleHash toMerkleHash(const std::string& bytes) {
  MerkleHash h{};
  for (size_t i = 0; i < h.size() && i < bytes.size(); ++i) h[i] = static_cast<uint8_t>(bytes[i]);
  return h;
}
inline std::string_view hashBytes(const MerkleHash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// ---- times
// ---------------------------------------------------------------------------------------
using TimePoint = std::chrono::system_clock::time_point;
// The calendar date in China (UTC+8, no daylight saving): "2026-03-01".
std::string chinaDate(TimePoint t);
// `date` (YYYY-MM-DD) plus `months`, clamped to the month's last day (2024-01-31 + 1 = 2024-02-29).
std::string addMonths(const std::string& date, int months);
int64_t unixMillis(TimePoint t);

// ---- JSON
// ----------------------------------------------------------------------------------------
// Shorthands for building RapidJSON objects with copied strings.
void put(rapidjson::Value& object, const char* name, std::string_view value,
         rapidjson::Document::AllocatorType& a);
void put(rapidjson::Value& object, const char* name, int64_t value,
         rapidjson::Document::AllocatorType& a);
void putValue(rapidjson::Value& object, const char* name, rapidjson::Value value,
              rapidjson::Document::AllocatorType& a);
// Canonical bytes of a document built by this module (cannot fail for such documents; an
// Internal status otherwise).
Result<std::string> canonical(const rapidjson::Value& value);
// Pretty-free compact JSON text of a value (not canonical; for API output).
std::string compactJson(const rapidjson::Value& value);

// ---- certificates
// ---------------------------------------------------------------------------------------
// What the canonical payload of a certificate version carries (docs/certificates.md,
// "Canonical bytes").
struct PayloadFields {
  std::string certificate_id;
  std::string type_code;
  std::string type_name;
  std::string number;  // the type's number field, or the serial
  int version = 1;
  std::string supersedes;  // empty for version 1
  std::string issuer_code;
  std::string issuer_name;
  std::string holder_name;
  std::string holder_code;
  std::string holder_code_type;
  std::string issue_date;
  std::string valid_from;
  std::string valid_to;  // empty: long-term (null)
  std::string seal_id;
  std::string seal_name;
  std::string algorithm;  // wire name
  std::string seal_certificate_serial;
  std::string sealed_at;
  const rapidjson::Value* surface = nullptr;  // validated surface data
};
// The RFC 8785 bytes the seal signs. Internal status only if canonicalisation fails.
Result<std::string> certificatePayload(const PayloadFields& fields);

// Leaf of a certificate event (docs/certificates.md, "Log leaves"). `payload` and `signature`
// are given for issuance leaves only; objection_id 0 and empty strings are left out.
std::string certificateLeaf(const std::string& id, const char* action, const char* status,
                            const std::string& previous, const std::string& reason_code,
                            const std::string& time, const std::string& payload,
                            const std::string& signature, int64_t objection_id,
                            const std::string& related);

}  // namespace tongban::certs::internal
