// Electronic seals in PostgreSQL, their keys in the KeyStore, their certificates from the hub CA.
#include "tongban/certs/seal_registry.h"

#include <cmath>
#include <cstdio>

#include <openssl/x509.h>

#include "certs_internal.h"
#include "tongban/certs/keys.h"
#include "tongban/certs/pki.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/time_format.h"
#include "tongban/directory/references.h"
#include "transparency_log_append.h"

namespace tongban::certs {

using internal::fromBytea;
using internal::put;
using internal::toBytea;

namespace {

struct KindName {
  SealKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {SealKind::kOfficial, "official"},       {SealKind::kBusiness, "business"},
    {SealKind::kContract, "contract"},       {SealKind::kFinance, "finance"},
    {SealKind::kCertificate, "certificate"}, {SealKind::kLegalRep, "legal_rep"},
};

Result<SealStatus> parseSealStatus(std::string_view name) {
  if (name == "active") return SealStatus::kActive;
  if (name == "suspended") return SealStatus::kSuspended;
  if (name == "revoked") return SealStatus::kRevoked;
  return Status::internal("unknown seal status " + std::string(name));
}

uint32_t bigEndian32(const std::string& bytes, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

// A PNG whose IHDR gives a sane size. Only the header is inspected: the picture is displayed,
// never decoded, by the hub.
Status checkPicture(const std::string& png) {
  if (png.size() > kMaxSealPictureBytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "seal picture is " + std::to_string(png.size()) + " bytes; at most " +
                      std::to_string(kMaxSealPictureBytes) + " allowed",
                  "picture");
  }
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (png.size() < 33 || png.compare(0, 8, kSignature) != 0) {
    return Status::invalid("picture", "is not a PNG image");
  }
  if (bigEndian32(png, 8) != 13 || png.compare(12, 4, "IHDR") != 0) {
    return Status::invalid("picture", "PNG has no IHDR chunk first");
  }
  const uint32_t width = bigEndian32(png, 16), height = bigEndian32(png, 20);
  if (width == 0 || height == 0 || width > 2048 || height > 2048) {
    return Status::invalid("picture", "PNG is " + std::to_string(width) + "x" +
                                          std::to_string(height) +
                                          " pixels; 1..2048 on each side allowed");
  }
  return Status();
}

std::string sealColumns() {
  return "s.seal_id, s.owner_code, d.name AS owner_name, s.name, s.kind, s.algorithm, s.key_id, "
         "s.signer_certificate, " +
         rfc3339SecondsSql("s.valid_from") + " AS valid_from, " + rfc3339SecondsSql("s.valid_to") +
         " AS valid_to, s.status, s.record, s.hub_signature, s.hub_algorithm, "
         "s.picture_width_mm::float8 AS width_mm, s.picture_height_mm::float8 AS height_mm, "
         "(SELECT max(log_index) FROM certs.seal_events e WHERE e.seal_id = s.seal_id) AS "
         "last_event";
}

Seal sealFromRow(const pqxx::row& r) {
  Seal seal;
  seal.seal_id = r["seal_id"].c_str();
  seal.owner_code = r["owner_code"].c_str();
  seal.owner_name = r["owner_name"].c_str();
  seal.name = r["name"].c_str();
  seal.kind = parseSealKind(r["kind"].c_str()).value();
  seal.algorithm = parseAlgorithm(r["algorithm"].c_str()).value();
  seal.key_id = r["key_id"].c_str();
  seal.certificate_pem = r["signer_certificate"].c_str();
  seal.valid_from = r["valid_from"].c_str();
  seal.valid_to = r["valid_to"].c_str();
  seal.status = parseSealStatus(r["status"].c_str()).value();
  seal.record = fromBytea(r["record"]);
  seal.hub_signature = fromBytea(r["hub_signature"]);
  seal.hub_algorithm = parseAlgorithm(r["hub_algorithm"].c_str()).value();
  seal.width_mm = r["width_mm"].as<double>();
  seal.height_mm = r["height_mm"].as<double>();
  seal.last_event_index = r["last_event"].is_null() ? 0 : r["last_event"].as<uint64_t>();
  return seal;
}

Result<std::string> certificateSha256Hex(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0) return Status::internal("i2d_X509 failed");
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return hexEncode(sha256(bytes));
}

std::string sealLeaf(const std::string& seal_id, const char* action, SealStatus status,
                     const std::string& record_sha256, const std::string& time) {
  rapidjson::Document leaf(rapidjson::kObjectType);
  auto& a = leaf.GetAllocator();
  put(leaf, "type", "seal_event", a);
  put(leaf, "seal_id", seal_id, a);
  put(leaf, "action", action, a);
  put(leaf, "seal_status", sealStatusName(status), a);
  put(leaf, "record_sha256", record_sha256, a);
  put(leaf, "time", time, a);
  return internal::canonical(leaf).value();
}

}  // namespace

