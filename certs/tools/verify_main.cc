// tongban-verify: checks a certificate bundle or a transparency-log proof offline.
//
//   tongban-verify BUNDLE.json --root ROOT.pem [--at UNIX_SECONDS] [--max-age SECONDS]
//                  [--status-filter FILTER [--status-delta DELTA1,DELTA2,...]]
//   tongban-verify receipt RECEIPT.json --root ROOT.pem
//   tongban-verify status-filter FILTER --root ROOT.pem [--status-delta ...] [--id CERT_ID]
//   tongban-verify inclusion --leaf-hash H --index I --size N --root R --proof P1,P2,...
//   tongban-verify consistency --old-size M --new-size N --old-root R1 --new-root R2 --proof ...
//
// Exit status: 0 valid, 1 invalid (the reason is printed), 2 usage or unreadable input, 64 an
// unknown or repeated flag (named in the message).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tongban/certs/bundle.h"
#include "tongban/certs/merkle.h"
#include "tongban/certs/pki.h"
#include "tongban/common/json.h"
#include "tongban/verification/receipt.h"
#include "tongban/verification/status_filter.h"

namespace {

using namespace tongban::certs;

int usage() {
  std::cerr << "usage:\n"
               "  tongban-verify BUNDLE.json --root ROOT.pem [--at UNIX_SECONDS] "
               "[--max-age SECONDS]\n"
               "                 [--status-filter FILTER [--status-delta D1,D2,...]]\n"
               "  tongban-verify receipt RECEIPT.json --root ROOT.pem\n"
               "  tongban-verify status-filter FILTER --root ROOT.pem [--status-delta D1,...] "
               "[--id CERT_ID] [--at UNIX_SECONDS]\n"
               "  tongban-verify inclusion --leaf-hash H --index I --size N --root R "
               "--proof P1,P2,...\n"
               "  tongban-verify consistency --old-size M --new-size N --old-root R1 "
               "--new-root R2 --proof P1,P2,...\n"
               "Hashes are 64 hex digits; an empty proof is --proof ''.\n"
               "--max-age: the oldest status statement (and status filter) accepted, in seconds "
               "(default 86400).\n"
               "--status-filter: a signed status filter (GET /v1/status/filter) and its deltas\n"
               "(?since=N); a certificate the filter says is not valid is refused.\n";
  return 2;
}

constexpr int kUnknownFlag = 64;  // EX_USAGE

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

// --name value pairs after the subcommand, each name one of `known`. 0 when they parse; 2 (usage
// printed) on a stray argument or a missing value; 64 with a message naming an unknown or repeated
// flag.
int parseOptions(int argc, char** argv, int first, const std::set<std::string>& known,
                 std::map<std::string, std::string>& options) {
  for (int i = first; i < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0) return usage();
    if (known.count(name.substr(2)) == 0) {
      std::cerr << "tongban-verify: unknown flag " << name << "\n";
      return kUnknownFlag;
    }
    if (options.count(name.substr(2)) != 0) {
      std::cerr << "tongban-verify: flag " << name << " given twice\n";
      return kUnknownFlag;
    }
    if (i + 1 >= argc) return usage();
    options[name.substr(2)] = argv[i + 1];
  }
  return 0;
}

bool parseUint(const std::string& text, uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  errno = 0;
  out = std::strtoull(text.c_str(), nullptr, 10);
  return errno == 0;
}

bool parseProof(const std::string& text, std::vector<MerkleHash>& out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    auto hash = parseHashHex(text.substr(start, comma - start), "proof");
    if (!hash) return false;
    out.push_back(*hash);
    start = comma + 1;
  }
  return true;
}

