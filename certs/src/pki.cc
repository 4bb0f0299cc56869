// Root CA, intermediate and seal certificates; chain verification.
#include "tongban/certs/pki.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <string>

#include "openssl_util.h"
#include "tongban/certs/keys.h"

namespace tongban::certs {
namespace {

using internal::opensslFailure;

Status checkName(const DistinguishedName& name) {
  if (name.common_name.empty())
    return Status::invalid("subject.common_name", "common name is empty");
  if (!name.country.empty() && name.country.size() != 2) {
    return Status::invalid("subject.country", "country must be a two-letter code");
  }
  return Status::ok();
}

Status checkValidity(const Validity& validity) {
  if (validity.not_after <= validity.not_before) {
    return Status::invalid("validity", "not_after must be later than not_before");
  }
  return Status::ok();
}

Result<internal::X509NamePtr> buildName(const DistinguishedName& name) {
  internal::X509NamePtr out(X509_NAME_new());
  if (!out) return opensslFailure("X509_NAME_new");
  auto add = [&](const char* field, const std::string& value) {
    if (value.empty()) return true;
    return X509_NAME_add_entry_by_txt(out.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!add("C", name.country) || !add("O", name.organization) ||
      !add("OU", name.organizational_unit) || !add("serialNumber", name.serial_number) ||
      !add("CN", name.common_name)) {
    return Status::invalid("subject", "name field rejected: " + internal::drainErrors());
  }
  return out;
}

// A positive serial from 128 random bits (RFC 5280 allows up to 20 octets).
Status setRandomSerial(X509* cert) {
  unsigned char bytes[16];
  internal::BignumPtr serial;
  do {
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return opensslFailure("RAND_bytes");
    serial.reset(BN_bin2bn(bytes, sizeof(bytes), nullptr));
    if (!serial) return opensslFailure("BN_bin2bn");
  } while (BN_is_zero(serial.get()));
  internal::Asn1IntegerPtr integer(BN_to_ASN1_INTEGER(serial.get(), nullptr));
  if (!integer || X509_set_serialNumber(cert, integer.get()) != 1) {
    return opensslFailure("X509_set_serialNumber");
  }
  return Status::ok();
}

Status addExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  internal::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext) return opensslFailure(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  if (X509_add_ext(cert, ext.get(), -1) != 1) return opensslFailure("X509_add_ext");
  return Status::ok();
}

// Everything but the extensions and the signature.
Result<X509Ptr> newCertificate(EVP_PKEY* subject_key, const DistinguishedName& subject,
                               const X509_NAME* issuer_name, const Validity& validity) {
  if (Status status = checkName(subject); !status) return status;
  if (Status status = checkValidity(validity); !status) return status;
  if (Result<SignatureAlgorithm> algorithm = algorithmOfKey(subject_key); !algorithm) {
    return algorithm.status();
  }
  X509Ptr cert(X509_new());
  if (!cert) return opensslFailure("X509_new");
  Result<internal::X509NamePtr> name = buildName(subject);
  if (!name) return name.status();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), name->get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_name != nullptr ? issuer_name : name->get()) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), validity.not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), validity.not_after) == nullptr) {
    return opensslFailure("building certificate");
  }
  if (Status status = setRandomSerial(cert.get()); !status) return status;
  return cert;
}

// Signs with the issuer key: SHA-256 for ECDSA, SM3 with the GM/T 0009 ID for SM2.
Status signCertificate(X509* cert, EVP_PKEY* issuer_key) {
  Result<SignatureAlgorithm> algorithm = algorithmOfKey(issuer_key);
  if (!algorithm) return algorithm.status();
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return opensslFailure("EVP_MD_CTX_new");
  if (Status status = internal::initDigestContext(ctx.get(), issuer_key, *algorithm, true);
      !status) {
    return status;
  }
  if (X509_sign_ctx(cert, ctx.get()) <= 0) return opensslFailure("X509_sign_ctx");
  return Status::ok();
}

