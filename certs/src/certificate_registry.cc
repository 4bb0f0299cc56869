// Issuance and lifecycle of certificates in PostgreSQL.
#include "tongban/certs/certificate_registry.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "certs_internal.h"
#include "issuance_checks.h"
#include "issuance_sequencer.h"
#include "tongban/certs/bundle.h"
#include "tongban/certs/jcs.h"
#include "tongban/certs/pki.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/json.h"
#include "tongban/common/time_format.h"
#include "transparency_log_append.h"

namespace tongban::certs {

using internal::fromBytea;
using internal::put;
using internal::putValue;

namespace {

Status conflict(std::string message, std::string field = {}) {
  return Status(ErrorCode::kConflict, std::move(message), std::move(field));
}
Status forbidden(std::string message) {
  return Status(ErrorCode::kPermissionDenied, std::move(message));
}

bool isDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31 && internal::addMonths(s, 0) == s;
}

std::string certColumns() {
  return "c.certificate_id, c.type_code, t.name AS type_name, c.issuer_code, d.name AS "
         "issuer_name, "
         "c.serial, c.version, c.supersedes, c.superseded_by, c.number, c.holder_name, "
         "c.holder_code, c.holder_code_type, c.surface::text AS surface, c.payload, c.signature, "
         "c.algorithm, c.seal_id, " +
         rfc3339SecondsSql("c.issued_at") +
         " AS issued_at, c.issue_date::text AS issue_date, c.valid_from::text AS valid_from, "
         "c.valid_to::text AS valid_to, c.status, c.status_reason, c.open_objections, c.log_index";
}
constexpr const char* kCertFrom =
    " FROM certs.certificates c JOIN certs.certificate_types t ON t.code = c.type_code "
    "JOIN directory.departments d ON d.code = c.issuer_code";

std::string text(const pqxx::field& f) { return f.is_null() ? std::string() : f.c_str(); }

Certificate certFromRow(const pqxx::row& r) {
  Certificate c;
  c.certificate_id = text(r["certificate_id"]);
  c.type_code = text(r["type_code"]);
  c.type_name = text(r["type_name"]);
  c.issuer_code = text(r["issuer_code"]);
  c.issuer_name = text(r["issuer_name"]);
  c.serial = text(r["serial"]);
  c.version = r["version"].as<int>();
  c.supersedes = text(r["supersedes"]);
  c.superseded_by = text(r["superseded_by"]);
  c.number = text(r["number"]);
  c.holder_name = text(r["holder_name"]);
  c.holder_code = text(r["holder_code"]);
  c.holder_code_type = text(r["holder_code_type"]);
  // jsonb renders with spaces; keep the canonical form for callers.
  c.surface_json = canonicalizeJson(text(r["surface"])).value();
  c.payload = fromBytea(r["payload"]);
  c.signature = fromBytea(r["signature"]);
  c.algorithm = parseAlgorithm(text(r["algorithm"])).value();
  c.seal_id = text(r["seal_id"]);
  c.issued_at = text(r["issued_at"]);
  c.issue_date = text(r["issue_date"]);
  c.valid_from = text(r["valid_from"]);
  c.valid_to = text(r["valid_to"]);
  c.status = parseStatus(text(r["status"])).value();
  c.status_reason = text(r["status_reason"]);
  c.open_objections = r["open_objections"].as<int>();
  c.log_index = r["log_index"].as<uint64_t>();
  return c;
}

Result<Certificate> loadCertificate(pqxx::transaction_base& tx, const std::string& id,
                                    bool for_update) {
  pqxx::result r =
      tx.exec_params("SELECT " + certColumns() + kCertFrom + " WHERE c.certificate_id = $1" +
                         (for_update ? " FOR UPDATE OF c" : ""),
                     id);
  if (r.empty()) return Status::notFound("no certificate " + id);
  return certFromRow(r[0]);
}

// Leaf of a certificate event (docs/certificates.md, "Log leaves").
std::string certificateLeaf(const std::string& id, const char* action, CertificateStatus status,
                            const std::string& previous, const std::string& reason_code,
                            const std::string& time, const std::string& payload,
                            const std::string& signature, int64_t objection_id,
                            const std::string& related) {
  return internal::certificateLeaf(id, action, statusName(status), previous, reason_code, time,
                                   payload, signature, objection_id, related);
}

// Appends the leaf, the status event and the change-feed row, in that order (the feed row must
// be written under the log lock: see 0006_certs.sql).
uint64_t recordEvent(pqxx::transaction_base& tx, const std::string& id, const char* action,
                     const std::string& from, CertificateStatus to, const std::string& reason_code,
                     const std::string& note, const std::string& actor, const std::string& time,
                     const std::string& leaf) {
  const uint64_t index = internal::appendLeaf(tx, leaf);
  tx.exec_params(
      "INSERT INTO certs.status_events (certificate_id, at, action, from_status, to_status, "
      "reason_code, note, actor, log_index) VALUES ($1, $2, $3, NULLIF($4, ''), $5, "
      "NULLIF($6, ''), NULLIF($7, ''), $8, $9)",
      id, time, action, from, statusName(to), reason_code, note, actor, index);
  tx.exec_params(
      "INSERT INTO certs.changes (certificate_id, event, status, type_code, issuer_code, "
      "holder_code_type, holder_code, valid_from, valid_to, open_objections) "
      "SELECT certificate_id, $2, status, type_code, issuer_code, holder_code_type, holder_code, "
      "valid_from, valid_to, open_objections FROM certs.certificates WHERE certificate_id = $1",
      id, action);
  return index;
}

// Text a certificate may not carry: U+0000 (PostgreSQL stores it neither in text nor in jsonb,
// so it used to fail the whole issuance batch) and other C0 control characters, except tab, line
// feed and carriage return where `multiline`. kInvalidArgument naming `field`.
Status checkText(std::string_view text, const std::string& field, bool multiline) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return Status::invalid(field, "must not contain U+0000 (NUL)");
    if (c < 0x20 && !(multiline && (c == '\t' || c == '\n' || c == '\r'))) {
      char code[8];
      std::snprintf(code, sizeof code, "%04X", c);
      return Status::invalid(field,
                             std::string("must not contain the control character U+") + code);
    }
  }
  return Status();
}

}  // namespace

