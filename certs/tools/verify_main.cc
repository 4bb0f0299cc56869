// tongban-verify: checks a certificate bundle or a transparency-log proof offline.
//
//   tongban-verify BUNDLE.json --root ROOT.pem [--at UNIX_SECONDS] [--max-age SECONDS]
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

namespace {

using namespace tongban::certs;

int usage() {
  std::cerr << "usage:\n"
               "  tongban-verify BUNDLE.json --root ROOT.pem [--at UNIX_SECONDS] "
               "[--max-age SECONDS]\n"
               "  tongban-verify inclusion --leaf-hash H --index I --size N --root R "
               "--proof P1,P2,...\n"
               "  tongban-verify consistency --old-size M --new-size N --old-root R1 "
               "--new-root R2 --proof P1,P2,...\n"
               "Hashes are 64 hex digits; an empty proof is --proof ''.\n"
               "--max-age: the oldest status statement accepted, in seconds (default 86400).\n";
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
  std::cout << "OK: " << v.message << "; status " << v.certificate_status << ", seal "
            << v.seal_status << ", as of tree head " << v.tree_size << " @ " << v.tree_timestamp_ms
            << " ms, status statement of " << v.status_produced_at << "\n";
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
  } else {
    known = {"root", "at", "max-age"};
  }
  if (int rc = parseOptions(argc, argv, 2, known, options); rc != 0) return rc;
  if (first == "inclusion") return inclusion(options);
  if (first == "consistency") return consistency(options);
  return bundle(first, options);
}
