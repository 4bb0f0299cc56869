// Configuration: an INI file (POCO IniFileConfiguration) with environment overrides.
//
// Keys are "section.name" (the INI's [section] and name). For every key, an environment variable
// TONGBAN_<SECTION>_<NAME> (upper case, dots as underscores) wins over the file, so that
// `TONGBAN_DATABASE_URL=... tongban-exchange serve` needs no file at all. The keys each program
// reads, with defaults, are listed in docs/configuration.md. Immutable after load: thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <Poco/AutoPtr.h>
#include <Poco/Util/AbstractConfiguration.h>

#include "tongban/common/result.h"

namespace tongban {

class Config {
 public:
  // No file: defaults and environment only.
  Config();

  // Reads an INI file. kInvalidArgument naming the file when it cannot be read or a line is not
  // "name = value", "[section]", or a comment.
  static Result<Config> load(const std::string& path);
  // Parses INI text (tests, embedded defaults).
  static Result<Config> parse(const std::string& ini_text, const std::string& origin = "<string>");

  // The value, from the environment, the file, or `fallback`.
  std::string getString(const std::string& key, const std::string& fallback = "") const;
  // kInvalidArgument naming the key (and where it came from) when not an integer in [min, max].
  Result<int64_t> getInt(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  // Accepts true/false/yes/no/on/off/1/0 (any case).
  Result<bool> getBool(const std::string& key, bool fallback) const;
  bool has(const std::string& key) const;

  // A secret (a key, a passphrase): the value of `key`, or the contents of the file named by
  // `key` + "_file" (one trailing newline dropped), so that secrets need not sit in the
  // configuration file itself. "" when neither is set. kInvalidArgument naming the key when both
  // are set, and naming `key_file` when that file cannot be read, or every user may read it, or
  // its group may write it (0600, 0400 and systemd credentials' 0440 are fine).
  Result<std::string> getSecret(const std::string& key) const;

  // Name of the environment variable that overrides `key`.
  static std::string envName(const std::string& key);

 private:
  explicit Config(Poco::AutoPtr<Poco::Util::AbstractConfiguration> file, std::string origin);
  bool lookup(const std::string& key, std::string* value, std::string* source) const;

  Poco::AutoPtr<Poco::Util::AbstractConfiguration> file_;  // may be null
  std::string origin_;
};

}  // namespace tongban