Result<IssueRequest> parseIssueRequest(std::string_view body, const std::string& issuer_code,
                                       const std::string& idempotency_key,
                                       const std::string& actor) {
  if (body.size() > kMaxSurfaceBytes + 4096) {
    return Status(ErrorCode::kPayloadTooLarge, "request body is too large", "surface");
  }
  rapidjson::Document doc;
  if (Status s = parseJsonStrict(body, doc, "body"); !s) return s;
  if (!doc.IsObject()) return Status::invalid("body", "must be a JSON object");
  IssueRequest request;
  request.issuer_code = issuer_code;
  request.idempotency_key = idempotency_key;
  request.actor = actor;
  auto str = [&](const rapidjson::Value& object, const char* name, const std::string& path,
                 std::string& out, bool required) -> Status {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) {
      return required ? Status::invalid(path, "is required") : Status();
    }
    if (!it->value.IsString()) return Status::invalid(path, "must be a string");
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return checkText(out, path, false);
  };
  if (Status s = str(doc, "type_code", "type_code", request.type_code, true); !s) return s;
  if (Status s = str(doc, "seal_id", "seal_id", request.seal_id, true); !s) return s;
  auto holder = doc.FindMember("holder");
  if (holder == doc.MemberEnd() || !holder->value.IsObject()) {
    return Status::invalid("holder", "is required: {\"code\", \"name\"}");
  }
  if (Status s = str(holder->value, "code", "holder.code", request.holder_code, true); !s) return s;
  if (Status s = str(holder->value, "name", "holder.name", request.holder_name, true); !s) return s;
  auto surface = doc.FindMember("surface");
  if (surface == doc.MemberEnd() || !surface->value.IsObject()) {
    return Status::invalid("surface", "is required and must be a JSON object");
  }
  request.surface_json = internal::compactJson(surface->value);
  if (Status s = str(doc, "valid_from", "valid_from", request.valid_from, false); !s) return s;
  if (Status s = str(doc, "valid_to", "valid_to", request.valid_to, false); !s) return s;
  for (const auto& m : doc.GetObject()) {
    const std::string name = m.name.GetString();
    if (name != "type_code" && name != "seal_id" && name != "holder" && name != "surface" &&
        name != "valid_from" && name != "valid_to") {
      return Status::invalid(name, "is not a member of an issuance request");
    }
  }
  return request;
}

CertificateRegistry::CertificateRegistry(db::ConnectionPool& pool, CertificateTypeRegistry& types,
                                         SealRegistry& seals, TransparencyLog& log,
                                         const HubIdentity& hub, Clock clock)
    : pool_(pool),
      types_(types),
      seals_(seals),
      log_(log),
      hub_(hub),
      clock_(std::move(clock)),
      sequencer_(std::make_unique<internal::IssuanceSequencer>(
          internal::IssuanceSequencer::Options{pool.conninfo()}, seals)) {}

CertificateRegistry::~CertificateRegistry() = default;

namespace {

// Refuses, naming the field, text that PostgreSQL cannot store (U+0000) anywhere in the surface
// (strings and member names): checked per request, before the batch that writes it.
Status checkSurfaceText(const rapidjson::Value& surface) {
  std::vector<std::pair<const rapidjson::Value*, std::string>> stack{{&surface, "surface"}};
  while (!stack.empty()) {
    auto [v, path] = std::move(stack.back());
    stack.pop_back();
    if (v->IsString()) {
      if (Status s = checkText({v->GetString(), v->GetStringLength()}, path, true); !s) return s;
    } else if (v->IsArray()) {
      for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
        stack.emplace_back(&(*v)[i], path + "[" + std::to_string(i) + "]");
      }
    } else if (v->IsObject()) {
      for (const auto& m : v->GetObject()) {
        const std::string name(m.name.GetString(), m.name.GetStringLength());
        if (Status s = checkText(name, path + " member name", false); !s) return s;
        stack.emplace_back(&m.value, path + "." + name);
      }
    }
  }
  return Status();
}

