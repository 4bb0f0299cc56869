// The verification core's batch interface (免证办 checks), for approval systems that need
// throughput: binary protocol, framed transport, on the exchange's own Thrift port
// (verification.thrift_port). The same checks, answers, grants, quotas and audit as
// POST /v1/verify/batch (docs/verification-serving.md, docs/api.md).
//
// Authentication is the HTTP calls' request signing (docs/request-signing.md) over the batch's
// bytes: the client serializes a CheckBatch with TBinaryProtocol, signs those bytes as the body of
// the canonical request  THRIFT / (empty host) / verifyBatch / (empty query)  and sends them with
// the Authorization value it would have sent as an HTTP header (key id, timestamp, nonce,
// signature). The server checks the signature over exactly the bytes received before it decodes
// them, so nothing is re-serialized on either side.

namespace cpp tongban.verification.thrift
namespace py tongban_verification

// The verdict of one check (check.h): FALSE names why in `reason`; UNKNOWN means the subject is
// not in the index.
enum Verdict {
  VERDICT_FALSE = 0,
  VERDICT_TRUE = 1,
  VERDICT_UNKNOWN = 2,
}

// One question. `kind` is a wire name (certificate_valid, holds_certificate, person_alive,
// person_registered_in, person_age_at_least, entity_in_business, legal_representative); the
// other fields are the HTTP check object's members, dates as YYYY-MM-DD. Fields a kind does not
// use must be left unset.
struct Check {
  1: required string kind,
  2: required string subject,
  3: optional string type_code,
  4: optional string region,
  5: optional string valid_until,
  6: optional i32 min_age,
  7: optional string on_date,
  8: optional string entity,
}

// What is signed: the purpose (service-matter code and case id, as for registry queries) and the
// checks (1 to verification.max_batch of them).
struct CheckBatch {
  1: required string matter_code,
  2: required string case_id,
  3: required list<Check> checks,
}

struct SignedBatch {
  // "TB1-HMAC-SHA256 Credential=<key id>, Timestamp=<unix s>, Nonce=<nonce>, Signature=<hex>"
  1: required string authorization,
  // TBinaryProtocol serialization of a CheckBatch: the signed body.
  2: required binary batch,
}

// An answer's receipt (docs/receipts.md): its leaf in the call's Merkle tree and the audit path
// to the root, nearest sibling first (32-byte SHA-256 hashes). Verify it with the call's
// SignedRoot, e.g. by writing the tongban-receipt/1 JSON document `tongban-verify receipt` reads.
struct Receipt {
  1: required i64 leaf_index,
  2: required binary leaf,
  3: required list<binary> path,
}

struct Answer {
  1: required Verdict verdict,
  2: required string reason,   // reason wire name: ok, not_found, revoked, ...
  3: optional Receipt receipt,  // set when the hub seals receipts (verification.receipts, a PKI)
}

// Where the index stood: change-feed positions, RFC 3339 time of the newest change applied, and
// whether the index has lost contact with the database for longer than its configured lag.
struct AsOf {
  1: required i64 certs_seq,
  2: required i64 population_seq,
  3: required i64 legal_entity_seq,
  4: required string at,
  5: required bool stale,
}

// The signed root of the tree over one call's answers (docs/receipts.md "Signed root"):
// signed_bytes (86 bytes: tree size, root hash, signing time, as_of) is what `signature` (DER)
// covers, with the verification key of `signer_certificate` (PEM).
struct SignedRoot {
  1: required binary signed_bytes,
  2: required binary signature,
  3: required string algorithm,          // e.g. ECDSA-P256-SHA256
  4: required string signer_certificate,
}

struct BatchResult {
  1: required list<Answer> answers,   // in the order of the checks
  2: required AsOf as_of,
  3: required string request_id,      // the audit record's request id
  4: optional SignedRoot signed_root,  // with receipts: the tree of all the answers, signed once
}

// 400: `field` names what is wrong ("batch", "checks[12].subject", "matter_code").
exception InvalidRequest {
  1: string field,
  2: string message,
}

// 401: the signature, key, timestamp or nonce was refused.
exception Unauthenticated {
  1: string message,
}

// 403: no grant covers a check's kind or certificate type, or the matter code.
exception Forbidden {
  1: string field,
  2: string message,
}

// 429: a grant's quota is spent.
exception QuotaExceeded {
  1: string message,
  2: i32 retry_after_seconds,
}

// 503: the index or the audit log cannot serve now (nothing was answered).
exception Unavailable {
  1: string message,
}

service Verification {
  BatchResult verifyBatch(1: SignedBatch request)
    throws (1: InvalidRequest invalid, 2: Unauthenticated unauthenticated, 3: Forbidden forbidden,
            4: QuotaExceeded quota, 5: Unavailable unavailable),
}
