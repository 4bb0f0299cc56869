// Fuzzes certificate-type schemas and surfaces (certs/certificate_type.h): the input is compiled
// as a schema, and validated as a surface against a fixed schema. Nothing may crash; every
// refusal names a field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tongban/certs/certificate_type.h"
#include "tongban/common/json.h"

namespace {

constexpr const char* kSchema = R"({
  "holder_name_field": "name", "holder_code_field": "id", "number_field": "number",
  "fields": [
    {"name": "name", "label": "n", "type": "string", "required": true, "min_length": 1, "max_length": 8},
    {"name": "id", "label": "i", "type": "citizen_id", "required": true},
    {"name": "sex", "label": "s", "type": "enum", "required": true, "values": ["M", "F"]},
    {"name": "birth", "label": "b", "type": "date", "required": true},
    {"name": "number", "label": "no", "type": "string", "required": true, "pattern": "^[A-Z]{2}[0-9]{3}$"},
    {"name": "area", "label": "a", "type": "number", "required": false, "minimum": 1, "maximum": 1000},
    {"name": "items", "label": "it", "type": "array", "required": false, "max_items": 2, "items": {"type": "string", "min_length": 2}}
  ],
  "rules": [
    {"kind": "citizen_id_birth_date", "id_field": "id", "date_field": "birth"},
    {"kind": "citizen_id_sex", "id_field": "id", "sex_field": "sex", "male": "M", "female": "F"}
  ]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tongban::certs::SurfaceSchema;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto compiled = SurfaceSchema::compile(in);
  if (!compiled && compiled.status().message().empty()) std::abort();

  static auto fixed = SurfaceSchema::compile(kSchema);
  if (!fixed) std::abort();
  rapidjson::Document surface;
  if (!tongban::parseJsonObject(in, surface, "surface")) return 0;
  tongban::Status s = (*fixed)->validate(surface, "11010519491231002X", "W");
  if (!s && s.field().empty()) std::abort();
  if (s) (void)(*fixed)->number(surface);
  return 0;
}
