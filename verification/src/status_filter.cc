// The status filter: Bloom filter cascade, file format, signing and offline use.
#include "tongban/verification/status_filter.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/verification.h"

namespace tongban::verification {
namespace {

constexpr char kMagic[4] = {'T', 'B', 'S', 'F'};
constexpr uint8_t kVersion = 1;
constexpr uint64_t kLevelMix1 = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kLevelMix2 = 0xC2B2AE3D27D4EB4FULL;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Bit positions of `d` in level `level` (1-based) of `bits` bits: (h1 + i * h2) mod bits.
template <typename Fn>
void forEachBit(const IdDigest& d, size_t level, uint64_t bits, uint8_t hashes, Fn&& fn) {
  const uint64_t h1 = mix64(d[0] ^ (level * kLevelMix1));
  const uint64_t h2 = mix64(d[1] ^ (level * kLevelMix2)) | 1;
  uint64_t h = h1;
  for (uint8_t i = 0; i < hashes; ++i) {
    if (!fn(h % bits)) return;
    h += h2;
  }
}

bool levelContains(const FilterCascade::Level& level, size_t number, const IdDigest& d) {
  bool all = true;
  forEachBit(d, number, level.bits, level.hashes, [&](uint64_t bit) {
    if (((level.data[bit >> 3] >> (bit & 7)) & 1) == 0) {
      all = false;
      return false;
    }
    return true;
  });
  return all;
}

FilterCascade::Level makeLevel(const std::vector<IdDigest>& members, size_t number, double p) {
  FilterCascade::Level level;
  const double n = static_cast<double>(std::max<size_t>(members.size(), 1));
  const double ln2 = std::log(2.0);
  level.bits =
      std::max<uint64_t>(8, static_cast<uint64_t>(std::ceil(-n * std::log(p) / (ln2 * ln2))));
  level.hashes = static_cast<uint8_t>(std::max(1.0, std::round(-std::log(p) / ln2)));
  level.data.assign((level.bits + 7) / 8, 0);
  for (const IdDigest& d : members) {
    forEachBit(d, number, level.bits, level.hashes, [&](uint64_t bit) {
      level.data[bit >> 3] |= static_cast<uint8_t>(1u << (bit & 7));
      return true;
    });
  }
  return level;
}

void putU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void putU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
void putU64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}

// Reads the file; every read is bounded by the bytes left and names what it was reading.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  size_t left() const { return bytes_.size() - pos_; }
  Status need(size_t n, const char* what) const {
    if (left() < n) {
      return Status::invalid("status_filter", std::string("truncated: ") + what + " needs " +
                                                  std::to_string(n) + " bytes at offset " +
                                                  std::to_string(pos_) + ", " +
                                                  std::to_string(left()) + " left");
    }
    return Status::ok();
  }
  uint8_t u8() { return static_cast<uint8_t>(bytes_[pos_++]); }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    return v;
  }
  std::string_view take(size_t n) {
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

Status bad(const std::string& message) { return Status::invalid("status_filter", message); }

}  // namespace

IdDigest idDigest(const FilterSalt& salt, std::string_view id) {
  // One context per thread, reused: a digest per query without an allocation.
  struct Context {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
  };
  thread_local Context c;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestInit_ex(c.ctx, c.md, nullptr);
  EVP_DigestUpdate(c.ctx, salt.data(), salt.size());
  EVP_DigestUpdate(c.ctx, id.data(), id.size());
  EVP_DigestFinal_ex(c.ctx, md, &length);
  IdDigest d{0, 0};
  for (int i = 0; i < 8; ++i) d[0] = (d[0] << 8) | md[i];
  for (int i = 8; i < 16; ++i) d[1] = (d[1] << 8) | md[i];
  return d;
}

Result<FilterCascade> FilterCascade::build(std::vector<IdDigest> valid,
                                           std::vector<IdDigest> not_valid) {
  FilterCascade cascade;
  // Level 1 over the non-valid ids (the small set) at CRLite's rate r / (sqrt(2) s); later
  // levels at 1/2, which minimises the total size (Larisch et al., CRLite, IEEE S&P 2017, §III).
  double p = 0.5;
  if (!valid.empty()) {
    p = static_cast<double>(not_valid.size()) /
        (std::sqrt(2.0) * static_cast<double>(valid.size()));
    p = std::min(0.5, std::max(p, 1e-9));
  }
  std::vector<IdDigest> include = std::move(not_valid);
  std::vector<IdDigest> exclude = std::move(valid);
  while (!include.empty()) {
    if (cascade.levels_.size() == kMaxLevels) {
      return Status::internal("the filter cascade did not close in 64 levels (digest collision)");
    }
    const size_t number = cascade.levels_.size() + 1;
    Level level = makeLevel(include, number, p);
    std::vector<IdDigest> false_positives;
    for (const IdDigest& d : exclude) {
      if (levelContains(level, number, d)) false_positives.push_back(d);
    }
    cascade.levels_.push_back(std::move(level));
    // The next level holds this level's false positives and is tested against its members.
    exclude = std::move(include);
    include = std::move(false_positives);
    p = 0.5;
  }
  return cascade;
}

