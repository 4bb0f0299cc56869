// RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes Tongban signs.
//
// A certificate's payload, a seal record and every transparency-log leaf are JCS bytes, so that
// anyone can rebuild them from the JSON and any JCS implementation (Java, Go, JavaScript...) gets
// the same bytes. Rules: no whitespace; object members sorted by the UTF-16 code units of their
// names; strings escaped minimally (only '"', '\\' and U+0000..U+001F, the latter as \b \t \n \f
// \r or lower-case \u00xx) and otherwise emitted as UTF-8; numbers as ECMAScript's
// Number.prototype.toString gives them (shortest round-trip double, "1e+21", "0.000001",
// "1e-7"...). Duplicate member names, invalid UTF-8, non-finite numbers and numbers of magnitude
// above 2^53 - 1 (which a double cannot hold exactly; send such values as strings) are refused:
// Tongban's policy, stricter than the RFC, which formats them (formatJsonNumber still does).
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "tongban/common/result.h"

namespace tongban::certs {

// Canonical bytes of `value`. InvalidArgument (field `field`, or the JSON path of the offending
// member, such as "surface.items[2]") for duplicate names, invalid UTF-8, a non-finite number or
// an integer of magnitude above 2^53 - 1.
Result<std::string> canonicalJson(const rapidjson::Value& value, const std::string& field = "json");

// Parses `text` (RFC 8259, UTF-8 validated, numbers at full double precision) and returns its
// canonical bytes. InvalidArgument (field `field`) for malformed JSON, with the offset.
Result<std::string> canonicalizeJson(std::string_view text, const std::string& field = "json");

// ECMAScript Number::toString of a finite double ("-0" gives "0"). Precondition: finite.
std::string formatJsonNumber(double value);

// Parses JSON text strictly (as canonicalizeJson does) into `document`. InvalidArgument (field
// `field`) with the error and its offset.
Status parseJsonStrict(std::string_view text, rapidjson::Document& document,
                       const std::string& field = "json");

}  // namespace tongban::certs
