// The index's in-memory structures and the evaluation of checks over them (index.h).
//
// Concurrency: one writer (the loader, then the applier thread), any number of readers, no locks.
//   - Records live in chunked arrays (ChunkedArray): a chunk is allocated before any id in it is
//     published and never moves or is freed while the store lives.
//   - Keys are found through insert-only open-addressing tables of record ids (SlotTable). The
//     writer fills a record, then stores its id into a slot with release; a reader loads the
//     slot with acquire, so it sees the record's immutable fields. Growing builds a new table and
//     publishes it with one release store; the old table is retired but kept until the store is
//     destroyed (a reader may still be probing it; retired tables sum to less than the live one).
//   - What a change can alter in an existing record (status, dates, region, legal
//     representative, the holder chain's head) is a std::atomic of one word, stored with release
//     and loaded with acquire: a reader sees the old or the new value, never a torn one.
//   - Deleted records stay, marked deleted (answered as not found); a key that comes back reuses
//     its record.
// So readers never wait for the writer. What they do not get is a snapshot across records: a
// batch evaluated while a change is applied may see it for some checks and not for others; the
// AsOf reported is read before evaluation, so every answer reflects at least every change up to
// it (docs/verification.md, "Consistency").
//
// Memory (docs/verification.md, "Memory layout"): a certificate is a 28-byte record (binary key:
// serial as an integer, interned type, issuer and seal; dates as uint16 days; status; the next
// certificate of the same holder) plus ~5.7 bytes of slot at load factor 0.7 plus its share of
// the holder table; a person a 16-byte record (citizen id as one integer) plus its slot.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/verification/check.h"

namespace tongban::verification::store {

constexpr uint32_t kNone = 0xFFFFFFFFu;

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Append-only array of T in chunks of 2^kBits; up to 2^16 chunks.
template <typename T, unsigned kBits = 16>
class ChunkedArray {
 public:
  static constexpr size_t kChunk = size_t{1} << kBits;
  ChunkedArray() : dir_(new std::atomic<T*>[kDir]) {
    for (size_t i = 0; i < kDir; ++i) dir_[i].store(nullptr, std::memory_order_relaxed);
  }
  ~ChunkedArray() {
    for (size_t i = 0; i < kDir; ++i) delete[] dir_[i].load(std::memory_order_relaxed);
  }
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;

  T& at(uint32_t i) const {
    return dir_[i >> kBits].load(std::memory_order_acquire)[i & (kChunk - 1)];
  }
  // Writer: a new default record at index size(); false when full. Not visible to readers until
  // the caller publishes the id (a slot, or publishSize()).
  bool append(uint32_t* id) {
    const size_t n = size_;
    if ((n >> kBits) >= kDir || n >= kNone) return false;
    if ((n & (kChunk - 1)) == 0) {
      dir_[n >> kBits].store(new T[kChunk](), std::memory_order_release);
      chunks_.fetch_add(1, std::memory_order_relaxed);
    }
    *id = static_cast<uint32_t>(n);
    size_ = n + 1;
    return true;
  }
  void publishSize() { published_.store(size_, std::memory_order_release); }
  size_t publishedSize() const { return published_.load(std::memory_order_acquire); }
  size_t writerSize() const { return size_; }
  // Any thread (health()).
  size_t bytes() const {
    return chunks_.load(std::memory_order_relaxed) * kChunk * sizeof(T) + kDir * sizeof(void*);
  }

 private:
  static constexpr size_t kDir = size_t{1} << 16;
  std::unique_ptr<std::atomic<T*>[]> dir_;
  size_t size_ = 0;                // writer only
  std::atomic<size_t> chunks_{0};  // read by bytes() on any thread
  std::atomic<size_t> published_{0};
};

// Insert-only open addressing over record ids; the caller supplies hashing and key equality.
class SlotTable {
 public:
  explicit SlotTable(size_t expected = 1024) { install(capacityFor(expected)); }
  SlotTable(const SlotTable&) = delete;
  SlotTable& operator=(const SlotTable&) = delete;

