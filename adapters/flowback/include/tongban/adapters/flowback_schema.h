// The registries a flow-back file can be imported into, their columns, and the validation every
// record passes before it reaches SQL: identifiers through common/identifiers.h (GB 11643 citizen
// ids with their check character and birth date, GB 32100 credit codes, GB/T 2260 region codes
// from the shipped table) and each column's constraints from deploy/sql/0001_population.sql and
// 0002_legal_entity.sql (lengths in characters, allowed values, dates, amounts), plus valid UTF-8
// without control characters. A record that fails is rejected with the field and the reason; a
// record that passes is rendered as a line of COPY text for the staging table.
//
// Pure and thread-safe (the tables are constants).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/common/result.h"

namespace tongban::flowback {

enum class ColumnKind { kCitizenId, kCreditCode, kRegion, kText, kChoice, kDate, kSex, kAmount };

struct Column {
  const char* name;
  const char* sql_type;  // the table's type, for the cast out of the text staging table
  ColumnKind kind;
  bool required;  // a file must carry it (the key and NOT NULL columns without default)
  bool nullable;  // an empty CSV field / JSON null stores NULL
  int min_chars;  // kText: length in characters
  int max_chars;
  bool line_breaks;                  // kText: may hold tab, CR and LF (addresses, business scope)
  std::vector<const char*> choices;  // kChoice
  const char* min_date;              // kDate: "YYYY-MM-DD"
};

struct Registry {
  const char* name;             // "population" | "legal_entity"
  const char* table;            // "population.persons"
  std::vector<Column> columns;  // columns[0] is the key
};

// The registry called `name`, or nullptr.
const Registry* findRegistry(std::string_view name);

// Which of a registry's columns a file carries, in the order the staging table holds them.
struct ColumnSet {
  const Registry* registry = nullptr;
  std::vector<int> written;  // indexes into registry->columns; written[0] == 0 (the key)
  // Where each registry column comes from in a CSV record (-1: not in the file).
  std::vector<int> source;
};

// Maps a CSV header or the keys of a JSON Lines file's first record to the registry's columns.
// kInvalidArgument naming the column: unknown, repeated, or a required one missing. Population's
// sex and birth_date may be left out: they are then taken from the citizen id.
Result<ColumnSet> mapColumns(const Registry& registry, const std::vector<std::string>& names);

// One record's values, by registry column (nullopt: NULL or not in the file).
using Values = std::vector<std::optional<std::string>>;

// Values of a CSV record. kInvalidArgument when the field count differs from the header's.
Status valuesFromCsv(const ColumnSet& set, const std::vector<std::string>& fields, Values* out);

// Values of a JSON Lines record: one JSON object whose keys are exactly the column set's (strings;
// integers or null where the column allows). kInvalidArgument naming the key otherwise.
Status valuesFromJson(const ColumnSet& set, std::string_view json, Values* out);

// The keys of a JSON Lines record, in order (to define a JSON Lines file's columns).
Result<std::vector<std::string>> jsonKeys(std::string_view json);

// Validates and normalises the record in place (identifiers to their canonical form, derived
// columns filled in). kInvalidArgument whose field is the column and whose message says why.
Status validateRecord(const ColumnSet& set, Values* values);

// Appends the record's written columns as one line of COPY text (tab-separated, \N for NULL,
// ending in '\n'), then `line` as the last column.
void appendCopyLine(const ColumnSet& set, const Values& values, uint64_t line, std::string* out);

// Strict UTF-8 (no overlong forms, surrogates or code points beyond U+10FFFF): the number of
// characters, or nullopt.
std::optional<size_t> utf8Length(std::string_view text);

}  // namespace tongban::flowback
