// A record source: where the records behind a catalog resource are read from. The exchange's
// query handlers ask the source a resource names (Resource::source, "population.persons") for one
// record by its key, or for the records that share a lookup field's value, with the fields they
// want; they never see SQL, table names or how the source reaches its data.
//
// The first implementation reads the hub's own PostgreSQL registries (pg_record_source.cc); the
// adapters add sources that reach a ministry's system behind the same interface. Sources are made
// by named factories and found by name in a RecordSourceRegistry (record_source_registry.h).
//
// Invariants:
//   1. A Record holds only fields the caller asked for, in the order asked, each at most once.
//   2. A field that the source holds but is NULL for this subject is present with no value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tongban/common/result.h"

namespace tongban::catalog {

// One record of a source: field name → value (nullopt: the source holds no value for it). Field
// names point into storage owned by the source that made the record and stay valid for the
// source's life; values are owned by the record.
class Record {
 public:
  using Field = std::pair<std::string_view, std::optional<std::string>>;

  // The value of `field`, or nullptr when the record does not carry that field (it was not asked
  // for). A carried field without a value is a pointer to nullopt.
  const std::optional<std::string>* find(std::string_view field) const {
    for (const Field& f : fields_) {
      if (f.first == field) return &f.second;
    }
    return nullptr;
  }
  // The value of `field` when the record carries it with a value, else nullopt.
  std::optional<std::string> value(std::string_view field) const {
    const std::optional<std::string>* v = find(field);
    return v ? *v : std::nullopt;
  }

  const std::vector<Field>& fields() const { return fields_; }
  void reserve(size_t n) { fields_.reserve(n); }
  void add(std::string_view field, std::optional<std::string> value) {
    fields_.emplace_back(field, std::move(value));
  }

 private:
  std::vector<Field> fields_;
};

// Implementations are thread-safe: one source serves every request thread at once.
class RecordSource {
 public:
  virtual ~RecordSource() = default;

  // The name resources cite ("population.persons").
  virtual const std::string& name() const = 0;

  // The field whose value identifies one record ("citizen_id"): what lookup() takes.
  virtual const std::string& keyField() const = 0;

  // The record whose key field equals `key`, carrying `fields`; nullopt when there is none.
  // kInvalidArgument naming "fields[i]" when a field is not one of the source's; kUnavailable
  // when the source cannot be reached; kInternal for any other failure of the source.
  [[nodiscard]] virtual Result<std::optional<Record>> lookup(
      const std::string& key, const std::vector<std::string>& fields) const = 0;

  // Up to `limit` records whose field `field` equals `value`, ordered by key, carrying `fields`.
  // kInvalidArgument naming "field" when `field` is not one the source can be searched by (or
  // "fields[i]" as above); errors otherwise as lookup().
  [[nodiscard]] virtual Result<std::vector<Record>> lookupBy(std::string_view field,
                                                             const std::string& value,
                                                             const std::vector<std::string>& fields,
                                                             size_t limit) const = 0;
};

}  // namespace tongban::catalog
