// Records of a flow-back file (数据回流), read one at a time with the line and byte offset where
// each starts, so that an import can report a line number for every rejected record and resume
// at a byte offset after a crash.
//
// Two formats:
//  - CSV (RFC 4180): a header row naming the columns, fields separated by ',', optionally quoted
//    with '"' ('""' inside quotes is one quote; quoted fields may hold ',' and line breaks);
//    records end with CRLF or LF, the last one may end at end of file. A UTF-8 byte order mark at
//    the start of the file is skipped. Empty lines are skipped.
//  - JSON Lines: one JSON value per line (CRLF or LF); lines holding only spaces are skipped.
//    The reader hands over the line's text; the schema (flowback_schema.h) parses it.
//
// Malformed syntax does not stop reading: the record comes back with `error` set (a quote inside
// an unquoted field, a character after a closing quote, a record longer than kMaxRecordBytes, a
// quoted field not closed before end of file) and the reader goes on with the next record. A
// quoted field left open resynchronises at the line after the one where its record began, so one
// stray quote costs one record, not the rest of the file.
//
// Not thread-safe: one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tongban/common/result.h"

namespace tongban::flowback {

enum class Format { kCsv, kJsonLines };

// A record longer than this (bytes, line breaks included) is rejected whole.
inline constexpr size_t kMaxRecordBytes = 1 << 20;

struct RawRecord {
  uint64_t line = 0;                // physical line (1-based) where the record starts
  uint64_t offset = 0;              // byte offset of its first byte
  uint64_t end = 0;                 // byte offset just after it (its line break included)
  uint64_t next_line = 0;           // line number where the next record starts
  std::vector<std::string> fields;  // CSV: the fields, unquoted; JSON Lines: empty
  std::string text;   // the record as written, without its final line break (JSON Lines: the
                      // JSON text); truncated to kMaxRecordBytes
  std::string error;  // non-empty: malformed at the syntax level, fields incomplete
};

class RecordReader {
 public:
  // Opens `path`. CSV: reads the header (after an optional BOM) into header(); kInvalidArgument
  // when the file is empty or the header is malformed. kNotFound / kUnavailable when the file
  // cannot be opened or read.
  static Result<std::unique_ptr<RecordReader>> open(const std::string& path, Format format);
  virtual ~RecordReader() = default;

  // CSV: the header's names (trimmed of spaces). JSON Lines: empty.
  virtual const std::vector<std::string>& header() const = 0;
  // Where the first data record starts: after the BOM and, for CSV, the header.
  virtual uint64_t dataOffset() const = 0;
  virtual uint64_t dataLine() const = 0;
  virtual uint64_t fileSize() const = 0;

  // Continues reading at `offset`, counting lines from `line` (a point a previous next()
  // reported as `end` / `next_line`). kUnavailable when the file cannot be read there.
  virtual Status seek(uint64_t offset, uint64_t line) = 0;

  // The next record: true and `*record` filled, or false at end of file. A read error ends the
  // file early with status() set.
  virtual bool next(RawRecord* record) = 0;
  virtual Status status() const = 0;
};

}  // namespace tongban::flowback