// Validates the holder and the surface against the type; fills `surface` and the canonical
// surface text. Pure (no database).
Status validateContent(const CertificateType& type, std::string& holder_code,
                       const std::string& holder_name, const std::string& surface_json,
                       rapidjson::Document& surface) {
  Result<std::string> code = type.holder_kind == HolderKind::kPerson
                                 ? ids::normalizeCitizenId(holder_code, "holder.code")
                                 : ids::normalizeCreditCode(holder_code, "holder.code");
  if (!code) return code.status();
  holder_code = *code;
  size_t name_chars = 0;
  for (char c : holder_name) name_chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (name_chars < 1 || name_chars > 128) {
    return Status::invalid("holder.name", "must have 1 to 128 characters");
  }
  if (Status s = checkText(holder_name, "holder.name", false); !s) return s;
  if (surface_json.size() > kMaxSurfaceBytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "surface data is " + std::to_string(surface_json.size()) + " bytes; at most " +
                      std::to_string(kMaxSurfaceBytes) + " allowed",
                  "surface");
  }
  if (Status s = parseJsonStrict(surface_json, surface, "surface"); !s) return s;
  if (Status s = checkSurfaceText(surface); !s) return s;
  return type.schema->validate(surface, holder_code, holder_name);
}

// Fills what an issuance and a correction derive alike for the sequencer: the surface (validated;
// moved in) and its canonical text, the number, the holder code type, the sealing time and date.
// The caller sets type first.
Status fillDerived(internal::PendingIssuance& p, rapidjson::Document surface,
                   internal::TimePoint now) {
  Result<std::string> surface_text = internal::canonical(surface);
  if (!surface_text) return surface_text.status();
  p.holder_code_type = holderCodeType(p.type->holder_kind);
  p.surface_text = std::move(*surface_text);
  p.number = p.type->schema->number(surface);
  p.surface = std::move(surface);
  p.issued_at = formatRfc3339Seconds(now);
  p.issue_date = internal::chinaDate(now);
  p.year = std::stoi(p.issue_date.substr(0, 4));
  p.issued_at_micros = static_cast<int64_t>(std::chrono::system_clock::to_time_t(now)) * 1000000;
  return Status();
}

}  // namespace

IssuanceStats CertificateRegistry::issuanceStats() const { return sequencer_->stats(); }

Result<IssueResult> CertificateRegistry::issue(const IssueRequest& request) {
  const uint64_t cpu_start = internal::threadCpuMicros();
  Result<std::string> issuer = ids::normalizeCreditCode(request.issuer_code, "issuer_code");
  if (!issuer) return issuer.status();
  const std::string& key = request.idempotency_key;
  if (key.empty() || key.size() > 128) {
    return Status::invalid("idempotency_key", "Idempotency-Key must have 1 to 128 characters");
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return Status::invalid("idempotency_key", "Idempotency-Key must be printable ASCII");
    }
  }
  if (request.actor.empty()) return Status::invalid("actor", "is required");
  Result<std::shared_ptr<const CertificateType>> type = types_.get(request.type_code);
  if (!type) {
    if (type.status().code() == ErrorCode::kNotFound) {
      return Status::invalid("type_code", "unknown certificate type " + request.type_code);
    }
    return type.status();
  }
  if (Status s = internal::checkMayIssue(**type, *issuer); !s) return s;
  std::string holder_code = request.holder_code;
  rapidjson::Document surface;
  if (Status s =
          validateContent(**type, holder_code, request.holder_name, request.surface_json, surface);
      !s) {
    return s;
  }

  const auto now = clock_();
  const std::string today = internal::chinaDate(now);
  std::string valid_from = request.valid_from.empty() ? today : request.valid_from;
  if (!isDate(valid_from)) return Status::invalid("valid_from", "must be a date YYYY-MM-DD");
  std::string valid_to = request.valid_to;
  if (valid_to.empty() && (*type)->default_validity_months) {
    valid_to = internal::addMonths(valid_from, *(*type)->default_validity_months);
  }
  if (!valid_to.empty()) {
    if (!isDate(valid_to)) return Status::invalid("valid_to", "must be a date YYYY-MM-DD");
    if (valid_to < valid_from) return Status::invalid("valid_to", "is before valid_from");
  }

  // The request as the idempotency check compares it: what the caller sent, normalised.
  rapidjson::Document digest_doc(rapidjson::kObjectType);
  {
    auto& a = digest_doc.GetAllocator();
    put(digest_doc, "type_code", request.type_code, a);
    put(digest_doc, "seal_id", request.seal_id, a);
    put(digest_doc, "holder_code", holder_code, a);
    put(digest_doc, "holder_name", request.holder_name, a);
    put(digest_doc, "valid_from", request.valid_from, a);
    put(digest_doc, "valid_to", request.valid_to, a);
    putValue(digest_doc, "surface", rapidjson::Value(surface, a), a);
  }
  Result<std::string> digest_text = internal::canonical(digest_doc);
  if (!digest_text) return digest_text.status();
  const std::string digest = sha256(*digest_text);

  // Everything the sequencer and phase 2 need; the rest happens in the group commit
  // (issuance_sequencer.h): idempotency, seal, holder registry, serial, signature, log, rows.
  auto item = std::make_shared<internal::PendingIssuance>();
  internal::PendingIssuance& p = *item;
  p.issuer_code = *issuer;
  p.idempotency_key = key;
  p.request_digest = digest;
  p.type = *type;
  p.seal_id = request.seal_id;
  p.holder_name = request.holder_name;
  p.holder_code = holder_code;
  p.valid_from = valid_from;
  p.valid_to = valid_to;
  p.actor = request.actor;
  if (Status s = fillDerived(p, std::move(surface), now); !s) return s;
  sequencer_->notePrepare(internal::threadCpuMicros() - cpu_start);
  sequencer_->submit(item);
  if (!p.status) return p.status;
  if (!p.existing_id.empty()) {
    // A replay: the first request's certificate, as stored.
    Result<Certificate> existing = get(p.existing_id);
    if (!existing) return existing.status();
    return IssueResult{std::move(*existing), true};
  }
  // What was committed, without reading it back.
  Certificate c;
  c.certificate_id = p.certificate_id;
  c.type_code = p.type->code;
  c.type_name = p.type->name;
  c.issuer_code = p.issuer_code;
  c.issuer_name = p.issuer_name;
  c.serial = p.serial;
  c.version = 1;
  c.number = p.number.empty() ? p.serial : p.number;
  c.holder_name = p.holder_name;
  c.holder_code = p.holder_code;
  c.holder_code_type = p.holder_code_type;
  c.surface_json = p.surface_text;
  c.payload = std::move(p.payload);
  c.signature = std::move(p.signature);
  c.algorithm = p.algorithm;
  c.seal_id = p.seal_id;
  c.issued_at = p.issued_at;
  c.issue_date = p.issue_date;
  c.valid_from = p.valid_from;
  c.valid_to = p.valid_to;
  c.status = CertificateStatus::kValid;
  c.open_objections = 0;
  c.log_index = p.log_index;
  return IssueResult{std::move(c), false};
}

