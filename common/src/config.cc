#include "tongban/common/config.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include <Poco/Exception.h>
#include <Poco/Util/IniFileConfiguration.h>

namespace tongban {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// POCO's INI reader skips lines it does not understand; an administrator's typo should not be
// silently ignored, so every line is checked first.
Status checkIniSyntax(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = trim(line);
    if (t.empty() || t[0] == ';' || t[0] == '#') continue;
    if (t[0] == '[') {
      if (t.back() != ']' || t.size() < 3) {
        return Status::invalid(
            origin, "line " + std::to_string(n) + ": malformed section header '" + t + "'");
      }
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos || trim(t.substr(0, eq)).empty()) {
      return Status::invalid(
          origin, "line " + std::to_string(n) + ": expected 'name = value', got '" + t + "'");
    }
  }
  return Status::ok();
}

}  // namespace

Config::Config() = default;

Config::Config(Poco::AutoPtr<Poco::Util::AbstractConfiguration> file, std::string origin)
    : file_(std::move(file)), origin_(std::move(origin)) {}

Result<Config> Config::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid("config", "cannot read configuration file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Result<Config> Config::parse(const std::string& ini_text, const std::string& origin) {
  if (Status s = checkIniSyntax(ini_text, origin); !s) return s;
  try {
    std::istringstream in(ini_text);
    Poco::AutoPtr<Poco::Util::AbstractConfiguration> conf(new Poco::Util::IniFileConfiguration(in));
    return Config(conf, origin);
  } catch (const Poco::Exception& e) {
    return Status::invalid(origin, "cannot parse configuration: " + e.displayText());
  }
}

std::string Config::envName(const std::string& key) {
  std::string name = "TONGBAN_";
  for (char c : key) {
    name += (c == '.' || c == '-') ? '_'
                                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

bool Config::lookup(const std::string& key, std::string* value, std::string* source) const {
  std::string env = envName(key);
  if (const char* v = std::getenv(env.c_str())) {
    *value = v;
    *source = "environment variable " + env;
    return true;
  }
  if (file_ && file_->hasProperty(key)) {
    *value = trim(file_->getRawString(key));
    *source = "'" + key + "' in " + origin_;
    return true;
  }
  return false;
}

bool Config::has(const std::string& key) const {
  std::string v, s;
  return lookup(key, &v, &s);
}

std::string Config::getString(const std::string& key, const std::string& fallback) const {
  std::string v, s;
  return lookup(key, &v, &s) ? v : fallback;
}

Result<std::string> Config::getSecret(const std::string& key) const {
  const std::string file_key = key + "_file";
  std::string value, source, path, file_source;
  const bool inline_value = lookup(key, &value, &source);
  if (!lookup(file_key, &path, &file_source)) return inline_value ? value : std::string();
  if (inline_value) {
    return Status::invalid(
        key, "both " + source + " and " + file_source + " are set: keep only the file");
  }
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::invalid(file_key, file_source + ": cannot read '" + path + "'");
  }
  // Group read is allowed: systemd's LoadCredential= hands files over as 0440.
  if ((st.st_mode & (S_IWGRP | S_IRWXO)) != 0) {
    return Status::invalid(file_key, file_source + ": '" + path +
                                         "' is readable or writable by every user (or writable "
                                         "by its group); chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid(file_key, file_source + ": cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  return secret;
}

Result<int64_t> Config::getInt(const std::string& key, int64_t fallback, int64_t min,
                               int64_t max) const {
  std::string v, source;
  if (!lookup(key, &v, &source)) return fallback;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || errno != 0 || *end != '\0') {
    return Status::invalid(key, source + ": '" + v + "' is not an integer");
  }
  if (n < min || n > max) {
    return Status::invalid(
        key, source + ": " + v + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return static_cast<int64_t>(n);
}

Result<bool> Config::getBool(const std::string& key, bool fallback) const {
  std::string v, source;
  if (!lookup(key, &v, &source)) return fallback;
  std::string l;
  for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  return Status::invalid(key, source + ": '" + v + "' is not a boolean (true/false)");
}

}  // namespace tongban
