// Holder tokens: ES256 compact JWS verification and minting (holder_token.h).
//
// The token is untrusted input from the Internet: every step checks sizes and types and fails
// with kUnauthenticated and a precise message, never an exception or a crash. JOSE's ECDSA
// signature is the raw 64-byte r||s; OpenSSL's EVP verify wants DER, so it is converted through
// ECDSA_SIG.
#include "tongban/exchange/holder_token.h"

#include "tongban/common/encoding.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cmath>
#include <cstring>
#include <memory>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tongban/common/identifiers.h"
#include "tongban/common/json.h"

namespace tongban::exchange {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

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
  if (key == nullptr || !EVP_PKEY_is_a(key, "EC")) return false;
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1) return false;
  return std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0;
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
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()), 32, nullptr));
  BnPtr s(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()) + 32, 32, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return Status::internal("holder token: OpenSSL could not build a signature");
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return Status::internal("holder token: OpenSSL could not encode a signature");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* p) { OPENSSL_free(p); });

  MdCtxPtr ctx(EVP_MD_CTX_new());
  // EVP_DigestVerifyInit takes a non-const key only to up-reference it.
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                                   const_cast<EVP_PKEY*>(idp_public_key)) != 1) {
    return Status::internal("holder token: OpenSSL could not start verification");
  }
  const std::string_view signing_input = token.substr(0, dot2);
  const int ok = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                                  reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size());
  if (ok != 1) return unauthenticated("signature does not verify with the identity provider key");

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

  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         const_cast<EVP_PKEY*>(idp_private_key)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Status::invalid("private_key", "the key cannot sign (is it a private key?)");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Status::internal("holder token: signing failed");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return Status::internal("holder token: OpenSSL returned an unreadable signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  unsigned char raw[64];
  if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32) {
    return Status::internal("holder token: signature value out of range");
  }
  return signing_input + "." +
         tongban::base64UrlEncode({reinterpret_cast<const char*>(raw), sizeof raw});
}

}  // namespace tongban::exchange
