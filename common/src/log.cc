#include "tongban/common/log.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

#include <Poco/AsyncChannel.h>
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/PatternFormatter.h>
#include <Poco/StreamChannel.h>

#include "tongban/common/time_format.h"

namespace tongban {

namespace {

std::mutex g_async_mutex;  // guards g_async
Poco::AutoPtr<Poco::AsyncChannel> g_async;

const char* levelName(Poco::Message::Priority p) {
  switch (p) {
    case Poco::Message::PRIO_FATAL:
      return "fatal";
    case Poco::Message::PRIO_CRITICAL:
      return "critical";
    case Poco::Message::PRIO_ERROR:
      return "error";
    case Poco::Message::PRIO_WARNING:
      return "warning";
    case Poco::Message::PRIO_NOTICE:
      return "notice";
    case Poco::Message::PRIO_INFORMATION:
      return "info";
    case Poco::Message::PRIO_DEBUG:
      return "debug";
    case Poco::Message::PRIO_TRACE:
      return "trace";
  }
  return "info";
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t utf8SequenceLength(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
  if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
  if (c == 0xED && c1 > 0x9F) return 0;  // surrogates
  if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
  if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
  return n;
}

}  // namespace

LogField::LogField(std::string k, double v) : key(std::move(k)), quoted(false) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t n = utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  out += '"';
}

Status configureLogging(const std::string& level, const std::string& path, bool async) {
  std::string lvl = level.empty() ? "information" : level;
  if (lvl == "info") lvl = "information";
  if (lvl == "warn") lvl = "warning";
  int prio;
  try {
    prio = Poco::Logger::parseLevel(lvl);
  } catch (const Poco::Exception&) {
    return Status::invalid(
        "log.level", "unknown log level '" + level + "' (error, warning, info, debug, trace)");
  }
  Poco::AutoPtr<Poco::Channel> sink;
  try {
    if (path.empty() || path == "-") {
      sink = new Poco::StreamChannel(std::cout);
    } else if (path == "stderr") {
      sink = new Poco::StreamChannel(std::cerr);
    } else {
      // Fail now, with the path named, rather than on the first message.
      if (FILE* f = std::fopen(path.c_str(), "a")) {
        std::fclose(f);
      } else {
        return Status::invalid("log.path", "cannot open log file '" + path + "' for appending");
      }
      Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(path));
      sink = file;
    }
  } catch (const Poco::Exception& e) {
    return Status::invalid("log.path", e.displayText());
  }
  Poco::AutoPtr<Poco::PatternFormatter> fmt(new Poco::PatternFormatter("%t"));
  Poco::AutoPtr<Poco::Channel> channel(new Poco::FormattingChannel(fmt, sink));
  {
    std::lock_guard<std::mutex> lock(g_async_mutex);
    if (g_async) g_async->close();
    g_async = nullptr;
    if (async) {
      g_async = new Poco::AsyncChannel(channel);
      channel = g_async;
    }
  }
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::root().setLevel(prio);
  // Loggers created before this call keep their own channel pointer: update them all.
  Poco::Logger::setChannel("", channel);
  Poco::Logger::setLevel("", prio);
  return Status::ok();
}

void shutdownLogging() {
  std::lock_guard<std::mutex> lock(g_async_mutex);
  if (g_async) g_async->close();  // drains the queue
}

void logJson(Poco::Logger& logger, Poco::Message::Priority priority, std::string_view msg,
             const std::vector<LogField>& fields) {
  if (!logger.is(priority)) return;
  const std::string ts = formatRfc3339Millis(std::chrono::system_clock::now());
  std::string line;
  line.reserve(160 + msg.size());
  line += "{\"ts\":\"";
  line += ts;
  line += "\",\"level\":\"";
  line += levelName(priority);
  line += "\",\"logger\":";
  appendJsonString(line, logger.name());
  line += ",\"msg\":";
  appendJsonString(line, msg);
  for (const auto& f : fields) {
    line += ',';
    appendJsonString(line, f.key);
    line += ':';
    if (f.quoted) {
      appendJsonString(line, f.value);
    } else {
      line += f.value;
    }
  }
  line += '}';
  logger.log(Poco::Message(logger.name(), line, priority));
}

}  // namespace tongban
