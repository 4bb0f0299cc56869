#include "tongban/adapters/flowback_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tongban::flowback {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

// Physical lines of a file, each with its '\n' (absent on a last line without one).
class LineSource {
 public:
  ~LineSource() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int e = errno;
      return Status(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                    "cannot open " + path + ": " + std::strerror(e));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status(ErrorCode::kInvalidArgument, path + " is not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
    buf_.resize(kBufferBytes);
    return Status::ok();
  }
  uint64_t size() const { return size_; }
  // Offset of the next byte next() returns.
  uint64_t offset() const { return buf_start_ + pos_; }
  Status status() const { return status_; }

  void seek(uint64_t offset) {
    buf_start_ = offset;
    pos_ = 0;
    len_ = 0;
    eof_ = false;
  }

  // Appends the next line to `*line` (at most `max` bytes of it; *truncated says whether more
  // were skipped). False at end of file or on a read error (status()).
  bool next(std::string* line, size_t max, bool* truncated) {
    *truncated = false;
    bool any = false;
    for (;;) {
      if (pos_ == len_ && !fill()) return any;
      any = true;
      const char* begin = buf_.data() + pos_;
      const void* nl = std::memchr(begin, '\n', len_ - pos_);
      const size_t n =
          nl ? static_cast<size_t>(static_cast<const char*>(nl) - begin) + 1 : len_ - pos_;
      const size_t room = line->size() < max ? max - line->size() : 0;
      if (n <= room) {
        line->append(begin, n);
      } else {
        line->append(begin, room);
        *truncated = true;
      }
      pos_ += n;
      if (nl) return true;
    }
  }

