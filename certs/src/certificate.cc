// Certificate states, revocation reasons and identifiers.
#include "tongban/certs/certificate.h"

#include <cstdio>
#include <string>
#include <vector>

#include "tongban/common/identifiers.h"

namespace tongban::certs {
namespace {

struct StatusName {
  CertificateStatus status;
  const char* name;
};
constexpr StatusName kStatusNames[] = {
    {CertificateStatus::kValid, "valid"},
    {CertificateStatus::kSuspended, "suspended"},
    {CertificateStatus::kCancelled, "cancelled"},
    {CertificateStatus::kDeregistered, "deregistered"},
    {CertificateStatus::kRevoked, "revoked"},
    {CertificateStatus::kExpired, "expired"},
    {CertificateStatus::kSuperseded, "superseded"},
};

}  // namespace

const char* statusName(CertificateStatus status) {
  for (const auto& entry : kStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return "unknown";
}

Result<CertificateStatus> parseStatus(std::string_view name) {
  for (const auto& entry : kStatusNames) {
    if (name == entry.name) return entry.status;
  }
  return Status::invalid("status", "unknown certificate status '" + std::string(name) + "'");
}

Result<CertificateStatus> revocationTarget(std::string_view reason_code) {
  if (reason_code == "issued_in_error" || reason_code == "obtained_by_fraud" ||
      reason_code == "seal_compromised") {
    return CertificateStatus::kCancelled;
  }
  if (reason_code == "holder_request" || reason_code == "holder_ceased") {
    return CertificateStatus::kDeregistered;
  }
  if (reason_code == "penalty") return CertificateStatus::kRevoked;
  return Status::invalid("reason_code",
                         "unknown reason code '" + std::string(reason_code) +
                             "' (issued_in_error, obtained_by_fraud, seal_compromised, "
                             "holder_request, holder_ceased, penalty)");
}

std::string formatCertificateId(std::string_view type_code, std::string_view issuer_code,
                                std::string_view serial, int version) {
  char version_text[8];
  std::snprintf(version_text, sizeof version_text, "%03d", version);
  std::string body =
      std::string(type_code) + std::string(issuer_code) + std::string(serial) + version_text;
  std::string id = "1.2.156.3005.2.";
  id += type_code;
  id += '.';
  id += issuer_code;
  id += '.';
  id += serial;
  id += '.';
  id += version_text;
  id += '.';
  id += ids::mod3736CheckChar(body);
  return id;
}

Result<CertificateIdParts> parseCertificateId(std::string_view id, std::string_view field) {
  Result<std::string> normalized = ids::normalizeCertificateId(id, field);
  if (!normalized) return normalized.status();
  // 1.2.156.3005.2.TYPE.ISSUER.SERIAL.VERSION.CHECK, already validated.
  const std::string& text = *normalized;
  std::vector<std::string> parts;
  size_t start = 15;  // after "1.2.156.3005.2."
  while (true) {
    size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  CertificateIdParts out;
  out.type_code = parts[0];
  out.issuer_code = parts[1];
  out.serial = parts[2];
  out.version = std::stoi(parts[3]);
  return out;
}

}  // namespace tongban::certs
