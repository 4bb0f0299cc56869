// Issuing certificates and running their lifecycle, in PostgreSQL (certs.certificates and
// friends); one method per endpoint of the certificate API:
//
//   POST /v1/certificates                          issue (parseIssueRequest + issue)
//   GET  /v1/certificates/{id}                     bundle (self-contained JSON, bundle.h)
//   POST /v1/certificates/{id}/suspend|resume|revoke|correct
//   POST /v1/certificates/{id}/objections, GET .../objections, POST /v1/objections/{n}/resolve
//   GET  /v1/holders/{kind}/{code}/certificates    listForHolder
//   (the transparency endpoints are TransparencyLog's)
//
// Every change runs in ONE transaction that also appends its transparency-log leaf, writes its
// status event and its change-feed row (certs.changes, NOTIFY certs_changes): no certificate or
// transition exists without its log entry and event. Issuance is idempotent per issuer and
// Idempotency-Key: a retry with the same body returns the first certificate (concurrent retries
// included: a retry waits for the issuance in flight with its key, and processes serialise on an
// advisory lock); a different body with the same key is Conflict.
//
// Issuance is group-committed (certs/src/issuance_sequencer.h): the calling thread validates,
// then builds and signs its payload; one sequencer thread per registry allocates serials,
// appends the log leaves and writes every issuance queued meanwhile in one transaction, on a
// connection of its own (not from the pool).
//
// Authorisation here is by department: only the certificate's issuer changes it, and an issuer
// issues only types it is granted, with its own active seals. Who the caller is (signed request,
// holder token) is the HTTP layer's job. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/certs/certificate.h"
#include "tongban/certs/hub_identity.h"
#include "tongban/certs/seal_registry.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::certs {

namespace internal {
class IssuanceSequencer;
}

inline constexpr size_t kMaxSurfaceBytes = 64 * 1024;

struct IssueRequest {
  std::string issuer_code;      // the calling department's credit code
  std::string idempotency_key;  // the Idempotency-Key header: 1..128 printable ASCII characters
  std::string type_code;
  std::string seal_id;
  std::string holder_code;  // citizen id (person types) or credit code (entity types)
  std::string holder_name;
  std::string surface_json;  // a JSON object
  std::string valid_from;    // YYYY-MM-DD; empty = issue date
  std::string valid_to;      // YYYY-MM-DD; empty = the type's default validity (or long-term)
  std::string actor;         // who, for the events (application id, user)
};

// Reads the body of POST /v1/certificates:
//   {"type_code", "seal_id", "holder": {"code", "name"}, "surface": {...},
//    "valid_from"?, "valid_to"?}
// InvalidArgument naming the field; PayloadTooLarge when the surface exceeds kMaxSurfaceBytes.
Result<IssueRequest> parseIssueRequest(std::string_view body, const std::string& issuer_code,
                                       const std::string& idempotency_key,
                                       const std::string& actor);

struct IssueResult {
  Certificate certificate;
  bool replayed = false;  // true when an earlier request with this key made it
};

struct CorrectionRequest {
  std::string certificate_id;  // the version being corrected
  std::string issuer_code;
  std::string seal_id;       // empty: the old version's seal
  std::string holder_name;   // empty: unchanged
  std::string surface_json;  // the full corrected surface
  std::string valid_to;      // empty: unchanged
  std::string reason;        // why, for the event
  std::string actor;
};

struct Objection {
  int64_t objection_id = 0;
  std::string certificate_id;
  std::string filed_by_kind;  // "holder" or "verifier"
  std::string filed_by;
  std::string reason;
  std::string status;  // open, upheld, dismissed
  std::string filed_at;
  std::string resolved_at;
  std::string resolved_by;
  std::string resolution;
};

struct StatusEvent {
  int64_t id = 0;
  std::string certificate_id;
  std::string at;
  std::string action;
  std::string from_status;
  std::string to_status;
  std::string reason_code;
  std::string note;
  std::string actor;
  uint64_t log_index = 0;
};

// Where issuance time goes (bench/certs_issue.cc prints it), counted since the registry was made.
struct IssuanceStats {
  uint64_t issued = 0;  // certificates committed
  uint64_t batches = 0;
  uint64_t failed_batches = 0;
  uint64_t largest_batch = 0;
  // Wall time of the sequencer thread, summed over batches (microseconds).
  uint64_t lookup_us = 0;     // phase 1: key locks, replays, seals, holders, issuers, serials
  uint64_t sign_wait_us = 0;  // phase 2, waiting for the request threads to sign
  uint64_t write_us = 0;      // phase 3: log lock, frontier, the one write statement
  uint64_t commit_us = 0;     // COMMIT (the WAL flush)
  // CPU time of the request threads, summed (microseconds).
  uint64_t prepare_cpu_us = 0;  // validation, canonical surface, request digest
  uint64_t sign_cpu_us = 0;     // canonical payload, signature, leaf (phase 2)
};

