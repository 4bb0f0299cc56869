// The one thing the exchange (and the verification core) may do to the audit log: append an entry
// and learn whether it is durable. Narrow on purpose, so that serving code cannot read, search or
// verify the log, and so that tests can count what a caller appends. The implementation is
// AuditWriter (writer.h).
#pragma once

#include <cstdint>

#include "tongban/audit/entry.h"
#include "tongban/common/result.h"

namespace tongban::audit {

class AuditAppender {
 public:
  virtual ~AuditAppender() = default;

  // Queues `entry`, blocks until the transaction holding it is committed, returns its seq.
  // kInvalidArgument (field "result") for a bad result; kUnauthenticated (field "Authorization")
  // when the entry's nonce claim finds the pair taken (the entry is then stored as the refusal of
  // a replay); kUnavailable when the commit failed (the entry is not in the log, or — when the
  // connection broke during COMMIT itself — may be, exactly once) or the log is closed.
  // Thread-safe.
  virtual Result<int64_t> append(AuditEntry entry) = 0;
};

}  // namespace tongban::audit