// A private copy of `cert` that OpenSSL will verify with the GM/T 0009 ID when SM2-signed.
Result<X509Ptr> preparedCopy(const X509* cert) {
  X509Ptr copy(X509_dup(cert));
  if (!copy) return opensslFailure("X509_dup");
  if (X509_get_signature_nid(copy.get()) == NID_SM2_with_SM3) {
    internal::Asn1OctetStringPtr id(ASN1_OCTET_STRING_new());
    if (!id || ASN1_OCTET_STRING_set(id.get(),
                                     reinterpret_cast<const unsigned char*>(kSm2DefaultId.data()),
                                     static_cast<int>(kSm2DefaultId.size())) != 1) {
      return opensslFailure("SM2 distinguishing ID");
    }
    X509_set0_distinguishing_id(copy.get(), id.release());  // takes ownership
  }
  return copy;
}

std::string subjectOf(const X509* cert) {
  if (cert == nullptr) return "(unknown)";
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof(buffer));
  return buffer;
}

#define TONGBAN_ARC "2.25.321785715282007672776426862569020286480"

// True when `certificate` has an extendedKeyUsage extension (whatever it holds).
bool hasExtendedKeyUsage(const X509* certificate) {
  return X509_get_ext_by_NID(certificate, NID_ext_key_usage, -1) >= 0;
}

VerifyReason reasonForX509Error(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return VerifyReason::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return VerifyReason::kNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
      return VerifyReason::kUntrustedRoot;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
      return VerifyReason::kBadCertificateSignature;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_INVALID_PURPOSE:
      return VerifyReason::kNotAuthorized;
    default:
      return VerifyReason::kOther;
  }
}

}  // namespace

const char* keyRoleOid(KeyRole role) {
  switch (role) {
    case KeyRole::kSeal:
      return TONGBAN_ARC ".1.1";
    case KeyRole::kTransparencyLog:
      return TONGBAN_ARC ".1.2";
    case KeyRole::kStatus:
      return TONGBAN_ARC ".1.3";
    case KeyRole::kAuditCheckpoint:
      return TONGBAN_ARC ".1.4";
    case KeyRole::kVerificationReceipt:
      return TONGBAN_ARC ".1.5";
    case KeyRole::kNone:
      break;
  }
  return "";
}

const char* keyRoleName(KeyRole role) {
  switch (role) {
    case KeyRole::kSeal:
      return "seal";
    case KeyRole::kTransparencyLog:
      return "transparency_log";
    case KeyRole::kStatus:
      return "status";
    case KeyRole::kAuditCheckpoint:
      return "audit_checkpoint";
    case KeyRole::kVerificationReceipt:
      return "verification_receipt";
    case KeyRole::kNone:
      break;
  }
  return "none";
}

bool hasKeyRole(const X509* certificate, KeyRole role) {
  if (certificate == nullptr || role == KeyRole::kNone) return false;
  internal::Asn1ObjectPtr wanted(OBJ_txt2obj(keyRoleOid(role), 1));
  if (!wanted) return false;
  EXTENDED_KEY_USAGE* usage = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr));
  if (usage == nullptr) {
    internal::drainErrors();
    return false;
  }
  bool found = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usage); ++i) {
    if (OBJ_cmp(sk_ASN1_OBJECT_value(usage, i), wanted.get()) == 0) found = true;
  }
  EXTENDED_KEY_USAGE_free(usage);
  return found;
}

Result<X509Ptr> createRootCertificate(EVP_PKEY* key, const DistinguishedName& subject,
                                      const Validity& validity) {
  Result<X509Ptr> cert = newCertificate(key, subject, nullptr, validity);
  if (!cert) return cert.status();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert->get(), cert->get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    if (Status status = addExtension(cert->get(), &ctx, nid, value); !status) return status;
  }
  if (Status status = signCertificate(cert->get(), key); !status) return status;
  return cert;
}

