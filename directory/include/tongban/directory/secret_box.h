// Encryption of stored secrets (applications' HMAC keys) under the master key of the
// configuration (`security.master_key`, base64 of 32 random bytes: `openssl rand -base64 32`).
//
// AES-256-GCM with a fresh 12-byte nonce per seal; the sealed form is nonce || ciphertext || tag.
// Associated data binds a ciphertext to its row (the key id), so a secret copied to another row
// does not open. Immutable after creation: thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tongban/common/result.h"

namespace tongban::directory {

class SecretBox {
 public:
  // kInvalidArgument (field "security.master_key") unless `key_base64` decodes to 32 bytes.
  static Result<SecretBox> fromBase64(std::string_view key_base64);

  std::string seal(std::string_view plaintext, std::string_view associated_data) const;
  // kPermissionDenied when the data was altered, belongs to another row, or the master key is
  // not the one it was sealed with.
  Result<std::string> open(std::string_view sealed, std::string_view associated_data) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 bytes
};

}  // namespace tongban::directory
