#include "tongban/console/console_store.h"

#include <chrono>
#include <regex>

#include <pqxx/pqxx>

#include "tongban/common/crypto.h"
#include "tongban/common/encoding.h"
#include "tongban/common/identifiers.h"
#include "tongban/console/password.h"
#include "tongban/console/totp.h"

namespace tongban::console {

namespace {

const char* const kRoleNames[] = {"hub_admin", "department_approver", "auditor",
                                  "certificate_officer"};

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status checkUsername(const std::string& username) {
  static const std::regex re("^[a-z][a-z0-9._-]{1,31}$");
  if (!std::regex_match(username, re)) {
    return Status::invalid("username",
                           "a username is 2 to 32 of a-z, 0-9, '.', '_', '-', starting with a "
                           "letter");
  }
  return Status::ok();
}

std::string totpAd(const std::string& username) { return "console-totp:" + username; }

pqxx::binarystring bytes(const std::string& s) { return pqxx::binarystring(s); }

std::string tokenHash(const std::string& token) { return sha256(token); }

void addEvent(pqxx::work& tx, const std::string& actor, const std::string& username,
              const std::string& action, const std::string& detail = "") {
  tx.exec_params(
      "INSERT INTO console.user_events (actor, username, action, detail) VALUES ($1, $2, $3, $4)",
      actor, username, action, detail);
}

// The user row and roles; `row` selected with kUserColumns.
constexpr const char* kUserColumns =
    "u.id, u.username, u.display_name, u.status, u.totp_secret_enc IS NOT NULL, u.failed_logins, "
    "extract(epoch FROM u.locked_until)::bigint";

User userFromRow(const pqxx::row& r) {
  User u;
  u.id = r[0].as<int64_t>();
  u.username = r[1].as<std::string>();
  u.display_name = r[2].as<std::string>();
  u.status = r[3].as<std::string>();
  u.totp_enabled = r[4].as<bool>();
  u.failed_logins = r[5].as<int>();
  if (!r[6].is_null()) u.locked_until = r[6].as<int64_t>();
  return u;
}

void loadRoles(pqxx::transaction_base& tx, User& u) {
  for (const auto& r : tx.exec_params(
           "SELECT role, scope FROM console.role_assignments WHERE user_id = $1 ORDER BY role, "
           "scope",
           u.id)) {
    auto role = parseRole(r[0].as<std::string>());
    if (role) u.roles.push_back({*role, r[1].as<std::string>()});
  }
}

template <typename Fn>
auto run(db::ConnectionPool& pool, Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>())) {
  return db::withConnection(pool, std::forward<Fn>(fn));
}

}  // namespace

const char* toString(Role role) { return kRoleNames[static_cast<int>(role)]; }

std::optional<Role> parseRole(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i);
  }
  return std::nullopt;
}

bool roleHasScope(Role role) {
  return role == Role::kDepartmentApprover || role == Role::kCertificateOfficer;
}

bool User::has(Role role) const {
  for (const auto& r : roles) {
    if (r.role == role) return true;
  }
  return false;
}

std::vector<std::string> User::scopes(Role role) const {
  std::vector<std::string> out;
  for (const auto& r : roles) {
    if (r.role == role) out.push_back(r.scope);
  }
  return out;
}

ConsoleStore::ConsoleStore(db::ConnectionPool& pool, SessionPolicy policy, SecretSealer sealer)
    : pool_(pool), policy_(policy), sealer_(std::move(sealer)) {}

Result<User> ConsoleStore::addUser(const std::string& username, const std::string& display_name,
                                   const std::string& password, bool with_totp,
                                   const std::string& actor, std::string* totp_secret) {
  if (Status s = checkUsername(username); !s) return s;
  if (display_name.empty() || display_name.size() > 192) {
    return Status::invalid("display_name", "a display name is 1 to 64 characters");
  }
  if (Status s = checkPasswordPolicy(password); !s) return s;
  auto hash = hashPassword(password);
  if (!hash) return hash.status();
  std::optional<std::string> sealed;
  if (with_totp) {
    if (!sealer_.seal)
      return Status::invalid("security.master_key", "needed to store a TOTP secret");
    *totp_secret = newTotpSecret();
    sealed = sealer_.seal(*totp_secret, totpAd(username));
  }
  return run(pool_, [&](pqxx::connection& c) -> Result<User> {
    pqxx::work tx(c);
    auto taken = tx.exec_params("SELECT 1 FROM console.users WHERE username = $1", username);
    if (!taken.empty()) {
      return Status(ErrorCode::kConflict, "user " + username + " exists already", "username");
    }
    auto rows = tx.exec_params(
        std::string(
            "INSERT INTO console.users AS u (username, display_name, password_hash, "
            "totp_secret_enc, created_by) VALUES ($1, $2, $3, decode($4, 'hex'), $5) RETURNING ") +
            kUserColumns,
        username, display_name, *hash,
        sealed ? std::optional<std::string>(hexEncode(*sealed)) : std::nullopt, actor);
    addEvent(tx, actor, username, "add", with_totp ? "with TOTP" : "");
    User u = userFromRow(rows[0]);
    tx.commit();
    return u;
  });
}