bool FilterCascade::isValid(const IdDigest& d) const {
  for (size_t i = 0; i < levels_.size(); ++i) {
    if (!levelContains(levels_[i], i + 1, d)) return (i + 1) % 2 == 1;
  }
  // In every level: the set the last level was built over (odd levels: the non-valid ids).
  return levels_.size() % 2 == 0;
}

size_t FilterCascade::bytes() const {
  size_t total = 0;
  for (const Level& l : levels_) total += l.data.size();
  return total;
}

std::string encodeFullFilter(const StatusFilterFile& f) {
  std::string out;
  out.reserve(80 + f.cascade.bytes() + 9 * f.cascade.levels().size());
  out.append(kMagic, 4);
  putU8(out, kVersion);
  putU8(out, kStatusFilterFull);
  putU64(out, f.tree_size);
  putU64(out, static_cast<uint64_t>(f.produced_at));
  putU64(out, static_cast<uint64_t>(f.next_update));
  putU64(out, f.valid_count);
  putU64(out, f.not_valid_count);
  out.append(reinterpret_cast<const char*>(f.salt.data()), f.salt.size());
  putU8(out, static_cast<uint8_t>(f.cascade.levels().size()));
  for (const FilterCascade::Level& l : f.cascade.levels()) {
    putU64(out, l.bits);
    putU8(out, l.hashes);
    out.append(reinterpret_cast<const char*>(l.data.data()), l.data.size());
  }
  return out;
}

Result<std::string> encodeDelta(const StatusFilterFile& d) {
  if (d.changes.size() > kMaxDeltaEntries) return bad("too many changes for one delta");
  std::string out;
  out.append(kMagic, 4);
  putU8(out, kVersion);
  putU8(out, kStatusFilterDelta);
  putU64(out, d.base_tree_size);
  putU64(out, d.tree_size);
  putU64(out, static_cast<uint64_t>(d.produced_at));
  putU64(out, static_cast<uint64_t>(d.next_update));
  putU32(out, static_cast<uint32_t>(d.changes.size()));
  const std::string* previous = nullptr;
  for (const StatusChange& c : d.changes) {
    if (c.certificate_id.empty() || c.certificate_id.size() > kMaxFilterIdLength) {
      return bad("a certificate id in a delta must be 1.." + std::to_string(kMaxFilterIdLength) +
                 " bytes");
    }
    if (previous != nullptr && !(*previous < c.certificate_id)) {
      return bad("delta changes must be sorted by id, each id once");
    }
    previous = &c.certificate_id;
    putU8(out, c.valid ? 1 : 0);
    putU8(out, static_cast<uint8_t>(c.certificate_id.size()));
    out += c.certificate_id;
  }
  return out;
}

Result<std::string> signStatusFilter(const std::string& body, const certs::Signer& signer) {
  Result<std::string> signature = signer.sign(body);
  if (!signature) return signature.status();
  std::string out = body;
  putU32(out, static_cast<uint32_t>(signature->size()));
  out += *signature;
  putU32(out, static_cast<uint32_t>(signer.certificatePem().size()));
  out += signer.certificatePem();
  return out;
}