int inclusion(const std::map<std::string, std::string>& o) {
  uint64_t index = 0, size = 0;
  std::vector<MerkleHash> proof;
  if (!o.count("leaf-hash") || !o.count("index") || !o.count("size") || !o.count("root") ||
      !o.count("proof") || !parseUint(o.at("index"), index) || !parseUint(o.at("size"), size) ||
      !parseProof(o.at("proof"), proof)) {
    return usage();
  }
  auto leaf = parseHashHex(o.at("leaf-hash"), "leaf-hash");
  auto root = parseHashHex(o.at("root"), "root");
  if (!leaf || !root) return usage();
  tongban::Status s = verifyInclusion(index, size, *leaf, proof, *root);
  if (!s) {
    std::cout << "INVALID: " << s.toString() << "\n";
    return 1;
  }
  std::cout << "OK: leaf " << index << " is included in the tree of size " << size << "\n";
  return 0;
}

int consistency(const std::map<std::string, std::string>& o) {
  uint64_t old_size = 0, new_size = 0;
  std::vector<MerkleHash> proof;
  if (!o.count("old-size") || !o.count("new-size") || !o.count("old-root") ||
      !o.count("new-root") || !o.count("proof") || !parseUint(o.at("old-size"), old_size) ||
      !parseUint(o.at("new-size"), new_size) || !parseProof(o.at("proof"), proof)) {
    return usage();
  }
  auto old_root = parseHashHex(o.at("old-root"), "old-root");
  auto new_root = parseHashHex(o.at("new-root"), "new-root");
  if (!old_root || !new_root) return usage();
  tongban::Status s = verifyConsistency(old_size, new_size, *old_root, *new_root, proof);
  if (!s) {
    std::cout << "INVALID: " << s.toString() << "\n";
    return 1;
  }
  std::cout << "OK: the tree of size " << old_size << " is a prefix of the tree of size "
            << new_size << "\n";
  return 0;
}

// The leaf index of the bundle's issuance entry (the filter covers certificates issued below its
// tree size). False when the bundle has none; verifyBundle has already refused such a bundle.
bool issuanceIndex(const std::string& bundle_text, uint64_t& out) {
  rapidjson::Document doc;
  if (!tongban::parseJsonObject(bundle_text, doc, "bundle")) return false;
  auto t = doc.FindMember("transparency");
  if (t == doc.MemberEnd() || !t->value.IsObject()) return false;
  auto entries = t->value.FindMember("entries");
  if (entries == t->value.MemberEnd() || !entries->value.IsArray()) return false;
  for (const auto& e : entries->value.GetArray()) {
    if (!e.IsObject()) continue;
    auto role = e.FindMember("role");
    auto index = e.FindMember("leaf_index");
    if (role != e.MemberEnd() && role->value.IsString() &&
        std::string(role->value.GetString()) == "issuance" && index != e.MemberEnd() &&
        index->value.IsUint64()) {
      out = index->value.GetUint64();
      return true;
    }
  }
  return false;
}

// Reads, checks (signature, key role status, freshness at `at`) and applies a filter and its
// deltas (comma-separated paths). 0 when all apply; 1 (INVALID printed) for a filter that does
// not verify or is stale; 2 for an unreadable or corrupt file.
int loadFilter(const std::string& path, const std::string& deltas,
               const std::vector<X509Ptr>& roots, int64_t at, int64_t max_age,
               tongban::verification::OfflineStatusFilter& filter) {
  std::vector<std::string> files{path};
  size_t start = 0;
  while (start < deltas.size()) {
    size_t comma = deltas.find(',', start);
    if (comma == std::string::npos) comma = deltas.size();
    if (comma > start) files.push_back(deltas.substr(start, comma - start));
    start = comma + 1;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::string bytes;
    if (!readFile(files[i], bytes)) {
      std::cerr << "cannot read " << files[i] << "\n";
      return 2;
    }
    auto file = tongban::verification::parseStatusFilter(bytes);
    if (!file) {
      std::cerr << files[i] << ": " << file.status().message() << "\n";
      return 2;
    }
    if ((i == 0) != (file->kind == tongban::verification::kStatusFilterFull)) {
      std::cerr << files[i] << ": "
                << (i == 0 ? "is a delta; give the full filter first"
                           : "is a full filter, not a delta")
                << "\n";
      return 2;
    }
    if (tongban::Status s = tongban::verification::verifyStatusFilterSignature(*file, roots); !s) {
      std::cout << "INVALID (status_filter_" << s.field() << "): " << files[i] << ": "
                << s.message() << "\n";
      return 1;
    }
    if (tongban::Status s = filter.apply(std::move(*file)); !s) {
      std::cerr << files[i] << ": " << s.message() << "\n";
      return 2;
    }
  }
  if (at > filter.nextUpdate() || at - filter.producedAt() > max_age) {
    std::cout << "INVALID (stale_status_filter): the status filter was produced at "
              << filter.producedAt() << " and is past its next update (" << filter.nextUpdate()
              << ") or older than --max-age\n";
    return 1;
  }
  return 0;
}