Result<Certificate> CertificateRegistry::get(const std::string& certificate_id) {
  Result<CertificateIdParts> parts = parseCertificateId(certificate_id);
  if (!parts) return parts.status();
  const std::string id = *ids::normalizeCertificateId(certificate_id);
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Certificate> {
    pqxx::read_transaction tx(conn);
    return loadCertificate(tx, id, false);
  });
}

Result<std::string> CertificateRegistry::bundle(const std::string& certificate_id) {
  Result<CertificateIdParts> parts = parseCertificateId(certificate_id);
  if (!parts) return parts.status();
  const std::string id = *ids::normalizeCertificateId(certificate_id);
  struct Snapshot {
    Certificate certificate;
    uint64_t latest_event = 0;
    std::string seal_certificate;
    std::string seal_status;
    uint64_t seal_event = 0;
  };
  // The certificate, its newest event and its seal's newest event in one snapshot, so that the
  // claimed status is exactly what those events say.
  auto snapshot = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Snapshot> {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
    Result<Certificate> c = loadCertificate(tx, id, false);
    if (!c) return c.status();
    Snapshot s;
    s.certificate = std::move(*c);
    s.latest_event = tx.exec_params1(
                           "SELECT max(log_index) FROM certs.status_events "
                           "WHERE certificate_id = $1",
                           id)[0]
                         .as<uint64_t>();
    pqxx::row seal = tx.exec_params1(
        "SELECT s.signer_certificate, s.status, (SELECT max(log_index) FROM certs.seal_events e "
        "WHERE e.seal_id = s.seal_id) FROM certs.seals s WHERE s.seal_id = $1",
        s.certificate.seal_id);
    s.seal_certificate = seal[0].c_str();
    s.seal_status = seal[1].c_str();
    s.seal_event = seal[2].as<uint64_t>();
    return s;
  });
  if (!snapshot) return snapshot.status();
  const Certificate& c = snapshot->certificate;
  Result<SignedTreeHead> sth = log_.currentTreeHead();
  if (!sth) return sth.status();

  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  put(doc, "format", kBundleFormat, a);
  put(doc, "certificate_id", c.certificate_id, a);
  put(doc, "payload", base64Encode(c.payload), a);
  put(doc, "signature", base64Encode(c.signature), a);
  put(doc, "algorithm", algorithmName(c.algorithm), a);
  put(doc, "signer_certificate", snapshot->seal_certificate, a);
  rapidjson::Value chain(rapidjson::kArrayType);
  for (const std::string& pem : hub_.chain_pem) chain.PushBack(rapidjson::Value(pem.c_str(), a), a);
  putValue(doc, "chain", std::move(chain), a);
  rapidjson::Value status(rapidjson::kObjectType);
  put(status, "certificate", statusName(c.status), a);
  put(status, "seal", snapshot->seal_status, a);
  put(status, "open_objections", int64_t{c.open_objections}, a);
  if (!c.superseded_by.empty()) put(status, "superseded_by", c.superseded_by, a);
  put(status, "as_of",
      formatRfc3339Seconds(
          std::chrono::system_clock::time_point(std::chrono::milliseconds(sth->timestamp_ms))),
      a);
  putValue(doc, "status", std::move(status), a);

  rapidjson::Value transparency(rapidjson::kObjectType);
  rapidjson::Value head(rapidjson::kObjectType);
  put(head, "tree_size", static_cast<int64_t>(sth->tree_size), a);
  put(head, "timestamp", sth->timestamp_ms, a);
  put(head, "root_hash", toHex(sth->root_hash), a);
  put(head, "signature", base64Encode(sth->signature), a);
  put(head, "algorithm", algorithmName(sth->algorithm), a);
  put(head, "signer_certificate", sth->signer_certificate, a);
  putValue(transparency, "tree_head", std::move(head), a);
  rapidjson::Value entries(rapidjson::kArrayType);
  std::vector<std::pair<const char*, uint64_t>> wanted = {{"issuance", c.log_index}};
  if (snapshot->latest_event != c.log_index) {
    wanted.emplace_back("certificate_status", snapshot->latest_event);
  }
  wanted.emplace_back("seal_status", snapshot->seal_event);
  for (const auto& [role, index] : wanted) {
    Result<LogEntry> entry = log_.entry(index);
    if (!entry) return entry.status();
    Result<std::vector<MerkleHash>> proof = log_.inclusionProof(index, sth->tree_size);
    if (!proof) return proof.status();
    rapidjson::Value e(rapidjson::kObjectType);
    put(e, "role", role, a);
    put(e, "leaf_index", static_cast<int64_t>(index), a);
    put(e, "leaf", base64Encode(entry->leaf_data), a);
    rapidjson::Value hashes(rapidjson::kArrayType);
    for (const MerkleHash& h : *proof) hashes.PushBack(rapidjson::Value(toHex(h).c_str(), a), a);
    putValue(e, "proof", std::move(hashes), a);
    entries.PushBack(e, a);
  }
  putValue(transparency, "entries", std::move(entries), a);
  putValue(doc, "transparency", std::move(transparency), a);

  // The status statement: which events are the newest, signed by the status key (bundle.h).
  if (!hub_.status_signer) return Status::unavailable("the hub has no status signer");
  StatusStatement statement;
  statement.certificate_id = c.certificate_id;
  statement.certificate_version = c.version;
  statement.certificate_status = statusName(c.status);
  statement.seal_id = c.seal_id;
  statement.seal_status = snapshot->seal_status;
  statement.certificate_event_index = snapshot->latest_event;
  statement.seal_event_index = snapshot->seal_event;
  statement.tree_size = sth->tree_size;
  const auto produced = clock_();
  statement.produced_at = formatRfc3339Seconds(produced);
  statement.next_update =
      formatRfc3339Seconds(produced + std::chrono::seconds(kStatusStatementValiditySeconds));
  Result<std::string> signed_statement = signedStatusStatementJson(statement, *hub_.status_signer);
  if (!signed_statement) return signed_statement.status();
  rapidjson::Document statement_doc(&a);
  statement_doc.Parse(signed_statement->c_str());
  putValue(doc, "status_statement", rapidjson::Value(statement_doc, a), a);
  return internal::compactJson(doc);
}

