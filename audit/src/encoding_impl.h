// The canonical, length-prefixed encoding of entries and checkpoints (docs/audit-log.md), in the
// pieces the writer needs: it renders an entry's tail on the caller's thread and only the head
// (node, seq, at) once the entry has its place in the chain. Internal to the audit module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/audit/entry.h"

namespace tongban::audit::internal {

void putStr(std::string* out, std::string_view s);
void putInt(std::string* out, int64_t v);

// The tag, node_id, seq and at of an entry.
void encodeHead(std::string* out, std::string_view node_id, int64_t seq, int64_t at_micros);
// Every column after `at`: request_id .. reason.
void encodeTail(std::string* out, const AuditRecord& r);

// SHA-256(a || b || c), 32 raw bytes.
std::string sha256Of(std::string_view a, std::string_view b, std::string_view c);

}  // namespace tongban::audit::internal
