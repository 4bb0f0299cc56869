// tongban-admin type: certificate types (证照类型, certs::CertificateTypeRegistry) and the
// departments that may issue them.
//
// Output: one JSON object per line. Exit 0 done, 1 refused or failed (reason on stderr), 2 usage.
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/certs/type_registry.h"
#include "tongban/common/db_pool.h"
#include "tongban/common/identifiers.h"
#include "tongban/common/json.h"
#include "tongban/common/json_writer.h"

namespace tongban::admin {
namespace {

const char kTypeUsage[] =
    "usage: tongban-admin type list\n"
    "       tongban-admin type show CODE\n"
    "       tongban-admin type authorize TYPE_CODE DEPARTMENT_CODE\n"
    "  options: [--db CONNINFO | --config FILE]\n"
    "\n"
    "  list       every certificate type and the departments that may issue it\n"
    "  show       one type with its surface schema\n"
    "  authorize  lets a department issue a type (certs.type_issuers)\n"
    "Database: --db CONNINFO, else database.url from --config FILE, else TONGBAN_DATABASE_URL.\n";

void printType(std::ostream& out, const certs::CertificateType& type, bool with_schema) {
  out << json::object([&](json::Writer& w) {
    json::str(w, "code", type.code);
    json::str(w, "name", type.name);
    json::str(w, "holder_kind",
              type.holder_kind == certs::HolderKind::kPerson ? "person" : "entity");
    json::str(w, "holder_code_type", certs::holderCodeType(type.holder_kind));
    json::boolean(w, "holder_check", type.holder_check);
    json::boolean(w, "unique_per_holder", type.unique_per_holder);
    w.Key("default_validity_months");
    if (type.default_validity_months) {
      w.Int64(*type.default_validity_months);
    } else {
      w.Null();
    }
    json::strArray(w, "issuers", type.issuer_codes);
    if (with_schema) {
      // Re-serialised compactly so the line stays one line whatever the stored text looks like.
      rapidjson::Document schema;
      if (parseJson(type.schema_json, schema, "surface_schema")) {
        w.Key("surface_schema");
        schema.Accept(w);
      }
    }
  }) << "\n";
}

}  // namespace

int runType(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, {"--db", "--config"}, {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    return commandUsage(args, "type", kTypeUsage, out, err);
  }
  const std::string verb = args->positional[0];
  const size_t n = args->positional.size();
  if (!((verb == "list" && n == 1) || (verb == "show" && n == 2) ||
        (verb == "authorize" && n == 3))) {
    return commandUsage(args, "type", kTypeUsage, out, err);
  }
  const std::string cmd = "type " + verb;
  auto db = resolveDatabase(*args);
  if (!db) {
    err << "tongban-admin " << cmd << ": " << db.status().message() << "\n";
    return 2;
  }
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  certs::CertificateTypeRegistry types(pool);
  if (verb == "list") {
    Result<std::vector<certs::CertificateType>> list = types.list();
    if (!list) return commandFailed(cmd.c_str(), list.status(), err);
    for (const certs::CertificateType& type : *list) printType(out, type, false);
    return 0;
  }
  Result<std::shared_ptr<const certs::CertificateType>> type = types.get(args->positional[1]);
  if (!type) return commandFailed(cmd.c_str(), type.status(), err);
  if (verb == "show") {
    printType(out, **type, true);
    return 0;
  }
  Result<std::string> department = ids::normalizeCreditCode(args->positional[2], "department_code");
  if (!department) return commandFailed(cmd.c_str(), department.status(), err);
  if (Status s = types.authorizeIssuer((*type)->code, *department); !s) {
    return commandFailed(cmd.c_str(), s, err);
  }
  Result<std::shared_ptr<const certs::CertificateType>> updated = types.get((*type)->code);
  if (!updated) return commandFailed(cmd.c_str(), updated.status(), err);
  printType(out, **updated, false);
  return 0;
}

}  // namespace tongban::admin
