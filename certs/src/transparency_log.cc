// Read side of the PostgreSQL transparency log: tree heads and proofs (the write side is
// transparency_log_append.h).
#include "tongban/certs/transparency_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "certs_internal.h"
#include "tongban/certs/certificate.h"
#include "tongban/common/encoding.h"
#include "tongban/common/json_writer.h"
#include "transparency_log_append.h"

namespace tongban::certs {

using internal::fromBytea;
using internal::toBytea;

std::string treeHeadSignedBytes(uint64_t tree_size, int64_t timestamp_ms, const MerkleHash& root) {
  std::string out;
  out.reserve(50);
  out.push_back(0);  // version v1
  out.push_back(1);  // signature_type tree_hash
  auto put64 = [&out](uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((v >> shift) & 0xFF));
  };
  put64(static_cast<uint64_t>(timestamp_ms));
  put64(tree_size);
  out.append(internal::hashBytes(root));
  return out;
}

Verification verifyTreeHeadSignature(const SignedTreeHead& sth) {
  return verifySignature(sth.signer_certificate, sth.algorithm,
                         treeHeadSignedBytes(sth.tree_size, sth.timestamp_ms, sth.root_hash),
                         sth.signature);
}

TransparencyLog::TransparencyLog(db::ConnectionPool& pool, std::shared_ptr<const Signer> log_signer,
                                 Clock clock)
    : pool_(pool), log_signer_(std::move(log_signer)), clock_(std::move(clock)) {}

namespace {

SignedTreeHead treeHeadFromRow(const pqxx::row& r) {
  SignedTreeHead sth;
  sth.tree_size = r["tree_size"].as<uint64_t>();
  sth.root_hash = internal::toMerkleHash(fromBytea(r["root_hash"]));
  sth.timestamp_ms = r["timestamp_ms"].as<int64_t>();
  sth.signature = fromBytea(r["signature"]);
  sth.algorithm = parseAlgorithm(r["algorithm"].c_str()).value();
  sth.signer_certificate = r["signer_certificate"].c_str();
  return sth;
}

constexpr const char* kTreeHeadColumns =
    "tree_size, root_hash, timestamp_ms, signature, algorithm, signer_certificate";

}  // namespace

Result<uint64_t> TransparencyLog::size() {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<uint64_t> {
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
  });
}

Result<SignedTreeHead> TransparencyLog::currentTreeHead() {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<SignedTreeHead> {
    {
      pqxx::read_transaction tx(conn);
      const uint64_t size = tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
      pqxx::result latest = tx.exec(std::string("SELECT ") + kTreeHeadColumns +
                                    " FROM certs.tree_heads ORDER BY tree_size DESC LIMIT 1");
      if (!latest.empty() && latest[0]["tree_size"].as<uint64_t>() >= size) {
        return treeHeadFromRow(latest[0]);
      }
    }
    // Sign the current size. Read the size and the hashes in one snapshot (committed leaves
    // never change, so any snapshot gives the same root for a given size).
    pqxx::work tx(conn);
    const uint64_t size = tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
    internal::PgMerkleSource source(tx, size);
    Result<MerkleHash> root = treeRoot(source, size);
    if (!root) return root.status();
    SignedTreeHead sth;
    sth.tree_size = size;
    sth.timestamp_ms = internal::unixMillis(clock_());
    sth.root_hash = *root;
    sth.algorithm = log_signer_->algorithm();
    sth.signer_certificate = log_signer_->certificatePem();
    Result<std::string> signature =
        log_signer_->sign(treeHeadSignedBytes(size, sth.timestamp_ms, sth.root_hash));
    if (!signature) return signature.status();
    sth.signature = std::move(*signature);
    // Another node may have signed this size meanwhile: keep the first one.
    pqxx::result inserted = tx.exec_params(
        "INSERT INTO certs.tree_heads (" + std::string(kTreeHeadColumns) +
            ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tree_size) DO NOTHING RETURNING 1",
        size, toBytea(internal::hashBytes(sth.root_hash)), sth.timestamp_ms, toBytea(sth.signature),
        algorithmName(sth.algorithm), sth.signer_certificate);
    if (inserted.empty()) {
      SignedTreeHead existing = treeHeadFromRow(tx.exec_params1(
          std::string("SELECT ") + kTreeHeadColumns + " FROM certs.tree_heads WHERE tree_size = $1",
          size));
      tx.commit();
      return existing;
    }
    tx.commit();
    return sth;
  });
}

Result<SignedTreeHead> TransparencyLog::treeHead(uint64_t tree_size) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<SignedTreeHead> {
    pqxx::read_transaction tx(conn);
    pqxx::result r = tx.exec_params(
        std::string("SELECT ") + kTreeHeadColumns + " FROM certs.tree_heads WHERE tree_size = $1",
        tree_size);
    if (r.empty()) {
      return Status::notFound("no signed tree head of size " + std::to_string(tree_size));
    }
    return treeHeadFromRow(r[0]);
  });
}

