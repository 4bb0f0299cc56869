// Offline verification of certificate bundles.
#include "tongban/certs/bundle.h"

#include <openssl/x509.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>
#include <exception>

#include "certs_internal.h"
#include "tongban/certs/algorithm.h"
#include "tongban/certs/jcs.h"
#include "tongban/certs/merkle.h"
#include "tongban/certs/pki.h"
#include "tongban/certs/transparency_log.h"
#include "tongban/certs/verification.h"
#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/time_format.h"

namespace tongban::certs {
namespace {

struct Failure {
  std::string reason;
  std::string message;
};

const rapidjson::Value& need(const rapidjson::Value& object, const char* name,
                             rapidjson::Type type) {
  if (!object.IsObject()) throw Failure{"malformed_bundle", "expected an object"};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd())
    throw Failure{"malformed_bundle", std::string(name) + " is missing"};
  const bool ok = type == rapidjson::kNumberType ? it->value.IsNumber()
                  : type == rapidjson::kTrueType ? it->value.IsBool()
                                                 : it->value.GetType() == type;
  if (!ok) throw Failure{"malformed_bundle", std::string(name) + " has the wrong type"};
  return it->value;
}

std::string needString(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value& v = need(object, name, rapidjson::kStringType);
  return std::string(v.GetString(), v.GetStringLength());
}

std::string needBase64(const rapidjson::Value& object, const char* name) {
  std::optional<std::string> bytes = base64Decode(needString(object, name));
  if (!bytes) throw Failure{"malformed_bundle", std::string(name) + " is not base64"};
  return *bytes;
}

std::string optString(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

rapidjson::Document parseJson(std::string_view text, const char* what) {
  rapidjson::Document doc;
  Status s = parseJsonStrict(text, doc, what);
  if (!s || !doc.IsObject())
    throw Failure{"malformed_bundle", std::string(what) + " is not a JSON object"};
  return doc;
}

SignatureAlgorithm needAlgorithm(const rapidjson::Value& object, const char* name) {
  Result<SignatureAlgorithm> a = parseAlgorithm(needString(object, name));
  if (!a) throw Failure{"malformed_bundle", std::string(name) + ": " + a.status().message()};
  return *a;
}

std::time_t needTime(const std::string& text) {
  const std::optional<int64_t> micros = parseRfc3339Micros(text);
  if (!micros) throw Failure{"malformed_bundle", "bad time " + text};
  return static_cast<std::time_t>(*micros / 1000000 - (*micros % 1000000 < 0 ? 1 : 0));
}

void checkChain(const std::string& leaf_pem, const std::string& chain_pem,
                const std::vector<X509Ptr>& roots, std::time_t at, const char* which,
                KeyRole role) {
  Result<X509Ptr> leaf = parseCertificatePem(leaf_pem);
  if (!leaf) throw Failure{"malformed_bundle", std::string(which) + " certificate is not PEM"};
  std::vector<X509Ptr> intermediates;
  if (!chain_pem.empty()) {
    Result<std::vector<X509Ptr>> parsed = parseCertificateChainPem(chain_pem);
    if (!parsed) throw Failure{"malformed_bundle", "chain is not PEM"};
    intermediates = std::move(*parsed);
  }
  Verification v = verifyChain(leaf->get(), intermediates, roots, at, role);
  if (!v)
    throw Failure{verifyReasonName(v.reason()),
                  std::string(which) + " certificate chain: " + v.message()};
}

// The UTF-8 value of the first `nid` attribute of the certificate's subject ("" when absent).
std::string nameField(const X509* certificate, int nid) {
  const X509_NAME* name = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return "";
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

void verifyOrThrow(std::string_view text, const std::vector<X509Ptr>& roots, std::time_t at,
                   int64_t max_age_seconds, BundleVerification& out) {
  rapidjson::Document bundle = parseJson(text, "bundle");
  if (needString(bundle, "format") != kBundleFormat) {
    throw Failure{"malformed_bundle", "format is not " + std::string(kBundleFormat)};
  }
  out.certificate_id = needString(bundle, "certificate_id");
  const std::string payload = needBase64(bundle, "payload");
  const std::string signature = needBase64(bundle, "signature");
  const SignatureAlgorithm algorithm = needAlgorithm(bundle, "algorithm");
  const std::string signer_pem = needString(bundle, "signer_certificate");
  std::string chain_pem;
  for (const auto& pem : need(bundle, "chain", rapidjson::kArrayType).GetArray()) {
    if (!pem.IsString()) throw Failure{"malformed_bundle", "chain must hold PEM strings"};
    chain_pem += pem.GetString();
    if (!chain_pem.empty() && chain_pem.back() != '\n') chain_pem += '\n';
  }
  const rapidjson::Value& status = need(bundle, "status", rapidjson::kObjectType);
  const std::string claimed_certificate_status = needString(status, "certificate");
  const std::string claimed_seal_status = needString(status, "seal");

  // 1. The signed tree head, by a log key that chains to the root at the head's time.
  const rapidjson::Value& transparency = need(bundle, "transparency", rapidjson::kObjectType);
  const rapidjson::Value& head = need(transparency, "tree_head", rapidjson::kObjectType);
  SignedTreeHead sth;
  const rapidjson::Value& size = need(head, "tree_size", rapidjson::kNumberType);
  const rapidjson::Value& timestamp = need(head, "timestamp", rapidjson::kNumberType);
  if (!size.IsUint64() || !timestamp.IsInt64())
    throw Failure{"malformed_bundle", "bad tree head numbers"};
  sth.tree_size = size.GetUint64();
  sth.timestamp_ms = timestamp.GetInt64();
  Result<MerkleHash> root = parseHashHex(needString(head, "root_hash"), "root_hash");
  if (!root) throw Failure{"malformed_bundle", "root_hash is not 64 hex digits"};
  sth.root_hash = *root;
  sth.signature = needBase64(head, "signature");
  sth.algorithm = needAlgorithm(head, "algorithm");
  sth.signer_certificate = needString(head, "signer_certificate");
  out.tree_size = sth.tree_size;
  out.tree_timestamp_ms = sth.timestamp_ms;
  checkChain(sth.signer_certificate, chain_pem, roots,
             static_cast<std::time_t>(sth.timestamp_ms / 1000), "log key",
             KeyRole::kTransparencyLog);
  if (Verification v = verifyTreeHeadSignature(sth); !v) {
    throw Failure{"bad_tree_head_signature", "tree head signature: " + v.message()};
  }

  // 2. Every entry is included under that head.
  rapidjson::Document issuance, certificate_event, seal_event;
  uint64_t certificate_event_index = 0, issuance_index = 0, seal_event_index = 0;
  bool have_certificate_event = false, have_seal_event = false, have_issuance = false;
  for (const auto& entry : need(transparency, "entries", rapidjson::kArrayType).GetArray()) {
    const std::string role = needString(entry, "role");
    const rapidjson::Value& index_value = need(entry, "leaf_index", rapidjson::kNumberType);
    if (!index_value.IsUint64()) throw Failure{"malformed_bundle", "bad leaf_index"};
    const uint64_t index = index_value.GetUint64();
    const std::string leaf = needBase64(entry, "leaf");
    std::vector<MerkleHash> proof;
    for (const auto& hash : need(entry, "proof", rapidjson::kArrayType).GetArray()) {
      if (!hash.IsString()) throw Failure{"malformed_bundle", "proof must hold hex strings"};
      Result<MerkleHash> h = parseHashHex(hash.GetString(), "proof");
      if (!h) throw Failure{"malformed_bundle", "proof hash is not 64 hex digits"};
      proof.push_back(*h);
    }
    if (Status s = verifyInclusion(index, sth.tree_size, hashLeaf(leaf), proof, sth.root_hash);
        !s) {
      throw Failure{"bad_inclusion_proof",
                    role + " entry " + std::to_string(index) + ": " + s.message()};
    }
    rapidjson::Document doc = parseJson(leaf, "leaf");
    if (role == "issuance") {
      issuance = std::move(doc);
      issuance_index = index;
      have_issuance = true;
    } else if (role == "certificate_status") {
      certificate_event = std::move(doc);
      certificate_event_index = index;
      have_certificate_event = true;
    } else if (role == "seal_status") {
      seal_event = std::move(doc);
      seal_event_index = index;
      have_seal_event = true;
    } else {
      throw Failure{"malformed_bundle", "unknown entry role " + role};
    }
  }
  if (!have_issuance || !have_seal_event) {
    throw Failure{"malformed_bundle", "the issuance and seal_status entries are required"};
  }
  if (optString(issuance, "type") != "certificate_event" ||
      optString(issuance, "action") != "issue" ||
      optString(issuance, "certificate_id") != out.certificate_id) {
    throw Failure{"log_entry_mismatch", "the issuance entry is not this certificate's issuance"};
  }
  if (have_certificate_event &&
      (optString(certificate_event, "type") != "certificate_event" ||
       optString(certificate_event, "certificate_id") != out.certificate_id ||
       certificate_event_index < issuance_index)) {
    throw Failure{"log_entry_mismatch",
                  "the status entry is not a later event of this certificate"};
  }

  // 3. Payload and signature are the ones logged at issuance.
  if (hexEncode(sha256(payload)) != optString(issuance, "payload_sha256")) {
    throw Failure{"payload_altered",
                  "the payload's SHA-256 differs from the one logged at issuance"};
  }
  if (hexEncode(sha256(signature)) != optString(issuance, "signature_sha256")) {
    throw Failure{"signature_altered",
                  "the signature's SHA-256 differs from the one logged at issuance"};
  }

  // 4. The payload names this certificate, this seal certificate and this algorithm.
  rapidjson::Document body = parseJson(payload, "payload");
  if (optString(body, "format") != kCertificateFormat ||
      optString(body, "certificate_id") != out.certificate_id) {
    throw Failure{"payload_mismatch", "the payload is not certificate " + out.certificate_id};
  }
  const rapidjson::Value& seal = need(body, "seal", rapidjson::kObjectType);
  Result<X509Ptr> signer_certificate = parseCertificatePem(signer_pem);
  if (!signer_certificate) throw Failure{"malformed_bundle", "signer_certificate is not PEM"};
  if (optString(seal, "certificate_serial") != serialHex(signer_certificate->get()) ||
      optString(seal, "algorithm") != algorithmName(algorithm)) {
    throw Failure{"payload_mismatch", "the payload names another seal certificate or algorithm"};
  }
  const std::time_t sealed_at = needTime(needString(body, "sealed_at"));
  if (sealed_at > sth.timestamp_ms / 1000 + 300) {
    throw Failure{"payload_mismatch", "the payload claims a sealing time after the tree head"};
  }

  // 5. The seal's certificate chains to the root at the sealing time; the signature verifies.
  checkChain(signer_pem, chain_pem, roots, sealed_at, "seal", KeyRole::kSeal);
  Verification v = verifySignature(signer_pem, algorithm, payload, signature);
  if (!v) throw Failure{verifyReasonName(v.reason()), "seal signature: " + v.message()};

  // 5b. The seal's certificate names the payload's seal (OU) and issuer (serialNumber).
  const std::string payload_seal_id = optString(seal, "id");
  const std::string payload_issuer =
      body.HasMember("issuer") ? optString(body["issuer"], "code") : std::string();
  const std::string named_seal = nameField(signer_certificate->get(), NID_organizationalUnitName);
  const std::string named_issuer = nameField(signer_certificate->get(), NID_serialNumber);
  if (payload_seal_id.empty() || named_seal != payload_seal_id || payload_issuer.empty() ||
      named_issuer != payload_issuer) {
    throw Failure{"signer_mismatch", "the seal certificate names seal " + named_seal +
                                         " of issuer " + named_issuer +
                                         ", the payload names seal " + payload_seal_id +
                                         " of issuer " + payload_issuer};
  }

  // 6. Status, as the newest logged events say.
  if (optString(seal_event, "type") != "seal_event" ||
      optString(seal_event, "seal_id") != optString(seal, "id")) {
    throw Failure{"log_entry_mismatch",
                  "the seal_status entry is not about this certificate's seal"};
  }
  out.seal_status = optString(seal_event, "seal_status");
  out.certificate_status =
      optString(have_certificate_event ? certificate_event : issuance, "status");
  if (out.certificate_status != claimed_certificate_status ||
      out.seal_status != claimed_seal_status) {
    throw Failure{"status_mismatch", "the bundle claims certificate " + claimed_certificate_status +
                                         " / seal " + claimed_seal_status + " but the log says " +
                                         out.certificate_status + " / " + out.seal_status};
  }

  // 7. The hub's status statement: signed by a status key, about this certificate and version,
  // naming exactly the newest events the bundle carries, and fresh.
  if (!bundle.HasMember("status_statement")) {
    throw Failure{"missing_status_statement",
                  "the bundle carries no status statement; fetch a new bundle from the hub"};
  }
  const rapidjson::Value& signed_statement =
      need(bundle, "status_statement", rapidjson::kObjectType);
  const std::string statement_bytes = needBase64(signed_statement, "statement");
  const std::string statement_signature = needBase64(signed_statement, "signature");
  const SignatureAlgorithm statement_algorithm = needAlgorithm(signed_statement, "algorithm");
  const std::string status_pem = needString(signed_statement, "signer_certificate");
  rapidjson::Document statement = parseJson(statement_bytes, "status statement");
  if (optString(statement, "format") != kStatusStatementFormat) {
    throw Failure{"malformed_bundle",
                  "the status statement's format is not " + std::string(kStatusStatementFormat)};
  }
  const std::time_t produced_at = needTime(needString(statement, "produced_at"));
  const std::time_t next_update = needTime(needString(statement, "next_update"));
  out.status_produced_at = needString(statement, "produced_at");
  checkChain(status_pem, chain_pem, roots, produced_at, "status key", KeyRole::kStatus);
  if (Verification sv =
          verifySignature(status_pem, statement_algorithm, statement_bytes, statement_signature);
      !sv) {
    throw Failure{"bad_status_signature", "status statement signature: " + sv.message()};
  }
  auto needUint = [&](const char* name) {
    const rapidjson::Value& value = need(statement, name, rapidjson::kNumberType);
    if (!value.IsUint64()) throw Failure{"malformed_bundle", std::string(name) + " is not a count"};
    return value.GetUint64();
  };
  const uint64_t newest_certificate_event =
      have_certificate_event ? certificate_event_index : issuance_index;
  const rapidjson::Value& payload_version = need(body, "version", rapidjson::kNumberType);
  const rapidjson::Value& statement_version =
      need(statement, "certificate_version", rapidjson::kNumberType);
  if (needString(statement, "certificate_id") != out.certificate_id || !payload_version.IsInt64() ||
      !statement_version.IsInt64() || payload_version.GetInt64() != statement_version.GetInt64() ||
      needString(statement, "seal_id") != payload_seal_id) {
    throw Failure{"status_statement_mismatch",
                  "the status statement is about another certificate, version or seal"};
  }
  if (needUint("certificate_event_index") != newest_certificate_event ||
      needUint("seal_event_index") != seal_event_index) {
    throw Failure{
        "status_statement_mismatch",
        "the status statement names certificate event " +
            std::to_string(needUint("certificate_event_index")) + " and seal event " +
            std::to_string(needUint("seal_event_index")) + " as the newest, the bundle carries " +
            std::to_string(newest_certificate_event) + " and " + std::to_string(seal_event_index)};
  }
  if (needString(statement, "certificate_status") != out.certificate_status ||
      needString(statement, "seal_status") != out.seal_status) {
    throw Failure{"status_statement_mismatch",
                  "the status statement says certificate " +
                      needString(statement, "certificate_status") + " / seal " +
                      needString(statement, "seal_status") + ", the log entries say " +
                      out.certificate_status + " / " + out.seal_status};
  }
  if (needUint("tree_size") != sth.tree_size) {
    throw Failure{"status_statement_mismatch",
                  "the status statement is about another tree head than the bundle's"};
  }
  if (at > next_update) {
    throw Failure{"stale_status", "the status statement's next update was " +
                                      needString(statement, "next_update") +
                                      "; fetch a new bundle from the hub"};
  }
  if (at - produced_at > max_age_seconds) {
    throw Failure{"stale_status", "the status statement was produced at " + out.status_produced_at +
                                      ", more than " + std::to_string(max_age_seconds) +
                                      " s ago; fetch a new bundle from the hub"};
  }

  if (out.seal_status == "revoked") {
    throw Failure{"seal_revoked", "seal " + optString(seal, "id") + " has been revoked"};
  }
  if (out.certificate_status != "valid") {
    throw Failure{"certificate_" + out.certificate_status,
                  "certificate " + out.certificate_id + " is " + out.certificate_status};
  }
  const std::string today = internal::chinaDate(std::chrono::system_clock::from_time_t(at));
  const auto valid_to = body.FindMember("valid_to");
  if (valid_to != body.MemberEnd() && valid_to->value.IsString() &&
      today > valid_to->value.GetString()) {
    throw Failure{"certificate_expired", std::string("the certificate's validity ended on ") +
                                             valid_to->value.GetString()};
  }
  if (today < optString(body, "valid_from")) {
    throw Failure{"certificate_not_yet_valid",
                  "the certificate is valid from " + optString(body, "valid_from")};
  }
}

}  // namespace

Result<std::string> statusStatementBytes(const StatusStatement& s) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto str = [&](const char* name, const std::string& value) {
    doc.AddMember(rapidjson::StringRef(name), rapidjson::Value(value.c_str(), a), a);
  };
  auto num = [&](const char* name, uint64_t value) {
    doc.AddMember(rapidjson::StringRef(name), rapidjson::Value(value), a);
  };
  str("format", kStatusStatementFormat);
  str("certificate_id", s.certificate_id);
  doc.AddMember("certificate_version", rapidjson::Value(s.certificate_version), a);
  str("certificate_status", s.certificate_status);
  str("seal_id", s.seal_id);
  str("seal_status", s.seal_status);
  num("certificate_event_index", s.certificate_event_index);
  num("seal_event_index", s.seal_event_index);
  num("tree_size", s.tree_size);
  str("produced_at", s.produced_at);
  str("next_update", s.next_update);
  return canonicalJson(doc, "status_statement");
}

Result<std::string> signedStatusStatementJson(const StatusStatement& statement,
                                              const Signer& status_signer) {
  Result<std::string> bytes = statusStatementBytes(statement);
  if (!bytes) return bytes.status();
  Result<std::string> signature = status_signer.sign(*bytes);
  if (!signature) return signature.status();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("statement");
  w.String(base64Encode(*bytes).c_str());
  w.Key("signature");
  w.String(base64Encode(*signature).c_str());
  w.Key("algorithm");
  w.String(algorithmName(status_signer.algorithm()));
  w.Key("signer_certificate");
  w.String(status_signer.certificatePem().c_str());
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

BundleVerification verifyBundle(std::string_view bundle_json, const std::vector<X509Ptr>& roots,
                                std::time_t at, int64_t max_age_seconds) {
  BundleVerification out;
  try {
    verifyOrThrow(bundle_json, roots, at, max_age_seconds, out);
    out.message = "certificate " + out.certificate_id + " is valid (log size " +
                  std::to_string(out.tree_size) + ")";
  } catch (const Failure& failure) {
    out.reason = failure.reason;
    out.message = failure.message;
  } catch (const std::exception& e) {
    out.reason = "malformed_bundle";
    out.message = e.what();
  }
  return out;
}

}  // namespace tongban::certs