int bundle(const std::string& path, const std::map<std::string, std::string>& o) {
  if (!o.count("root")) return usage();
  std::string bundle_text, root_pem;
  if (!readFile(path, bundle_text)) {
    std::cerr << "cannot read " << path << "\n";
    return 2;
  }
  if (!readFile(o.at("root"), root_pem)) {
    std::cerr << "cannot read " << o.at("root") << "\n";
    return 2;
  }
  auto roots = parseCertificateChainPem(root_pem);
  if (!roots) {
    std::cerr << o.at("root") << ": " << roots.status().toString() << "\n";
    return 2;
  }
  uint64_t at = static_cast<uint64_t>(std::time(nullptr));
  if (o.count("at") && !parseUint(o.at("at"), at)) return usage();
  uint64_t max_age = static_cast<uint64_t>(kDefaultStatusMaxAgeSeconds);
  if (o.count("max-age") && (!parseUint(o.at("max-age"), max_age) || max_age > (1ULL << 40))) {
    std::cerr << "tongban-verify: --max-age must be a number of seconds\n";
    return usage();
  }
  BundleVerification v = verifyBundle(bundle_text, *roots, static_cast<std::time_t>(at),
                                      static_cast<int64_t>(max_age));
  if (!v.ok()) {
    std::cout << "INVALID (" << v.reason << "): " << v.message << "\n";
    return 1;
  }
  std::string filter_note;
  if (o.count("status-filter")) {
    uint64_t issuance_index = 0;
    if (!issuanceIndex(bundle_text, issuance_index)) {
      std::cout << "INVALID (malformed_bundle): no issuance entry\n";
      return 1;
    }
    tongban::verification::OfflineStatusFilter filter;
    const std::string deltas = o.count("status-delta") ? o.at("status-delta") : "";
    if (int rc = loadFilter(o.at("status-filter"), deltas, *roots, static_cast<int64_t>(at),
                            static_cast<int64_t>(max_age), filter);
        rc != 0) {
      return rc;
    }
    if (issuance_index >= filter.treeSize()) {
      filter_note = "; the status filter (tree size " + std::to_string(filter.treeSize()) +
                    ") predates this certificate and says nothing about it";
    } else if (!*filter.isValid(v.certificate_id)) {
      std::cout << "INVALID (status_filter_not_valid): the status filter of tree size "
                << filter.treeSize() << " says certificate " << v.certificate_id
                << " is not valid\n";
      return 1;
    } else {
      filter_note =
          "; valid in the status filter of tree size " + std::to_string(filter.treeSize());
    }
  }
  std::cout << "OK: " << v.message << "; status " << v.certificate_status << ", seal "
            << v.seal_status << ", as of tree head " << v.tree_size << " @ " << v.tree_timestamp_ms
            << " ms, status statement of " << v.status_produced_at << filter_note << "\n";
  return 0;
}