const char* sealKindName(SealKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

Result<SealKind> parseSealKind(std::string_view name) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return Status::invalid("kind", "unknown seal kind '" + std::string(name) +
                                     "' (official, business, contract, finance, certificate, "
                                     "legal_rep)");
}

const char* sealStatusName(SealStatus status) {
  switch (status) {
    case SealStatus::kActive:
      return "active";
    case SealStatus::kSuspended:
      return "suspended";
    case SealStatus::kRevoked:
      return "revoked";
  }
  return "unknown";
}

SealRegistry::SealRegistry(db::ConnectionPool& pool, KeyStore& key_store, const HubIdentity& hub,
                           Clock clock)
    : pool_(pool), key_store_(key_store), hub_(hub), clock_(std::move(clock)) {}

Result<Seal> SealRegistry::create(const SealRequest& request) {
  Result<std::string> owner = ids::normalizeCreditCode(request.owner_code, "owner_code");
  if (!owner) return owner.status();
  const size_t name_chars = [&] {
    size_t n = 0;
    for (char c : request.name) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  }();
  if (name_chars < 2 || name_chars > 64) {
    return Status::invalid("name", "must have 2 to 64 characters");
  }
  for (double mm : {request.width_mm, request.height_mm}) {
    if (!(mm >= 10 && mm <= 100)) {
      return Status::invalid(mm == request.width_mm ? "width_mm" : "height_mm",
                             "must be between 10 and 100 mm");
    }
  }
  if (request.validity_days < 1 || request.validity_days > 3650) {
    return Status::invalid("validity_days", "must be 1..3650");
  }
  if (Status s = checkPicture(request.picture_png); !s) return s;
  if (request.actor.empty()) return Status::invalid("actor", "is required");
  if (!hub_.hub_signer || !hub_.ca_key || !hub_.ca_certificate) {
    return Status::internal("hub identity is incomplete");
  }

  const auto now = clock_();
  const std::string created = formatRfc3339Seconds(now);
  const std::string valid_to =
      formatRfc3339Seconds(now + std::chrono::hours(24) * request.validity_days);
  const std::time_t now_t = std::chrono::system_clock::to_time_t(now);

  auto result = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::string> {
    pqxx::work tx(conn);
    const std::optional<std::string> department = directory::departmentName(tx, *owner);
    if (!department) return Status::notFound("no department " + *owner);
    const std::string& owner_name = *department;
    char digits[16];
    std::snprintf(digits, sizeof digits, "%06lld",
                  static_cast<long long>(
                      tx.exec1("SELECT nextval('certs.seal_seq')")[0].as<int64_t>() % 1000000));
    const std::string seal_id = "ES" + *owner + digits;

    // Key and certificate.
    if (Status s = key_store_.generateKey(seal_id, request.algorithm); !s) return s;
    Result<std::string> public_pem = key_store_.publicKeyPem(seal_id);
    if (!public_pem) return public_pem.status();
    Result<EvpPkeyPtr> public_key = parsePublicKeyPem(*public_pem);
    if (!public_key) return public_key.status();
    DistinguishedName subject;
    subject.common_name = request.name;
    subject.organization = owner_name;
    subject.organizational_unit = seal_id;
    subject.serial_number = *owner;
    Result<X509Ptr> certificate = issueCertificate(
        hub_.ca_key.get(), hub_.ca_certificate.get(), public_key->get(), subject,
        {now_t, now_t + 86400LL * request.validity_days}, CertificateKind::kSeal, KeyRole::kSeal);
    if (!certificate) return certificate.status();
    Result<std::string> certificate_pem = certificatePem(certificate->get());
    if (!certificate_pem) return certificate_pem.status();
    if (Status s = key_store_.storeCertificate(seal_id, *certificate_pem); !s) return s;
    Result<std::string> certificate_digest = certificateSha256Hex(certificate->get());
    if (!certificate_digest) return certificate_digest.status();

    // The record (GB/T 38540 SES_Seal shape) and the hub's signature over its canonical bytes.
    rapidjson::Document record(rapidjson::kObjectType);
    auto& a = record.GetAllocator();
    rapidjson::Value header(rapidjson::kObjectType);
    put(header, "id", "ES", a);
    put(header, "version", int64_t{4}, a);
    put(header, "vendor", "Tongban", a);
    internal::putValue(record, "header", std::move(header), a);
    put(record, "es_id", seal_id, a);
    rapidjson::Value property(rapidjson::kObjectType);
    put(property, "type", request.kind == SealKind::kLegalRep ? "personal" : "unit", a);
    put(property, "kind", sealKindName(request.kind), a);
    put(property, "name", request.name, a);
    put(property, "owner_code", *owner, a);
    put(property, "owner_name", owner_name, a);
    rapidjson::Value cert_list(rapidjson::kArrayType);
    cert_list.PushBack(rapidjson::Value(certificate_digest->c_str(), a), a);
    internal::putValue(property, "cert_list", std::move(cert_list), a);
    put(property, "created", created, a);
    put(property, "valid_from", created, a);
    put(property, "valid_to", valid_to, a);
    internal::putValue(record, "property", std::move(property), a);
    rapidjson::Value picture(rapidjson::kObjectType);
    put(picture, "type", "png", a);
    put(picture, "sha256", hexEncode(sha256(request.picture_png)), a);
    picture.AddMember("width_mm", request.width_mm, a);
    picture.AddMember("height_mm", request.height_mm, a);
    internal::putValue(record, "picture", std::move(picture), a);
    put(record, "signer_certificate_sha256", *certificate_digest, a);
    put(record, "algorithm_oid",
        request.algorithm == SignatureAlgorithm::kSm2Sm3 ? "1.2.156.10197.1.501"
                                                         : "1.2.840.10045.4.3.2",
        a);
    Result<std::string> record_bytes = internal::canonical(record);
    if (!record_bytes) return record_bytes.status();
    Result<std::string> hub_signature = hub_.hub_signer->sign(*record_bytes);
    if (!hub_signature) return hub_signature.status();

    tx.exec_params(
        "INSERT INTO certs.seals (seal_id, owner_code, name, kind, picture_png, picture_width_mm, "
        "picture_height_mm, signer_certificate, key_id, algorithm, valid_from, valid_to, record, "
        "hub_signature, hub_algorithm, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13, $14, $15, $16)",
        seal_id, *owner, request.name, sealKindName(request.kind), toBytea(request.picture_png),
        request.width_mm, request.height_mm, *certificate_pem, seal_id,
        algorithmName(request.algorithm), created, valid_to, toBytea(*record_bytes),
        toBytea(*hub_signature), algorithmName(hub_.hub_signer->algorithm()), request.actor);
    const uint64_t index =
        internal::appendLeaf(tx, sealLeaf(seal_id, "create", SealStatus::kActive,
                                          hexEncode(sha256(*record_bytes)), created));
    tx.exec_params(
        "INSERT INTO certs.seal_events (seal_id, at, action, status, actor, log_index) "
        "VALUES ($1, $2, 'create', 'active', $3, $4)",
        seal_id, created, request.actor, index);
    tx.commit();
    return seal_id;
  });
  if (!result) return result.status();
  return get(*result);
}

