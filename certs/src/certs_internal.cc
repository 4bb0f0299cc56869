// Internal helpers of the certs module's database code.
#include "certs_internal.h"

#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/certs/bundle.h"
#include "tongban/certs/jcs.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/time_format.h"

namespace tongban::certs::internal {

std::string chinaDate(TimePoint t) {
  return formatRfc3339Seconds(t + std::chrono::hours(8)).substr(0, 10);  // "YYYY-MM-DD"
}

std::string addMonths(const std::string& date, int months) {
  int y = std::stoi(date.substr(0, 4));
  int m = std::stoi(date.substr(5, 2));
  int d = std::stoi(date.substr(8, 2));
  int total = y * 12 + (m - 1) + months;
  y = total / 12;
  m = total % 12 + 1;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int last = kDays[m - 1];
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) last = 29;
  if (d > last) d = last;
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", y, m, d);
  return buffer;
}

int64_t unixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void put(rapidjson::Value& object, const char* name, std::string_view value,
         rapidjson::Document::AllocatorType& a) {
  object.AddMember(
      rapidjson::Value(name, a),
      rapidjson::Value(value.data(), static_cast<rapidjson::SizeType>(value.size()), a), a);
}

void put(rapidjson::Value& object, const char* name, int64_t value,
         rapidjson::Document::AllocatorType& a) {
  object.AddMember(rapidjson::Value(name, a), rapidjson::Value(value), a);
}

void putValue(rapidjson::Value& object, const char* name, rapidjson::Value value,
              rapidjson::Document::AllocatorType& a) {
  object.AddMember(rapidjson::Value(name, a), value, a);
}

Result<std::string> canonical(const rapidjson::Value& value) {
  Result<std::string> out = canonicalJson(value);
  if (!out) return Status::internal("canonical JSON: " + out.status().toString());
  return out;
}

std::string compactJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<std::string> certificatePayload(const PayloadFields& f) {
  rapidjson::Document payload(rapidjson::kObjectType);
  auto& a = payload.GetAllocator();
  put(payload, "format", kCertificateFormat, a);
  put(payload, "certificate_id", f.certificate_id, a);
  rapidjson::Value type(rapidjson::kObjectType);
  put(type, "code", f.type_code, a);
  put(type, "name", f.type_name, a);
  putValue(payload, "type", std::move(type), a);
  put(payload, "number", f.number, a);
  put(payload, "version", int64_t{f.version}, a);
  if (!f.supersedes.empty()) put(payload, "supersedes", f.supersedes, a);
  rapidjson::Value issuer(rapidjson::kObjectType);
  put(issuer, "code", f.issuer_code, a);
  put(issuer, "name", f.issuer_name, a);
  putValue(payload, "issuer", std::move(issuer), a);
  rapidjson::Value holder(rapidjson::kObjectType);
  put(holder, "name", f.holder_name, a);
  put(holder, "code", f.holder_code, a);
  put(holder, "code_type", f.holder_code_type, a);
  putValue(payload, "holder", std::move(holder), a);
  put(payload, "issue_date", f.issue_date, a);
  put(payload, "valid_from", f.valid_from, a);
  if (f.valid_to.empty()) {
    putValue(payload, "valid_to", rapidjson::Value(rapidjson::kNullType), a);
  } else {
    put(payload, "valid_to", f.valid_to, a);
  }
  rapidjson::Value seal_info(rapidjson::kObjectType);
  put(seal_info, "id", f.seal_id, a);
  put(seal_info, "name", f.seal_name, a);
  put(seal_info, "algorithm", f.algorithm, a);
  put(seal_info, "certificate_serial", f.seal_certificate_serial, a);
  putValue(payload, "seal", std::move(seal_info), a);
  put(payload, "sealed_at", f.sealed_at, a);
  rapidjson::Value surface_copy(*f.surface, a);
  putValue(payload, "surface", std::move(surface_copy), a);
  return canonical(payload);
}

std::string certificateLeaf(const std::string& id, const char* action, const char* status,
                            const std::string& previous, const std::string& reason_code,
                            const std::string& time, const std::string& payload,
                            const std::string& signature, int64_t objection_id,
                            const std::string& related) {
  rapidjson::Document leaf(rapidjson::kObjectType);
  auto& a = leaf.GetAllocator();
  put(leaf, "type", "certificate_event", a);
  put(leaf, "certificate_id", id, a);
  put(leaf, "action", action, a);
  put(leaf, "status", status, a);
  if (!previous.empty()) put(leaf, "previous_status", previous, a);
  if (!reason_code.empty()) put(leaf, "reason_code", reason_code, a);
  if (!payload.empty()) {
    put(leaf, "payload_sha256", hexEncode(sha256(payload)), a);
    put(leaf, "signature_sha256", hexEncode(sha256(signature)), a);
  }
  if (objection_id > 0) put(leaf, "objection_id", objection_id, a);
  if (!related.empty()) put(leaf, "related_certificate_id", related, a);
  // 128 random bits: the leaf hash is a hiding commitment, so the public log (which serves only
  // hashes of certificate events) cannot be tested against guessed ids and times.
  put(leaf, "nonce", hexEncode(randomBytes(16)), a);
  put(leaf, "time", time, a);
  return canonical(leaf).value();
}

}  // namespace tongban::certs::internal
