// The one way Tongban turns untrusted JSON text into a RapidJSON document.
//
// Every JSON body, token part, bundle, stored document and file the hub reads goes through
// parseJson(): a single pass of RapidJSON's iterative (non-recursive) reader wrapped in a handler
// that counts nesting and stops at kMaxJsonDepth, so a body of a million '[' is refused after 65
// bytes instead of overflowing the stack. The document is only ever built up to the limit, so the
// code that walks it afterwards (canonicalisation, schema checks, writers, destructors) recurses at
// most kMaxJsonDepth levels. Text must be RFC 8259 JSON in valid UTF-8 with exactly one root value;
// numbers keep full double precision, and an integer literal that does not fit in 64 bits is
// refused rather than silently rounded. Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "tongban/common/result.h"

namespace tongban {

// Deepest nesting of arrays and objects accepted: `[]` is depth 1, `{"a":[1]}` depth 2. Real
// documents (certificate surfaces, bundles, request bodies) stay below 10; 64 leaves room and
// keeps every recursive walk of a parsed document shallow.
inline constexpr unsigned kMaxJsonDepth = 64;

// Parses `text` into `document` (replacing its content). On failure `document` is left empty
// (null) and the result is kInvalidArgument naming `field`: invalid JSON or UTF-8 (with the byte
// offset), more than one root value, an integer literal beyond 64 bits, or nesting deeper than
// `max_depth` (the message names the limit). Never recurses over the input.
Status parseJson(std::string_view text, rapidjson::Document& document, const std::string& field,
                 unsigned max_depth = kMaxJsonDepth);

// parseJson() and a root that must be an object ("must be a JSON object" naming `field`).
Status parseJsonObject(std::string_view text, rapidjson::Document& document,
                       const std::string& field, unsigned max_depth = kMaxJsonDepth);

}  // namespace tongban
