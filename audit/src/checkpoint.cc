// Checkpoints: the bytes a checkpoint signature covers (docs/audit-log.md, "Checkpoints"), and
// the rows of exchange.audit_checkpoints as the writer stores them and the verifier reads them.
#include "tongban/audit/checkpoint.h"

#include <cstdio>

#include "checkpoint_impl.h"
#include "encoding_impl.h"
#include "pg_rows_impl.h"
#include "tongban/certs/algorithm.h"

namespace tongban::audit {
namespace {

const char kInsertCheckpoint[] =
    "INSERT INTO exchange.audit_checkpoints "
    "(node_id, seq, hash, signed_at, algorithm, signature, public_key_pem) "
    "VALUES ($1, $2, decode($3, 'hex'), timestamptz 'epoch' + $4::bigint * interval '1 "
    "microsecond', "
    "$5, decode($6, 'hex'), $7)";

}  // namespace

std::string encodeCheckpoint(std::string_view node_id, int64_t seq, std::string_view hash,
                             int64_t signed_at_micros) {
  std::string out;
  internal::putStr(&out, kAuditCheckpointTag);
  internal::putStr(&out, node_id);
  internal::putInt(&out, seq);
  internal::putStr(&out, hash);
  internal::putInt(&out, signed_at_micros);
  return out;
}

namespace internal {

std::optional<CheckpointRow> signCheckpoint(const certs::Signer& signer, std::string_view node_id,
                                            int64_t seq, const std::string& hash,
                                            int64_t signed_at_micros) {
  CheckpointRow row;
  row.seq = seq;
  row.hash = hash;
  row.signed_at = signed_at_micros;
  Result<std::string> sig = signer.sign(encodeCheckpoint(node_id, seq, hash, row.signed_at));
  if (!sig) {
    std::fprintf(stderr, "audit log: checkpoint signing failed: %s\n",
                 sig.status().toString().c_str());
    return std::nullopt;
  }
  row.signature = std::move(*sig);
  return row;
}

void prepareCheckpointInsert(pqxx::connection& conn) {
  conn.prepare("audit_checkpoint", kInsertCheckpoint);
}

void insertCheckpoint(pqxx::transaction_base& tx, std::string_view node_id,
                      const certs::Signer& signer, const CheckpointRow& row) {
  tx.exec_prepared("audit_checkpoint", std::string(node_id), row.seq, toHex(row.hash),
                   row.signed_at, certs::algorithmName(signer.algorithm()), toHex(row.signature),
                   signer.publicKeyPem());
}

std::string checkpointsOfNodeQuery(const std::string& quoted_node) {
  return "SELECT seq, encode(hash, 'hex'), (extract(epoch FROM signed_at) * 1000000)::bigint, "
         "algorithm, encode(signature, 'hex'), public_key_pem FROM exchange.audit_checkpoints "
         "WHERE node_id = " +
         quoted_node + " ORDER BY seq";
}

bool readCheckpoint(const pqxx::row& row, CheckpointRow* out) {
  out->seq = row[0].as<int64_t>();
  out->signed_at = row[2].as<int64_t>();
  out->algorithm = row[3].as<std::string>();
  out->public_key_pem = row[5].as<std::string>();
  return fromHex(row[1].as<std::string>(), &out->hash) &&
         fromHex(row[4].as<std::string>(), &out->signature);
}

}  // namespace internal
}  // namespace tongban::audit
