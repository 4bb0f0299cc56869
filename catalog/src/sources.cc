// The registry sources of this hub (see sources.h). Mirrors deploy/sql/0001 and 0002; the
// catalog tests check every column here against the migrated database.
#include "tongban/catalog/sources.h"

namespace tongban::catalog {

const SourceColumn* Source::column(std::string_view column_name) const {
  for (const SourceColumn& c : columns) {
    if (column_name == c.name) return &c;
  }
  return nullptr;
}

const std::vector<Source>& registrySources() {
  // updated_at is bookkeeping of the registry, not data of the subject: not listed.
  static const std::vector<Source> kSources = {
      {"population.persons",
       "population",
       "persons",
       {
           {"citizen_id", "char(18)", FieldType::kString, true, true, MaskingRule::kCitizenId},
           {"name", "text", FieldType::kString, false, false, MaskingRule::kName},
           {"sex", "char(1)", FieldType::kEnum, false, false},
           {"birth_date", "date", FieldType::kDate, false, false, MaskingRule::kDate},
           {"ethnicity", "text", FieldType::kString, false, false},
           {"region_code", "char(6)", FieldType::kString, false, false},
           {"address", "text", FieldType::kString, false, false, MaskingRule::kAddress},
           {"status", "text", FieldType::kEnum, false, false},
       }},
      {"legal_entity.entities",
       "legal_entity",
       "entities",
       {
           {"credit_code", "char(18)", FieldType::kString, true, true},
           {"name", "text", FieldType::kString, false, false},
           {"entity_type", "text", FieldType::kEnum, false, false},
           // "Which entities does this person represent?" (entities_legal_rep_idx).
           {"legal_rep_citizen_id", "char(18)", FieldType::kString, false, true,
            MaskingRule::kCitizenId},
           {"registered_capital", "numeric(18,2)", FieldType::kDecimal, false, false},
           {"established_on", "date", FieldType::kDate, false, false},
           {"region_code", "char(6)", FieldType::kString, false, false},
           {"address", "text", FieldType::kString, false, false},
           {"status", "text", FieldType::kEnum, false, false},
           {"business_scope", "text", FieldType::kString, false, false},
       }},
  };
  return kSources;
}

const Source* findSource(std::string_view name) {
  for (const Source& s : registrySources()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

bool fieldTypeFits(FieldType type, const SourceColumn& column) {
  if (type == column.type) return true;
  const bool textual = column.type == FieldType::kString || column.type == FieldType::kEnum;
  return textual && (type == FieldType::kString || type == FieldType::kEnum);
}

}  // namespace tongban::catalog
