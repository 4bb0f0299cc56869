// The canonical encoding and hash of an audit entry (docs/audit-log.md, "Entry encoding"), and
// reading a stored entry back from its row.
#include "tongban/audit/entry.h"

#include "tongban/common/crypto.h"

#include "encoding_impl.h"
#include "pg_rows_impl.h"

namespace tongban::audit {
namespace internal {
namespace {

void putU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}
void putI64(std::string* out, int64_t value) {
  const auto v = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

void putStr(std::string* out, std::string_view s) {
  out->push_back('\x01');
  putU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}
void putInt(std::string* out, int64_t v) {
  out->push_back('\x01');
  putI64(out, v);
}

namespace {

void putOptStr(std::string* out, const std::optional<std::string>& s) {
  if (s) {
    putStr(out, *s);
  } else {
    out->push_back('\x00');
  }
}
void putOptInt(std::string* out, const std::optional<int64_t>& v) {
  if (v) {
    putInt(out, *v);
  } else {
    out->push_back('\x00');
  }
}
void putArr(std::string* out, const std::vector<std::string>& items) {
  out->push_back('\x01');
  putU32(out, static_cast<uint32_t>(items.size()));
  for (const auto& item : items) putStr(out, item);
}

}  // namespace

void encodeHead(std::string* out, std::string_view node_id, int64_t seq, int64_t at_micros) {
  putStr(out, kAuditEntryTag);
  putStr(out, node_id);
  putInt(out, seq);
  putInt(out, at_micros);
}

void encodeTail(std::string* out, const AuditRecord& r) {
  putOptStr(out, r.request_id);
  putOptStr(out, r.app_id);
  putOptStr(out, r.department_code);
  putOptStr(out, r.key_id);
  putOptStr(out, r.method);
  putOptStr(out, r.path);
  putOptStr(out, r.resource_code);
  putArr(out, r.fields);
  putArr(out, r.subject_keys);
  putOptStr(out, r.matter_code);
  putOptStr(out, r.case_id);
  putStr(out, r.result);
  putOptInt(out, r.http_status);
  putOptStr(out, r.reason);
}

std::string sha256Of(std::string_view a, std::string_view b, std::string_view c) {
  std::string buf;
  buf.reserve(a.size() + b.size() + c.size());
  buf.append(a.data(), a.size()).append(b.data(), b.size()).append(c.data(), c.size());
  return tongban::sha256(buf);
}

}  // namespace internal

using internal::encodeHead;
using internal::encodeTail;
using internal::fromHex;
using internal::optField;
using internal::readTextArray;
using internal::sha256Of;

std::string encodeAuditRecord(const AuditRecord& record) {
  std::string out;
  encodeHead(&out, record.node_id, record.seq, record.at_micros);
  encodeTail(&out, record);
  return out;
}

std::string computeAuditHash(std::string_view prev_hash, const AuditRecord& record) {
  return sha256Of(prev_hash, encodeAuditRecord(record), {});
}

const char* const kAuditRecordSelect =
    "a.node_id, a.seq, (extract(epoch FROM a.at) * 1000000)::bigint, a.request_id, a.app_id, "
    "a.department_code, a.key_id, a.method, a.path, a.resource_code, a.fields, a.subject_keys, "
    "a.matter_code, a.case_id, a.result, a.http_status, a.reason, encode(a.prev_hash, 'hex'), "
    "encode(a.hash, 'hex')";

Result<AuditRecord> auditRecordFromRow(const pqxx::row& row) {
  AuditRecord r;
  r.node_id = row[0].as<std::string>();
  r.seq = row[1].as<int64_t>();
  r.at_micros = row[2].as<int64_t>();
  r.request_id = optField(row[3]);
  r.app_id = optField(row[4]);
  r.department_code = optField(row[5]);
  r.key_id = optField(row[6]);
  r.method = optField(row[7]);
  r.path = optField(row[8]);
  r.resource_code = optField(row[9]);
  if (!readTextArray(row[10], &r.fields)) {
    return Status::internal("fields is NULL or holds a NULL or nested element");
  }
  if (!readTextArray(row[11], &r.subject_keys)) {
    return Status::internal("subject_keys is NULL or holds a NULL or nested element");
  }
  r.matter_code = optField(row[12]);
  r.case_id = optField(row[13]);
  r.result = row[14].as<std::string>();
  if (!row[15].is_null()) r.http_status = row[15].as<int64_t>();
  r.reason = optField(row[16]);
  if (!fromHex(row[17].as<std::string>(), &r.prev_hash)) return Status::internal("bad prev_hash");
  if (!fromHex(row[18].as<std::string>(), &r.hash)) return Status::internal("bad hash");
  return r;
}

}  // namespace tongban::audit
