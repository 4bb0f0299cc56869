// Checkpoint rows as the writer signs and stores them and the verifier reads them back
// (exchange.audit_checkpoints). Internal to the audit module; the signed bytes are checkpoint.h's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "tongban/certs/signer.h"

namespace tongban::audit::internal {

struct CheckpointRow {
  int64_t seq = 0;
  std::string hash;  // 32 raw bytes: the chain head it signs
  int64_t signed_at = 0;
  std::string algorithm;       // set when read back
  std::string signature;       // raw bytes
  std::string public_key_pem;  // set when read back
};

// Signs (node, seq, hash, signed_at); nullopt (logged to stderr) when the signer fails, and the
// chain goes on unsigned until the next checkpoint.
std::optional<CheckpointRow> signCheckpoint(const certs::Signer& signer, std::string_view node_id,
                                            int64_t seq, const std::string& hash,
                                            int64_t signed_at_micros);

// Prepares the INSERT insertCheckpoint runs on `conn` (once per connection).
void prepareCheckpointInsert(pqxx::connection& conn);
// Adds the checkpoint row within `tx` (on a connection prepareCheckpointInsert prepared).
void insertCheckpoint(pqxx::transaction_base& tx, std::string_view node_id,
                      const certs::Signer& signer, const CheckpointRow& row);

// SELECT of a node's checkpoints by seq in the shape readCheckpoint reads; `quoted_node` is the
// node id quoted as an SQL literal.
std::string checkpointsOfNodeQuery(const std::string& quoted_node);
// false when a hex column does not decode.
bool readCheckpoint(const pqxx::row& row, CheckpointRow* out);

}  // namespace tongban::audit::internal
