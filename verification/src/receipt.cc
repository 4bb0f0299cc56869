// Verification receipts: leaf and signed-root encodings, sealing, the window collector, and
// offline verification.
#include "tongban/verification/receipt.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <utility>

#include "tongban/certs/pki.h"
#include "tongban/certs/verification.h"
#include "tongban/common/encoding.h"
#include "tongban/common/json.h"

namespace tongban::verification {
namespace {

constexpr char kLeafTag[4] = {'T', 'B', 'V', 'L'};
constexpr char kRootTag[4] = {'T', 'B', 'V', 'R'};
constexpr uint8_t kVersion = 1;

void putU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void putU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// Bounds-checked reader; every get sets ok_ false past the end instead of reading.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool atEnd() const { return pos_ == bytes_.size(); }
  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  uint32_t u32() {
    std::string_view b = take(4);
    uint32_t v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }
  uint64_t u64() {
    std::string_view b = take(8);
    uint64_t v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }
  std::string str() {
    const uint32_t n = u32();
    if (!ok_ || n > kMaxLeafField) {
      ok_ = false;
      return {};
    }
    return std::string(take(n));
  }
  std::string_view take(size_t n) {
    static const char kZeros[8] = {};
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return std::string_view(kZeros, n <= sizeof kZeros ? n : 0);
    }
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void putAsOf(std::string& out, const AsOf& a) {
  putU64(out, a.certs_seq);
  putU64(out, a.population_seq);
  putU64(out, a.legal_entity_seq);
  putU64(out, static_cast<uint64_t>(a.at_micros));
  putU8(out, a.stale ? 1 : 0);
}

AsOf getAsOf(Reader& r, bool& stale_ok) {
  AsOf a;
  a.certs_seq = r.u64();
  a.population_seq = r.u64();
  a.legal_entity_seq = r.u64();
  a.at_micros = static_cast<int64_t>(r.u64());
  const uint8_t stale = r.u8();
  stale_ok = stale <= 1;
  a.stale = stale == 1;
  return a;
}

// SHA-256 through one pre-fetched EVP_MD and a context per thread (OpenSSL 3's implicit fetch
// in one-shot calls costs as much as hashing a leaf).
class Sha256 {
 public:
  static Sha256& local() {
    thread_local Sha256 instance;
    return instance;
  }
  certs::MerkleHash leaf(std::string_view data) {
    static const unsigned char kZero = 0x00;
    EVP_DigestInit_ex(ctx_, md_, nullptr);
    EVP_DigestUpdate(ctx_, &kZero, 1);
    EVP_DigestUpdate(ctx_, data.data(), data.size());
    return finish();
  }
  certs::MerkleHash children(const certs::MerkleHash& left, const certs::MerkleHash& right) {
    unsigned char buffer[65];
    buffer[0] = 0x01;
    std::memcpy(buffer + 1, left.data(), 32);
    std::memcpy(buffer + 33, right.data(), 32);
    EVP_DigestInit_ex(ctx_, md_, nullptr);
    EVP_DigestUpdate(ctx_, buffer, sizeof buffer);
    return finish();
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }

