#include "tongban/exchange/request_auth.h"

#include <functional>
#include <utility>

#include "tongban/common/crypto.h"
#include "tongban/exchange/request_signing.h"

namespace tongban::exchange {

bool NonceCache::insertIfNew(const std::string& key, int64_t expires_at, int64_t now) {
  Shard& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (++shard.inserts % 4096 == 0) {
    for (auto it = shard.seen.begin(); it != shard.seen.end();) {
      it = it->second < now ? shard.seen.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = shard.seen.emplace(key, expires_at);
  if (inserted) return true;
  if (it->second < now) {  // expired entry: the old request's timestamp is out of the window
    it->second = expires_at;
    return true;
  }
  return false;
}

size_t NonceCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    n += s.seen.size();
  }
  return n;
}

RequestAuthenticator::RequestAuthenticator(directory::AppRegistry& registry,
                                           std::chrono::seconds max_skew, NonceStore* shared_nonces)
    : registry_(registry), max_skew_(max_skew.count()), shared_nonces_(shared_nonces) {}

Result<std::pair<ParsedAuthorization, directory::KeyInfo>> RequestAuthenticator::checkHead(
    std::string_view authorization, int64_t now, std::string* key_id_out, bool* unknown_key) {
  const auto refuse = [](const std::string& why) {
    return Status(ErrorCode::kUnauthenticated, why, "Authorization");
  };
  if (unknown_key) *unknown_key = false;
  auto parsed = parseAuthorization(authorization);
  if (!parsed) return parsed.status();
  if (key_id_out) *key_id_out = parsed->key_id;
  // The key first (negative-cached when unknown), so that any later refusal names a real key.
  auto key = registry_.lookupKey(parsed->key_id);
  if (!key) {
    if (key.status().code() == ErrorCode::kNotFound) {
      if (unknown_key) *unknown_key = true;
      return refuse("unknown key " + parsed->key_id);
    }
    if (key.status().code() == ErrorCode::kUnavailable) return key.status();
    return refuse("key " + parsed->key_id + " cannot be used: " + key.status().message());
  }
  int64_t skew = parsed->unix_seconds - now;
  if (skew > max_skew_ || -skew > max_skew_) {
    return refuse("timestamp is " + std::to_string(skew < 0 ? -skew : skew) + " s " +
                  (skew < 0 ? "behind" : "ahead of") + " the server clock (at most " +
                  std::to_string(max_skew_) + " s allowed)");
  }
  if (!key->key_active) return refuse("key " + parsed->key_id + " is disabled");
  if (!key->app_active) return refuse("application " + key->app_id + " is disabled");
  if (key->not_after_unix && now >= *key->not_after_unix) {
    return refuse("key " + parsed->key_id + " was rotated and its overlap window has ended");
  }
  return std::make_pair(std::move(*parsed), std::move(*key));
}

Status RequestAuthenticator::precheck(std::string_view authorization, int64_t now,
                                      std::string* key_id_out, bool* unknown_key) {
  auto head = checkHead(authorization, now, key_id_out, unknown_key);
  return head ? Status::ok() : head.status();
}

Result<Caller> RequestAuthenticator::authenticate(const SignedRequest& request,
                                                  std::string_view authorization, int64_t now,
                                                  std::string* key_id_out,
                                                  bool defer_shared_claim) {
  const auto refuse = [](const std::string& why) {
    return Status(ErrorCode::kUnauthenticated, why, "Authorization");
  };
  auto head = checkHead(authorization, now, key_id_out, nullptr);
  if (!head) return head.status();
  const ParsedAuthorization* parsed = &head->first;
  const directory::KeyInfo* key = &head->second;
  std::string expected =
      hmacSha256(key->secret, stringToSign(request, parsed->timestamp, parsed->nonce));
  if (!constantTimeEqual(expected, parsed->signature)) {
    return refuse(
        "signature does not match the request (method, Host, path, query, timestamp, nonce, "
        "Idempotency-Key and body digest are signed; see docs/request-signing.md)");
  }
  const int64_t expires_at = parsed->unix_seconds + max_skew_;
  if (!nonces_.insertIfNew(parsed->key_id + ":" + parsed->nonce, expires_at, now)) {
    return refuse("nonce already used: replayed request");
  }
  Caller caller;
  caller.app_id = key->app_id;
  caller.department_code = key->department_code;
  caller.role = key->role;
  caller.key_id = key->key_id;
  caller.client_cert_sha256 = key->client_cert_sha256;
  if (shared_nonces_ && defer_shared_claim) {
    caller.nonce = parsed->nonce;
    caller.nonce_expires_at = expires_at;
  } else if (shared_nonces_) {
    auto fresh = shared_nonces_->claim(parsed->key_id, parsed->nonce, expires_at, now);
    if (!fresh) {
      return Status::unavailable("the replay guard cannot be consulted: " +
                                 fresh.status().message());
    }
    if (!*fresh) return refuse("nonce already used: replayed request");
  }
  return caller;
}

}  // namespace tongban::exchange