Result<Seal> SealRegistry::get(const std::string& seal_id, bool with_picture) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<Seal> {
    pqxx::read_transaction tx(conn);
    pqxx::result r = tx.exec_params(
        "SELECT " + sealColumns() + (with_picture ? ", s.picture_png" : "") +
            " FROM certs.seals s JOIN directory.departments d ON d.code = s.owner_code "
            "WHERE s.seal_id = $1",
        seal_id);
    if (r.empty()) return Status::notFound("no seal " + seal_id);
    Seal seal = sealFromRow(r[0]);
    if (with_picture) seal.picture_png = fromBytea(r[0]["picture_png"]);
    return seal;
  });
}

Result<std::vector<Seal>> SealRegistry::listByOwner(const std::string& owner_code) {
  return db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<std::vector<Seal>> {
    pqxx::read_transaction tx(conn);
    std::vector<Seal> out;
    for (const auto& row : tx.exec_params(
             "SELECT " + sealColumns() +
                 " FROM certs.seals s JOIN directory.departments d ON d.code = s.owner_code "
                 "WHERE s.owner_code = $1 ORDER BY s.seal_id",
             owner_code)) {
      out.push_back(sealFromRow(row));
    }
    return out;
  });
}

Result<Seal> SealRegistry::suspend(const std::string& seal_id, const std::string& reason,
                                   const std::string& actor) {
  return changeStatus(seal_id, "suspend", SealStatus::kSuspended, reason, actor);
}
Result<Seal> SealRegistry::resume(const std::string& seal_id, const std::string& actor) {
  return changeStatus(seal_id, "resume", SealStatus::kActive, "", actor);
}
Result<Seal> SealRegistry::revoke(const std::string& seal_id, const std::string& reason,
                                  const std::string& actor) {
  return changeStatus(seal_id, "revoke", SealStatus::kRevoked, reason, actor);
}