Result<Certificate> CertificateRegistry::transition(const std::string& certificate_id,
                                                    const std::string& issuer_code,
                                                    const char* action, CertificateStatus to,
                                                    const std::string& reason_code,
                                                    const std::string& note,
                                                    const std::string& actor) {
  Result<CertificateIdParts> parts = parseCertificateId(certificate_id);
  if (!parts) return parts.status();
  const std::string id = *ids::normalizeCertificateId(certificate_id);
  if (actor.empty()) return Status::invalid("actor", "is required");
  const std::string now = formatRfc3339Seconds(clock_());
  auto done = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    Result<Certificate> current = loadCertificate(tx, id, true);
    if (!current) return current.status();
    if (current->issuer_code != issuer_code) {
      return forbidden("certificate " + id + " was issued by another department");
    }
    const CertificateStatus from = current->status;
    bool allowed = false;
    switch (to) {
      case CertificateStatus::kSuspended:
        allowed = from == CertificateStatus::kValid;
        break;
      case CertificateStatus::kValid:
        allowed = from == CertificateStatus::kSuspended;
        break;
      case CertificateStatus::kCancelled:
      case CertificateStatus::kDeregistered:
      case CertificateStatus::kRevoked:
        allowed = from == CertificateStatus::kValid || from == CertificateStatus::kSuspended;
        break;
      default:
        break;
    }
    if (!allowed) {
      return conflict(std::string("cannot ") + action + " a certificate that is " +
                      statusName(from));
    }
    tx.exec_params(
        "UPDATE certs.certificates SET status = $2, status_reason = NULLIF($3, ''), "
        "status_changed_at = $4 WHERE certificate_id = $1",
        id, statusName(to), reason_code.empty() ? note : reason_code, now);
    recordEvent(tx, id, action, statusName(from), to, reason_code, note, actor, now,
                certificateLeaf(id, action, to, statusName(from), reason_code, now, "", "", 0, ""));
    tx.commit();
    return true;
  });
  if (!done) return done.status();
  return get(id);
}