Result<X509Ptr> issueCertificate(EVP_PKEY* issuer_key, X509* issuer_certificate,
                                 EVP_PKEY* subject_public_key, const DistinguishedName& subject,
                                 const Validity& validity, CertificateKind kind, KeyRole role) {
  if (issuer_certificate == nullptr) return Status::invalid("issuer", "no issuer certificate");
  if (X509_check_ca(issuer_certificate) == 0) {
    return Status::invalid("issuer", "issuer certificate is not a CA");
  }
  if (X509_check_private_key(issuer_certificate, issuer_key) != 1) {
    internal::drainErrors();
    return Status::invalid("issuer", "issuer key does not match the issuer certificate");
  }
  Result<X509Ptr> cert = newCertificate(subject_public_key, subject,
                                        X509_get_subject_name(issuer_certificate), validity);
  if (!cert) return cert.status();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_certificate, cert->get(), nullptr, nullptr, 0);
  const bool is_ca = kind == CertificateKind::kIntermediateCa;
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, is_ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE"},
      {NID_key_usage,
       is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : extensions) {
    if (Status status = addExtension(cert->get(), &ctx, nid, value); !status) return status;
  }
  if (role != KeyRole::kNone) {
    const std::string usage = std::string(is_ca ? "" : "critical,") + keyRoleOid(role);
    if (Status status = addExtension(cert->get(), &ctx, NID_ext_key_usage, usage.c_str());
        !status) {
      return status;
    }
  }
  if (Status status = signCertificate(cert->get(), issuer_key); !status) return status;
  return cert;
}

Result<std::string> certificatePem(const X509* certificate) {
  if (certificate == nullptr) return Status::invalid("certificate", "no certificate");
  internal::BioPtr out = internal::emptyMemoryBio();
  if (!out || PEM_write_bio_X509(out.get(), certificate) != 1) {
    return opensslFailure("PEM_write_bio_X509");
  }
  return internal::bioContents(out.get());
}

Result<X509Ptr> parseCertificatePem(std::string_view pem) {
  internal::BioPtr in = internal::memoryBio(pem);
  X509Ptr cert(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    return Status::invalid("certificate", "not a PEM certificate: " + internal::drainErrors());
  }
  return cert;
}

Result<std::vector<X509Ptr>> parseCertificateChainPem(std::string_view pem) {
  std::vector<X509Ptr> chain;
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  size_t position = 0;
  while ((position = pem.find(kBegin, position)) != std::string_view::npos) {
    size_t end = pem.find(kEnd, position);
    if (end == std::string_view::npos) {
      return Status::invalid("certificate", "unterminated PEM certificate");
    }
    end += kEnd.size();
    Result<X509Ptr> cert = parseCertificatePem(pem.substr(position, end - position));
    if (!cert) return cert.status();
    chain.push_back(std::move(*cert));
    position = end;
  }
  if (chain.empty()) return Status::invalid("certificate", "no PEM certificate found");
  return chain;
}

