// Strict JSON request bodies and compact JSON responses for the exchange's handlers.
//
// Parsing refuses what a careless or hostile client might send: invalid JSON, a root that is not
// an object, members of the wrong type, unknown members (a typo must not be silently ignored),
// overlong strings and arrays, strings holding U+0000 (PostgreSQL stores no NUL), and (through
// tongban::parseJson) nesting deeper than kMaxJsonDepth. Every error is kInvalidArgument naming
// the member's path ("fields[2]", "purpose.matter_code").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/common/json_writer.h"
#include "tongban/common/result.h"

namespace tongban::exchange::json {

using Value = rapidjson::Value;
using Writer = tongban::json::Writer;

inline constexpr size_t kMaxString = 4096;
inline constexpr size_t kMaxArray = 256;

// The parsed body. kInvalidArgument (field "body") for an empty body, invalid JSON (with the
// offset) or a non-object root.
Result<std::unique_ptr<rapidjson::Document>> parseObject(const std::string& body);

// kInvalidArgument naming the first member of `obj` not in `allowed`.
Status onlyMembers(const Value& obj, std::initializer_list<const char*> allowed,
                   const std::string& path);

std::string memberPath(const std::string& path, const char* name);

// Absent (or null) → nullopt when !required, error when required.
Result<std::optional<std::string>> optString(const Value& obj, const char* name,
                                             const std::string& path, bool required);
Result<std::string> reqString(const Value& obj, const char* name, const std::string& path);
Result<std::optional<std::vector<std::string>>> optStringArray(const Value& obj, const char* name,
                                                               const std::string& path,
                                                               bool required, bool unique);
Result<std::optional<int64_t>> optInt(const Value& obj, const char* name, const std::string& path,
                                      int64_t min, int64_t max);
Result<std::optional<bool>> optBool(const Value& obj, const char* name, const std::string& path);
// An object member (required or not); nullptr when absent and not required.
Result<const Value*> optObject(const Value& obj, const char* name, const std::string& path,
                               bool required);

// Writer helpers: the common ones (tongban/common/json_writer.h).
using tongban::json::done;
using tongban::json::num;
using tongban::json::object;
using tongban::json::str;
using tongban::json::strArray;
using tongban::json::strOrNull;

}  // namespace tongban::exchange::json
