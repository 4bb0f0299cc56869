// Structured logging: one JSON object per line, through POCO's logging framework.
//
// configureLogging() installs a channel on POCO's root logger that writes each message's text
// verbatim (stdout by default, or a file), optionally through an AsyncChannel so that a request
// thread never waits on the terminal or disk. logJson() builds the JSON line
//   {"ts":"2026-11-23T10:00:00.123Z","level":"info","logger":"exchange","msg":"...",<fields>}
// and hands it to a Poco::Logger; nothing is formatted when the level is off. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Logger.h>
#include <Poco/Message.h>

#include "tongban/common/result.h"

namespace tongban {

struct LogField {
  LogField(std::string k, std::string_view v) : key(std::move(k)), value(v), quoted(true) {}
  LogField(std::string k, const char* v) : key(std::move(k)), value(v), quoted(true) {}
  LogField(std::string k, const std::string& v) : key(std::move(k)), value(v), quoted(true) {}
  LogField(std::string k, int64_t v) : key(std::move(k)), value(std::to_string(v)), quoted(false) {}
  LogField(std::string k, int v) : key(std::move(k)), value(std::to_string(v)), quoted(false) {}
  LogField(std::string k, double v);
  std::string key;
  std::string value;
  bool quoted;  // false: value is already a JSON number
};

// level: fatal|critical|error|warning|notice|information|debug|trace (POCO's names; also "info"
// and "warn"). path: empty or "-" for stdout, "stderr", or a file to append to.
// kInvalidArgument naming "log.level" / "log.path" when they are wrong.
Status configureLogging(const std::string& level, const std::string& path, bool async);

// Flushes and closes asynchronous channels; call before exit.
void shutdownLogging();

void logJson(Poco::Logger& logger, Poco::Message::Priority priority, std::string_view msg,
             const std::vector<LogField>& fields = {});

// Appends s as a JSON string literal (with quotes), escaping what RFC 8259 requires and no more,
// the way RFC 8785 (JCS, certs/jcs.h) prescribes: \" \\ \b \f \n \r \t, other control
// characters as \u00xx (lower-case hex). Invalid UTF-8 bytes are replaced by U+FFFD so that the
// line stays valid JSON (JCS refuses such text before it gets here).
void appendJsonString(std::string& out, std::string_view s);

}  // namespace tongban