std::string serialHex(const X509* certificate) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate);
  internal::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Verification verifyChain(const X509* leaf, const std::vector<X509Ptr>& intermediates,
                         const std::vector<X509Ptr>& roots, std::time_t at, KeyRole role) {
  auto failure = [](const Status& status) {
    return Verification(VerifyReason::kOther, status.message());
  };
  if (leaf == nullptr) return Verification(VerifyReason::kMalformedKey, "no leaf certificate");
  if (roots.empty()) return Verification(VerifyReason::kUntrustedRoot, "no trusted root given");

  Result<X509Ptr> prepared_leaf = preparedCopy(leaf);
  if (!prepared_leaf) return failure(prepared_leaf.status());
  std::vector<X509Ptr> keep_alive;  // the copies the store and the stack point into
  internal::X509StorePtr store(X509_STORE_new());
  internal::X509StackPtr untrusted(sk_X509_new_null());
  if (!store || !untrusted) return failure(opensslFailure("X509_STORE_new"));
  for (const X509Ptr& root : roots) {
    Result<X509Ptr> copy = preparedCopy(root.get());
    if (!copy) return failure(copy.status());
    if (X509_STORE_add_cert(store.get(), copy->get()) != 1) {  // the store takes a reference
      return failure(opensslFailure("X509_STORE_add_cert"));
    }
  }
  for (const X509Ptr& intermediate : intermediates) {
    Result<X509Ptr> copy = preparedCopy(intermediate.get());
    if (!copy) return failure(copy.status());
    if (sk_X509_push(untrusted.get(), copy->get()) <= 0) return failure(opensslFailure("sk_push"));
    keep_alive.push_back(std::move(*copy));
  }

  internal::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx ||
      X509_STORE_CTX_init(ctx.get(), store.get(), prepared_leaf->get(), untrusted.get()) != 1) {
    return failure(opensslFailure("X509_STORE_CTX_init"));
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE);
  int rc = X509_verify_cert(ctx.get());
  if (rc != 1) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    std::string subject = subjectOf(X509_STORE_CTX_get_current_cert(ctx.get()));
    internal::drainErrors();
    return Verification(reasonForX509Error(error),
                        std::string(X509_verify_cert_error_string(error)) + " (depth " +
                            std::to_string(depth) + ", " + subject + ")");
  }
  uint32_t usage = X509_get_key_usage(prepared_leaf->get());
  if ((usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
    return Verification(VerifyReason::kNotAuthorized,
                        "leaf certificate may not sign documents (no digitalSignature or "
                        "nonRepudiation key usage)");
  }
  if (role != KeyRole::kNone) {
    if (X509_check_ca(prepared_leaf->get()) != 0) {
      return Verification(VerifyReason::kNotAuthorized,
                          std::string("a CA certificate may not sign as ") + keyRoleName(role));
    }
    if (!hasKeyRole(prepared_leaf->get(), role)) {
      return Verification(VerifyReason::kNotAuthorized,
                          std::string("the certificate ") + subjectOf(prepared_leaf->get()) +
                              " is not a " + keyRoleName(role) + " key (extendedKeyUsage " +
                              keyRoleOid(role) + " missing)");
    }
    // Every intermediate on the path that restricts its key purposes must allow this one.
    STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
    const int last = path != nullptr ? sk_X509_num(path) - 1 : 0;  // the trust anchor
    for (int i = 1; i < last; ++i) {
      const X509* ca = sk_X509_value(path, i);
      if (hasExtendedKeyUsage(ca) && !hasKeyRole(ca, role)) {
        return Verification(
            VerifyReason::kNotAuthorized,
            "the intermediate " + subjectOf(ca) + " may not issue " + keyRoleName(role) + " keys");
      }
    }
  }
  return Verification();
}

Verification verifyChainPem(std::string_view leaf_pem, std::string_view intermediates_pem,
                            std::string_view roots_pem, std::time_t at, KeyRole role) {
  Result<X509Ptr> leaf = parseCertificatePem(leaf_pem);
  if (!leaf) return Verification(VerifyReason::kMalformedKey, leaf.status().message());
  std::vector<X509Ptr> intermediates;
  if (intermediates_pem.find("-----BEGIN") != std::string_view::npos) {
    Result<std::vector<X509Ptr>> parsed = parseCertificateChainPem(intermediates_pem);
    if (!parsed) return Verification(VerifyReason::kMalformedKey, parsed.status().message());
    intermediates = std::move(*parsed);
  }
  Result<std::vector<X509Ptr>> roots = parseCertificateChainPem(roots_pem);
  if (!roots) return Verification(VerifyReason::kMalformedKey, roots.status().message());
  return verifyChain(leaf->get(), intermediates, *roots, at, role);
}

}  // namespace tongban::certs