Result<StatusFilterFile> parseStatusFilter(std::string_view bytes) {
  Reader r(bytes);
  StatusFilterFile f;
  if (Status s = r.need(6, "the header"); !s) return s;
  if (std::memcmp(r.take(4).data(), kMagic, 4) != 0) {
    return bad("not a Tongban status filter (magic TBSF missing)");
  }
  if (r.u8() != kVersion) return bad("unsupported status filter version");
  f.kind = r.u8();
  if (f.kind == kStatusFilterFull) {
    if (Status s = r.need(8 * 5 + 16 + 1, "the filter header"); !s) return s;
    f.tree_size = r.u64();
    f.produced_at = static_cast<int64_t>(r.u64());
    f.next_update = static_cast<int64_t>(r.u64());
    f.valid_count = r.u64();
    f.not_valid_count = r.u64();
    std::memcpy(f.salt.data(), r.take(16).data(), 16);
    const uint8_t count = r.u8();
    if (count > FilterCascade::kMaxLevels) return bad("more than 64 filter levels");
    for (uint8_t i = 0; i < count; ++i) {
      const std::string level = "level " + std::to_string(i + 1);
      if (Status s = r.need(9, level.c_str()); !s) return s;
      FilterCascade::Level l;
      l.bits = r.u64();
      l.hashes = r.u8();
      if (l.bits == 0 || l.bits > kMaxFilterLevelBits || l.hashes == 0) {
        return bad(level + " has " + std::to_string(l.bits) + " bits and " +
                   std::to_string(l.hashes) + " hashes");
      }
      const uint64_t n = (l.bits + 7) / 8;
      if (Status s = r.need(n, (level + " bitmap").c_str()); !s) return s;
      std::string_view data = r.take(n);
      l.data.assign(data.begin(), data.end());
      f.cascade.mutableLevels().push_back(std::move(l));
    }
  } else if (f.kind == kStatusFilterDelta) {
    if (Status s = r.need(8 * 4 + 4, "the delta header"); !s) return s;
    f.base_tree_size = r.u64();
    f.tree_size = r.u64();
    f.produced_at = static_cast<int64_t>(r.u64());
    f.next_update = static_cast<int64_t>(r.u64());
    const uint32_t count = r.u32();
    if (count > kMaxDeltaEntries) return bad("too many delta entries");
    if (f.base_tree_size > f.tree_size) return bad("delta base size is past its tree size");
    f.changes.reserve(std::min<size_t>(count, r.left() / 3));
    for (uint32_t i = 0; i < count; ++i) {
      if (Status s = r.need(2, "a delta entry"); !s) return s;
      const uint8_t valid = r.u8();
      const uint8_t length = r.u8();
      if (valid > 1 || length == 0)
        return bad("delta entry " + std::to_string(i) + " is malformed");
      if (Status s = r.need(length, "a delta certificate id"); !s) return s;
      StatusChange c{std::string(r.take(length)), valid == 1};
      if (!f.changes.empty() && !(f.changes.back().certificate_id < c.certificate_id)) {
        return bad("delta entries are not sorted by id (entry " + std::to_string(i) + ")");
      }
      f.changes.push_back(std::move(c));
    }
  } else {
    return bad("unknown status filter kind " + std::to_string(f.kind));
  }
  f.signed_bytes = std::string(bytes.substr(0, r.pos()));
  if (Status s = r.need(4, "the signature length"); !s) return s;
  const uint32_t signature_length = r.u32();
  if (signature_length == 0) return bad("the signature is empty");
  if (Status s = r.need(signature_length, "the signature"); !s) return s;
  f.signature = std::string(r.take(signature_length));
  if (Status s = r.need(4, "the signer certificate length"); !s) return s;
  const uint32_t certificate_length = r.u32();
  if (Status s = r.need(certificate_length, "the signer certificate"); !s) return s;
  f.signer_certificate = std::string(r.take(certificate_length));
  if (r.left() != 0) return bad(std::to_string(r.left()) + " trailing bytes after the signature");
  return f;
}

Status verifyStatusFilterSignature(const StatusFilterFile& file,
                                   const std::vector<certs::X509Ptr>& roots) {
  Result<certs::X509Ptr> signer = certs::parseCertificatePem(file.signer_certificate);
  if (!signer) return Status::invalid("status_filter", "the signer certificate is not PEM");
  certs::Verification chain =
      certs::verifyChain(signer->get(), {}, roots, static_cast<std::time_t>(file.produced_at),
                         certs::KeyRole::kStatus);
  if (!chain) {
    return Status(ErrorCode::kPermissionDenied, "status filter key: " + chain.message(),
                  certs::verifyReasonName(chain.reason()));
  }
  Result<certs::SignatureAlgorithm> algorithm =
      certs::algorithmOfKey(X509_get0_pubkey(signer->get()));
  if (!algorithm) return Status::invalid("status_filter", algorithm.status().message());
  certs::Verification sig = certs::verifySignature(file.signer_certificate, *algorithm,
                                                   file.signed_bytes, file.signature);
  if (!sig) {
    return Status(ErrorCode::kPermissionDenied, "status filter signature: " + sig.message(),
                  certs::verifyReasonName(sig.reason()));
  }
  return Status::ok();
}

Status OfflineStatusFilter::apply(StatusFilterFile file) {
  if (file.kind == kStatusFilterFull) {
    overrides_.clear();
    tree_size_ = file.tree_size;
    produced_at_ = file.produced_at;
    next_update_ = file.next_update;
    full_ = std::move(file);
    return Status::ok();
  }
  if (!full_) return bad("a delta needs a full filter first");
  if (file.base_tree_size != tree_size_) {
    return bad("the delta applies to tree size " + std::to_string(file.base_tree_size) +
               ", the filter is at " + std::to_string(tree_size_));
  }
  for (StatusChange& c : file.changes) overrides_[std::move(c.certificate_id)] = c.valid;
  tree_size_ = file.tree_size;
  produced_at_ = file.produced_at;
  next_update_ = file.next_update;
  return Status::ok();
}

std::optional<bool> OfflineStatusFilter::isValid(std::string_view certificate_id) const {
  if (!full_) return std::nullopt;
  auto it = overrides_.find(certificate_id);
  if (it != overrides_.end()) return it->second;
  return full_->cascade.isValid(idDigest(full_->salt, certificate_id));
}

}  // namespace tongban::verification