 private:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {}
  certs::MerkleHash finish() {
    certs::MerkleHash out{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &length);
    return out;
  }
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

void appendHex(std::string& out, const certs::MerkleHash& hash) {
  static const char kDigits[] = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + 64);
  char* p = &out[at];
  for (uint8_t b : hash) {
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 15];
  }
}

// Standard base64 with padding (RFC 4648 §4), appended in place.
void appendBase64(std::string& out, std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t at = out.size();
  out.resize(at + (bytes.size() + 2) / 3 * 4);
  char* p = &out[at];
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const uint32_t v = (uint32_t{in[i]} << 16) | (two ? uint32_t{in[i + 1]} << 8 : 0);
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = two ? kAlphabet[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
}

int64_t systemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeAsOf(Writer& w, const AsOf& a) {
  w.StartObject();
  w.Key("certs_seq");
  w.Uint64(a.certs_seq);
  w.Key("population_seq");
  w.Uint64(a.population_seq);
  w.Key("legal_entity_seq");
  w.Uint64(a.legal_entity_seq);
  w.Key("at_micros");
  w.Int64(a.at_micros);
  w.Key("stale");
  w.Bool(a.stale);
  w.EndObject();
}

void writeString(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::string receiptLeaf(const Check& check, const Answer& answer, const AsOf& as_of,
                        std::string_view requester, std::string_view matter,
                        const ReceiptSalt& salt) {
  // One allocation, written through a pointer: this runs once per answer on the hot path.
  const size_t size = 4 + 1 + 1 + (4 + check.subject.size()) + (4 + check.type_code.size()) +
                      (4 + check.region.size()) + 12 + (4 + check.entity.size()) + 2 + 33 +
                      (4 + requester.size()) + (4 + matter.size()) + kReceiptSaltBytes;
  std::string out(size, '\0');
  char* p = out.data();
  auto u8 = [&p](uint8_t v) { *p++ = static_cast<char>(v); };
  auto u32 = [&p](uint32_t v) {
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
    p += 4;
  };
  auto u64 = [&u32](uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  };
  auto str = [&p, &u32](std::string_view v) {
    u32(static_cast<uint32_t>(v.size()));
    if (!v.empty()) std::memcpy(p, v.data(), v.size());
    p += v.size();
  };
  std::memcpy(p, kLeafTag, sizeof kLeafTag);
  p += sizeof kLeafTag;
  u8(kVersion);
  u8(static_cast<uint8_t>(check.kind));
  str(check.subject);
  str(check.type_code);
  str(check.region);
  u32(static_cast<uint32_t>(check.valid_until));
  u32(static_cast<uint32_t>(check.min_age));
  u32(static_cast<uint32_t>(check.on_date));
  str(check.entity);
  u8(static_cast<uint8_t>(answer.verdict));
  u8(static_cast<uint8_t>(answer.reason));
  u64(as_of.certs_seq);
  u64(as_of.population_seq);
  u64(as_of.legal_entity_seq);
  u64(static_cast<uint64_t>(as_of.at_micros));
  u8(as_of.stale ? 1 : 0);
  str(requester);
  str(matter);
  std::memcpy(p, salt.data(), salt.size());
  return out;
}

std::vector<ReceiptSalt> randomSalts(size_t n) {
  std::vector<ReceiptSalt> salts(n);
  if (n != 0 && RAND_bytes(reinterpret_cast<unsigned char*>(salts.data()),
                           static_cast<int>(n * kReceiptSaltBytes)) != 1) {
    // The CSPRNG failing is not a caller's error and must not yield predictable salts.
    std::abort();
  }
  return salts;
}

Result<ReceiptLeaf> parseReceiptLeaf(std::string_view bytes) {
  Reader r(bytes);
  std::string_view tag = r.take(4);
  if (!r.ok() || std::memcmp(tag.data(), kLeafTag, 4) != 0) {
    return Status::invalid("leaf", "not a receipt leaf (tag TBVL missing)");
  }
  if (r.u8() != kVersion) return Status::invalid("leaf", "unsupported leaf version");
  ReceiptLeaf leaf;
  const uint8_t kind = r.u8();
  if (kind < 1 || kind > 7) return Status::invalid("leaf", "unknown check kind");
  leaf.check.kind = static_cast<CheckKind>(kind);
  leaf.check.subject = r.str();
  leaf.check.type_code = r.str();
  leaf.check.region = r.str();
  leaf.check.valid_until = static_cast<int32_t>(r.u32());
  leaf.check.min_age = static_cast<int32_t>(r.u32());
  leaf.check.on_date = static_cast<int32_t>(r.u32());
  leaf.check.entity = r.str();
  const uint8_t verdict = r.u8();
  const uint8_t reason = r.u8();
  if (verdict > 2) return Status::invalid("leaf", "unknown verdict");
  if (reason > static_cast<uint8_t>(Reason::kEntityNotFound)) {
    return Status::invalid("leaf", "unknown reason");
  }
  leaf.answer.verdict = static_cast<Verdict>(verdict);
  leaf.answer.reason = static_cast<Reason>(reason);
  bool stale_ok = true;
  leaf.as_of = getAsOf(r, stale_ok);
  leaf.requester = r.str();
  leaf.matter = r.str();
  std::string_view salt = r.take(kReceiptSaltBytes);
  if (!r.ok()) return Status::invalid("leaf", "truncated leaf");
  if (!stale_ok) return Status::invalid("leaf", "bad stale flag");
  if (!r.atEnd()) return Status::invalid("leaf", "trailing bytes after the leaf");
  std::memcpy(leaf.salt.data(), salt.data(), kReceiptSaltBytes);
  return leaf;
}

std::string signedRootBytes(uint64_t tree_size, const certs::MerkleHash& root,
                            int64_t signed_at_micros, const AsOf& as_of) {
  std::string out;
  out.reserve(kSignedRootBytes);
  out.append(kRootTag, sizeof kRootTag);
  putU8(out, kVersion);
  putU64(out, tree_size);
  out.append(reinterpret_cast<const char*>(root.data()), root.size());
  putU64(out, static_cast<uint64_t>(signed_at_micros));
  putAsOf(out, as_of);
  return out;
}

Result<SignedRoot> parseSignedRootBytes(std::string_view bytes) {
  if (bytes.size() != kSignedRootBytes || std::memcmp(bytes.data(), kRootTag, 4) != 0 ||
      static_cast<uint8_t>(bytes[4]) != kVersion) {
    return Status::invalid("signed_root.signed",
                           "not a version 1 signed root (86 bytes starting TBVR 01)");
  }
  Reader r(bytes.substr(5));
  SignedRoot root;
  root.tree_size = r.u64();
  std::string_view hash = r.take(32);
  std::memcpy(root.root.data(), hash.data(), 32);
  root.signed_at_micros = static_cast<int64_t>(r.u64());
  bool stale_ok = true;
  root.as_of = getAsOf(r, stale_ok);
  if (!r.ok() || !r.atEnd() || !stale_ok || root.tree_size == 0) {
    return Status::invalid("signed_root.signed", "malformed signed root");
  }
  root.signed_bytes = std::string(bytes);
  return root;
}

// ---- SealedBatch ------------------------------------------------------------------------------

std::vector<certs::MerkleHash> SealedBatch::path(size_t index) const {
  std::vector<certs::MerkleHash> out;
  if (index >= leaves_.size()) return out;
  for (size_t level = 0; level + 1 < levels_.size(); ++level) {
    const size_t sibling = index ^ 1;
    if (sibling < levels_[level].size()) out.push_back(levels_[level][sibling]);
    index >>= 1;
  }
  return out;
}

std::string SealedBatch::signedRootJson() const { return root_json_; }

void SealedBatch::appendProofJson(size_t index, std::string& out) const {
  out += "{\"leaf_index\":";
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
  out += ",\"leaf\":\"";
  appendBase64(out, leaves_[index]);
  out += "\",\"path\":[";
  bool first = true;
  size_t i = index;
  for (size_t level = 0; level + 1 < levels_.size(); ++level) {
    const size_t sibling = i ^ 1;
    if (sibling < levels_[level].size()) {
      if (!first) out += ',';
      first = false;
      out += '"';
      out.append(levels_hex_[level], sibling * 64, 64);
      out += '"';
    }
    i >>= 1;
  }
  out += "]}";
}

std::string SealedBatch::proofJson(size_t index) const {
  std::string out;
  appendProofJson(index, out);
  return out;
}

std::string SealedBatch::receiptJson(size_t index) const {
  std::string proof = proofJson(index);
  proof.pop_back();  // the closing brace
  std::string readable;
  if (Result<ReceiptLeaf> leaf = parseReceiptLeaf(leaves_[index])) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("kind");
    w.String(kindName(leaf->check.kind));
    w.Key("subject");
    writeString(w, leaf->check.subject);
    w.Key("verdict");
    w.String(verdictName(leaf->answer.verdict));
    w.Key("reason");
    w.String(reasonName(leaf->answer.reason));
    w.EndObject();
    readable = std::string(",\"answer\":") + buffer.GetString();
  }
  return "{\"format\":\"" + std::string(kReceiptFormat) + "\"," + proof.substr(1) + readable +
         ",\"signed_root\":" + root_json_ + "}";
}

// ---- ReceiptSigner ----------------------------------------------------------------------------

ReceiptSigner::ReceiptSigner(std::shared_ptr<const certs::Signer> signer,
                             std::function<int64_t()> now_micros)
    : signer_(std::move(signer)),
      now_micros_(now_micros ? std::move(now_micros) : std::function<int64_t()>(systemMicros)) {}

Result<std::shared_ptr<const SealedBatch>> ReceiptSigner::seal(std::vector<std::string> leaves,
                                                               const AsOf& as_of) const {
  if (leaves.empty()) return Status::invalid("leaves", "a receipt batch needs at least one leaf");
  if (!signer_) return Status::unavailable("no verification receipt key is configured");
  auto batch = std::make_shared<SealedBatch>();
  Sha256& sha = Sha256::local();
  std::vector<std::vector<certs::MerkleHash>>& levels = batch->levels_;
  levels.emplace_back();
  levels[0].reserve(leaves.size());
  for (const std::string& leaf : leaves) levels[0].push_back(sha.leaf(leaf));
  while (levels.back().size() > 1) {
    const std::vector<certs::MerkleHash>& below = levels.back();
    std::vector<certs::MerkleHash> above;
    above.reserve((below.size() + 1) / 2);
    for (size_t i = 0; i + 1 < below.size(); i += 2)
      above.push_back(sha.children(below[i], below[i + 1]));
    if (below.size() % 2 == 1) above.push_back(below.back());
    levels.push_back(std::move(above));
  }
  // Hex of every node except the root (never in a path), for appendProofJson.
  batch->levels_hex_.resize(levels.size());
  for (size_t l = 0; l + 1 < levels.size(); ++l) {
    batch->levels_hex_[l].reserve(levels[l].size() * 64);
    for (const certs::MerkleHash& h : levels[l]) appendHex(batch->levels_hex_[l], h);
  }
  batch->leaves_ = std::move(leaves);
  SignedRoot& root = batch->root_;
  root.tree_size = batch->leaves_.size();
  root.root = levels.back()[0];
  root.signed_at_micros = now_micros_();
  root.as_of = as_of;
  root.signed_bytes = signedRootBytes(root.tree_size, root.root, root.signed_at_micros, as_of);
  Result<std::string> signature = signer_->sign(root.signed_bytes);
  if (!signature) return signature.status();
  root.signature = std::move(*signature);
  root.algorithm = signer_->algorithm();
  root.signer_certificate = signer_->certificatePem();

  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("tree_size");
  w.Uint64(root.tree_size);
  w.Key("root_hash");
  w.String(certs::toHex(root.root).c_str());
  w.Key("signed_at_micros");
  w.Int64(root.signed_at_micros);
  w.Key("as_of");
  writeAsOf(w, root.as_of);
  w.Key("signed");
  w.String(base64Encode(root.signed_bytes).c_str());
  w.Key("signature");
  w.String(base64Encode(root.signature).c_str());
  w.Key("algorithm");
  w.String(certs::algorithmName(root.algorithm));
  w.Key("signer_certificate");
  writeString(w, root.signer_certificate);
  w.EndObject();
  batch->root_json_ = buffer.GetString();
  return std::shared_ptr<const SealedBatch>(std::move(batch));
}

Result<std::shared_ptr<const SealedBatch>> sealAnswers(const ReceiptSigner& signer,
                                                       const Check* checks, const Answer* answers,
                                                       size_t n, const AsOf& as_of,
                                                       std::string_view requester,
                                                       std::string_view matter) {
  const std::vector<ReceiptSalt> salts = randomSalts(n);
  std::vector<std::string> leaves;
  leaves.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    leaves.push_back(receiptLeaf(checks[i], answers[i], as_of, requester, matter, salts[i]));
  }
  return signer.seal(std::move(leaves), as_of);
}

// ---- ReceiptWindow ----------------------------------------------------------------------------

ReceiptWindow::ReceiptWindow(std::shared_ptr<const ReceiptSigner> signer, Options options)
    : signer_(std::move(signer)), options_(options) {
  if (options_.max_leaves == 0) options_.max_leaves = 1;
  thread_ = std::thread([this] { run(); });
}

ReceiptWindow::~ReceiptWindow() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::future<Result<Receipt>> ReceiptWindow::submit(std::string leaf, const AsOf& as_of) {
  Pending p{std::move(leaf), {}};
  std::future<Result<Receipt>> future = p.promise.get_future();
  bool first = false, full = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    first = pending_.empty();
    if (first) {
      window_start_ = std::chrono::steady_clock::now();
      window_as_of_ = as_of;
    } else if (as_of.certs_seq > window_as_of_.certs_seq ||
               as_of.at_micros > window_as_of_.at_micros) {
      // The root carries the newest position among its leaves; each leaf keeps its own.
      window_as_of_ = as_of;
    }
    pending_.push_back(std::move(p));
    full = pending_.size() >= options_.max_leaves;
  }
  if (first || full) wake_.notify_one();
  return future;
}

