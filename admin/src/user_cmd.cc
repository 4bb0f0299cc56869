// tongban-admin user: the people who use the administrators' console (docs/console.md), written
// straight to the database through console::ConsoleStore. Passwords are read from standard input
// (one line) or TONGBAN_CONSOLE_PASSWORD, never from the command line (where `ps` would show
// them). A TOTP secret is printed once, with its otpauth:// URI.
#include <iostream>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/common/log.h"
#include "tongban/console/console_store.h"
#include "tongban/console/totp.h"
#include "tongban/directory/secret_box.h"

namespace tongban::admin {

namespace {

const char kUserUsage[] =
    "usage: tongban-admin user add USERNAME --name DISPLAY_NAME [--totp]\n"
    "       tongban-admin user role USERNAME ROLE [--scope CREDIT_CODE] [--remove]\n"
    "           ROLE: hub_admin | department_approver (--scope: the department) | auditor |\n"
    "                 certificate_officer (--scope: the issuer)\n"
    "       tongban-admin user disable|enable USERNAME\n"
    "       tongban-admin user reset-password USERNAME [--totp]   (--totp: a new TOTP secret)\n"
    "       tongban-admin user list\n"
    "  The password (at least 12 characters) is read from standard input, one line, or from\n"
    "  TONGBAN_CONSOLE_PASSWORD. A TOTP secret is shown once.\n"
    "  options: [--db CONNINFO | --config FILE]; --totp needs security.master_key\n";

std::string q(const std::string& s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

Result<std::string> readPassword(std::istream& in) {
  if (const char* env = std::getenv("TONGBAN_CONSOLE_PASSWORD")) return std::string(env);
  std::string line;
  if (!std::getline(in, line)) {
    return Status::invalid("password",
                           "no password on standard input (or set "
                           "TONGBAN_CONSOLE_PASSWORD)");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void printTotp(std::ostream& out, const std::string& username, const std::string& secret) {
  out << "{\"username\":" << q(username) << ",\"totp_secret\":" << q(console::base32Encode(secret))
      << ",\"otpauth_uri\":" << q(console::totpUri("Tongban", username, secret))
      << ",\"note\":\"the TOTP secret is shown once; enter it in an authenticator app now\"}\n";
}

void printUser(std::ostream& out, const console::User& u) {
  out << "{\"username\":" << q(u.username) << ",\"display_name\":" << q(u.display_name)
      << ",\"status\":" << q(u.status) << ",\"totp\":" << (u.totp_enabled ? "true" : "false")
      << ",\"failed_logins\":" << u.failed_logins << ",\"roles\":[";
  for (size_t i = 0; i < u.roles.size(); ++i) {
    out << (i ? "," : "") << "{\"role\":" << q(console::toString(u.roles[i].role))
        << ",\"scope\":" << q(u.roles[i].scope) << "}";
  }
  out << "]}\n";
}

}  // namespace

int runUser(const Args& a, std::ostream& out, std::ostream& err) {
  auto args =
      parseArgs(a, {"--db", "--config", "--name", "--scope"}, {"--help", "--totp", "--remove"});
  if (!args || args->has("--help") || args->positional.empty()) {
    if (!args) err << "tongban-admin user: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kUserUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  const auto& pos = args->positional;
  const std::string verb = pos[0];
  const size_t want = verb == "list" ? 1 : verb == "role" ? 3 : 2;
  if (pos.size() != want || (verb == "add" && !args->has("--name"))) {
    err << kUserUsage;
    return 2;
  }
  auto db = resolveDatabase(*args);
  if (!db) {
    err << "tongban-admin user: " << db.status().message() << "\n";
    return 2;
  }
  auto config = loadConfig(*args);
  if (!config) {
    err << "tongban-admin user: " << config.status().toString() << "\n";
    return 2;
  }
  auto key = config->getSecret("security.master_key");
  if (!key) {
    err << "tongban-admin user: " << key.status().toString() << "\n";
    return 2;
  }
  console::SecretSealer sealer;
  if (!key->empty()) {
    auto box = directory::SecretBox::fromBase64(*key);
    if (!box) {
      err << "tongban-admin user: " << box.status().toString() << "\n";
      return 2;
    }
    auto shared = std::make_shared<directory::SecretBox>(std::move(*box));
    sealer.seal = [shared](std::string_view p, std::string_view ad) { return shared->seal(p, ad); };
    sealer.open = [shared](std::string_view s, std::string_view ad) { return shared->open(s, ad); };
  }
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  console::ConsoleStore store(pool, console::SessionPolicy{}, std::move(sealer));
  const std::string actor = "cli:" + cliUser();
  Status s;
  if (verb == "add" || verb == "reset-password") {
    auto password = readPassword(std::cin);
    if (!password) {
      s = password.status();
    } else {
      std::string totp;
      if (verb == "add") {
        auto u = store.addUser(pos[1], args->get("--name"), *password, args->has("--totp"), actor,
                               &totp);
        if (u) printUser(out, *u);
        s = u ? Status::ok() : u.status();
      } else {
        s = store.resetPassword(pos[1], *password, args->has("--totp"), actor, &totp);
        if (s) out << "{\"username\":" << q(pos[1]) << ",\"password_reset\":true}\n";
      }
      if (s && !totp.empty()) printTotp(out, pos[1], totp);
    }
  } else if (verb == "role") {
    auto role = console::parseRole(pos[2]);
    if (!role) {
      s = Status::invalid("role", "hub_admin, department_approver, auditor or certificate_officer");
    } else {
      s = store.setRole(pos[1], *role, args->get("--scope"), args->has("--remove"), actor);
      if (s) {
        auto u = store.getUser(pos[1]);
        if (u) printUser(out, *u);
      }
    }
  } else if (verb == "disable" || verb == "enable") {
    s = store.setStatus(pos[1], verb == "disable" ? "disabled" : "active", actor);
    if (s)
      out << "{\"username\":" << q(pos[1])
          << ",\"status\":" << q(verb == "disable" ? "disabled" : "active") << "}\n";
  } else if (verb == "list") {
    auto list = store.listUsers();
    if (list) {
      for (const auto& u : *list) printUser(out, u);
    }
    s = list ? Status::ok() : list.status();
  } else {
    err << kUserUsage;
    return 2;
  }
  if (!s) {
    err << "tongban-admin user " << verb << ": " << s.toString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace tongban::admin