class CertificateRegistry {
 public:
  // All references must outlive the registry.
  CertificateRegistry(db::ConnectionPool& pool, CertificateTypeRegistry& types, SealRegistry& seals,
                      TransparencyLog& log, const HubIdentity& hub,
                      Clock clock = std::chrono::system_clock::now);
  // Waits for the issuances in flight, then stops the sequencer thread.
  ~CertificateRegistry();
  CertificateRegistry(const CertificateRegistry&) = delete;
  CertificateRegistry& operator=(const CertificateRegistry&) = delete;

  // Issues a certificate (see the top of this file). Failures: InvalidArgument naming the field
  // (unknown type: "type_code"; invalid holder id or holder not in its registry: "holder.code";
  // surface data breaking the type's rules: "surface.<field>"), PermissionDenied (type not
  // granted to the issuer, or another department's seal), Conflict (same key with a different
  // body; seal suspended, revoked or outside its validity; a type unique per holder whose holder
  // already holds a valid or suspended certificate of it: field "holder.code", the message names
  // that certificate), NotFound (no such seal), Unavailable
  // (the batch it was committed with failed: nothing of it was stored, retry with the same key).
  // The returned certificate is what was committed (not read back); a replay reads the stored
  // one.
  Result<IssueResult> issue(const IssueRequest& request);

  // Counters of the group commit. Thread-safe.
  IssuanceStats issuanceStats() const;

  // The stored certificate. InvalidArgument for a malformed id, NotFound for an unknown one.
  Result<Certificate> get(const std::string& certificate_id);

  // The self-contained bundle (bundle.h) of a certificate, with inclusion proofs under the
  // current signed tree head (signing one if the log grew).
  Result<std::string> bundle(const std::string& certificate_id);

  // Lifecycle. `issuer_code` must be the certificate's issuer (PermissionDenied otherwise);
  // Conflict when the current state does not allow the transition.
  Result<Certificate> suspend(const std::string& certificate_id, const std::string& issuer_code,
                              const std::string& note, const std::string& actor);
  Result<Certificate> resume(const std::string& certificate_id, const std::string& issuer_code,
                             const std::string& actor);
  // reason_code: certificate.h's revocationTarget() list; it decides the final state.
  Result<Certificate> revoke(const std::string& certificate_id, const std::string& issuer_code,
                             const std::string& reason_code, const std::string& note,
                             const std::string& actor);
  // Issues version n+1 (same serial) and marks version n superseded. Returns the new version.
  // The new version passes the checks of an issuance (the issuer may issue the type, the seal,
  // the holder in its registry under the possibly corrected name), with the same failures.
  Result<Certificate> correct(const CorrectionRequest& request);
  // Expires every valid or suspended certificate whose validity ended before today (China
  // time). Returns how many. Run daily; safe to run concurrently (rows are locked).
  Result<size_t> expireDue(const std::string& actor = "system");

  // Objections (异议). Filing flags the certificate (open_objections > 0) and logs an event.
  Result<Objection> fileObjection(const std::string& certificate_id,
                                  const std::string& filed_by_kind, const std::string& filed_by,
                                  const std::string& reason);
  // The issuer resolves: upheld or dismissed. PermissionDenied for another department; Conflict
  // if already resolved.
  Result<Objection> resolveObjection(int64_t objection_id, const std::string& issuer_code,
                                     bool upheld, const std::string& resolution,
                                     const std::string& actor);
  Result<std::vector<Objection>> objections(const std::string& certificate_id);

  // A certificate's transitions, oldest first.
  Result<std::vector<StatusEvent>> history(const std::string& certificate_id);

  // The holder's certificates, newest first; superseded versions only if include_history.
  // holder_code_type "111" or "001"; InvalidArgument for a malformed code.
  Result<std::vector<Certificate>> listForHolder(const std::string& holder_code_type,
                                                 const std::string& holder_code,
                                                 bool include_history = false);

 private:
  Result<Certificate> transition(const std::string& certificate_id, const std::string& issuer_code,
                                 const char* action, CertificateStatus to,
                                 const std::string& reason_code, const std::string& note,
                                 const std::string& actor);

  db::ConnectionPool& pool_;
  CertificateTypeRegistry& types_;
  SealRegistry& seals_;
  TransparencyLog& log_;
  const HubIdentity& hub_;
  const Clock clock_;
  std::unique_ptr<internal::IssuanceSequencer> sequencer_;
};

// JSON of a certificate for API responses (metadata, surface, status; not the signature).
std::string certificateJson(const Certificate& certificate);

}  // namespace tongban::certs