Result<Seal> SealRegistry::changeStatus(const std::string& seal_id, const char* action,
                                        SealStatus to, const std::string& reason,
                                        const std::string& actor) {
  if (actor.empty()) return Status::invalid("actor", "is required");
  const std::string now = formatRfc3339Seconds(clock_());
  auto changed = db::withConnection(pool_, [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    pqxx::result r = tx.exec_params(
        "SELECT status, record FROM certs.seals WHERE seal_id = $1 FOR UPDATE", seal_id);
    if (r.empty()) return Status::notFound("no seal " + seal_id);
    const SealStatus from = parseSealStatus(r[0][0].c_str()).value();
    const bool allowed = (to == SealStatus::kSuspended && from == SealStatus::kActive) ||
                         (to == SealStatus::kActive && from == SealStatus::kSuspended) ||
                         (to == SealStatus::kRevoked && from != SealStatus::kRevoked);
    if (!allowed) {
      return Status(ErrorCode::kConflict,
                    std::string("cannot ") + action + " a seal that is " + sealStatusName(from));
    }
    tx.exec_params("UPDATE certs.seals SET status = $2 WHERE seal_id = $1", seal_id,
                   sealStatusName(to));
    const uint64_t index = internal::appendLeaf(
        tx, sealLeaf(seal_id, action, to, hexEncode(sha256(fromBytea(r[0][1]))), now));
    tx.exec_params(
        "INSERT INTO certs.seal_events (seal_id, at, action, status, reason, actor, log_index) "
        "VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, $7)",
        seal_id, now, action, sealStatusName(to), reason, actor, index);
    tx.commit();
    return true;
  });
  if (!changed) return changed.status();
  return get(seal_id);
}

Result<std::shared_ptr<const Signer>> SealRegistry::signerForKey(const std::string& key_id) {
  {
    std::lock_guard<std::mutex> lock(signers_mutex_);
    auto it = signers_.find(key_id);
    if (it != signers_.end()) return it->second;
  }
  Result<std::unique_ptr<Signer>> signer = key_store_.signer(key_id);
  if (!signer) return signer.status();
  std::shared_ptr<const Signer> shared(std::move(*signer));
  std::lock_guard<std::mutex> lock(signers_mutex_);
  return signers_.emplace(key_id, std::move(shared)).first->second;
}

}  // namespace tongban::certs
