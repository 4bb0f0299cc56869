// SEED / TEST IMPLEMENTATION of Index: see memory_index.h.
#include "tongban/verification/memory_index.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace tongban::verification {

int32_t daysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void civilFromDays(int32_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int yy = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

namespace {

struct Cert {
  std::string type_code;
  std::string status;
  int32_t valid_from = 0;
  int32_t valid_to = 0;  // 0: long-term
  std::string issuer_region;
  bool seal_inactive = false;
};

struct Person {
  std::string status;
  std::string region;
  int y = 0;
  unsigned m = 0, d = 0;
};

struct Entity {
  std::string status;
  std::string legal_rep;
};

bool parseDate(const std::string& s, int32_t* out) {
  int y;
  unsigned m, d;
  char tail;
  if (std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *out = daysFromCivil(y, m, d);
  return true;
}

class SeedIndex : public Index {
 public:
  Status add(const std::vector<std::string>& f, size_t line) {
    const auto bad = [line](const std::string& why) {
      return Status::invalid("line " + std::to_string(line), why);
    };
    if (f[0] == "certificate") {
      if (f.size() < 7) return bad("certificate needs 6 fields");
      Cert c;
      // 1.2.156.3005.2.{type}.{issuer}.{serial}.{version}.{check}
      if (f[1].size() < 15 + 21) return bad("malformed certificate id");
      c.type_code = f[1].substr(15, 21);
      c.status = f[3];
      if (!parseDate(f[4], &c.valid_from)) return bad("valid_from");
      if (f[5] != "-" && !parseDate(f[5], &c.valid_to)) return bad("valid_to");
      c.issuer_region = f[6];
      c.seal_inactive = f.size() > 7 && f[7] == "seal_inactive";
      certs_[f[1]] = c;
      by_holder_[f[2]].push_back(f[1]);
      return Status::ok();
    }
    if (f[0] == "person") {
      if (f.size() < 4 || f[1].size() != 18)
        return bad("person needs a citizen id, status, region");
      Person p;
      p.status = f[2];
      p.region = f[3];
      p.y = std::stoi(f[1].substr(6, 4));
      p.m = static_cast<unsigned>(std::stoi(f[1].substr(10, 2)));
      p.d = static_cast<unsigned>(std::stoi(f[1].substr(12, 2)));
      persons_[f[1]] = p;
      return Status::ok();
    }
    if (f[0] == "entity") {
      if (f.size() < 4) return bad("entity needs a credit code, status, legal representative");
      entities_[f[1]] = Entity{f[2], f[3]};
      return Status::ok();
    }
    if (f[0] == "as_of") {
      if (f.size() < 5) return bad("as_of needs 4 numbers");
      as_of_.certs_seq = std::stoull(f[1]);
      as_of_.population_seq = std::stoull(f[2]);
      as_of_.legal_entity_seq = std::stoull(f[3]);
      as_of_.at_micros = std::stoll(f[4]);
      return Status::ok();
    }
    return bad("unknown record '" + f[0] + "'");
  }

  void evaluate(const Check* checks, size_t n, Answer* answers, AsOf* as_of,
                int32_t today) const override {
    for (size_t i = 0; i < n; ++i) answers[i] = evaluateOne(checks[i], today);
    *as_of = as_of_;
  }

  AsOf scanPersons(const Check* predicate, size_t n, int32_t today, const std::string& after,
                   const std::function<bool(const std::string&)>& emit) const override {
    std::vector<std::string> ids;
    for (const auto& [id, p] : persons_) {
      if (id > after) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
      bool all = true;
      for (size_t i = 0; i < n && all; ++i) {
        Check c = predicate[i];
        c.subject = id;
        all = evaluateOne(c, today).verdict == Verdict::kTrue;
      }
      if (all && !emit(id)) break;
    }
    return as_of_;
  }

  IndexHealth health() const override {
    IndexHealth h;
    h.loaded = true;
    h.connected = true;
    h.certificates = certs_.size();
    h.persons = persons_.size();
    h.entities = entities_.size();
    h.as_of = as_of_;
    return h;
  }

 private:
  static Answer answer(Verdict v, Reason r) { return Answer{v, r}; }

  Answer certificateAnswer(const Cert& c, int32_t today) const {
    if (c.status == "suspended") return answer(Verdict::kFalse, Reason::kSuspended);
    if (c.status == "revoked") return answer(Verdict::kFalse, Reason::kRevoked);
    if (c.status == "cancelled") return answer(Verdict::kFalse, Reason::kCancelled);
    if (c.status == "deregistered") return answer(Verdict::kFalse, Reason::kDeregistered);
    if (c.status == "superseded") return answer(Verdict::kFalse, Reason::kSuperseded);
    if (c.status == "expired") return answer(Verdict::kFalse, Reason::kExpired);
    if (today < c.valid_from) return answer(Verdict::kFalse, Reason::kNotYetValid);
    if (c.valid_to != 0 && today > c.valid_to) return answer(Verdict::kFalse, Reason::kExpired);
    if (c.seal_inactive) return answer(Verdict::kFalse, Reason::kSealInactive);
    return answer(Verdict::kTrue, Reason::kOk);
  }

  Answer evaluateOne(const Check& c, int32_t today) const {
    switch (c.kind) {
      case CheckKind::kCertificateValid: {
        auto it = certs_.find(c.subject);
        if (it == certs_.end()) return answer(Verdict::kUnknown, Reason::kNotFound);
        return certificateAnswer(it->second, today);
      }
      case CheckKind::kHoldsCertificate: {
        auto it = by_holder_.find(c.subject);
        if (it == by_holder_.end()) {
          if (persons_.count(c.subject) || entities_.count(c.subject)) {
            return answer(Verdict::kFalse, Reason::kNoValidCertificate);
          }
          return answer(Verdict::kUnknown, Reason::kNotFound);
        }
        for (const auto& id : it->second) {
          const Cert& cert = certs_.at(id);
          if (cert.type_code != c.type_code) continue;
          if (!c.region.empty() && cert.issuer_region.compare(0, c.region.size(), c.region) != 0)
            continue;
          if (c.valid_until != 0 && cert.valid_to != 0 && cert.valid_to < c.valid_until) continue;
          if (certificateAnswer(cert, today).verdict == Verdict::kTrue) {
            return answer(Verdict::kTrue, Reason::kOk);
          }
        }
        return answer(Verdict::kFalse, Reason::kNoValidCertificate);
      }
      case CheckKind::kPersonAlive:
      case CheckKind::kPersonRegisteredIn:
      case CheckKind::kPersonAgeAtLeast: {
        auto it = persons_.find(c.subject);
        if (it == persons_.end()) return answer(Verdict::kUnknown, Reason::kNotFound);
        const Person& p = it->second;
        if (c.kind == CheckKind::kPersonAlive) {
          if (p.status == "deceased") return answer(Verdict::kFalse, Reason::kDeceased);
          if (p.status == "emigrated") return answer(Verdict::kFalse, Reason::kEmigrated);
          return answer(Verdict::kTrue, Reason::kOk);
        }
        if (c.kind == CheckKind::kPersonRegisteredIn) {
          return p.region.compare(0, c.region.size(), c.region) == 0
                     ? answer(Verdict::kTrue, Reason::kOk)
                     : answer(Verdict::kFalse, Reason::kRegionMismatch);
        }
        int y;
        unsigned m, d;
        civilFromDays(c.on_date != 0 ? c.on_date : today, &y, &m, &d);
        int age = y - p.y - ((m < p.m || (m == p.m && d < p.d)) ? 1 : 0);
        return age >= c.min_age ? answer(Verdict::kTrue, Reason::kOk)
                                : answer(Verdict::kFalse, Reason::kUnderAge);
      }
      case CheckKind::kEntityInBusiness: {
        auto it = entities_.find(c.subject);
        if (it == entities_.end()) return answer(Verdict::kUnknown, Reason::kNotFound);
        const std::string& s = it->second.status;
        if (s == "abnormal") return answer(Verdict::kFalse, Reason::kAbnormalOperation);
        if (s == "revoked") return answer(Verdict::kFalse, Reason::kEntityRevoked);
        if (s == "deregistered") return answer(Verdict::kFalse, Reason::kDeregistered);
        return answer(Verdict::kTrue, Reason::kOk);
      }
      case CheckKind::kLegalRepresentative: {
        auto it = entities_.find(c.entity);
        if (it == entities_.end()) return answer(Verdict::kUnknown, Reason::kEntityNotFound);
        return it->second.legal_rep == c.subject
                   ? answer(Verdict::kTrue, Reason::kOk)
                   : answer(Verdict::kFalse, Reason::kNotRepresentative);
      }
    }
    return answer(Verdict::kUnknown, Reason::kNotFound);
  }

  std::unordered_map<std::string, Cert> certs_;
  std::unordered_map<std::string, std::vector<std::string>> by_holder_;
  std::unordered_map<std::string, Person> persons_;
  std::unordered_map<std::string, Entity> entities_;
  AsOf as_of_;
};

}  // namespace

Result<std::unique_ptr<Index>> loadSeedIndex(const std::string& text) {
  auto index = std::make_unique<SeedIndex>();
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string w; words >> w;) fields.push_back(w);
    if (fields.empty()) continue;
    try {
      if (Status s = index->add(fields, number); !s) return s;
    } catch (const std::exception&) {
      return Status::invalid("line " + std::to_string(number), "malformed number");
    }
  }
  return std::unique_ptr<Index>(std::move(index));
}

Result<std::unique_ptr<Index>> loadSeedIndexFile(const std::string& path,
                                                 const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid(field, "cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  auto index = loadSeedIndex(s.str());
  if (!index)
    return Status::invalid(field,
                           path + ": " + index.status().field() + ": " + index.status().message());
  return index;
}

}  // namespace tongban::verification