Result<Certificate> CertificateRegistry::suspend(const std::string& certificate_id,
                                                 const std::string& issuer_code,
                                                 const std::string& note,
                                                 const std::string& actor) {
  return transition(certificate_id, issuer_code, "suspend", CertificateStatus::kSuspended, "", note,
                    actor);
}

Result<Certificate> CertificateRegistry::resume(const std::string& certificate_id,
                                                const std::string& issuer_code,
                                                const std::string& actor) {
  return transition(certificate_id, issuer_code, "resume", CertificateStatus::kValid, "", "",
                    actor);
}

Result<Certificate> CertificateRegistry::revoke(const std::string& certificate_id,
                                                const std::string& issuer_code,
                                                const std::string& reason_code,
                                                const std::string& note, const std::string& actor) {
  Result<CertificateStatus> target = revocationTarget(reason_code);
  if (!target) return target.status();
  return transition(certificate_id, issuer_code, "revoke", *target, reason_code, note, actor);
}

Result<Certificate> CertificateRegistry::correct(const CorrectionRequest& request) {
  Result<CertificateIdParts> parts = parseCertificateId(request.certificate_id);
  if (!parts) return parts.status();
  const std::string old_id = *ids::normalizeCertificateId(request.certificate_id);
  if (request.actor.empty()) return Status::invalid("actor", "is required");
  Result<Certificate> old = get(old_id);
  if (!old) return old.status();
  if (old->issuer_code != request.issuer_code) {
    return forbidden("certificate " + old_id + " was issued by another department");
  }
  if (old->version >= 999) return conflict("certificate " + old_id + " has no version left");
  Result<std::shared_ptr<const CertificateType>> type = types_.get(old->type_code);
  if (!type) return type.status();
  // A correction is a new version: the same checks as an issuance (issuance_checks.h) — the
  // issuer may still issue the type; the seal and the holder in its registry in the sequencer.
  if (Status s = internal::checkMayIssue(**type, request.issuer_code); !s) return s;
  std::string holder_code = old->holder_code;
  const std::string holder_name =
      request.holder_name.empty() ? old->holder_name : request.holder_name;
  rapidjson::Document surface;
  if (Status s = validateContent(**type, holder_code, holder_name, request.surface_json, surface);
      !s) {
    return s;
  }
  std::string valid_to = request.valid_to.empty() ? old->valid_to : request.valid_to;
  if (!valid_to.empty() && (!isDate(valid_to) || valid_to < old->valid_from)) {
    return Status::invalid("valid_to", "must be a date YYYY-MM-DD not before valid_from");
  }

  // Version n+1 with the same serial goes through the group commit like an issuance
  // (issuance_sequencer.h), which also supersedes version n in the same transaction.
  auto item = std::make_shared<internal::PendingIssuance>();
  internal::PendingIssuance& p = *item;
  p.issuer_code = old->issuer_code;
  p.idempotency_key = "correct:" + old_id;
  p.request_digest = sha256(p.idempotency_key + "\n" + request.surface_json);
  p.type = *type;
  p.seal_id = request.seal_id.empty() ? old->seal_id : request.seal_id;
  p.holder_name = holder_name;
  p.holder_code = holder_code;
  p.valid_from = old->valid_from;
  p.valid_to = valid_to;
  p.actor = request.actor;
  p.version = old->version + 1;
  p.supersedes = old_id;
  p.supersede_reason = request.reason;
  p.serial = old->serial;
  p.certificate_id = formatCertificateId(p.type->code, p.issuer_code, p.serial, p.version);
  if (Status s = fillDerived(p, std::move(surface), clock_()); !s) return s;
  sequencer_->submit(item);
  if (!p.status) return p.status;
  return get(p.certificate_id);
}

Result<size_t> CertificateRegistry::expireDue(const std::string& actor) {
  const std::string now = formatRfc3339Seconds(clock_());
  const std::string today = internal::chinaDate(clock_());
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<size_t> {
    pqxx::work tx(conn);
    pqxx::result due = tx.exec_params(
        "SELECT certificate_id, status FROM certs.certificates WHERE status IN ('valid', "
        "'suspended') AND valid_to IS NOT NULL AND valid_to < $1::date ORDER BY certificate_id "
        "FOR UPDATE SKIP LOCKED",
        today);
    for (const auto& row : due) {
      const std::string id = row[0].c_str();
      const std::string from = row[1].c_str();
      tx.exec_params(
          "UPDATE certs.certificates SET status = 'expired', status_changed_at = $2 "
          "WHERE certificate_id = $1",
          id, now);
      recordEvent(
          tx, id, "expire", from, CertificateStatus::kExpired, "", "", actor, now,
          certificateLeaf(id, "expire", CertificateStatus::kExpired, from, "", now, "", "", 0, ""));
    }
    tx.commit();
    return static_cast<size_t>(due.size());
  });
}