Status ConsoleStore::setRole(const std::string& username, Role role, const std::string& scope,
                             bool remove, const std::string& actor) {
  if (roleHasScope(role)) {
    if (!ids::normalizeCreditCode(scope, "scope")) {
      return Status::invalid("scope", std::string(toString(role)) +
                                          " needs --scope: a department's unified social credit "
                                          "code");
    }
  } else if (!scope.empty()) {
    return Status::invalid("scope", std::string(toString(role)) + " has no scope");
  }
  auto s = run(pool_, [&](pqxx::connection& c) -> Result<bool> {
    pqxx::work tx(c);
    auto u = tx.exec_params("SELECT id FROM console.users WHERE username = $1", username);
    if (u.empty()) return Status::notFound("no console user " + username);
    const int64_t id = u[0][0].as<int64_t>();
    if (remove) {
      auto r = tx.exec_params(
          "DELETE FROM console.role_assignments WHERE user_id = $1 AND role = $2 AND scope = $3",
          id, toString(role), scope);
      if (r.affected_rows() == 0) {
        return Status::notFound(username + " does not hold " + toString(role) +
                                (scope.empty() ? "" : " for " + scope));
      }
    } else {
      if (roleHasScope(role) &&
          tx.exec_params("SELECT 1 FROM directory.departments WHERE code = $1", scope).empty()) {
        return Status::invalid("scope", "no department " + scope);
      }
      auto r = tx.exec_params(
          "INSERT INTO console.role_assignments (user_id, role, scope, created_by) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
          id, toString(role), scope, actor);
      if (r.affected_rows() == 0) {
        return Status(ErrorCode::kConflict, username + " holds " + toString(role) + " already",
                      "role");
      }
    }
    addEvent(tx, actor, username, remove ? "role remove" : "role add",
             std::string(toString(role)) + (scope.empty() ? "" : " " + scope));
    tx.commit();
    return true;
  });
  return s ? Status::ok() : s.status();
}

Status ConsoleStore::setStatus(const std::string& username, const std::string& status,
                               const std::string& actor) {
  if (status != "active" && status != "disabled") {
    return Status::invalid("status", "active or disabled");
  }
  auto s = run(pool_, [&](pqxx::connection& c) -> Result<bool> {
    pqxx::work tx(c);
    auto u = tx.exec_params("UPDATE console.users SET status = $2 WHERE username = $1 RETURNING id",
                            username, status);
    if (u.empty()) return Status::notFound("no console user " + username);
    if (status == "disabled") {
      tx.exec_params("DELETE FROM console.sessions WHERE user_id = $1", u[0][0].as<int64_t>());
    }
    addEvent(tx, actor, username, status == "disabled" ? "disable" : "enable");
    tx.commit();
    return true;
  });
  return s ? Status::ok() : s.status();
}

Status ConsoleStore::resetPassword(const std::string& username, const std::string& password,
                                   bool new_totp, const std::string& actor,
                                   std::string* totp_secret) {
  if (Status s = checkPasswordPolicy(password); !s) return s;
  auto hash = hashPassword(password);
  if (!hash) return hash.status();
  std::optional<std::string> sealed;
  if (new_totp) {
    if (!sealer_.seal)
      return Status::invalid("security.master_key", "needed to store a TOTP secret");
    *totp_secret = newTotpSecret();
    sealed = sealer_.seal(*totp_secret, totpAd(username));
  }
  auto s = run(pool_, [&](pqxx::connection& c) -> Result<bool> {
    pqxx::work tx(c);
    auto u = tx.exec_params(
        "UPDATE console.users SET password_hash = $2, failed_logins = 0, locked_until = NULL, "
        "password_set_at = now(), "
        "totp_secret_enc = CASE WHEN $3 THEN decode($4, 'hex') ELSE totp_secret_enc END, "
        "totp_last_step = CASE WHEN $3 THEN NULL ELSE totp_last_step END "
        "WHERE username = $1 RETURNING id",
        username, *hash, new_totp,
        sealed ? std::optional<std::string>(hexEncode(*sealed)) : std::nullopt);
    if (u.empty()) return Status::notFound("no console user " + username);
    tx.exec_params("DELETE FROM console.sessions WHERE user_id = $1", u[0][0].as<int64_t>());
    addEvent(tx, actor, username, "reset-password", new_totp ? "new TOTP secret" : "");
    tx.commit();
    return true;
  });
  return s ? Status::ok() : s.status();
}