int receipt(const std::string& path, const std::map<std::string, std::string>& o) {
  if (!o.count("root")) return usage();
  std::string text, root_pem;
  if (!readFile(path, text)) {
    std::cerr << "cannot read " << path << "\n";
    return 2;
  }
  if (!readFile(o.at("root"), root_pem)) {
    std::cerr << "cannot read " << o.at("root") << "\n";
    return 2;
  }
  auto roots = parseCertificateChainPem(root_pem);
  if (!roots) {
    std::cerr << o.at("root") << ": " << roots.status().toString() << "\n";
    return 2;
  }
  tongban::verification::ReceiptVerification v = tongban::verification::verifyReceipt(text, *roots);
  if (!v.ok()) {
    std::cout << "INVALID (" << v.reason << "): " << v.message << "\n";
    return 1;
  }
  using namespace tongban::verification;
  std::cout << "OK: " << v.message << ", signed at " << v.root.signed_at_micros
            << " us by the verification key; " << kindName(v.leaf.check.kind) << " "
            << v.leaf.check.subject << " -> " << verdictName(v.leaf.answer.verdict) << " ("
            << reasonName(v.leaf.answer.reason) << "), asked by " << v.leaf.requester
            << " for matter " << v.leaf.matter << ", as of certs seq " << v.leaf.as_of.certs_seq
            << (v.leaf.as_of.stale ? " (stale)" : "") << "\n";
  return 0;
}

int statusFilter(const std::string& path, const std::map<std::string, std::string>& o) {
  if (!o.count("root")) return usage();
  std::string root_pem;
  if (!readFile(o.at("root"), root_pem)) {
    std::cerr << "cannot read " << o.at("root") << "\n";
    return 2;
  }
  auto roots = parseCertificateChainPem(root_pem);
  if (!roots) {
    std::cerr << o.at("root") << ": " << roots.status().toString() << "\n";
    return 2;
  }
  uint64_t at = static_cast<uint64_t>(std::time(nullptr));
  if (o.count("at") && !parseUint(o.at("at"), at)) return usage();
  tongban::verification::OfflineStatusFilter filter;
  const std::string deltas = o.count("status-delta") ? o.at("status-delta") : "";
  if (int rc = loadFilter(path, deltas, *roots, static_cast<int64_t>(at),
                          static_cast<int64_t>(kDefaultStatusMaxAgeSeconds), filter);
      rc != 0) {
    return rc;
  }
  if (o.count("id")) {
    const bool valid = *filter.isValid(o.at("id"));
    std::cout << (valid ? "VALID" : "NOT VALID") << ": " << o.at("id")
              << " in the status filter of tree size " << filter.treeSize()
              << " (meaningful only for certificates issued below that size)\n";
    return valid ? 0 : 1;
  }
  std::cout << "OK: status filter of tree size " << filter.treeSize() << ", produced at "
            << filter.producedAt() << ", next update " << filter.nextUpdate() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string first = argv[1];
  if (first == "-h" || first == "--help") return usage() == 2 ? 0 : 0;
  if (first.rfind("--", 0) == 0) {
    std::cerr << "tongban-verify: unknown flag " << first << " (the bundle file comes first)\n";
    return kUnknownFlag;
  }
  std::map<std::string, std::string> options;
  std::set<std::string> known;
  if (first == "inclusion") {
    known = {"leaf-hash", "index", "size", "root", "proof"};
  } else if (first == "consistency") {
    known = {"old-size", "new-size", "old-root", "new-root", "proof"};
  } else if (first == "receipt") {
    known = {"root"};
  } else if (first == "status-filter") {
    known = {"root", "status-delta", "id", "at"};
  } else {
    known = {"root", "at", "max-age", "status-filter", "status-delta"};
  }
  if (first == "receipt" || first == "status-filter") {
    if (argc < 3 || std::string(argv[2]).rfind("--", 0) == 0) return usage();
    if (int rc = parseOptions(argc, argv, 3, known, options); rc != 0) return rc;
    return first == "receipt" ? receipt(argv[2], options) : statusFilter(argv[2], options);
  }
  if (int rc = parseOptions(argc, argv, 2, known, options); rc != 0) return rc;
  if (options.count("status-delta") && !options.count("status-filter")) {
    std::cerr << "tongban-verify: --status-delta needs --status-filter\n";
    return usage();
  }
  if (first == "inclusion") return inclusion(options);
  if (first == "consistency") return consistency(options);
  return bundle(first, options);
}
