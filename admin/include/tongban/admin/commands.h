// The subcommands of tongban-admin, as functions so that tests can run them in-process.
//
// Each takes the arguments after its own name (for `tongban-admin id check citizen X`, runIdCheck
// gets {"citizen", "X"}), writes results to `out` and diagnostics to `err`, and returns the
// process exit code: 0 success, 1 the thing checked or asked for is wrong or failed, 2 usage error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace tongban::admin {

using Args = std::vector<std::string>;

// id check citizen|credit-code|region|certificate VALUE
int runIdCheck(const Args& args, std::ostream& out, std::ostream& err);

// seed --persons N --entities M [--seed S] [--replace] [--csv DIR] [--db CONNINFO | --config FILE]
int runSeed(const Args& args, std::ostream& out, std::ostream& err);

// audit verify|search ...                       (audit_cmd.cc)
int runAudit(const Args& args, std::ostream& out, std::ostream& err);

// catalog list|show|create|publish|retire, requests list|approve|reject,
// grants list|suspend|resume|revoke              (catalog_cmd.cc)
int runCatalog(const Args& args, std::ostream& out, std::ostream& err);
int runRequests(const Args& args, std::ostream& out, std::ostream& err);
int runGrants(const Args& args, std::ostream& out, std::ostream& err);

// department add|list, app add|list|disable|enable, key rotate|disable   (app_cmd.cc)
int runDepartment(const Args& args, std::ostream& out, std::ostream& err);
int runApp(const Args& args, std::ostream& out, std::ostream& err);
int runKey(const Args& args, std::ostream& out, std::ostream& err);

// call METHOD PATH [BODY]: a signed request to the exchange  (call_cmd.cc)
int runCall(const Args& args, std::ostream& out, std::ostream& err);

// pki init|show, seal create|list|suspend|resume|revoke, type list|show|authorize  (pki_cmd.cc)
int runPki(const Args& args, std::ostream& out, std::ostream& err);
int runSeal(const Args& args, std::ostream& out, std::ostream& err);
int runType(const Args& args, std::ostream& out, std::ostream& err);

// import population|legal_entity FILE [--format csv|jsonl] [--reject-file PATH] [--batch-rows N]
//        [--again]: batch flow-back files into the registries  (import_cmd.cc)
int runImport(const Args& args, std::ostream& out, std::ostream& err);
// user: the people who use the administrators' console (user_cmd.cc).
int runUser(const Args& args, std::ostream& out, std::ostream& err);
// matter list|show|put|remove, thing list|show|put|remove   (matter_cmd.cc)
int runMatter(const Args& args, std::ostream& out, std::ostream& err);
int runThing(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace tongban::admin
