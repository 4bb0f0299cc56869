// The registry sources of this hub (see sources.h). Mirrors deploy/sql/0001 and 0002; the
// catalog tests check every column here against the migrated database.
#include "tongban/catalog/sources.h"

#include <deque>
#include <map>
#include <mutex>

namespace tongban::catalog {

namespace {

// Remote sources: the specs' strings and Sources live in deques (never moved, never freed) so
// that a Source* or column name handed out stays valid for the process's life.
struct RemoteSources {
  std::mutex mutex;  // guards all three
  std::deque<std::string> strings;
  std::deque<Source> sources;
  std::map<std::string, const Source*, std::less<>> by_name;
};

RemoteSources& remoteSources() {
  static RemoteSources* r = new RemoteSources;  // never destroyed: pointers outlive statics
  return *r;
}

const char* sqlTypeOf(FieldType t) {
  switch (t) {
    case FieldType::kDate:
      return "date";
    case FieldType::kInteger:
      return "bigint";
    case FieldType::kDecimal:
      return "numeric";
    case FieldType::kTimestamp:
      return "timestamptz";
    case FieldType::kString:
    case FieldType::kEnum:
      break;
  }
  return "text";
}

}  // namespace

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
  RemoteSources& r = remoteSources();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : it->second;
}

Status registerRemoteSource(const RemoteSourceSpec& spec) {
  for (const Source& s : registrySources()) {
    if (spec.name == s.name) {
      return Status(ErrorCode::kConflict, "'" + spec.name + "' is a registry of this hub",
                    "source");
    }
  }
  if (spec.name.empty() || spec.name.rfind(kCertificateSourcePrefix, 0) == 0) {
    return Status(ErrorCode::kConflict, "'" + spec.name + "' cannot name a remote source",
                  "source");
  }
  size_t keys = 0;
  for (const RemoteSourceColumn& c : spec.columns) keys += c.key ? 1 : 0;
  if (keys != 1) return Status::invalid("fields", spec.name + " needs exactly one key field");
  RemoteSources& r = remoteSources();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto keep = [&r](const std::string& s) { return r.strings.emplace_back(s).c_str(); };
  Source source{keep(spec.name), "remote", keep(spec.name), {}};
  for (const RemoteSourceColumn& c : spec.columns) {
    source.columns.push_back({keep(c.name), sqlTypeOf(c.type), c.type, c.key, c.key, c.masking});
  }
  r.by_name[spec.name] = &r.sources.emplace_back(std::move(source));
  return Status::ok();
}

std::optional<std::string> certificateSourceType(std::string_view name) {
  if (name.substr(0, kCertificateSourcePrefix.size()) != kCertificateSourcePrefix) {
    return std::nullopt;
  }
  const std::string_view code = name.substr(kCertificateSourcePrefix.size());
  // Type code (GB/T 36904): the defining body's credit code + 3 digits.
  constexpr std::string_view kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  if (code.size() != 21) return std::nullopt;
  for (size_t i = 0; i < code.size(); ++i) {
    const bool ok = i < 18 ? kCreditAlphabet.find(code[i]) != std::string_view::npos
                           : code[i] >= '0' && code[i] <= '9';
    if (!ok) return std::nullopt;
  }
  return std::string(code);
}

const Source& certificateSource() {
  static const Source kSource = {"certs:<type code>",
                                 "certs",
                                 "certificates",
                                 {
                                     {"certificate_id", "text", FieldType::kString, true, true},
                                     // Verification only (holds_certificate): never
                                     // disclosed, a grant naming it may ask whether a holder
                                     // holds a valid certificate of the type.
                                     {"holder_code", "text", FieldType::kString, false, false},
                                     {"certificate", "text", FieldType::kString, false, false},
                                 }};
  return kSource;
}

std::string certificateResourceCode(std::string_view type_code) {
  return "CERT-" + std::string(type_code);
}

bool fieldTypeFits(FieldType type, const SourceColumn& column) {
  if (type == column.type) return true;
  const bool textual = column.type == FieldType::kString || column.type == FieldType::kEnum;
  return textual && (type == FieldType::kString || type == FieldType::kEnum);
}

}  // namespace tongban::catalog
