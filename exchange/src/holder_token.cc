// Holder tokens: ES256 compact JWS verification and minting (holder_token.h).
//
// The token is untrusted input from the Internet: every step checks sizes and types and fails
// with kUnauthenticated and a precise message, never an exception or a crash. Signatures are made
// and checked by the certs module (signer.h, verification.h); JOSE's raw 64-byte r||s is converted
// to and from the DER those take (certs::ecdsaP256DerFromJose).
#include "tongban/exchange/holder_token.h"

#include <cmath>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/certs/keys.h"
#include "tongban/certs/signer.h"
#include "tongban/certs/verification.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/json.h"

namespace tongban::exchange {
namespace {

constexpr certs::SignatureAlgorithm kEs256 = certs::SignatureAlgorithm::kEcdsaP256Sha256;

Status unauthenticated(std::string message) {
  return Status(ErrorCode::kUnauthenticated, "holder token: " + std::move(message));
}

// base64url without padding (RFC 7515 §2), canonical: common/encoding.h.
bool base64UrlDecode(std::string_view in, std::string* out) {
  auto decoded = tongban::base64UrlDecode(in);
  if (!decoded) return false;
  *out = std::move(*decoded);
  return true;
}

bool isP256(const EVP_PKEY* key) {
  if (key == nullptr) return false;
  Result<certs::SignatureAlgorithm> algorithm = certs::algorithmOfKey(key);
  return algorithm && *algorithm == kEs256;
}

// A JSON object from a base64url part; `what` names the part in messages.
Status parseJsonPart(std::string_view part, const char* what, rapidjson::Document* doc) {
  std::string json;
  if (!base64UrlDecode(part, &json))
    return unauthenticated(std::string(what) + " is not base64url");
  if (!parseJsonObject(json, *doc, what)) {
    return unauthenticated(std::string(what) + " is not a JSON object");
  }
  // Duplicate member names make a token mean different things to different parsers: refuse.
  for (auto a = doc->MemberBegin(); a != doc->MemberEnd(); ++a) {
    for (auto b = a + 1; b != doc->MemberEnd(); ++b) {
      if (a->name == b->name) {
        return unauthenticated(std::string(what) + " repeats the member '" +
                               std::string(a->name.GetString(), a->name.GetStringLength()) + "'");
      }
    }
  }
  return Status::ok();
}

// A NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are truncated.
Status readTime(const rapidjson::Document& doc, const char* name, bool required,
                std::optional<int64_t>* out) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd()) {
    if (required) return unauthenticated(std::string("claim '") + name + "' is missing");
    return Status::ok();
  }
  const auto& v = it->value;
  if (v.IsInt64()) {
    *out = v.GetInt64();
  } else if (v.IsNumber() && std::isfinite(v.GetDouble()) && std::fabs(v.GetDouble()) < 1e15) {
    *out = static_cast<int64_t>(v.GetDouble());
  } else {
    return unauthenticated(std::string("claim '") + name + "' is not a number of seconds");
  }
  return Status::ok();
}

}  // namespace

