// Validation and normalisation of the identifiers that every input carries.
//
//  - Citizen id (公民身份号码), GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit order
//    (odd = male), check character over ISO 7064 MOD 11-2.
//  - Unified social credit code (统一社会信用代码), GB 32100-2015: registration authority,
//    entity kind, 6-digit region, 9-character organisation code (GB 11714, with its own check),
//    check character over MOD 31.
//  - Region code (行政区划代码), GB/T 2260: six digits; known codes come from the shipped table.
//
// Every function is pure and thread-safe. On failure the Status is kInvalidArgument, its field
// is the `field` argument, and its message says exactly what is wrong (length, alphabet, date,
// check character — with the expected value where that helps).
#pragma once

#include <string>
#include <string_view>

#include "tongban/common/result.h"

namespace tongban::ids {

// Normalises (trims ASCII spaces, upper-cases a trailing 'x') then validates.
// Returns the canonical 18-character form.
Result<std::string> normalizeCitizenId(std::string_view raw, std::string_view field = "citizen_id");

// Check character ('0'..'9' or 'X') for the first 17 digits. Precondition: 17 ASCII digits.
char citizenIdCheckChar(std::string_view first17);

// Sex encoded by a valid citizen id: 'M' when the order digit (17th) is odd, 'F' otherwise.
char citizenIdSex(std::string_view citizen_id);

// Normalises (trims, upper-cases) then validates. Returns the canonical 18-character form.
Result<std::string> normalizeCreditCode(std::string_view raw,
                                        std::string_view field = "credit_code");

// Check character for the first 17 characters of a credit code. Precondition: 17 characters
// from the GB 32100 alphabet.
char creditCodeCheckChar(std::string_view first17);

// Check character of a GB 11714 organisation code ('0'..'9' or 'X') for its first 8 characters.
// Precondition: 8 characters from 0-9 A-Z.
char organizationCodeCheckChar(std::string_view first8);

// Validates a six-digit GB/T 2260 region code that must appear in the shipped table.
Result<std::string> normalizeRegionCode(std::string_view raw,
                                        std::string_view field = "region_code");

// Name of a region code from the shipped table ("北京市海淀区"), or empty if not known.
std::string regionName(std::string_view code);

struct Region {
  const char* code;  // six digits
  const char* name;  // full name, province (and prefecture) first
};

// The shipped GB/T 2260 table, sorted by code: provinces, prefectures and the county-level units
// of the larger cities. Pointers stay valid for the life of the process.
const Region* regionTable(size_t* count);

}  // namespace tongban::ids

namespace tongban::ids {

// Electronic certificate identifier (电子证照标识), GB/T 36904-2018 as the national platforms use
// it: 1.2.156.3005.2.{type code (21)}.{issuer credit code (18)}.{serial}.{version (3
// digits)}.{check} where check is ISO 7064 MOD 37,36 over type+issuer+serial+version. Normalises
// (trims, upper-cases) then validates every part. Returns the canonical form.
Result<std::string> normalizeCertificateId(std::string_view raw,
                                           std::string_view field = "certificate_id");

// ISO 7064 MOD 37,36 check character over `data` (alphabet 0-9A-Z). Precondition: every
// character is in 0-9A-Z.
char mod3736CheckChar(std::string_view data);

}  // namespace tongban::ids
