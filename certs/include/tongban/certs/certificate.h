// Electronic certificates (电子证照): what one is, its states, and its identifier.
//
// A certificate is the canonical payload (RFC 8785 JSON of the GB/T 36903 metadata and the surface
// data, docs/certificates.md), the issuing seal's signature over exactly those bytes, and a status
// that changes over its life. Versions: a correction issues version n+1 with the same type, issuer
// and serial, pointing at version n, which becomes `superseded`.
//
// Identifier (电子证照标识, GB/T 36904 as the national platforms use it):
//   1.2.156.3005.2.{type code (21)}.{issuer credit code (18)}.{serial}.{version (3)}.{check}
// Tongban's serial is the year of issue + a per-issuer, per-year counter of at least 6 digits
// ("2026000123"); check = ISO 7064 MOD 37,36 over type+issuer+serial+version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tongban/certs/algorithm.h"
#include "tongban/common/result.h"

namespace tongban::certs {

// States used by sector systems (DESIGN.md), plus `superseded` for a corrected version.
enum class CertificateStatus {
  kValid,
  kSuspended,     // 暂扣: resumable
  kCancelled,     // 撤销: issued in error or obtained by fraud
  kDeregistered,  // 注销: the holder ceased or gave it up
  kRevoked,       // 吊销: revoked as a penalty
  kExpired,       // 失效: past its validity end
  kSuperseded,    // replaced by a corrected version
};

const char* statusName(CertificateStatus status);  // "valid", "suspended", ...
Result<CertificateStatus> parseStatus(std::string_view name);

// Holder code types (持证主体代码类型, GB/T 36903).
inline constexpr std::string_view kHolderCitizenId = "111";   // 公民身份号码
inline constexpr std::string_view kHolderCreditCode = "001";  // 统一社会信用代码

// Reason codes of a revocation and the state each leads to:
//   issued_in_error, obtained_by_fraud, seal_compromised -> cancelled (撤销)
//   holder_request, holder_ceased                        -> deregistered (注销)
//   penalty                                              -> revoked (吊销)
// InvalidArgument (field "reason_code") for anything else.
Result<CertificateStatus> revocationTarget(std::string_view reason_code);

struct Certificate {
  std::string certificate_id;
  std::string type_code;
  std::string type_name;
  std::string issuer_code;
  std::string issuer_name;
  std::string serial;
  int version = 1;
  std::string supersedes;     // empty for version 1
  std::string superseded_by;  // empty unless corrected
  std::string number;         // 证照编号
  std::string holder_name;
  std::string holder_code;
  std::string holder_code_type;  // "111" or "001"
  std::string surface_json;      // canonical JSON of the surface data
  std::string payload;           // the exact signed bytes
  std::string signature;         // DER
  SignatureAlgorithm algorithm = SignatureAlgorithm::kEcdsaP256Sha256;
  std::string seal_id;
  std::string issued_at;   // RFC 3339 UTC
  std::string issue_date;  // YYYY-MM-DD (China time)
  std::string valid_from;  // YYYY-MM-DD
  std::string valid_to;    // YYYY-MM-DD; empty = long-term (长期)
  CertificateStatus status = CertificateStatus::kValid;
  std::string status_reason;
  int open_objections = 0;
  uint64_t log_index = 0;  // transparency-log leaf of the issuance
};

// The identifier for the parts. Preconditions: type_code 21 and issuer_code 18 characters of
// 0-9A-Z, serial of 0-9A-Z, 1 <= version <= 999.
std::string formatCertificateId(std::string_view type_code, std::string_view issuer_code,
                                std::string_view serial, int version);

struct CertificateIdParts {
  std::string type_code;
  std::string issuer_code;
  std::string serial;
  int version = 0;
};

// Validates (tongban::ids::normalizeCertificateId) and splits an identifier. InvalidArgument
// (field `field`) naming what is wrong.
Result<CertificateIdParts> parseCertificateId(std::string_view id,
                                              std::string_view field = "certificate_id");

}  // namespace tongban::certs