Result<User> ConsoleStore::getUser(const std::string& username) {
  return run(pool_, [&](pqxx::connection& c) -> Result<User> {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        std::string("SELECT ") + kUserColumns + " FROM console.users u WHERE u.username = $1",
        username);
    if (rows.empty()) return Status::notFound("no console user " + username);
    User u = userFromRow(rows[0]);
    loadRoles(tx, u);
    return u;
  });
}

Result<std::vector<User>> ConsoleStore::listUsers() {
  return run(pool_, [&](pqxx::connection& c) -> Result<std::vector<User>> {
    pqxx::read_transaction tx(c);
    std::vector<User> out;
    for (const auto& r : tx.exec(std::string("SELECT ") + kUserColumns +
                                 " FROM console.users u ORDER BY username")) {
      out.push_back(userFromRow(r));
    }
    for (auto& u : out) loadRoles(tx, u);
    return out;
  });
}

Result<NewSession> ConsoleStore::login(const std::string& username, const std::string& password,
                                       const std::string& totp_code,
                                       const std::string& previous_token, int64_t* user_id) {
  *user_id = 0;
  const Status wrong(ErrorCode::kUnauthenticated, "wrong username, password or code");
  // Read the user outside any transaction: scrypt takes a while and holds no lock.
  struct Row {
    User user;
    std::string hash;
    std::optional<std::string> totp_enc;
    std::optional<int64_t> last_step;
  };
  auto row = run(pool_, [&](pqxx::connection& c) -> Result<std::optional<Row>> {
    pqxx::read_transaction tx(c);
    if (!previous_token.empty()) {
      // Ended below in the login's own transaction; nothing to read here.
    }
    auto rows = tx.exec_params(
        std::string("SELECT ") + kUserColumns +
            ", u.password_hash, u.totp_secret_enc, u.totp_last_step FROM console.users u "
            "WHERE u.username = $1",
        username);
    if (rows.empty()) return std::optional<Row>();
    Row r;
    r.user = userFromRow(rows[0]);
    r.hash = rows[0][7].as<std::string>();
    if (!rows[0][8].is_null()) r.totp_enc = pqxx::binarystring(rows[0][8]).str();
    if (!rows[0][9].is_null()) r.last_step = rows[0][9].as<int64_t>();
    return std::optional<Row>(std::move(r));
  });
  if (!row) return row.status();
  const int64_t now = unixNow();
  if (!row->has_value()) {
    verifyPassword(password, decoyPasswordHash());  // as long as for a known user
    return wrong;
  }
  Row& r = **row;
  *user_id = r.user.id;
  if (r.user.locked_until && *r.user.locked_until > now) {
    return Status(ErrorCode::kUnauthenticated,
                  "this account is locked after too many failed logins; try again later or ask a "
                  "hub administrator (tongban-admin user reset-password)");
  }
  bool ok = verifyPassword(password, r.hash) && r.user.status == "active";
  std::optional<int64_t> step;
  if (ok && r.totp_enc) {
    if (!sealer_.open)
      return Status::unavailable("the TOTP secret cannot be opened: no master key");
    auto secret = sealer_.open(*r.totp_enc, totpAd(username));
    if (!secret) return Status::internal("the TOTP secret of " + username + " does not open");
    step = verifyTotp(*secret, totp_code, now, r.last_step);
    ok = step.has_value();
  }
  if (!ok) {
    auto counted = run(pool_, [&](pqxx::connection& c) -> Result<bool> {
      pqxx::work tx(c);
      tx.exec_params(
          "UPDATE console.users SET failed_logins = failed_logins + 1, "
          "locked_until = CASE WHEN failed_logins + 1 >= $2 "
          "THEN now() + make_interval(secs => $3) ELSE locked_until END WHERE id = $1",
          r.user.id, policy_.max_failed_logins, static_cast<double>(policy_.lockout.count()));
      tx.commit();
      return true;
    });
    if (!counted) return counted.status();
    return wrong;
  }
  NewSession out;
  out.token = base64UrlEncode(randomBytes(32));
  auto made = run(pool_, [&](pqxx::connection& c) -> Result<bool> {
    pqxx::work tx(c);
    // The lock is re-checked under the row lock: failures counted meanwhile win.
    auto locked = tx.exec_params(
        "SELECT locked_until > now() FROM console.users WHERE id = $1 FOR UPDATE", r.user.id);
    if (!locked[0][0].is_null() && locked[0][0].as<bool>()) {
      return Status(ErrorCode::kUnauthenticated,
                    "this account is locked after too many failed logins; try again later");
    }
    if (step) {
      auto used = tx.exec_params(
          "UPDATE console.users SET totp_last_step = $2 WHERE id = $1 "
          "AND (totp_last_step IS NULL OR totp_last_step < $2)",
          r.user.id, *step);
      if (used.affected_rows() == 0) return wrong;  // the same code, used at the same moment
    }
    tx.exec_params("UPDATE console.users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                   r.user.id);
    if (!previous_token.empty()) {
      tx.exec_params("DELETE FROM console.sessions WHERE token_hash = $1",
                     bytes(tokenHash(previous_token)));
    }
    auto s = tx.exec_params(
        "INSERT INTO console.sessions (token_hash, user_id, expires_at) "
        "VALUES ($1, $2, now() + make_interval(secs => $3)) "
        "RETURNING extract(epoch FROM created_at)::bigint, extract(epoch FROM expires_at)::bigint",
        bytes(tokenHash(out.token)), r.user.id,
        static_cast<double>(policy_.absolute_timeout.count()));
    out.session.created_at = s[0][0].as<int64_t>();
    out.session.expires_at = s[0][1].as<int64_t>();
    // Sessions past their end are swept now and then, here.
    tx.exec("DELETE FROM console.sessions WHERE expires_at < now()");
    tx.commit();
    return true;
  });
  if (!made) return made.status();
  r.user.failed_logins = 0;
  r.user.locked_until.reset();
  auto full = getUser(username);
  if (!full) return full.status();
  out.session.user = std::move(*full);
  return out;
}

Result<Session> ConsoleStore::resume(const std::string& token) {
  const Status none(ErrorCode::kUnauthenticated,
                    "not logged in, or the session has ended; log in again", "session");
  if (token.empty() || token.size() > 128) return none;
  return run(pool_, [&](pqxx::connection& c) -> Result<Session> {
    pqxx::work tx(c);
    auto rows = tx.exec_params(
        std::string("SELECT ") + kUserColumns +
            ", extract(epoch FROM s.created_at)::bigint, extract(epoch FROM s.expires_at)::bigint, "
            "s.expires_at > now() AND s.last_seen_at + make_interval(secs => $2) > now() "
            "FROM console.sessions s JOIN console.users u ON u.id = s.user_id "
            "WHERE s.token_hash = $1",
        bytes(tokenHash(token)), static_cast<double>(policy_.idle_timeout.count()));
    if (rows.empty()) return none;
    if (!rows[0][9].as<bool>() || rows[0][3].as<std::string>() != "active") {
      tx.exec_params("DELETE FROM console.sessions WHERE token_hash = $1", bytes(tokenHash(token)));
      tx.commit();
      return none;
    }
    tx.exec_params("UPDATE console.sessions SET last_seen_at = now() WHERE token_hash = $1",
                   bytes(tokenHash(token)));
    Session s;
    s.user = userFromRow(rows[0]);
    s.created_at = rows[0][7].as<int64_t>();
    s.expires_at = rows[0][8].as<int64_t>();
    loadRoles(tx, s.user);
    tx.commit();
    return s;
  });
}

Status ConsoleStore::logout(const std::string& token) {
  if (token.empty() || token.size() > 128) return Status::ok();
  auto r = run(pool_, [&](pqxx::connection& c) -> Result<bool> {
    pqxx::work tx(c);
    tx.exec_params("DELETE FROM console.sessions WHERE token_hash = $1", bytes(tokenHash(token)));
    tx.commit();
    return true;
  });
  return r ? Status::ok() : r.status();
}

}  // namespace tongban::console