void ReceiptWindow::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping with nothing left
    const auto deadline = window_start_ + options_.max_delay;
    wake_.wait_until(lock, deadline,
                     [this] { return stopping_ || pending_.size() >= options_.max_leaves; });
    std::vector<Pending> window;
    window.swap(pending_);
    const AsOf as_of = window_as_of_;
    lock.unlock();
    sealNow(std::move(window), as_of);
    lock.lock();
  }
}

void ReceiptWindow::sealNow(std::vector<Pending> window, const AsOf& as_of) {
  std::vector<std::string> leaves;
  leaves.reserve(window.size());
  for (Pending& p : window) leaves.push_back(std::move(p.leaf));
  Result<std::shared_ptr<const SealedBatch>> batch = signer_->seal(std::move(leaves), as_of);
  for (size_t i = 0; i < window.size(); ++i) {
    if (batch) {
      window[i].promise.set_value(Receipt{*batch, i});
    } else {
      window[i].promise.set_value(batch.status());
    }
  }
}

// ---- verification -----------------------------------------------------------------------------

namespace {

struct Failure {
  std::string reason;
  std::string message;
};

const rapidjson::Value& need(const rapidjson::Value& object, const char* name,
                             rapidjson::Type type) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd())
    throw Failure{"malformed_receipt", std::string(name) + " is missing"};
  const bool ok = type == rapidjson::kNumberType ? it->value.IsNumber()
                  : type == rapidjson::kTrueType ? it->value.IsBool()
                                                 : it->value.GetType() == type;
  if (!ok) throw Failure{"malformed_receipt", std::string(name) + " has the wrong type"};
  return it->value;
}