Result<LogEntry> TransparencyLog::entry(uint64_t index) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<LogEntry> {
    pqxx::read_transaction tx(conn);
    pqxx::result r = tx.exec_params(
        "SELECT leaf_hash, leaf_data FROM certs.log_leaves WHERE leaf_index = $1", index);
    if (r.empty()) return Status::notFound("no log entry " + std::to_string(index));
    return LogEntry{index, internal::toMerkleHash(fromBytea(r[0][0])), fromBytea(r[0][1])};
  });
}

Result<std::vector<MerkleHash>> TransparencyLog::inclusionProof(uint64_t index,
                                                                uint64_t tree_size) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<MerkleHash>> {
    pqxx::read_transaction tx(conn);
    const uint64_t size = tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
    if (tree_size > size) {
      return Status::invalid("tree_size", "the log has only " + std::to_string(size) + " entries");
    }
    internal::PgMerkleSource source(tx, size);
    return certs::inclusionProof(source, index, tree_size);
  });
}

Result<uint64_t> TransparencyLog::indexOfLeafHash(const MerkleHash& leaf_hash) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<uint64_t> {
    pqxx::read_transaction tx(conn);
    pqxx::result r = tx.exec_params(
        "SELECT leaf_index FROM certs.log_leaves WHERE leaf_hash = $1 ORDER BY leaf_index LIMIT 1",
        toBytea(internal::hashBytes(leaf_hash)));
    if (r.empty()) return Status::notFound("no log entry has leaf hash " + toHex(leaf_hash));
    return r[0][0].as<uint64_t>();
  });
}

Result<std::vector<MerkleHash>> TransparencyLog::consistencyProof(uint64_t old_size,
                                                                  uint64_t new_size) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<MerkleHash>> {
    pqxx::read_transaction tx(conn);
    const uint64_t size = tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
    if (new_size > size) {
      return Status::invalid("new_size", "the log has only " + std::to_string(size) + " entries");
    }
    internal::PgMerkleSource source(tx, size);
    return certs::consistencyProof(source, old_size, new_size);
  });
}

Result<MerkleHash> TransparencyLog::rootAt(uint64_t tree_size) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<MerkleHash> {
    pqxx::read_transaction tx(conn);
    const uint64_t size = tx.exec1("SELECT size FROM certs.log_state")[0].as<uint64_t>();
    if (tree_size > size) {
      return Status::invalid("tree_size", "the log has only " + std::to_string(size) + " entries");
    }
    internal::PgMerkleSource source(tx, size);
    return treeRoot(source, tree_size);
  });
}

namespace {

std::string leafType(const rapidjson::Document& leaf, const char* member) {
  if (!leaf.IsObject()) return "";
  auto it = leaf.FindMember(member);
  return it != leaf.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

rapidjson::Document parseLeaf(const LogEntry& entry) {
  rapidjson::Document leaf;
  leaf.Parse(entry.leaf_data.data(), entry.leaf_data.size());
  return leaf;
}

}  // namespace

bool isPublicEntry(const LogEntry& entry) {
  rapidjson::Document leaf = parseLeaf(entry);
  return !leaf.HasParseError() && leafType(leaf, "type") == "seal_event";
}

std::string entryIssuer(const LogEntry& entry) {
  rapidjson::Document leaf = parseLeaf(entry);
  if (leaf.HasParseError() || leafType(leaf, "type") != "certificate_event") return "";
  Result<CertificateIdParts> parts = parseCertificateId(leafType(leaf, "certificate_id"));
  return parts ? parts->issuer_code : "";
}

std::string publicEntryJson(const LogEntry& entry) {
  if (isPublicEntry(entry)) return fullEntryJson(entry);
  return json::object([&](json::Writer& w) {
    json::unsignedNum(w, "leaf_index", entry.index);
    json::str(w, "leaf_hash", toHex(entry.leaf_hash));
  });
}

std::string fullEntryJson(const LogEntry& entry) {
  return json::object([&](json::Writer& w) {
    json::unsignedNum(w, "leaf_index", entry.index);
    json::str(w, "leaf_hash", toHex(entry.leaf_hash));
    json::raw(w, "leaf", entry.leaf_data);
  });
}

std::string treeHeadJson(const SignedTreeHead& head) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("tree_size");
  w.Uint64(head.tree_size);
  w.Key("timestamp");
  w.Int64(head.timestamp_ms);
  w.Key("root_hash");
  std::string root = toHex(head.root_hash);
  w.String(root.c_str());
  w.Key("signature");
  std::string sig = base64Encode(head.signature);
  w.String(sig.c_str());
  w.Key("algorithm");
  w.String(algorithmName(head.algorithm));
  w.Key("signer_certificate");
  w.String(head.signer_certificate.c_str());
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace tongban::certs