 private:
  bool fill() {
    if (eof_) return false;
    buf_start_ += len_;
    pos_ = 0;
    len_ = 0;
    for (;;) {
      const ssize_t n = ::pread(fd_, buf_.data(), buf_.size(), static_cast<off_t>(buf_start_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status_ = Status::unavailable(std::string("read failed: ") + std::strerror(errno));
        eof_ = true;
        return false;
      }
      if (n == 0) {
        eof_ = true;
        return false;
      }
      len_ = static_cast<size_t>(n);
      return true;
    }
  }

  int fd_ = -1;
  uint64_t size_ = 0;
  std::string buf_;
  uint64_t buf_start_ = 0;  // file offset of buf_[0]
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
  Status status_;
};

// Strips one trailing "\n" or "\r\n".
std::string_view withoutBreak(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

bool isBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

std::string trimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// RFC 4180 fields, fed one physical line at a time.
class CsvParser {
 public:
  void reset() {
    state_ = kFieldStart;
    field_.clear();
    error_.clear();
  }
  // Consumes `line` (with its line break, if any) into `fields`. True when the record ended
  // (outside quotes at the line break or at the end of a last line without one); false when
  // a quoted field goes on into the next line.
  bool feed(std::string_view line, std::vector<std::string>* fields) {
    const size_t n = line.size();
    for (size_t i = 0; i < n; ++i) {
      const char c = line[i];
      const bool at_break = c == '\n' || (c == '\r' && i + 2 == n && line[i + 1] == '\n');
      switch (state_) {
        case kFieldStart:
          if (c == '"') {
            state_ = kQuoted;
            break;
          }
          state_ = kUnquoted;
          [[fallthrough]];
        case kUnquoted:
          if (c == ',') {
            endField(fields);
          } else if (at_break) {
            endField(fields);
            return true;
          } else {
            if (c == '"' && error_.empty()) error_ = "a quote inside an unquoted field";
            field_.push_back(c);
          }
          break;
        case kQuoted:
          if (c == '"') {
            state_ = kQuoteInQuoted;
          } else {
            field_.push_back(c);
          }
          break;
        case kQuoteInQuoted:
          if (c == '"') {
            field_.push_back('"');
            state_ = kQuoted;
          } else if (c == ',') {
            endField(fields);
          } else if (at_break) {
            endField(fields);
            return true;
          } else {
            if (error_.empty()) error_ = "a character after a closing quote";
            field_.push_back(c);
            state_ = kUnquoted;
          }
          break;
      }
    }
    if (state_ == kQuoted) return false;
    // A last line without a line break.
    endField(fields);
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  void endField(std::vector<std::string>* fields) {
    fields->push_back(std::move(field_));
    field_.clear();
    state_ = kFieldStart;
  }
  enum State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  State state_ = kFieldStart;
  std::string field_;
  std::string error_;
};

class FileReader : public RecordReader {
 public:
  explicit FileReader(Format format) : format_(format) {}

  Status init(const std::string& path) {
    if (Status s = src_.open(path); !s) return s;
    // A UTF-8 byte order mark.
    std::string first;
    bool truncated = false;
    uint64_t start = 0;
    if (src_.next(&first, 3, &truncated)) {
      if (first.size() >= 3 && first.compare(0, 3, "\xEF\xBB\xBF") == 0) start = 3;
    }
    if (!src_.status()) return src_.status();
    src_.seek(start);
    line_ = 1;
    if (format_ == Format::kCsv) {
      RawRecord header;
      if (!nextRecord(&header)) {
        if (!src_.status()) return src_.status();
        return Status::invalid("header", "the file is empty: a CSV file starts with a header row");
      }
      if (!header.error.empty()) {
        return Status::invalid("header",
                               "line " + std::to_string(header.line) + ": " + header.error);
      }
      for (const std::string& f : header.fields) header_.push_back(trimSpaces(f));
      data_offset_ = header.end;
      data_line_ = header.next_line;
    } else {
      data_offset_ = start;
      data_line_ = 1;
    }
    return Status::ok();
  }

  const std::vector<std::string>& header() const override { return header_; }
  uint64_t dataOffset() const override { return data_offset_; }
  uint64_t dataLine() const override { return data_line_; }
  uint64_t fileSize() const override { return src_.size(); }
  Status status() const override { return src_.status(); }

  Status seek(uint64_t offset, uint64_t line) override {
    if (offset > src_.size()) {
      return Status::invalid("offset",
                             "offset " + std::to_string(offset) + " is beyond the end of the file");
    }
    src_.seek(offset);
    line_ = line;
    return Status::ok();
  }

  bool next(RawRecord* r) override { return nextRecord(r); }

 private:
  bool nextRecord(RawRecord* r) {
    for (;;) {
      r->fields.clear();
      r->text.clear();
      r->error.clear();
      r->offset = src_.offset();
      r->line = line_;
      bool truncated = false;
      if (!src_.next(&r->text, kMaxRecordBytes, &truncated)) return false;
      ++line_;
      const std::string_view first = withoutBreak(r->text);
      if (truncated) {
        r->text.resize(first.size());
        r->error = "record longer than " + std::to_string(kMaxRecordBytes) + " bytes";
        return finish(r);
      }
      if (format_ == Format::kJsonLines) {
        if (isBlank(first)) continue;
        r->text.resize(first.size());
        return finish(r);
      }
      if (first.empty()) continue;  // an empty line
      parser_.reset();
      if (parser_.feed(r->text, &r->fields)) {
        r->error = parser_.error();
        r->text.resize(withoutBreak(r->text).size());
        return finish(r);
      }
      // A quoted field goes on over the next lines.
      const uint64_t after_first = src_.offset();
      bool closed = false;
      std::string more;
      while (r->text.size() < kMaxRecordBytes) {
        more.clear();
        if (!src_.next(&more, kMaxRecordBytes - r->text.size(), &truncated)) break;
        ++line_;
        r->text += more;
        if (truncated) break;
        if (parser_.feed(more, &r->fields)) {
          closed = true;
          break;
        }
      }
      if (!closed) {
        // Resynchronise at the line after the record's first one.
        r->error =
            truncated || r->text.size() >= kMaxRecordBytes
                ? "a quoted field not closed within " + std::to_string(kMaxRecordBytes) + " bytes"
                : "a quoted field not closed before the end of the file";
        r->text.resize(first.size());
        src_.seek(after_first);
        line_ = r->line + 1;
        return finish(r);
      }
      r->error = parser_.error();
      r->text.resize(withoutBreak(r->text).size());
      return finish(r);
    }
  }

  bool finish(RawRecord* r) {
    r->end = src_.offset();
    r->next_line = line_;
    return true;
  }

  Format format_;
  LineSource src_;
  CsvParser parser_;
  uint64_t line_ = 1;
  std::vector<std::string> header_;
  uint64_t data_offset_ = 0;
  uint64_t data_line_ = 1;
};

}  // namespace

Result<std::unique_ptr<RecordReader>> RecordReader::open(const std::string& path, Format format) {
  auto reader = std::make_unique<FileReader>(format);
  if (Status s = reader->init(path); !s) return s;
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace tongban::flowback