  // Reader: the id for which eq(id) holds along the probe sequence of `hash`, or kNone.
  template <typename Eq>
  uint32_t find(uint64_t hash, Eq eq) const {
    const Table* t = current_.load(std::memory_order_acquire);
    size_t i = hash & t->mask;
    while (true) {
      const uint32_t v = t->slots[i].load(std::memory_order_acquire);
      if (v == 0) return kNone;
      if (eq(v - 1)) return v - 1;
      i = (i + 1) & t->mask;
    }
  }
  // Writer: adds `id` (not present). hash_of(id) rehashes existing ids when the table grows.
  void insert(uint64_t hash, uint32_t id, const std::function<uint64_t(uint32_t)>& hash_of) {
    Table* t = current_.load(std::memory_order_relaxed);
    if ((count_ + 1) * 10 > (t->mask + 1) * 7) {
      grow(hash_of);
      t = current_.load(std::memory_order_relaxed);
    }
    place(t, hash, id);
    count_++;
  }
  // Writer: makes room for `n` ids without growing (the loader calls it with the row count
  // estimate before the first insert, so a 10-million-row load retires no tables).
  void reserve(size_t n, const std::function<uint64_t(uint32_t)>& hash_of) {
    const Table* t = current_.load(std::memory_order_relaxed);
    if (capacityFor(n) > t->mask + 1) grow(hash_of, capacityFor(n));
  }
  // Live and retired tables.
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Table {
    size_t mask;
    std::unique_ptr<std::atomic<uint32_t>[]> slots;
  };
  static size_t capacityFor(size_t n) {
    size_t c = 16;
    while (c * 7 < n * 10 + 10) c <<= 1;
    return c;
  }
  static void place(Table* t, uint64_t hash, uint32_t id) {
    size_t i = hash & t->mask;
    while (t->slots[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & t->mask;
    t->slots[i].store(id + 1, std::memory_order_release);
  }
  void install(size_t cap) {
    auto t = std::make_unique<Table>();
    t->mask = cap - 1;
    t->slots.reset(new std::atomic<uint32_t>[cap]);
    for (size_t i = 0; i < cap; ++i) t->slots[i].store(0, std::memory_order_relaxed);
    bytes_.fetch_add(cap * sizeof(uint32_t), std::memory_order_relaxed);
    current_.store(t.get(), std::memory_order_release);
    tables_.push_back(std::move(t));
  }
  void grow(const std::function<uint64_t(uint32_t)>& hash_of, size_t cap = 0) {
    Table* old = current_.load(std::memory_order_relaxed);
    if (cap == 0) cap = (old->mask + 1) * 2;
    auto t = std::make_unique<Table>();
    t->mask = cap - 1;
    t->slots.reset(new std::atomic<uint32_t>[cap]);
    for (size_t i = 0; i < cap; ++i) t->slots[i].store(0, std::memory_order_relaxed);
    for (size_t i = 0; i <= old->mask; ++i) {
      const uint32_t v = old->slots[i].load(std::memory_order_relaxed);
      if (v != 0) place(t.get(), hash_of(v - 1), v - 1);
    }
    bytes_.fetch_add(cap * sizeof(uint32_t), std::memory_order_relaxed);
    current_.store(t.get(), std::memory_order_release);
    // The old table stays allocated until the store dies: readers may be probing it (see the
    // file comment). Growth doubles, so retired tables total less than the live one.
    tables_.push_back(std::move(t));
  }

  std::atomic<Table*> current_{nullptr};
  std::vector<std::unique_ptr<Table>> tables_;  // writer only
  size_t count_ = 0;                            // writer only
  std::atomic<size_t> bytes_{0};                // read by bytes() on any thread
};

// ---- keys
// ----------------------------------------------------------------------------------------

// A citizen id as one integer: 17 digits * 11 + check (0-9, X = 10); order equals string order.
// False for anything that is not 17 digits and a digit or X.
bool packCitizenId(std::string_view id, uint64_t* key);
std::string unpackCitizenId(uint64_t key);
// An 18-character code over the GB 32100 alphabet (a superset of citizen ids' characters) in 90
// bits: hi holds characters 0..11, lo 12..17.
struct Code18 {
  uint64_t hi = 0;
  uint32_t lo = 0;
  bool operator==(const Code18& o) const { return hi == o.hi && lo == o.lo; }
};
bool packCode18(std::string_view code, Code18* key);
inline uint64_t hashCode18(const Code18& k) { return mix64(k.hi * 0x9E3779B97F4A7C15ULL ^ k.lo); }

// ---- records
// -------------------------------------------------------------------------------------

enum class CertStatus : uint8_t {
  kValid,
  kSuspended,
  kCancelled,
  kDeregistered,
  kRevoked,
  kExpired,
  kSuperseded
};
bool parseCertStatus(std::string_view s, CertStatus* out);
enum class PersonStatus : uint8_t { kLiving, kDeceased, kEmigrated, kDeleted };
bool parsePersonStatus(std::string_view s, PersonStatus* out);
enum class EntityStatus : uint8_t { kInBusiness, kAbnormal, kRevoked, kDeregistered, kDeleted };
bool parseEntityStatus(std::string_view s, EntityStatus* out);
enum class SealStatus : uint8_t { kActive, kSuspended, kRevoked };

constexpr uint16_t kLongTerm = 0xFFFF;  // valid_to of a long-term (长期有效) certificate
// Days since 1970-01-01 clamped into the uint16 range the records hold (1970 .. 2149).
inline uint16_t clampDay(int64_t d) {
  return static_cast<uint16_t>(d < 0 ? 0 : d > 0xFFFE ? 0xFFFE : d);
}

#pragma pack(push, 4)
struct CertRec {  // 28 bytes
  uint32_t serial_lo = 0, serial_hi = 0;
  uint16_t type = 0, issuer = 0, version = 0;
  uint8_t serial_digits = 0;
  std::atomic<uint8_t> status{0};
  uint16_t seal = 0;
  std::atomic<uint16_t> valid_from{0};
  std::atomic<uint16_t> valid_to{0};
  std::atomic<uint32_t> next_by_holder{kNone};
};
#pragma pack(pop)
static_assert(sizeof(CertRec) == 28, "certificate record layout");

struct PersonRec {  // 16 bytes
  uint64_t key = 0;
  std::atomic<uint32_t> region{0};
  std::atomic<uint8_t> status{0};
};
static_assert(sizeof(PersonRec) == 16, "person record layout");

struct EntityRec {  // 32 bytes
  Code18 key;
  std::atomic<uint8_t> status{0};
  std::atomic<uint64_t> legal_rep{0};  // packed citizen id
};

struct HolderRec {  // 24 bytes
  Code18 key;
  std::atomic<uint32_t> head{kNone};  // newest certificate of the holder
};

// Short codes (types, issuers, seals) interned to 16-bit ids.
class Interner {
 public:
  explicit Interner(size_t width) : width_(width) {}
  // Reader: the id of `key`, or kNone.
  uint32_t find(std::string_view key) const;
  // Writer: the id of `key`, adding it; kNone when full or too long.
  uint32_t intern(std::string_view key);
  std::string_view name(uint32_t id) const {
    const Entry& e = entries_.at(id);
    return {e.key, e.len};
  }
  // Per-entry 32-bit value (an issuer's region; a seal's status).
  std::atomic<uint32_t>& value(uint32_t id) const { return entries_.at(id).value; }
  size_t size() const { return entries_.publishedSize(); }
  size_t bytes() const { return entries_.bytes() + slots_.bytes(); }

 private:
  struct Entry {
    char key[32] = {};
    uint8_t len = 0;
    std::atomic<uint32_t> value{0};
  };
  static uint64_t hashOf(std::string_view s);
  size_t width_;
  ChunkedArray<Entry, 10> entries_;
  SlotTable slots_{64};
};

// The binary key of a certificate id, or !ok for an id the index cannot hold (a type or issuer it
// has not interned — for lookups that means "unknown" — or a serial longer than 19 digits).
struct CertKey {
  uint64_t serial = 0;
  uint16_t type = 0, issuer = 0, version = 0;
  uint8_t serial_digits = 0;
};

struct Positions {
  std::atomic<uint64_t> certs_seq{0}, seals_seq{0}, population_seq{0}, legal_entity_seq{0};
  std::atomic<int64_t> at_micros{0};
};

class Store {
 public:
  Store();

  // ---- writer ----
  // Upserts a certificate from its id and fields; false (and counts it as unindexed) when the id
  // cannot be held. `holder` may be empty or malformed (then it is not linked to a holder).
  bool putCertificate(std::string_view id, CertStatus status, std::string_view seal,
                      int64_t valid_from, int64_t valid_to /* kLongTerm */,
                      std::string_view holder);
  void putSeal(std::string_view seal, SealStatus status);
  bool putPerson(std::string_view citizen_id, uint32_t region, PersonStatus status);
  bool putEntity(std::string_view credit_code, EntityStatus status, std::string_view legal_rep);
  void deleteAllPersons();
  void deleteAllEntities();
  // Sizes the key tables for about this many records (row-count estimates before the load).
  void reserve(size_t certificates, size_t holders, size_t persons, size_t entities);
  // Makes appended records visible to scans (lookups see them once their slot is stored).
  void publish();
  // The length of the longest prefix of person records in citizen-id order.
  size_t sortedPersonPrefix() const;
  // Marks persons [0, n) as the citizen-id-ordered prefix (after the initial load); scans sort
  // the records after it.
  void setSortedPersons(size_t n) { sorted_persons_.store(n, std::memory_order_release); }

  // ---- readers ----
  Answer evaluate(const Check& check, int32_t today) const;
  void scanPersons(const Check* predicate, size_t n, int32_t today, const std::string& after,
                   const std::function<bool(const std::string&)>& emit) const;

  uint64_t certificates() const { return certs_.publishedSize(); }
  uint64_t persons() const { return persons_.publishedSize(); }
  uint64_t entities() const { return entities_.publishedSize(); }
  uint64_t unindexed() const { return unindexed_.load(std::memory_order_relaxed); }
  uint64_t bytes() const;
  uint64_t certificateBytes() const;  // records, slots, holders, interners
  uint64_t personBytes() const;

  Positions positions;

 private:
  bool certKey(std::string_view id, bool intern, CertKey* key);
  bool findCertKey(std::string_view id, CertKey* key) const;
  uint32_t findCert(const CertKey& key) const;
  uint32_t findPerson(uint64_t key) const;
  uint32_t findEntity(const Code18& key) const;
  uint32_t findHolder(const Code18& key) const;
  Answer certificateAnswer(const CertRec& rec, int32_t today) const;
  Answer personAnswer(const Check& check, const PersonRec& rec, int32_t today) const;
  static uint64_t certHash(const CertKey& k);
  bool regionMatches(uint32_t region, const std::string& prefix) const;

  Interner types_{21}, issuers_{18}, seals_{32};
  ChunkedArray<CertRec> certs_;
  SlotTable cert_slots_;
  ChunkedArray<HolderRec> holders_;
  SlotTable holder_slots_;
  ChunkedArray<PersonRec> persons_;
  SlotTable person_slots_;
  ChunkedArray<EntityRec> entities_;
  SlotTable entity_slots_;
  std::atomic<size_t> sorted_persons_{0};
  std::atomic<uint64_t> unindexed_{0};
};

}  // namespace tongban::verification::store
