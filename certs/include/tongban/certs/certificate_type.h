// Certificate types (证照类型) and the surface-data rules the hub enforces for each.
//
// A type's surface schema is JSON (stored in certs.certificate_types.surface_schema):
//   {"holder_name_field": F, "holder_code_field": F, "number_field": F,
//    "fields": [{"name", "label", "type", "required", constraints...}],
//    "rules":  [{"kind": ...}]}
// Field types and their constraints:
//   string      min_length, max_length (characters), pattern (ECMAScript regex, whole value)
//   enum        values
//   integer     minimum, maximum
//   number      minimum, maximum
//   boolean
//   date        "YYYY-MM-DD", a real date; minimum, maximum
//   citizen_id  GB 11643 (normalised: trailing 'x' upper-cased)
//   credit_code GB 32100 (normalised: upper-cased)
//   region_code GB/T 2260, known code
//   array       min_items, max_items, items: {type, constraints} (scalars only)
// Rules across fields:
//   date_order             earlier <= later (when both are present)
//   citizen_id_birth_date  the id's birth date equals the date field
//   citizen_id_sex         the id's sex digit agrees with the sex field (values "male"/"female")
//   citizen_id_sex_is      the id's sex is "M" or "F"
//   holder_code_in         the holder's code equals one of these fields
//   holder_name_in         the holder's name equals one of these fields
// Members not in `fields` are refused. Every failure is InvalidArgument whose field is
// "surface.<name>" and whose message names the field's label.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "tongban/common/result.h"

namespace tongban::certs {

enum class HolderKind { kPerson, kEntity };  // holder code type 111 / 001

class SurfaceSchema {
 public:
  // Compiles a schema. InvalidArgument (field "surface_schema") saying what is wrong with it.
  static Result<std::shared_ptr<const SurfaceSchema>> compile(std::string_view schema_json);

  ~SurfaceSchema();

  // Validates `surface` (must be an object) in place against the fields and rules: normalises
  // identifier fields, drops members that are null, and checks the holder fields against the
  // holder's (already validated) code and name. Thread-safe (the schema is immutable).
  Status validate(rapidjson::Document& surface, const std::string& holder_code,
                  const std::string& holder_name) const;

  // The value of the number field (证照编号) of a validated surface, or "" if the schema has none.
  std::string number(const rapidjson::Value& surface) const;

 private:
  struct Impl;
  explicit SurfaceSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct CertificateType {
  std::string code;  // 21 characters: definer's credit code + 3 digits
  std::string name;
  HolderKind holder_kind = HolderKind::kPerson;
  bool holder_check = true;  // the holder must exist (and be active) in its registry
  // A holder has at most one current (valid or suspended) certificate of this type: a second
  // issuance is Conflict naming the current one; a change is a correction (营业执照: true).
  bool unique_per_holder = false;
  std::optional<int> default_validity_months;  // empty: long-term
  std::string schema_json;
  std::vector<std::string> issuer_codes;        // departments allowed to issue it
  std::shared_ptr<const SurfaceSchema> schema;  // compiled schema_json
};

// "111" for persons, "001" for entities.
const char* holderCodeType(HolderKind kind);

}  // namespace tongban::certs
