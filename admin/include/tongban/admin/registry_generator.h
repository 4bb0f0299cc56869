// Deterministic sample registries: persons (人口库) and legal entities (法人库).
//
// RegistryGenerator produces realistic rows for population.persons and legal_entity.entities
// (deploy/sql/0001_population.sql, 0002_legal_entity.sql): valid GB 11643 citizen ids over real
// GB/T 2260 county codes, names with surnames weighted by their real frequency, an age profile
// after the 2020 census, valid GB 32100 credit codes, entity types in the proportions of China's
// market-entity statistics, and legal representatives drawn from the generated persons (living,
// adult at the establishment date). `tongban-admin seed` loads them with COPY; benchmarks use
// them directly.
//
// Determinism: the rows depend only on the seed, the counts and the shipped region table — never
// on the machine, the standard library or the clock (own PRNG, no std:: distributions, a fixed
// reference date kReferenceDate). Rows are produced one at a time, so memory stays at about
// 16 bytes per person and 16 per entity (the uniqueness sets and the pool of representatives).
//
// Not thread-safe: one generator per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tongban/common/result.h"

namespace tongban::admin {

// A calendar date (proleptic Gregorian).
struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;
  // "YYYY-MM-DD".
  std::string toString() const;
  friend bool operator==(const Date& a, const Date& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
};

// The "today" of the generated world: no date in the rows is later.
constexpr Date kReferenceDate{2025, 12, 31};

// One row of population.persons (updated_at is left to the database default).
struct PersonRecord {
  std::string citizen_id;  // 18 characters, valid GB 11643
  std::string name;
  char sex = 'M';           // 'M' / 'F', agreeing with the id's order digit
  Date birth_date;          // agrees with the id
  std::string ethnicity;    // "汉族", "壮族", ...
  std::string region_code;  // household registration, county level
  std::string address;
  std::string status;  // living | deceased | emigrated
};

// One row of legal_entity.entities (updated_at is left to the database default).
struct EntityRecord {
  std::string credit_code;  // 18 characters, valid GB 32100
  std::string name;
  std::string entity_type;           // llc, joint_stock, ..., branch (the table's CHECK list)
  std::string legal_rep_citizen_id;  // a living person generated earlier, adult at establishment
  std::optional<int64_t> registered_capital_fen;  // CNY in fen (1/100); none for some types
  Date established_on;
  std::string region_code;
  std::string address;
  std::string status;  // in_business | abnormal | revoked | deregistered
  std::string business_scope;
};

class RegistryGenerator {
 public:
  static constexpr size_t kMaxRows = 50'000'000;

  // kInvalidArgument when a count is above kMaxRows, or entities > 0 with persons == 0;
  // kInternal when the shipped region table has no county-level entries.
  static Result<std::unique_ptr<RegistryGenerator>> create(uint64_t seed, size_t persons,
                                                           size_t entities);
  ~RegistryGenerator();
  RegistryGenerator(const RegistryGenerator&) = delete;
  RegistryGenerator& operator=(const RegistryGenerator&) = delete;

  size_t personCount() const;
  size_t entityCount() const;

  // Fills `out` with the next person; false once all persons were produced.
  bool nextPerson(PersonRecord* out);

  // Fills `out` with the next entity; false once all entities were produced. Call only after
  // nextPerson returned false (representatives are drawn from the persons): kInternal before.
  // kInvalidArgument (field "persons") when no generated person can be a representative — none
  // living and adult, only possible with a handful of persons.
  Result<bool> nextEntity(EntityRecord* out);

 private:
  struct Impl;
  explicit RegistryGenerator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// PostgreSQL CSV (FORMAT csv) and COPY text format renderings of one row, in the column order of
// kPersonColumns / kEntityColumns, each ending with '\n'. Appended to `out`.
extern const char* const kPersonColumns;  // "citizen_id,name,sex,..."
extern const char* const kEntityColumns;
void appendPersonCsv(const PersonRecord& p, std::string* out);
void appendEntityCsv(const EntityRecord& e, std::string* out);
void appendPersonCopyText(const PersonRecord& p, std::string* out);
void appendEntityCopyText(const EntityRecord& e, std::string* out);

}  // namespace tongban::admin
