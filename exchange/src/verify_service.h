// The verification core as the exchange serves it (docs/verification-serving.md): one function
// that both front ends (HTTP/JSON in verify_handlers.cc, Thrift in verify_thrift.cc) call with
// checks that have passed validateCheck. It authorises every check through the catalog's grants,
// takes the grants' quotas, evaluates the checks against one snapshot of the index and describes
// the call for the audit log.
//
// Authorisation: each check kind reads facts of one catalog resource, and the caller's grant on
// that resource must name the field the predicate reads and cover the purpose's matter code
// (grant_check.h's authorise, the same machinery as registry queries):
//   certificate_valid     CERT-<type code of the id>   field certificate_id
//   holds_certificate     CERT-<type_code>             field holder_code
//   person_alive          VERIFY-PERSON                field status
//   person_registered_in  VERIFY-PERSON                field region_code
//   person_age_at_least   VERIFY-PERSON                field birth_date
//   entity_in_business    VERIFY-ENTITY                field status
//   legal_representative  VERIFY-ENTITY                field legal_rep_citizen_id
// A grant on CERT-<type> that names certificate_id or holder_code but not certificate lets an
// application verify certificates of the type without ever reading one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grant_check.h"
#include "service_context.h"
#include "tongban/verification/check.h"

namespace tongban::exchange {

inline constexpr const char* kVerifyPersonResource = "VERIFY-PERSON";
inline constexpr const char* kVerifyEntityResource = "VERIFY-ENTITY";

struct VerifyOutcome {
  std::vector<verification::Answer> answers;  // in check order
  verification::AsOf as_of;
  // With receipts on (ctx.receipt_signer): the sealed tree whose leaf first_leaf + i is answer
  // i's receipt. A batch is its own tree (first_leaf 0); a single check is one leaf of the
  // window's tree. Null: receipts are off or this node has no verification key.
  std::shared_ptr<const verification::SealedBatch> receipts;
  size_t first_leaf = 0;
};

// Turns receipts on: batches are sealed with `signer` (the hub's verification key), singles
// through a ReceiptWindow of kReceiptWindowDelay (or kReceiptWindowLeaves leaves).
inline constexpr std::chrono::microseconds kReceiptWindowDelay{2000};
inline constexpr size_t kReceiptWindowLeaves = 4096;
void enableReceipts(ServiceContext& ctx, std::shared_ptr<const certs::Signer> signer);

// A YYYY-MM-DD date that exists, as days since 1970-01-01 (from 1970-01-02 on, since 0 means
// "not asked" in a Check). kInvalidArgument naming `field`.
Result<int32_t> parseCheckDate(const std::string& text, const std::string& field);
std::string formatCheckDate(int32_t days);

// A check as it arrives, before validation: the members of an HTTP check object or of a Thrift
// Check (absent optionals are unset).
struct CheckInput {
  std::string kind;
  std::string subject;
  std::optional<std::string> type_code, region, valid_until, on_date, entity;
  std::optional<int64_t> min_age;
};

// Upper-cases the identifiers (a citizen id's trailing x), parses the dates and runs
// validateCheck. kInvalidArgument naming `path` + ".member" ("checks[12].subject").
Result<verification::Check> checkFromInput(const CheckInput& in, const std::string& path);

// Today's civil date in Asia/Shanghai (UTC+8, no daylight saving), as days since 1970-01-01.
int32_t todayInChina();

// One check as the audit log records it: its kind and parameters, without the subject (which is
// the record's subject key at the same position): "holds_certificate type_code=… region=33".
std::string describeCheck(const verification::Check& check);

// Authorises, takes quota, evaluates. `audit` is filled as far as the call got (resource codes,
// one subject key and one field per check, the purpose; with the answers when it succeeds), so a
// refusal is audited with what was asked. Errors: kUnavailable (no index, database down while
// reading grants), kPermissionDenied naming `checks[i].kind`, `checks[i].type_code`,
// `checks[i].subject` (a certificate's type) or `purpose.matter_code`; kResourceExhausted with
// *retry_after_s set. `field_prefix` is "checks" for batches and "check" for single calls.
// With receipts on, the answers are sealed (a batch at once, a single through the window) and
// audit->reason names the tree: "receipt root=<hex> tree_size=<n> leaf=<first leaf index>";
// kInternal if sealing fails (nothing is answered).
Result<VerifyOutcome> runChecks(ServiceContext& ctx, const Caller& caller, const Purpose& purpose,
                                const std::vector<verification::Check>& checks,
                                const std::string& field_prefix, AuditFacts* audit,
                                int64_t* retry_after_s);

}  // namespace tongban::exchange
