// The first things the dispatcher does with a request line and its headers: split and decode the
// target, vet a caller's X-Request-Id. Also the masking of citizen ids in the paths the access log
// writes (maskCitizenIds, declared in http.h).
#pragma once

#include <string>

#include "tongban/common/result.h"

namespace tongban::exchange {

// A caller's X-Request-Id is kept when it is 1 to 64 of [A-Za-z0-9._-]; otherwise the server
// makes one.
bool saneRequestId(const std::string& id);

// The value of a hex digit, or -1.
int hexDigit(char c);

// Splits an origin-form request target into its percent-decoded path and its raw query.
// kInvalidArgument (field "uri") for anything else or a malformed escape. (Poco::URI does the
// same with a full parse and several allocations; this is on every request.)
Status splitTarget(const std::string& target, std::string* path, std::string* query);

}  // namespace tongban::exchange