std::string needString(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value& v = need(object, name, rapidjson::kStringType);
  return std::string(v.GetString(), v.GetStringLength());
}

std::string needBase64(const rapidjson::Value& object, const char* name) {
  std::optional<std::string> bytes = base64Decode(needString(object, name));
  if (!bytes) throw Failure{"malformed_receipt", std::string(name) + " is not base64"};
  return *bytes;
}

uint64_t needUint(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value& v = need(object, name, rapidjson::kNumberType);
  if (!v.IsUint64()) throw Failure{"malformed_receipt", std::string(name) + " is not a count"};
  return v.GetUint64();
}

void mismatchIf(bool differs, const char* what) {
  if (differs) {
    throw Failure{"root_mismatch",
                  std::string("signed_root.") + what + " differs from the signed bytes"};
  }
}

void verifyOrThrow(std::string_view text, const std::vector<certs::X509Ptr>& roots,
                   std::string_view intermediates_pem, ReceiptVerification& out) {
  rapidjson::Document doc;
  if (Status s = parseJsonObject(text, doc, "receipt"); !s) {
    throw Failure{"malformed_receipt", s.message()};
  }
  if (needString(doc, "format") != kReceiptFormat) {
    throw Failure{"malformed_receipt", "format is not " + std::string(kReceiptFormat)};
  }
  out.leaf_index = needUint(doc, "leaf_index");
  const std::string leaf_bytes = needBase64(doc, "leaf");
  std::vector<certs::MerkleHash> path;
  for (const auto& h : need(doc, "path", rapidjson::kArrayType).GetArray()) {
    if (!h.IsString()) throw Failure{"malformed_receipt", "path must hold hex strings"};
    Result<certs::MerkleHash> hash = certs::parseHashHex(h.GetString(), "path");
    if (!hash) throw Failure{"malformed_receipt", "a path hash is not 64 hex digits"};
    path.push_back(*hash);
  }
  Result<ReceiptLeaf> leaf = parseReceiptLeaf(leaf_bytes);
  if (!leaf) throw Failure{"malformed_receipt", leaf.status().message()};
  out.leaf = *leaf;

  // The signed root: the signed bytes are authoritative; the readable members must agree.
  const rapidjson::Value& sr = need(doc, "signed_root", rapidjson::kObjectType);
  Result<SignedRoot> root = parseSignedRootBytes(needBase64(sr, "signed"));
  if (!root) throw Failure{"malformed_receipt", root.status().message()};
  out.root = *root;
  mismatchIf(needUint(sr, "tree_size") != root->tree_size, "tree_size");
  Result<certs::MerkleHash> readable_root =
      certs::parseHashHex(needString(sr, "root_hash"), "root_hash");
  if (!readable_root) throw Failure{"malformed_receipt", "root_hash is not 64 hex digits"};
  mismatchIf(*readable_root != root->root, "root_hash");
  const rapidjson::Value& signed_at = need(sr, "signed_at_micros", rapidjson::kNumberType);
  mismatchIf(!signed_at.IsInt64() || signed_at.GetInt64() != root->signed_at_micros,
             "signed_at_micros");
  const rapidjson::Value& as_of = need(sr, "as_of", rapidjson::kObjectType);
  mismatchIf(needUint(as_of, "certs_seq") != root->as_of.certs_seq, "as_of.certs_seq");
  mismatchIf(needUint(as_of, "population_seq") != root->as_of.population_seq,
             "as_of.population_seq");
  mismatchIf(needUint(as_of, "legal_entity_seq") != root->as_of.legal_entity_seq,
             "as_of.legal_entity_seq");
  const rapidjson::Value& at = need(as_of, "at_micros", rapidjson::kNumberType);
  mismatchIf(!at.IsInt64() || at.GetInt64() != root->as_of.at_micros, "as_of.at_micros");
  mismatchIf(need(as_of, "stale", rapidjson::kTrueType).GetBool() != root->as_of.stale,
             "as_of.stale");
  out.root.signature = needBase64(sr, "signature");
  Result<certs::SignatureAlgorithm> algorithm = certs::parseAlgorithm(needString(sr, "algorithm"));
  if (!algorithm) throw Failure{"malformed_receipt", algorithm.status().message()};
  out.root.algorithm = *algorithm;
  out.root.signer_certificate = needString(sr, "signer_certificate");

  // 1. The key: chains to a trusted root at the signing time, with the receipt role.
  Result<certs::X509Ptr> signer = certs::parseCertificatePem(out.root.signer_certificate);
  if (!signer) throw Failure{"malformed_receipt", "signer_certificate is not PEM"};
  std::vector<certs::X509Ptr> intermediates;
  if (!intermediates_pem.empty()) {
    Result<std::vector<certs::X509Ptr>> parsed = certs::parseCertificateChainPem(intermediates_pem);
    if (!parsed) throw Failure{"malformed_receipt", "intermediates are not PEM"};
    intermediates = std::move(*parsed);
  }
  const std::time_t signed_at_seconds = static_cast<std::time_t>(root->signed_at_micros / 1000000);
  certs::Verification chain = certs::verifyChain(
      signer->get(), intermediates, roots, signed_at_seconds, certs::KeyRole::kVerificationReceipt);
  if (!chain) {
    throw Failure{certs::verifyReasonName(chain.reason()),
                  "verification key certificate chain: " + chain.message()};
  }
  // 2. The signature over the signed root.
  certs::Verification sig = certs::verifySignature(out.root.signer_certificate, out.root.algorithm,
                                                   root->signed_bytes, out.root.signature);
  if (!sig) {
    throw Failure{certs::verifyReasonName(sig.reason()), "signed root: " + sig.message()};
  }
  // 3. The leaf is in the signed tree at its index.
  if (Status s = certs::verifyInclusion(out.leaf_index, root->tree_size,
                                        certs::hashLeaf(leaf_bytes), path, root->root);
      !s) {
    throw Failure{"bad_inclusion_proof", "leaf " + std::to_string(out.leaf_index) + " of " +
                                             std::to_string(root->tree_size) + ": " + s.message()};
  }
  // 4. What the receipt shows in clear must be what the leaf says.
  auto answer = doc.FindMember("answer");
  if (answer != doc.MemberEnd()) {
    if (!answer->value.IsObject()) throw Failure{"malformed_receipt", "answer is not an object"};
    auto field = [&](const char* name, const char* expected) {
      auto it = answer->value.FindMember(name);
      if (it != answer->value.MemberEnd() &&
          (!it->value.IsString() || std::string_view(it->value.GetString()) != expected)) {
        throw Failure{"answer_mismatch",
                      std::string("answer.") + name + " is not the leaf's (" + expected + ")"};
      }
    };
    field("kind", kindName(leaf->check.kind));
    field("subject", leaf->check.subject.c_str());
    field("verdict", verdictName(leaf->answer.verdict));
    field("reason", reasonName(leaf->answer.reason));
  }
}

}  // namespace

ReceiptVerification verifyReceipt(std::string_view receipt_json,
                                  const std::vector<certs::X509Ptr>& roots,
                                  std::string_view intermediates_pem) {
  ReceiptVerification out;
  try {
    verifyOrThrow(receipt_json, roots, intermediates_pem, out);
    out.message = "leaf " + std::to_string(out.leaf_index) + " of a signed tree of " +
                  std::to_string(out.root.tree_size);
  } catch (const Failure& f) {
    out.reason = f.reason;
    out.message = f.message;
  } catch (const std::exception& e) {
    out.reason = "malformed_receipt";
    out.message = e.what();
  }
  return out;
}

}  // namespace tongban::verification
