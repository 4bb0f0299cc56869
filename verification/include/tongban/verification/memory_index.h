// SEED / TEST IMPLEMENTATION of Index (index.h): every certificate, person and entity held in
// ordinary hash maps, loaded once from a plain list, never updated. It exists so that the serving
// paths (HTTP and Thrift in the exchange) and their tests can run before the PostgreSQL-fed index
// (openIndex) lands; the exchange chooses between them in one function
// (exchange/src/verification_index.cc). It is not compact, not fed by the change feeds, and
// answers are never stale.
//
// The list, one record per line, fields separated by spaces or tabs, '#' starts a comment:
//   certificate <certificate id> <holder code> <status> <valid_from> <valid_to or -> <issuer
//   region>
//               [seal_inactive]
//   person <citizen id> <living|deceased|emigrated> <region code>
//   entity <credit code> <in_business|abnormal|revoked|deregistered> <legal rep's citizen id>
//   as_of <certs seq> <population seq> <legal-entity seq> <unix microseconds>
// Certificate statuses are certs.certificates' (valid, suspended, cancelled, deregistered, revoked,
// expired, superseded); dates are YYYY-MM-DD; a person's birth date is read from the citizen id.
#pragma once

#include <memory>
#include <string>

#include "tongban/common/result.h"
#include "tongban/verification/index.h"

namespace tongban::verification {

// Parses `text` (the list above). kInvalidArgument naming "line N" for a malformed line.
Result<std::unique_ptr<Index>> loadSeedIndex(const std::string& text);

// Reads the list from `path`. kInvalidArgument (field `field`) when the file cannot be read.
Result<std::unique_ptr<Index>> loadSeedIndexFile(const std::string& path, const std::string& field);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms).
int32_t daysFromCivil(int y, unsigned m, unsigned d);
void civilFromDays(int32_t z, int* y, unsigned* m, unsigned* d);

}  // namespace tongban::verification