namespace {

Objection objectionFromRow(const pqxx::row& r) {
  Objection o;
  o.objection_id = r["objection_id"].as<int64_t>();
  o.certificate_id = text(r["certificate_id"]);
  o.filed_by_kind = text(r["filed_by_kind"]);
  o.filed_by = text(r["filed_by"]);
  o.reason = text(r["reason"]);
  o.status = text(r["status"]);
  o.filed_at = text(r["filed_at"]);
  o.resolved_at = text(r["resolved_at"]);
  o.resolved_by = text(r["resolved_by"]);
  o.resolution = text(r["resolution"]);
  return o;
}

std::string objectionColumns() {
  return "objection_id, certificate_id, filed_by_kind, filed_by, reason, status, " +
         rfc3339SecondsSql("filed_at") + " AS filed_at, " + rfc3339SecondsSql("resolved_at") +
         " AS resolved_at, resolved_by, resolution";
}

}  // namespace

Result<Objection> CertificateRegistry::fileObjection(const std::string& certificate_id,
                                                     const std::string& filed_by_kind,
                                                     const std::string& filed_by,
                                                     const std::string& reason) {
  Result<CertificateIdParts> parts = parseCertificateId(certificate_id);
  if (!parts) return parts.status();
  const std::string id = *ids::normalizeCertificateId(certificate_id);
  if (filed_by_kind != "holder" && filed_by_kind != "verifier") {
    return Status::invalid("filed_by_kind", "must be holder or verifier");
  }
  if (filed_by.empty() || filed_by.size() > 128) {
    return Status::invalid("filed_by", "must have 1 to 128 characters");
  }
  if (reason.empty() || reason.size() > 2000 * 4) {
    return Status::invalid("reason", "must have 1 to 2000 characters");
  }
  const std::string now = formatRfc3339Seconds(clock_());
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Objection> {
    pqxx::work tx(conn);
    Result<Certificate> current = loadCertificate(tx, id, true);
    if (!current) return current.status();
    const int64_t objection_id =
        tx.exec_params1(
              "INSERT INTO certs.objections (certificate_id, filed_by_kind, filed_by, reason, "
              "filed_at) VALUES ($1, $2, $3, $4, $5) RETURNING objection_id",
              id, filed_by_kind, filed_by, reason, now)[0]
            .as<int64_t>();
    tx.exec_params(
        "UPDATE certs.certificates SET open_objections = open_objections + 1 "
        "WHERE certificate_id = $1",
        id);
    recordEvent(tx, id, "objection_filed", statusName(current->status), current->status, "",
                "objection " + std::to_string(objection_id), filed_by_kind + ":" + filed_by, now,
                certificateLeaf(id, "objection_filed", current->status, "", "", now, "", "",
                                objection_id, ""));
    Objection out = objectionFromRow(tx.exec_params1(
        "SELECT " + objectionColumns() + " FROM certs.objections WHERE objection_id = $1",
        objection_id));
    tx.commit();
    return out;
  });
}

Result<Objection> CertificateRegistry::resolveObjection(int64_t objection_id,
                                                        const std::string& issuer_code, bool upheld,
                                                        const std::string& resolution,
                                                        const std::string& actor) {
  if (resolution.empty()) return Status::invalid("resolution", "is required");
  if (actor.empty()) return Status::invalid("actor", "is required");
  const std::string now = formatRfc3339Seconds(clock_());
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Objection> {
    pqxx::work tx(conn);
    pqxx::result r = tx.exec_params(
        "SELECT certificate_id, status FROM certs.objections WHERE objection_id = $1 FOR UPDATE",
        objection_id);
    if (r.empty()) return Status::notFound("no objection " + std::to_string(objection_id));
    const std::string id = r[0][0].c_str();
    if (std::string(r[0][1].c_str()) != "open") {
      return conflict("objection " + std::to_string(objection_id) + " is already " +
                      r[0][1].c_str());
    }
    Result<Certificate> current = loadCertificate(tx, id, true);
    if (!current) return current.status();
    if (current->issuer_code != issuer_code) {
      return forbidden("only the issuer of " + id + " resolves its objections");
    }
    tx.exec_params(
        "UPDATE certs.objections SET status = $2, resolved_at = $3, resolved_by = $4, "
        "resolution = $5 WHERE objection_id = $1",
        objection_id, upheld ? "upheld" : "dismissed", now, actor, resolution);
    tx.exec_params(
        "UPDATE certs.certificates SET open_objections = open_objections - 1 "
        "WHERE certificate_id = $1",
        id);
    recordEvent(tx, id, "objection_resolved", statusName(current->status), current->status,
                upheld ? "upheld" : "dismissed", resolution, actor, now,
                certificateLeaf(id, "objection_resolved", current->status, "",
                                upheld ? "upheld" : "dismissed", now, "", "", objection_id, ""));
    Objection out = objectionFromRow(tx.exec_params1(
        "SELECT " + objectionColumns() + " FROM certs.objections WHERE objection_id = $1",
        objection_id));
    tx.commit();
    return out;
  });
}

