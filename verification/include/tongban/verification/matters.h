// Service matters (政务服务事项), one-thing bundles (一件事) and eligibility rules (免申即享): the
// three service reforms the verification core makes real (schema `service`, migration 0020).
//
// A matter lists the materials an applicant must submit; each material says how the hub stands in
// for it — a certificate type the applicant must hold, a fact check, or nothing (submit it). A
// precheck turns the materials of one matter, or of every matter of a one-thing, into the distinct
// checks about one applicant (planPrecheck), the index answers them in one evaluate() call, and
// each material gets an outcome from its check's answer (materialOutcome).
//
// Invariants:
//   1. A plan holds each distinct check once, however many materials and matters need it.
//   2. A material that the hub cannot stand in for is always kMustSubmit; no answer changes that.
//   3. A stored matter's material list and eligibility rule are replaced as a whole, in one
//      transaction (putMatter): a reader never sees half of an edit.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"
#include "tongban/verification/check.h"

namespace tongban::verification {

enum class Substitute : uint8_t { kNone, kCertificate, kFact };
enum class SubjectRole : uint8_t { kPerson, kEntity };

const char* substituteName(Substitute substitute);  // "none", "certificate", "fact"
const char* subjectRoleName(SubjectRole role);      // "person", "entity"

struct Material {
  int position = 0;  // 1-based, the order printed on the matter's guide (办事指南)
  std::string name;
  Substitute substitute = Substitute::kNone;
  SubjectRole subject = SubjectRole::kPerson;  // whose id the check is about (not for kNone)
  // For kCertificate and kFact: the check with its subject (and, for legal_representative, its
  // entity) left empty; planPrecheck fills them from the applicant.
  Check check;
};

struct Matter {
  std::string code;  // catalog::isMatterCode syntax
  std::string name;
  std::string department_name;
  SubjectRole applicant_kind = SubjectRole::kPerson;
  std::string basis;
  std::vector<Material> materials;
  // 免申即享: every check must hold for a person (kinds over persons, subject empty). Empty: the
  // matter has no eligibility rule.
  std::vector<Check> eligibility;
};

struct Thing {
  std::string code;
  std::string name;
  std::string description;
  std::vector<std::string> matter_codes;  // in order
};

// Parses and validates a matter / thing document (the JSON shapes in docs/matters.md, the same
// the API and the CLI print). Errors name the field ("materials[2].type_code").
Result<Matter> parseMatter(const rapidjson::Value& json);
Result<Thing> parseThing(const rapidjson::Value& json);

// The JSON shapes. writeMatter prints every material with how the hub stands in for it.
void writeMatter(const Matter& matter, std::string& out);
void writeThing(const Thing& thing, std::string& out);

// Reads and writes schema `service`. Thread-safe (the pool is).
class MatterStore {
 public:
  explicit MatterStore(db::ConnectionPool& pool) : pool_(pool) {}

  Result<Matter> matter(const std::string& code) const;  // NotFound naming the code
  Result<Thing> thing(const std::string& code) const;
  Result<std::vector<Matter>> matters() const;  // by code
  Result<std::vector<Thing>> things() const;

  // Creates or replaces a matter with its materials and eligibility rule in one transaction.
  // InvalidArgument for a certificate type the hub does not know (materials[i].type_code).
  Status putMatter(const Matter& matter);
  // Creates or replaces a thing. InvalidArgument naming matters[i] for an unknown matter.
  Status putThing(const Thing& thing);
  // NotFound when absent; Conflict when a thing still lists the matter.
  Status removeMatter(const std::string& code);
  Status removeThing(const std::string& code);

 private:
  db::ConnectionPool& pool_;
};

// Who is applying: a person, an entity, or an entity represented by a person (an entity's
// matters may ask about its legal representative). Ids are validated by planPrecheck.
struct Applicant {
  std::string citizen_id;
  std::string credit_code;
};

struct PrecheckPlan {
  std::vector<Check> checks;  // distinct
  struct Item {
    size_t matter = 0;    // index into the matters given to planPrecheck
    size_t material = 0;  // index into that matter's materials
    int check = -1;       // index into checks; -1 for a material that must be submitted
  };
  std::vector<Item> items;  // every material of every matter, in order
};

// InvalidArgument naming applicant.citizen_id / applicant.credit_code when a material needs an
// id the applicant did not give, or the id is malformed.
Result<PrecheckPlan> planPrecheck(const std::vector<const Matter*>& matters,
                                  const Applicant& applicant);

enum class MaterialOutcome : uint8_t { kSatisfied, kNotSatisfied, kMustSubmit };
const char* materialOutcomeName(MaterialOutcome outcome);  // satisfied, not_satisfied, must_submit

// kSatisfied for a true answer; kNotSatisfied otherwise (the reason says why: the applicant then
// submits the paper or has the record corrected).
MaterialOutcome materialOutcome(const Answer& answer);

}  // namespace tongban::verification
