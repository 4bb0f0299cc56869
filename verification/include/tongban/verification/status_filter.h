// The status filter for offline verifiers (CRLite's idea): a signed, compact structure that
// answers "is certificate X valid?" exactly for every certificate the hub issued up to a
// transparency-log tree size, and signed deltas between sizes. docs/status-filter.md defines the
// file format byte by byte.
//
// The structure is a Bloom filter cascade over 128-bit digests of the ids, d = first 16 bytes of
// SHA-256(salt || id). Level 1 holds the non-valid ids with a false-positive rate chosen from the
// two set sizes; level 2 holds the valid ids that level 1 wrongly contains; level 3 the non-valid
// ids level 2 wrongly contains; and so on until a level has no false positives. A query walks the
// levels: the first level that does not contain d decides (odd level: valid; even: not valid); a
// digest contained by every level belongs to the set the last level was built over.
//
// Invariants:
//   1. Exact for every id in the build set (no false answers), barring a collision of two 128-bit
//      digests across the sets (the builder then fails; it never emits a wrong filter).
//   2. For an id outside the build set the answer is meaningless: verifiers use the filter only
//      for certificates whose issuance log index is below the filter's tree size.
//   3. Parsing never trusts the file: every length is bounded by the bytes present; a corrupt or
//      truncated file is InvalidArgument naming what is wrong, never a crash.
//   4. The file is signed by the hub's status key (role status, the key that signs the status
//      statements in bundles: the filter is the same claim for every certificate at once).
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/certs/openssl_handles.h"
#include "tongban/certs/signer.h"
#include "tongban/common/result.h"

namespace tongban::verification {

using IdDigest = std::array<uint64_t, 2>;
using FilterSalt = std::array<uint8_t, 16>;

// d = the first 16 bytes of SHA-256(salt || id), as two big-endian u64.
IdDigest idDigest(const FilterSalt& salt, std::string_view id);

// A Bloom filter cascade over digests. Immutable after build/parse; thread-safe for reading.
class FilterCascade {
 public:
  struct Level {
    uint64_t bits = 0;          // m
    uint8_t hashes = 0;         // k
    std::vector<uint8_t> data;  // ceil(m / 8) bytes, bit i = data[i / 8] >> (i % 8) & 1
  };

  // Builds over `valid` and `not_valid` (consumed). Internal when the cascade does not close
  // within kMaxLevels levels (two digests collide across the sets).
  static Result<FilterCascade> build(std::vector<IdDigest> valid, std::vector<IdDigest> not_valid);
  static constexpr size_t kMaxLevels = 64;

  // True when d is in the valid set (exact for digests of the build set).
  bool isValid(const IdDigest& d) const;

  const std::vector<Level>& levels() const { return levels_; }
  std::vector<Level>& mutableLevels() { return levels_; }
  size_t bytes() const;  // bitmap bytes over all levels

 private:
  std::vector<Level> levels_;
};

inline constexpr uint8_t kStatusFilterFull = 1;
inline constexpr uint8_t kStatusFilterDelta = 2;
// Upper bounds a parser accepts (a hostile file cannot make it allocate more).
inline constexpr uint64_t kMaxFilterLevelBits = uint64_t{1} << 36;  // 8 GiB bitmap: never
inline constexpr uint32_t kMaxDeltaEntries = 50'000'000;
inline constexpr size_t kMaxFilterIdLength = 255;

struct StatusChange {
  std::string certificate_id;
  bool valid = false;
};

// A parsed status-filter file: a full filter (kind kStatusFilterFull) or a delta
// (kStatusFilterDelta).
struct StatusFilterFile {
  uint8_t kind = kStatusFilterFull;
  uint64_t base_tree_size = 0;  // delta: the filter size it applies to
  uint64_t tree_size = 0;       // every certificate whose issuance leaf index < tree_size
  int64_t produced_at = 0;      // Unix seconds
  int64_t next_update = 0;      // Unix seconds; verifiers refuse the file after it
  uint64_t valid_count = 0;     // full: sizes of the two sets the cascade was built over
  uint64_t not_valid_count = 0;
  FilterSalt salt{};
  FilterCascade cascade;              // full only
  std::vector<StatusChange> changes;  // delta only: sorted by id, each id once
  std::string signed_bytes;           // everything the signature covers
  std::string signature;              // DER
  std::string signer_certificate;     // PEM
};

// The unsigned body of a full filter / a delta (what the signature covers). `changes` must be
// sorted by id without repeats and ids at most kMaxFilterIdLength bytes (InvalidArgument).
std::string encodeFullFilter(const StatusFilterFile& filter);
Result<std::string> encodeDelta(const StatusFilterFile& delta);
// body + the signature trailer (u32 length, DER signature, u32 length, signer PEM).
Result<std::string> signStatusFilter(const std::string& body, const certs::Signer& signer);

// Parses a signed file. InvalidArgument (field "status_filter") saying what is wrong: bad magic
// or version, unknown kind, a length past the end, a level of 0 bits or hashes, unsorted delta
// ids, trailing bytes, a missing signature.
Result<StatusFilterFile> parseStatusFilter(std::string_view bytes);

// Checks the signer's chain to `roots` at produced_at with role status, and the signature.
// PermissionDenied (field = the verify reason name, e.g. "not_authorized", "bad_signature").
Status verifyStatusFilterSignature(const StatusFilterFile& file,
                                   const std::vector<certs::X509Ptr>& roots);

// An offline verifier's view: one full filter and the deltas applied after it. Not thread-safe
// for apply(); isValid is safe to call concurrently once applying has finished.
class OfflineStatusFilter {
 public:
  // The first file must be a full filter; each later one a delta whose base_tree_size equals the
  // current tree size. InvalidArgument (field "status_filter") otherwise.
  Status apply(StatusFilterFile file);

  // true / false for certificates issued below treeSize(); nullopt before a full filter.
  std::optional<bool> isValid(std::string_view certificate_id) const;
  uint64_t treeSize() const { return tree_size_; }
  int64_t nextUpdate() const { return next_update_; }
  int64_t producedAt() const { return produced_at_; }

 private:
  std::optional<StatusFilterFile> full_;
  std::map<std::string, bool, std::less<>> overrides_;
  uint64_t tree_size_ = 0;
  int64_t produced_at_ = 0;
  int64_t next_update_ = 0;
};

}  // namespace tongban::verification
