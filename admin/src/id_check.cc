// tongban-admin id check KIND VALUE: validates one identifier with the same code the exchange
// uses on every input, so that an operator can see exactly why a value was refused.
#include <ostream>
#include <string>

#include "tongban/admin/commands.h"
#include "tongban/common/identifiers.h"

namespace tongban::admin {
namespace {

const char kIdCheckUsage[] =
    "usage: tongban-admin id check citizen|credit-code|region|certificate VALUE\n"
    "  prints the normalised value (exit 0) or what is wrong with it (exit 1)\n";

// Prints the verdict on a Result<std::string>; returns the exit code.
int report(const std::string& kind, const Result<std::string>& result, std::ostream& out,
           std::ostream& err) {
  if (!result.isOk()) {
    err << "invalid " << kind << ": " << result.status().message() << "\n";
    return 1;
  }
  out << result.value();
  if (kind == "region") out << "\t" << ids::regionName(result.value());
  out << "\n";
  return 0;
}

}  // namespace

int runIdCheck(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << "tongban-admin id check: missing kind and value\n" << kIdCheckUsage;
    return 2;
  }
  for (const std::string& a : args) {
    if (a.size() > 1 && a[0] == '-') {  // no identifier starts with '-'; it is a flag we lack
      err << "tongban-admin id check: unknown option '" << a << "'\n" << kIdCheckUsage;
      return 2;
    }
  }
  const std::string& kind = args[0];
  if (kind != "citizen" && kind != "credit-code" && kind != "region" && kind != "certificate") {
    err << "tongban-admin id check: unknown kind '" << kind << "'\n" << kIdCheckUsage;
    return 2;
  }
  if (args.size() < 2) {
    err << "tongban-admin id check: missing value\n" << kIdCheckUsage;
    return 2;
  }
  if (args.size() > 2) {
    err << "tongban-admin id check: expected one value, got " << (args.size() - 1) << "\n"
        << kIdCheckUsage;
    return 2;
  }
  const std::string& value = args[1];
  if (kind == "citizen") return report(kind, ids::normalizeCitizenId(value), out, err);
  if (kind == "credit-code") return report(kind, ids::normalizeCreditCode(value), out, err);
  if (kind == "region") return report(kind, ids::normalizeRegionCode(value), out, err);
  return report(kind, ids::normalizeCertificateId(value), out, err);
}

}  // namespace tongban::admin