Result<HolderClaims> verifyHolderToken(std::string_view token, const EVP_PKEY* idp_public_key,
                                       int64_t now_unix, std::string_view audience) {
  if (!isP256(idp_public_key)) {
    return Status::internal("holder token: the identity provider key is not a P-256 key");
  }
  if (token.empty()) return unauthenticated("token is empty");
  if (token.size() > kHolderTokenMaxBytes) {
    return unauthenticated("token is longer than " + std::to_string(kHolderTokenMaxBytes) +
                           " bytes");
  }
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return unauthenticated("malformed: a token is three base64url parts separated by dots");
  }
  const std::string_view header_part = token.substr(0, dot1);
  const std::string_view claims_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view sig_part = token.substr(dot2 + 1);

  rapidjson::Document header;
  if (Status s = parseJsonPart(header_part, "header", &header); !s) return s;
  auto alg = header.FindMember("alg");
  if (alg == header.MemberEnd() || !alg->value.IsString()) {
    return unauthenticated("header has no 'alg'");
  }
  const std::string alg_name(alg->value.GetString(), alg->value.GetStringLength());
  if (alg_name != "ES256") {
    return unauthenticated("alg '" + alg_name + "' is not accepted: only ES256");
  }
  if (header.HasMember("crit")) {
    return unauthenticated("header has 'crit' extensions, none of which are understood");
  }

  // Signature before claims: nothing in an unauthenticated payload is looked at.
  std::string raw_sig;
  if (!base64UrlDecode(sig_part, &raw_sig)) return unauthenticated("signature is not base64url");
  if (raw_sig.size() != 64) {
    return unauthenticated("signature is " + std::to_string(raw_sig.size()) +
                           " bytes, ES256 needs 64 (r||s)");
  }
  Result<std::string> der = certs::ecdsaP256DerFromJose(raw_sig);
  if (!der) return Status::internal("holder token: " + der.status().message());
  // verifySignature takes a non-const key only to pass it on to OpenSSL, which up-references it.
  const certs::Verification verified = certs::verifySignature(const_cast<EVP_PKEY*>(idp_public_key),
                                                              kEs256, token.substr(0, dot2), *der);
  if (verified.reason() == certs::VerifyReason::kOther) {
    return Status::internal("holder token: " + verified.message());
  }
  if (!verified) return unauthenticated("signature does not verify with the identity provider key");

  rapidjson::Document claims;
  if (Status st = parseJsonPart(claims_part, "claims", &claims); !st) return st;
  HolderClaims out;
  auto sub = claims.FindMember("sub");
  if (sub == claims.MemberEnd() || !sub->value.IsString() || sub->value.GetStringLength() == 0) {
    return unauthenticated("claim 'sub' is missing or not a string");
  }
  out.subject.assign(sub->value.GetString(), sub->value.GetStringLength());
  Result<std::string> citizen = ids::normalizeCitizenId(out.subject, "sub");
  Result<std::string> credit = ids::normalizeCreditCode(out.subject, "sub");
  const bool is_citizen = citizen && *citizen == out.subject;
  const bool is_credit = credit && *credit == out.subject;
  if (!is_citizen && !is_credit) {
    return unauthenticated("claim 'sub' is neither a valid citizen id nor a valid credit code");
  }

  auto aud = claims.FindMember("aud");
  if (aud == claims.MemberEnd()) return unauthenticated("claim 'aud' is missing");
  bool aud_ok = false;
  if (aud->value.IsString()) {
    aud_ok = std::string_view(aud->value.GetString(), aud->value.GetStringLength()) == audience;
  } else if (aud->value.IsArray()) {
    for (const auto& item : aud->value.GetArray()) {
      if (!item.IsString()) return unauthenticated("claim 'aud' holds a non-string");
      if (std::string_view(item.GetString(), item.GetStringLength()) == audience) aud_ok = true;
    }
  } else {
    return unauthenticated("claim 'aud' is not a string or an array of strings");
  }
  if (!aud_ok) {
    return unauthenticated("wrong audience: the token is not for '" + std::string(audience) + "'");
  }
  out.audience = std::string(audience);

  std::optional<int64_t> exp;
  if (Status st = readTime(claims, "exp", true, &exp); !st) return st;
  if (Status st = readTime(claims, "nbf", false, &out.not_before); !st) return st;
  if (Status st = readTime(claims, "iat", false, &out.issued_at); !st) return st;
  out.expires_at = *exp;
  if (now_unix >= out.expires_at + kHolderTokenLeewaySeconds) {
    return unauthenticated("expired at " + std::to_string(out.expires_at) + " (now " +
                           std::to_string(now_unix) + ")");
  }
  if (out.not_before && *out.not_before > now_unix + kHolderTokenLeewaySeconds) {
    return unauthenticated("not valid before " + std::to_string(*out.not_before));
  }
  if (out.issued_at && *out.issued_at > now_unix + kHolderTokenLeewaySeconds) {
    return unauthenticated("issued in the future (iat " + std::to_string(*out.issued_at) + ")");
  }
  if (out.issued_at && *out.issued_at > out.expires_at) {
    return unauthenticated("iat is after exp");
  }

  if (auto iss = claims.FindMember("iss"); iss != claims.MemberEnd()) {
    if (!iss->value.IsString()) return unauthenticated("claim 'iss' is not a string");
    out.issuer.assign(iss->value.GetString(), iss->value.GetStringLength());
  }
  return out;
}

Result<std::string> makeHolderToken(const EVP_PKEY* idp_private_key, const HolderClaims& claims) {
  if (!isP256(idp_private_key)) {
    return Status::invalid("private_key", "holder tokens are signed with a P-256 key");
  }
  if (claims.subject.empty()) return Status::invalid("sub", "a holder token needs a subject");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("sub");
  w.String(claims.subject.data(), static_cast<rapidjson::SizeType>(claims.subject.size()));
  w.Key("aud");
  w.String(claims.audience.data(), static_cast<rapidjson::SizeType>(claims.audience.size()));
  if (!claims.issuer.empty()) {
    w.Key("iss");
    w.String(claims.issuer.data(), static_cast<rapidjson::SizeType>(claims.issuer.size()));
  }
  w.Key("exp");
  w.Int64(claims.expires_at);
  if (claims.not_before) {
    w.Key("nbf");
    w.Int64(*claims.not_before);
  }
  if (claims.issued_at) {
    w.Key("iat");
    w.Int64(*claims.issued_at);
  }
  w.EndObject();
  const std::string signing_input = tongban::base64UrlEncode(R"({"alg":"ES256","typ":"JWT"})") +
                                    "." +
                                    tongban::base64UrlEncode({buf.GetString(), buf.GetSize()});

  Result<std::string> der =
      certs::signWithKey(const_cast<EVP_PKEY*>(idp_private_key), kEs256, signing_input);
  if (!der) return Status::invalid("private_key", "the key cannot sign (is it a private key?)");
  Result<std::string> raw = certs::ecdsaP256JoseFromDer(*der);
  if (!raw) return Status::internal("holder token: " + raw.status().message());
  return signing_input + "." + tongban::base64UrlEncode(*raw);
}

}  // namespace tongban::exchange