Result<std::vector<Objection>> CertificateRegistry::objections(const std::string& certificate_id) {
  Result<CertificateIdParts> parts = parseCertificateId(certificate_id);
  if (!parts) return parts.status();
  const std::string id = *ids::normalizeCertificateId(certificate_id);
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Objection>> {
    pqxx::read_transaction tx(conn);
    std::vector<Objection> out;
    for (const auto& row : tx.exec_params(
             "SELECT " + objectionColumns() +
                 " FROM certs.objections WHERE certificate_id = $1 ORDER BY objection_id",
             id)) {
      out.push_back(objectionFromRow(row));
    }
    return out;
  });
}

Result<std::vector<StatusEvent>> CertificateRegistry::history(const std::string& certificate_id) {
  Result<CertificateIdParts> parts = parseCertificateId(certificate_id);
  if (!parts) return parts.status();
  const std::string id = *ids::normalizeCertificateId(certificate_id);
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<StatusEvent>> {
    pqxx::read_transaction tx(conn);
    std::vector<StatusEvent> out;
    for (const auto& r : tx.exec_params(
             "SELECT id, certificate_id, " + rfc3339SecondsSql("at") +
                 " AS at, action, from_status, to_status, reason_code, note, actor, log_index "
                 "FROM certs.status_events WHERE certificate_id = $1 ORDER BY id",
             id)) {
      StatusEvent e;
      e.id = r["id"].as<int64_t>();
      e.certificate_id = text(r["certificate_id"]);
      e.at = text(r["at"]);
      e.action = text(r["action"]);
      e.from_status = text(r["from_status"]);
      e.to_status = text(r["to_status"]);
      e.reason_code = text(r["reason_code"]);
      e.note = text(r["note"]);
      e.actor = text(r["actor"]);
      e.log_index = r["log_index"].as<uint64_t>();
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<std::vector<Certificate>> CertificateRegistry::listForHolder(
    const std::string& holder_code_type, const std::string& holder_code, bool include_history) {
  Result<std::string> code =
      holder_code_type == kHolderCitizenId ? ids::normalizeCitizenId(holder_code, "holder_code")
      : holder_code_type == kHolderCreditCode
          ? ids::normalizeCreditCode(holder_code, "holder_code")
          : Result<std::string>(Status::invalid("holder_code_type", "must be 111 or 001"));
  if (!code) return code.status();
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Certificate>> {
    pqxx::read_transaction tx(conn);
    std::vector<Certificate> out;
    for (const auto& row :
         tx.exec_params("SELECT " + certColumns() + kCertFrom +
                            " WHERE c.holder_code = $1 AND c.holder_code_type = $2" +
                            (include_history ? "" : " AND c.status <> 'superseded'") +
                            " ORDER BY c.issued_at DESC, c.certificate_id",
                        *code, holder_code_type)) {
      out.push_back(certFromRow(row));
    }
    return out;
  });
}

std::string certificateJson(const Certificate& c) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  put(doc, "certificate_id", c.certificate_id, a);
  put(doc, "type_code", c.type_code, a);
  put(doc, "type_name", c.type_name, a);
  put(doc, "number", c.number, a);
  put(doc, "version", int64_t{c.version}, a);
  if (!c.supersedes.empty()) put(doc, "supersedes", c.supersedes, a);
  if (!c.superseded_by.empty()) put(doc, "superseded_by", c.superseded_by, a);
  rapidjson::Value issuer(rapidjson::kObjectType);
  put(issuer, "code", c.issuer_code, a);
  put(issuer, "name", c.issuer_name, a);
  putValue(doc, "issuer", std::move(issuer), a);
  rapidjson::Value holder(rapidjson::kObjectType);
  put(holder, "name", c.holder_name, a);
  put(holder, "code", c.holder_code, a);
  put(holder, "code_type", c.holder_code_type, a);
  putValue(doc, "holder", std::move(holder), a);
  put(doc, "issue_date", c.issue_date, a);
  put(doc, "valid_from", c.valid_from, a);
  if (c.valid_to.empty()) {
    putValue(doc, "valid_to", rapidjson::Value(rapidjson::kNullType), a);
  } else {
    put(doc, "valid_to", c.valid_to, a);
  }
  put(doc, "status", statusName(c.status), a);
  if (!c.status_reason.empty()) put(doc, "status_reason", c.status_reason, a);
  put(doc, "open_objections", int64_t{c.open_objections}, a);
  put(doc, "seal_id", c.seal_id, a);
  put(doc, "algorithm", algorithmName(c.algorithm), a);
  rapidjson::Document surface;
  // Stored surfaces were validated on the way in; a damaged one is shown as null.
  (void)parseJson(c.surface_json, surface, "surface");
  putValue(doc, "surface", rapidjson::Value(surface, a), a);
  put(doc, "log_index", static_cast<int64_t>(c.log_index), a);
  return internal::compactJson(doc);
}

}  // namespace tongban::certs
