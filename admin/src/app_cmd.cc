// tongban-admin department|app|key: departments, their applications and signing keys, written
// straight to the database (the same code the exchange's admin endpoints run). Creating an
// application or a key prints its secret once.
#include <iostream>

#include "cli_util.h"
#include "tongban/admin/commands.h"
#include "tongban/common/json_writer.h"
#include "tongban/directory/app_registry.h"

namespace tongban::admin {

namespace {

const char kDepartmentUsage[] =
    "usage: tongban-admin department add --code CREDIT_CODE --name NAME --region REGION_CODE\n"
    "       tongban-admin department list\n"
    "  options: [--db CONNINFO | --config FILE]\n";
const char kAppUsage[] =
    "usage: tongban-admin app add --department CODE --name NAME [--role consumer|provider|admin]\n"
    "       tongban-admin app list [--department CODE]\n"
    "       tongban-admin app disable|enable APP_ID\n"
    "       tongban-admin app bind-cert APP_ID --sha256 HEX   (SHA-256 of the DER client\n"
    "                                certificate; `openssl x509 -noout -fingerprint -sha256`)\n"
    "       tongban-admin app unbind-cert APP_ID\n"
    "  options: [--db CONNINFO | --config FILE]; the configuration (or\n"
    "  TONGBAN_SECURITY_MASTER_KEY) must hold security.master_key to create secrets\n";
const char kKeyUsage[] =
    "usage: tongban-admin key rotate APP_ID [--overlap-seconds N]   (default 86400)\n"
    "       tongban-admin key disable KEY_ID\n"
    "  options: [--db CONNINFO | --config FILE]\n";

const std::set<std::string> kCommonFlags = {"--db", "--config"};

std::set<std::string> flags(std::initializer_list<const char*> extra) {
  std::set<std::string> s = kCommonFlags;
  for (const char* f : extra) s.insert(f);
  return s;
}

// Runs fn with a registry over a one-connection pool; maps failures to exit codes.
template <typename Fn>
int withRegistry(const ParsedArgs& args, const char* cmd, std::ostream& err, Fn&& fn) {
  auto db = resolveDatabase(args);
  if (!db) {
    err << "tongban-admin " << cmd << ": " << db.status().message() << "\n";
    return 2;
  }
  auto config = loadConfig(args);
  if (!config) {
    err << "tongban-admin " << cmd << ": " << config.status().toString() << "\n";
    return 2;
  }
  auto secret = config->getSecret("security.master_key");
  if (!secret) {
    err << "tongban-admin " << cmd << ": " << secret.status().toString() << "\n";
    return 2;
  }
  const std::string key = std::move(*secret);
  std::optional<directory::SecretBox> box;  // listing and disabling need none
  if (!key.empty()) {
    auto opened = directory::SecretBox::fromBase64(key);
    if (!opened) {
      err << "tongban-admin " << cmd << ": " << opened.status().toString() << "\n";
      return 2;
    }
    box = std::move(*opened);
  }
  db::ConnectionPool pool({*db, 1, std::chrono::milliseconds(5000), nullptr});
  directory::AppRegistry registry(pool, std::move(box));
  Status s = fn(registry, key.empty());
  if (!s) {
    err << "tongban-admin " << cmd << ": " << s.toString() << "\n";
    return 1;
  }
  return 0;
}

Status needKey(bool missing) {
  if (missing) {
    return Status::invalid("security.master_key",
                           "no master key: set security.master_key_file (or "
                           "security.master_key) in --config FILE, or "
                           "TONGBAN_SECURITY_MASTER_KEY (the exchange's own)");
  }
  return Status::ok();
}

void printKey(std::ostream& out, const directory::IssuedKey& k) {
  out << json::object([&](json::Writer& w) {
    json::str(w, "app_id", k.app_id);
    json::str(w, "key_id", k.key_id);
    json::str(w, "secret", k.secret);
  }) << "\n";
}

}  // namespace

int runDepartment(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, flags({"--code", "--name", "--region"}), {"--help"});
  if (!args || args->has("--help") || args->positional.size() != 1) {
    if (!args) err << "tongban-admin department: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kDepartmentUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  const std::string verb = args->positional[0];
  if (verb == "add") {
    if (!args->has("--code") || !args->has("--name") || !args->has("--region")) {
      err << kDepartmentUsage;
      return 2;
    }
    return withRegistry(*args, "department add", err, [&](directory::AppRegistry& r, bool) {
      auto d = r.createDepartment(args->get("--code"), args->get("--name"), args->get("--region"),
                                  "cli:" + cliUser());
      if (!d) return d.status();
      out << json::object([&](json::Writer& w) {
        json::str(w, "code", d->code);
        json::str(w, "name", d->name);
        json::str(w, "region_code", d->region_code);
      }) << "\n";
      return Status::ok();
    });
  }
  if (verb == "list") {
    return withRegistry(*args, "department list", err, [&](directory::AppRegistry& r, bool) {
      auto list = r.listDepartments();
      if (!list) return list.status();
      for (const auto& d : *list) {
        out << json::object([&](json::Writer& w) {
          json::str(w, "code", d.code);
          json::str(w, "name", d.name);
          json::str(w, "region_code", d.region_code);
          json::str(w, "created_at", d.created_at);
        }) << "\n";
      }
      return Status::ok();
    });
  }
  err << kDepartmentUsage;
  return 2;
}

int runApp(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, flags({"--department", "--name", "--role", "--sha256"}), {"--help"});
  if (!args || args->has("--help") || args->positional.empty()) {
    if (!args) err << "tongban-admin app: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kAppUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  const std::string verb = args->positional[0];
  const std::string actor = "cli:" + cliUser();
  if (verb == "add" && args->positional.size() == 1) {
    if (!args->has("--department") || !args->has("--name")) {
      err << kAppUsage;
      return 2;
    }
    return withRegistry(*args, "app add", err, [&](directory::AppRegistry& r, bool no_key) {
      if (Status s = needKey(no_key); !s) return s;
      auto k = r.createApplication(args->get("--department"), args->get("--name"),
                                   args->get("--role", "consumer"), actor);
      if (!k) return k.status();
      printKey(out, *k);
      err << "the secret is shown once: store it now\n";
      return Status::ok();
    });
  }
  if (verb == "list" && args->positional.size() == 1) {
    return withRegistry(*args, "app list", err, [&](directory::AppRegistry& r, bool) {
      auto list = r.listApplications(args->get("--department"));
      if (!list) return list.status();
      for (const auto& x : *list) {
        out << json::object([&](json::Writer& w) {
          json::str(w, "app_id", x.app_id);
          json::str(w, "department_code", x.department_code);
          json::str(w, "name", x.name);
          json::str(w, "role", x.role);
          json::str(w, "status", x.status);
        }) << "\n";
      }
      return Status::ok();
    });
  }
  if ((verb == "disable" || verb == "enable") && args->positional.size() == 2) {
    return withRegistry(*args, "app", err, [&](directory::AppRegistry& r, bool) {
      auto x = r.setApplicationStatus(args->positional[1], verb == "enable" ? "active" : "disabled",
                                      actor);
      if (!x) return x.status();
      out << json::object([&](json::Writer& w) {
        json::str(w, "app_id", x->app_id);
        json::str(w, "status", x->status);
      }) << "\n";
      return Status::ok();
    });
  }
  if ((verb == "bind-cert" || verb == "unbind-cert") && args->positional.size() == 2) {
    if (verb == "bind-cert" && args->get("--sha256").empty()) {
      err << kAppUsage;
      return 2;
    }
    return withRegistry(*args, "app", err, [&](directory::AppRegistry& r, bool) {
      const std::string sha = verb == "bind-cert" ? args->get("--sha256") : "";
      if (Status s = r.setClientCertificate(args->positional[1], sha, actor); !s) return s;
      out << json::object([&](json::Writer& w) {
        json::str(w, "app_id", args->positional[1]);
        json::boolean(w, "client_certificate_bound", !sha.empty());
      }) << "\n";
      return Status::ok();
    });
  }
  err << kAppUsage;
  return 2;
}

int runKey(const Args& a, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(a, flags({"--overlap-seconds"}), {"--help"});
  if (!args || args->has("--help") || args->positional.size() != 2) {
    if (!args) err << "tongban-admin key: " << args.status().message() << "\n";
    (args && args->has("--help") ? out : err) << kKeyUsage;
    return args && args->has("--help") ? 0 : 2;
  }
  const std::string verb = args->positional[0];
  const std::string actor = "cli:" + cliUser();
  if (verb == "rotate") {
    std::string overlap = args->get("--overlap-seconds", "86400");
    if (overlap.empty() || overlap.size() > 8 ||
        overlap.find_first_not_of("0123456789") != std::string::npos) {
      err << "tongban-admin key rotate: --overlap-seconds must be a number of seconds\n";
      return 2;
    }
    return withRegistry(*args, "key rotate", err, [&](directory::AppRegistry& r, bool no_key) {
      if (Status s = needKey(no_key); !s) return s;
      auto k = r.rotateKey(args->positional[1], std::chrono::seconds(std::stol(overlap)), actor);
      if (!k) return k.status();
      printKey(out, *k);
      err << "the secret is shown once: store it now; the previous keys stay valid for " << overlap
          << " s\n";
      return Status::ok();
    });
  }
  if (verb == "disable") {
    return withRegistry(*args, "key disable", err, [&](directory::AppRegistry& r, bool) {
      if (Status s = r.disableKey(args->positional[1], actor); !s) return s;
      out << json::object([&](json::Writer& w) {
        json::str(w, "key_id", args->positional[1]);
        json::str(w, "status", "disabled");
      }) << "\n";
      return Status::ok();
    });
  }
  err << kKeyUsage;
  return 2;
}

}  // namespace tongban::admin
