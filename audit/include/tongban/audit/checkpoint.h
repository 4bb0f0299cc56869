// Checkpoints of the audit log: the hub's signature over a node's chain head (node, seq, hash,
// time), stored in exchange.audit_checkpoints. The writer (writer.h) signs one every so many
// entries or seconds; the verifier (verify.h) checks them, so that a rewritten or cut-off chain
// shows even when every hash links. Format: docs/audit-log.md, "Checkpoints".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tongban::audit {

// Domain-separation tag that opens a checkpoint's encoding.
inline constexpr std::string_view kAuditCheckpointTag = "tongban.audit.checkpoint.v1";

// The bytes a checkpoint signature covers.
std::string encodeCheckpoint(std::string_view node_id, int64_t seq, std::string_view hash,
                             int64_t signed_at_micros);

}  // namespace tongban::audit
