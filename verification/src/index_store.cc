#include "index_store.h"

#include <algorithm>
#include <array>

#include "tongban/verification/civil_date.h"

namespace tongban::verification::store {
namespace {

constexpr std::string_view kCertPrefix = "1.2.156.3005.2.";

// GB 32100 alphabet: 0-9 A-H J-N P-R T U W-Y (31 symbols); -1 for anything else.
int code31(char c) {
  static const auto table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (int i = 0; alphabet[i] != 0; ++i)
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  return table[static_cast<unsigned char>(c)];
}

uint32_t regionNumber(std::string_view six) {
  uint32_t r = 0;
  for (char c : six) r = r * 10 + static_cast<uint32_t>(c - '0');
  return r;
}

// A region prefix as (value, divisor): "33" → (33, 10000), "3301" → (3301, 100), "330106" →
// (330106, 1). Trailing "00" pairs of a six-digit code are a prefix too: 330000 is the province,
// 330100 the city, and each covers its districts.
void prefixOf(const std::string& p, uint32_t* value, uint32_t* divisor) {
  std::string_view s = p;
  while (s.size() > 2 && s.substr(s.size() - 2) == "00") s.remove_suffix(2);
  *value = regionNumber(s);
  *divisor = s.size() == 2 ? 10000 : s.size() == 4 ? 100 : 1;
}

}  // namespace

bool packCitizenId(std::string_view id, uint64_t* key) {
  if (id.size() != 18) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 17; ++i) {
    const char c = id[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  const char c = id[17];
  uint64_t check;
  if (c >= '0' && c <= '9') {
    check = static_cast<uint64_t>(c - '0');
  } else if (c == 'X') {
    check = 10;
  } else {
    return false;
  }
  *key = v * 11 + check;
  return true;
}

std::string unpackCitizenId(uint64_t key) {
  std::string s(18, '0');
  const uint64_t check = key % 11;
  s[17] = check == 10 ? 'X' : static_cast<char>('0' + check);
  uint64_t v = key / 11;
  for (int i = 16; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return s;
}

bool packCode18(std::string_view code, Code18* key) {
  if (code.size() != 18) return false;
  uint64_t hi = 0;
  uint32_t lo = 0;
  for (size_t i = 0; i < 18; ++i) {
    const int v = code31(code[i]);
    if (v < 0) return false;
    if (i < 12) {
      hi = hi << 5 | static_cast<uint64_t>(v);
    } else {
      lo = lo << 5 | static_cast<uint32_t>(v);
    }
  }
  key->hi = hi;
  key->lo = lo;
  return true;
}

bool parseCertStatus(std::string_view s, CertStatus* out) {
  static constexpr std::pair<std::string_view, CertStatus> kNames[] = {
      {"valid", CertStatus::kValid},          {"suspended", CertStatus::kSuspended},
      {"cancelled", CertStatus::kCancelled},  {"deregistered", CertStatus::kDeregistered},
      {"revoked", CertStatus::kRevoked},      {"expired", CertStatus::kExpired},
      {"superseded", CertStatus::kSuperseded}};
  for (const auto& [name, value] : kNames) {
    if (s == name) {
      *out = value;
      return true;
    }
  }
  return false;
}

bool parsePersonStatus(std::string_view s, PersonStatus* out) {
  if (s == "living")
    *out = PersonStatus::kLiving;
  else if (s == "deceased")
    *out = PersonStatus::kDeceased;
  else if (s == "emigrated")
    *out = PersonStatus::kEmigrated;
  else
    return false;
  return true;
}

bool parseEntityStatus(std::string_view s, EntityStatus* out) {
  if (s == "in_business")
    *out = EntityStatus::kInBusiness;
  else if (s == "abnormal")
    *out = EntityStatus::kAbnormal;
  else if (s == "revoked")
    *out = EntityStatus::kRevoked;
  else if (s == "deregistered")
    *out = EntityStatus::kDeregistered;
  else
    return false;
  return true;
}

// ---- Interner ----------------------------------------------------------------------------------

uint64_t Interner::hashOf(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return mix64(h);
}

uint32_t Interner::find(std::string_view key) const {
  if (key.size() > width_ || key.size() > 32) return kNone;
  return slots_.find(hashOf(key), [&](uint32_t id) {
    const Entry& e = entries_.at(id);
    return e.len == key.size() && std::memcmp(e.key, key.data(), key.size()) == 0;
  });
}

uint32_t Interner::intern(std::string_view key) {
  const uint32_t found = find(key);
  if (found != kNone) return found;
  if (key.size() > width_ || key.size() > 32 || entries_.writerSize() >= 0xFFFF) return kNone;
  uint32_t id;
  if (!entries_.append(&id)) return kNone;
  Entry& e = entries_.at(id);
  std::memcpy(e.key, key.data(), key.size());
  e.len = static_cast<uint8_t>(key.size());
  slots_.insert(hashOf(key), id, [this](uint32_t i) { return hashOf(name(i)); });
  entries_.publishSize();
  return id;
}

// ---- Store: writer
// -------------------------------------------------------------------------------

Store::Store() : cert_slots_(1024), holder_slots_(1024), person_slots_(1024), entity_slots_(64) {}

uint64_t Store::certHash(const CertKey& k) {
  return mix64(k.serial ^ (uint64_t{k.type} << 48) ^ (uint64_t{k.issuer} << 32) ^
               (uint64_t{k.version} << 16) ^ k.serial_digits);
}

bool Store::certKey(std::string_view id, bool intern, CertKey* key) {
  if (!intern) return findCertKey(id, key);
  if (id.size() < kCertPrefix.size() + 21 + 1 + 18 + 1 ||
      id.substr(0, kCertPrefix.size()) != kCertPrefix) {
    return false;
  }
  std::string_view rest = id.substr(kCertPrefix.size());
  const std::string_view type = rest.substr(0, 21);
  const std::string_view issuer = rest.substr(22, 18);
  const uint32_t t = types_.intern(type);
  const uint32_t i = issuers_.intern(issuer);
  if (t == kNone || i == kNone) return false;
  if (issuers_.value(i).load(std::memory_order_relaxed) == 0) {
    uint32_t region = 0;
    for (size_t j = 2; j < 8; ++j) {
      const char c = issuer[j];
      region = region * 10 + (c >= '0' && c <= '9' ? static_cast<uint32_t>(c - '0') : 0);
    }
    issuers_.value(i).store(region, std::memory_order_release);
  }
  return findCertKey(id, key);
}

bool Store::findCertKey(std::string_view id, CertKey* key) const {
  // 1.2.156.3005.2.{type 21}.{issuer 18}.{serial}.{version 3}.{check 1}
  if (id.size() < kCertPrefix.size() + 21 + 1 + 18 + 1 + 1 + 1 + 3 + 1 + 1 ||
      id.compare(0, kCertPrefix.size(), kCertPrefix) != 0) {
    return false;
  }
  std::string_view rest = id.substr(kCertPrefix.size());
  if (rest[21] != '.' || rest[40] != '.') return false;
  const uint32_t t = types_.find(rest.substr(0, 21));
  const uint32_t i = issuers_.find(rest.substr(22, 18));
  if (t == kNone || i == kNone) return false;
  rest.remove_prefix(41);  // serial.version.check
  if (rest.size() < 7 || rest[rest.size() - 2] != '.' || rest[rest.size() - 6] != '.') return false;
  const std::string_view serial = rest.substr(0, rest.size() - 6);
  const std::string_view version = rest.substr(rest.size() - 5, 3);
  if (serial.empty() || serial.size() > 19) return false;
  uint64_t s = 0;
  for (char c : serial) {
    if (c < '0' || c > '9') return false;
    s = s * 10 + static_cast<uint64_t>(c - '0');
  }
  uint32_t v = 0;
  for (char c : version) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  key->serial = s;
  key->type = static_cast<uint16_t>(t);
  key->issuer = static_cast<uint16_t>(i);
  key->version = static_cast<uint16_t>(v);
  key->serial_digits = static_cast<uint8_t>(serial.size());
  return true;
}

uint32_t Store::findCert(const CertKey& k) const {
  return cert_slots_.find(certHash(k), [&](uint32_t id) {
    const CertRec& r = certs_.at(id);
    return r.serial_lo == static_cast<uint32_t>(k.serial) &&
           r.serial_hi == static_cast<uint32_t>(k.serial >> 32) && r.type == k.type &&
           r.issuer == k.issuer && r.version == k.version && r.serial_digits == k.serial_digits;
  });
}

uint32_t Store::findPerson(uint64_t key) const {
  return person_slots_.find(mix64(key), [&](uint32_t id) { return persons_.at(id).key == key; });
}

uint32_t Store::findEntity(const Code18& key) const {
  return entity_slots_.find(hashCode18(key),
                            [&](uint32_t id) { return entities_.at(id).key == key; });
}

uint32_t Store::findHolder(const Code18& key) const {
  return holder_slots_.find(hashCode18(key),
                            [&](uint32_t id) { return holders_.at(id).key == key; });
}

void Store::putSeal(std::string_view seal, SealStatus status) {
  const uint32_t s = seals_.intern(seal);
  if (s != kNone) seals_.value(s).store(static_cast<uint32_t>(status), std::memory_order_release);
}

bool Store::putCertificate(std::string_view id, CertStatus status, std::string_view seal,
                           int64_t valid_from, int64_t valid_to, std::string_view holder) {
  CertKey k;
  if (!certKey(id, true, &k)) {
    unindexed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint16_t vf = clampDay(valid_from);
  const uint16_t vt = valid_to == kLongTerm ? kLongTerm : clampDay(valid_to);
  const uint32_t existing = findCert(k);
  if (existing != kNone) {
    CertRec& r = certs_.at(existing);
    r.valid_from.store(vf, std::memory_order_release);
    r.valid_to.store(vt, std::memory_order_release);
    r.status.store(static_cast<uint8_t>(status), std::memory_order_release);
    return true;
  }
  uint32_t seal_id = seals_.find(seal);
  if (seal_id == kNone) {
    seal_id = seals_.intern(seal);  // status unknown until its feed row: active
    if (seal_id == kNone) seal_id = 0;
  }
  uint32_t id32;
  if (!certs_.append(&id32)) {
    unindexed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  CertRec& r = certs_.at(id32);
  r.serial_lo = static_cast<uint32_t>(k.serial);
  r.serial_hi = static_cast<uint32_t>(k.serial >> 32);
  r.type = k.type;
  r.issuer = k.issuer;
  r.version = k.version;
  r.serial_digits = k.serial_digits;
  r.seal = static_cast<uint16_t>(seal_id);
  // Scans and counts see the record once its fields are set (publishSize at the end).
  r.valid_from.store(vf, std::memory_order_relaxed);
  r.valid_to.store(vt, std::memory_order_relaxed);
  r.status.store(static_cast<uint8_t>(status), std::memory_order_relaxed);
  Code18 hk;
  if (packCode18(holder, &hk)) {
    uint32_t h = findHolder(hk);
    if (h == kNone && holders_.append(&h)) {
      holders_.at(h).key = hk;
      holder_slots_.insert(hashCode18(hk), h,
                           [this](uint32_t i) { return hashCode18(holders_.at(i).key); });
    }
    if (h != kNone) {
      HolderRec& hr = holders_.at(h);
      r.next_by_holder.store(hr.head.load(std::memory_order_relaxed), std::memory_order_relaxed);
      cert_slots_.insert(certHash(k), id32, [this](uint32_t i) {
        const CertRec& c = certs_.at(i);
        return certHash({uint64_t{c.serial_hi} << 32 | c.serial_lo, c.type, c.issuer, c.version,
                         c.serial_digits});
      });
      hr.head.store(id32, std::memory_order_release);
      holders_.publishSize();
      certs_.publishSize();
      return true;
    }
  }
  cert_slots_.insert(certHash(k), id32, [this](uint32_t i) {
    const CertRec& c = certs_.at(i);
    return certHash(
        {uint64_t{c.serial_hi} << 32 | c.serial_lo, c.type, c.issuer, c.version, c.serial_digits});
  });
  certs_.publishSize();
  return true;
}

bool Store::putPerson(std::string_view citizen_id, uint32_t region, PersonStatus status) {
  uint64_t key;
  if (!packCitizenId(citizen_id, &key)) return false;
  uint32_t id = findPerson(key);
  if (id != kNone) {
    PersonRec& r = persons_.at(id);
    r.region.store(region, std::memory_order_release);
    r.status.store(static_cast<uint8_t>(status), std::memory_order_release);
    return true;
  }
  if (status == PersonStatus::kDeleted) return true;
  if (!persons_.append(&id)) return false;
  PersonRec& r = persons_.at(id);
  r.key = key;
  r.region.store(region, std::memory_order_relaxed);
  r.status.store(static_cast<uint8_t>(status), std::memory_order_relaxed);
  person_slots_.insert(mix64(key), id, [this](uint32_t i) { return mix64(persons_.at(i).key); });
  persons_.publishSize();
  return true;
}

bool Store::putEntity(std::string_view credit_code, EntityStatus status,
                      std::string_view legal_rep) {
  Code18 key;
  if (!packCode18(credit_code, &key)) return false;
  uint64_t rep = 0;
  if (!legal_rep.empty() && !packCitizenId(legal_rep, &rep)) rep = 0;
  uint32_t id = findEntity(key);
  if (id != kNone) {
    EntityRec& r = entities_.at(id);
    if (status != EntityStatus::kDeleted) r.legal_rep.store(rep, std::memory_order_release);
    r.status.store(static_cast<uint8_t>(status), std::memory_order_release);
    return true;
  }
  if (status == EntityStatus::kDeleted) return true;
  if (!entities_.append(&id)) return false;
  EntityRec& r = entities_.at(id);
  r.key = key;
  r.legal_rep.store(rep, std::memory_order_relaxed);
  r.status.store(static_cast<uint8_t>(status), std::memory_order_relaxed);
  entity_slots_.insert(hashCode18(key), id,
                       [this](uint32_t i) { return hashCode18(entities_.at(i).key); });
  entities_.publishSize();
  return true;
}

void Store::deleteAllPersons() {
  for (size_t i = 0; i < persons_.writerSize(); ++i) {
    persons_.at(static_cast<uint32_t>(i))
        .status.store(static_cast<uint8_t>(PersonStatus::kDeleted), std::memory_order_release);
  }
}

void Store::deleteAllEntities() {
  for (size_t i = 0; i < entities_.writerSize(); ++i) {
    entities_.at(static_cast<uint32_t>(i))
        .status.store(static_cast<uint8_t>(EntityStatus::kDeleted), std::memory_order_release);
  }
}

void Store::reserve(size_t certificates, size_t holders, size_t persons, size_t entities) {
  cert_slots_.reserve(certificates, [this](uint32_t i) {
    const CertRec& c = certs_.at(i);
    return certHash(
        {uint64_t{c.serial_hi} << 32 | c.serial_lo, c.type, c.issuer, c.version, c.serial_digits});
  });
  holder_slots_.reserve(holders, [this](uint32_t i) { return hashCode18(holders_.at(i).key); });
  person_slots_.reserve(persons, [this](uint32_t i) { return mix64(persons_.at(i).key); });
  entity_slots_.reserve(entities, [this](uint32_t i) { return hashCode18(entities_.at(i).key); });
}

size_t Store::sortedPersonPrefix() const {
  const size_t n = persons_.writerSize();
  for (size_t i = 1; i < n; ++i) {
    if (persons_.at(static_cast<uint32_t>(i)).key <=
        persons_.at(static_cast<uint32_t>(i - 1)).key) {
      return i;
    }
  }
  return n;
}

void Store::publish() {
  certs_.publishSize();
  holders_.publishSize();
  persons_.publishSize();
  entities_.publishSize();
}

uint64_t Store::certificateBytes() const {
  return certs_.bytes() + cert_slots_.bytes() + holders_.bytes() + holder_slots_.bytes() +
         types_.bytes() + issuers_.bytes() + seals_.bytes();
}

uint64_t Store::personBytes() const { return persons_.bytes() + person_slots_.bytes(); }

uint64_t Store::bytes() const {
  return certificateBytes() + personBytes() + entities_.bytes() + entity_slots_.bytes();
}

// ---- Store: readers
// ------------------------------------------------------------------------------

bool Store::regionMatches(uint32_t region, const std::string& prefix) const {
  uint32_t value, divisor;
  prefixOf(prefix, &value, &divisor);
  return region / divisor == value;
}

Answer Store::certificateAnswer(const CertRec& r, int32_t today) const {
  switch (static_cast<CertStatus>(r.status.load(std::memory_order_acquire))) {
    case CertStatus::kValid:
      break;
    case CertStatus::kSuspended:
      return {Verdict::kFalse, Reason::kSuspended};
    case CertStatus::kCancelled:
      return {Verdict::kFalse, Reason::kCancelled};
    case CertStatus::kDeregistered:
      return {Verdict::kFalse, Reason::kDeregistered};
    case CertStatus::kRevoked:
      return {Verdict::kFalse, Reason::kRevoked};
    case CertStatus::kExpired:
      return {Verdict::kFalse, Reason::kExpired};
    case CertStatus::kSuperseded:
      return {Verdict::kFalse, Reason::kSuperseded};
  }
  if (today < r.valid_from.load(std::memory_order_acquire)) {
    return {Verdict::kFalse, Reason::kNotYetValid};
  }
  const uint16_t vt = r.valid_to.load(std::memory_order_acquire);
  if (vt != kLongTerm && today > vt) return {Verdict::kFalse, Reason::kExpired};
  if (seals_.value(r.seal).load(std::memory_order_acquire) !=
      static_cast<uint32_t>(SealStatus::kActive)) {
    return {Verdict::kFalse, Reason::kSealInactive};
  }
  return {Verdict::kTrue, Reason::kOk};
}

Answer Store::personAnswer(const Check& c, const PersonRec& r, int32_t today) const {
  const auto status = static_cast<PersonStatus>(r.status.load(std::memory_order_acquire));
  if (status == PersonStatus::kDeleted) return {Verdict::kUnknown, Reason::kNotFound};
  switch (c.kind) {
    case CheckKind::kPersonAlive:
    case CheckKind::kPersonRegisteredIn:
      // A death or emigration cancels the household registration (注销户口) too.
      if (status == PersonStatus::kDeceased) return {Verdict::kFalse, Reason::kDeceased};
      if (status == PersonStatus::kEmigrated) return {Verdict::kFalse, Reason::kEmigrated};
      if (c.kind == CheckKind::kPersonRegisteredIn &&
          !regionMatches(r.region.load(std::memory_order_acquire), c.region)) {
        return {Verdict::kFalse, Reason::kRegionMismatch};
      }
      return {Verdict::kTrue, Reason::kOk};
    case CheckKind::kPersonAgeAtLeast: {
      // The birth date is digits 7..14 of the citizen id (validated by the registry's CHECK).
      const uint64_t ymd = (r.key / 11 / 1000) % 100000000;  // digits 7..14: YYYYMMDD
      const auto y = static_cast<int32_t>(ymd / 10000);
      const auto m = static_cast<uint32_t>(ymd / 100 % 100);
      const auto d = static_cast<uint32_t>(ymd % 100);
      const int32_t on = c.on_date != 0 ? c.on_date : today;
      if (ageOn(y, m, d, on) >= c.min_age) return {Verdict::kTrue, Reason::kOk};
      return {Verdict::kFalse, Reason::kUnderAge};
    }
    default:
      return {Verdict::kUnknown, Reason::kNotFound};
  }
}

Answer Store::evaluate(const Check& c, int32_t today) const {
  switch (c.kind) {
    case CheckKind::kCertificateValid: {
      CertKey k;
      if (!findCertKey(c.subject, &k)) return {Verdict::kUnknown, Reason::kNotFound};
      const uint32_t id = findCert(k);
      if (id == kNone) return {Verdict::kUnknown, Reason::kNotFound};
      return certificateAnswer(certs_.at(id), today);
    }
    case CheckKind::kHoldsCertificate: {
      Code18 hk;
      const uint32_t type = types_.find(c.type_code);
      uint32_t h = kNone;
      if (packCode18(c.subject, &hk)) h = findHolder(hk);
      if (h != kNone && type != kNone) {
        for (uint32_t id = holders_.at(h).head.load(std::memory_order_acquire); id != kNone;) {
          const CertRec& r = certs_.at(id);
          id = r.next_by_holder.load(std::memory_order_acquire);
          if (r.type != type) continue;
          if (!c.region.empty() &&
              !regionMatches(issuers_.value(r.issuer).load(std::memory_order_acquire), c.region)) {
            continue;
          }
          if (c.valid_until != 0) {
            const uint16_t vt = r.valid_to.load(std::memory_order_acquire);
            if (vt != kLongTerm && vt < c.valid_until) continue;
          }
          if (certificateAnswer(r, today).verdict == Verdict::kTrue) {
            return {Verdict::kTrue, Reason::kOk};
          }
        }
      }
      if (h != kNone) return {Verdict::kFalse, Reason::kNoValidCertificate};
      // No certificate at all: false for a holder the registries know, unknown otherwise.
      uint64_t pk;
      if (packCitizenId(c.subject, &pk)) {
        const uint32_t p = findPerson(pk);
        if (p != kNone && persons_.at(p).status.load(std::memory_order_acquire) !=
                              static_cast<uint8_t>(PersonStatus::kDeleted)) {
          return {Verdict::kFalse, Reason::kNoValidCertificate};
        }
      }
      if (h == kNone && packCode18(c.subject, &hk)) {
        const uint32_t e = findEntity(hk);
        if (e != kNone && entities_.at(e).status.load(std::memory_order_acquire) !=
                              static_cast<uint8_t>(EntityStatus::kDeleted)) {
          return {Verdict::kFalse, Reason::kNoValidCertificate};
        }
      }
      return {Verdict::kUnknown, Reason::kNotFound};
    }
    case CheckKind::kPersonAlive:
    case CheckKind::kPersonRegisteredIn:
    case CheckKind::kPersonAgeAtLeast: {
      uint64_t pk;
      if (!packCitizenId(c.subject, &pk)) return {Verdict::kUnknown, Reason::kNotFound};
      const uint32_t p = findPerson(pk);
      if (p == kNone) return {Verdict::kUnknown, Reason::kNotFound};
      return personAnswer(c, persons_.at(p), today);
    }
    case CheckKind::kEntityInBusiness:
    case CheckKind::kLegalRepresentative: {
      Code18 ek;
      const std::string& code = c.kind == CheckKind::kEntityInBusiness ? c.subject : c.entity;
      const Reason missing =
          c.kind == CheckKind::kEntityInBusiness ? Reason::kNotFound : Reason::kEntityNotFound;
      if (!packCode18(code, &ek)) return {Verdict::kUnknown, missing};
      const uint32_t e = findEntity(ek);
      if (e == kNone) return {Verdict::kUnknown, missing};
      const EntityRec& r = entities_.at(e);
      const auto status = static_cast<EntityStatus>(r.status.load(std::memory_order_acquire));
      if (status == EntityStatus::kDeleted) return {Verdict::kUnknown, missing};
      if (c.kind == CheckKind::kLegalRepresentative) {
        uint64_t pk;
        if (packCitizenId(c.subject, &pk) && r.legal_rep.load(std::memory_order_acquire) == pk) {
          return {Verdict::kTrue, Reason::kOk};
        }
        return {Verdict::kFalse, Reason::kNotRepresentative};
      }
      switch (status) {
        case EntityStatus::kInBusiness:
          return {Verdict::kTrue, Reason::kOk};
        case EntityStatus::kAbnormal:
          return {Verdict::kFalse, Reason::kAbnormalOperation};
        case EntityStatus::kRevoked:
          return {Verdict::kFalse, Reason::kEntityRevoked};
        default:
          return {Verdict::kFalse, Reason::kDeregistered};
      }
    }
  }
  return {Verdict::kUnknown, Reason::kNotFound};
}

void Store::scanPersons(const Check* predicate, size_t n, int32_t today, const std::string& after,
                        const std::function<bool(const std::string&)>& emit) const {
  for (size_t j = 0; j < n; ++j) {
    const CheckKind k = predicate[j].kind;
    if (k != CheckKind::kPersonAlive && k != CheckKind::kPersonRegisteredIn &&
        k != CheckKind::kPersonAgeAtLeast) {
      return;  // not a predicate over persons: nobody qualifies
    }
  }
  uint64_t after_key = 0;
  const bool has_after = !after.empty();
  if (has_after && !packCitizenId(after, &after_key)) {
    // Not a citizen id: start after every id that sorts before it.
    after_key = 0;
    for (char c : after.substr(0, 17)) {
      after_key = after_key * 10 + static_cast<uint64_t>(c >= '0' && c <= '9' ? c - '0' : 9);
    }
    for (size_t i = after.size(); i < 17; ++i) after_key *= 10;
    after_key = after_key * 11;
  }
  const size_t sorted =
      std::min(sorted_persons_.load(std::memory_order_acquire), persons_.publishedSize());
  const size_t total = persons_.publishedSize();
  // Records appended after the load, in key order, merged with the sorted prefix.
  std::vector<std::pair<uint64_t, uint32_t>> extra;
  for (size_t i = sorted; i < total; ++i) {
    const uint64_t key = persons_.at(static_cast<uint32_t>(i)).key;
    if (!has_after || key > after_key) extra.emplace_back(key, static_cast<uint32_t>(i));
  }
  std::sort(extra.begin(), extra.end());
  // First sorted record past `after`: binary search over the prefix.
  size_t lo = 0, hi = sorted;
  if (has_after) {
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (persons_.at(static_cast<uint32_t>(mid)).key <= after_key)
        lo = mid + 1;
      else
        hi = mid;
    }
  }
  size_t i = lo, x = 0;
  while (i < sorted || x < extra.size()) {
    uint32_t id;
    if (x >= extra.size() ||
        (i < sorted && persons_.at(static_cast<uint32_t>(i)).key < extra[x].first)) {
      id = static_cast<uint32_t>(i++);
    } else {
      id = extra[x++].second;
    }
    const PersonRec& r = persons_.at(id);
    bool ok = true;
    for (size_t j = 0; j < n && ok; ++j) {
      ok = personAnswer(predicate[j], r, today).verdict == Verdict::kTrue;
    }
    if (ok && !emit(unpackCitizenId(r.key))) return;
  }
}

}  // namespace tongban::verification::store
