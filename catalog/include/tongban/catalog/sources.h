// The registry sources the hub holds, as data: for each source ("population.persons",
// "legal_entity.entities") its columns, their SQL types, which columns may be looked up by, and
// each column's default masking. Which department owns a source is data in the database
// (catalog.source_owners, CatalogStore::sourceOwners), not here.
//
// This is the whitelist of identifiers that may appear in SQL built for catalog queries: a
// resource's fields must be columns listed here (checked when the resource is created), and the
// "pg" record sources (record_source_registry.h) build their query text only from these names,
// never from text stored in the catalog.
// Keep it in step with deploy/sql/0001_population.sql and 0002_legal_entity.sql.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/catalog/model.h"
#include "tongban/common/result.h"

namespace tongban::catalog {

struct SourceColumn {
  const char* name;      // column name, a safe SQL identifier
  const char* sql_type;  // as declared: "char(18)", "text", "date", "numeric(18,2)", ...
  FieldType type;        // the catalog field type that represents it
  bool key;              // primary key: a lookup returns at most one row
  bool lookup;           // indexed and allowed as a lookup key (may return several rows)
  // The masking a resource field over this column gets by default. Only a provider application
  // of the source's owning department may declare a weaker one (masking.h, atLeastAsStrong).
  MaskingRule masking = MaskingRule::kNone;
};

struct Source {
  const char* name;    // "schema.table"
  const char* schema;  // safe SQL identifier
  const char* table;   // safe SQL identifier
  std::vector<SourceColumn> columns;

  // The column called `name`, or nullptr.
  const SourceColumn* column(std::string_view name) const;
};

// All registry sources of this hub. The references stay valid for the life of the process.
const std::vector<Source>& registrySources();

// The source called `name` ("population.persons"), or nullptr: a registry, else a remote source.
const Source* findSource(std::string_view name);

// A source the hub reaches through an adapter (a ministry's system): its name and columns, as
// the adapter's configuration declares them. No SQL is ever built over it.
struct RemoteSourceColumn {
  std::string name;
  FieldType type = FieldType::kString;
  bool key = false;
  MaskingRule masking = MaskingRule::kNone;
};
struct RemoteSourceSpec {
  std::string name;  // as resources cite it; must not be a registry's
  std::vector<RemoteSourceColumn> columns;
};
// Makes findSource() know `spec` (replacing an earlier spec of the same name; sources found
// before stay valid). kConflict when the name is a registry's or a certificate source's;
// kInvalidArgument when it has not exactly one key column. Thread-safe; meant for start-up.
Status registerRemoteSource(const RemoteSourceSpec& spec);

// Certificates of one type as a catalog source (docs/certificates.md, "Who reads a
// certificate"): the source "certs:<type code>" has two columns, certificate_id (the key) and
// certificate (the signed certificate and its bundle, disclosed whole: a signed payload cannot be
// masked). Its resource is coded "CERT-<type code>" and is created by the department that defines
// the type or one authorised to issue it. Queries never build SQL over it.
inline constexpr std::string_view kCertificateSourcePrefix = "certs:";
// The type code of a certificate source ("certs:11100000MB0143028R001"), or nullopt when `name`
// is not a well-formed one.
std::optional<std::string> certificateSourceType(std::string_view name);
// The columns of every certificate source (its `name` is "certs:<type code>" in general).
const Source& certificateSource();
// "CERT-" + type_code: the code of the catalog resource over a certificate type.
std::string certificateResourceCode(std::string_view type_code);

// Whether a field declared with `type` can represent the column: the column's own type, or
// kEnum/kString interchangeably for text columns.
bool fieldTypeFits(FieldType type, const SourceColumn& column);

}  // namespace tongban::catalog
