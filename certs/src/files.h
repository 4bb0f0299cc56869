// Key and certificate files of the certs module (the key store, the hub's PKI directory): written
// once, private, durable. Nobody outside certs/src includes this. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "tongban/common/result.h"

namespace tongban::certs::internal {

// Writes `contents` to a new file `path` (mode 0600, fsynced; removed again if writing fails).
// When `path` exists: Conflict naming `field`, the message "<path> already exists" followed by
// `why_not`. Unavailable for any other failure.
Status writeNewFile(const std::string& path, const std::string& contents, const std::string& field,
                    const std::string& why_not = "");

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> readWholeFile(const std::string& path);

}  // namespace tongban::certs::internal
