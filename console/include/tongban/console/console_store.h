// The console's people: users, their roles, their sessions (schema `console`,
// deploy/sql/0019_console.sql). tongban-admin manages users and roles through it; the exchange's
// console handlers log people in and resolve their sessions through it (docs/console.md).
//
// Invariants:
//   1. Only SHA-256 of a session token is stored; the token itself leaves only in the login
//      answer (the cookie).
//   2. A login always makes a new session (a new random token), and ends the session whose token
//      the browser presented, if any: a token chosen by someone else before the login never
//      becomes a logged-in session (no fixation).
//   3. A session ends at the first of: logout, `idle_timeout` without a request, `absolute_timeout`
//      after login, the user disabled, the password reset.
//   4. `max_failed_logins` wrong passwords or codes in a row lock the account for `lockout`;
//      while locked even the right password is refused. A successful login clears the counter.
//   5. A TOTP code is accepted once (its step is remembered).
//
// Failure codes common to every method: kUnavailable when the database cannot be reached,
// kInternal on an unexpected SQL error. Thread-safe (state is in the database; the pool must
// outlive the store).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tongban/common/db_pool.h"
#include "tongban/common/result.h"

namespace tongban::console {

enum class Role { kHubAdmin, kDepartmentApprover, kAuditor, kCertificateOfficer };
// "hub_admin", "department_approver", "auditor", "certificate_officer"
const char* toString(Role role);
std::optional<Role> parseRole(std::string_view name);
// Department approvers and certificate officers act within a scope (a credit code).
bool roleHasScope(Role role);

struct RoleAssignment {
  Role role = Role::kAuditor;
  std::string scope;  // a department's or issuer's credit code; empty for unscoped roles
};

struct User {
  int64_t id = 0;
  std::string username;
  std::string display_name;
  std::string status;  // active | disabled
  bool totp_enabled = false;
  int failed_logins = 0;
  std::optional<int64_t> locked_until;  // unix seconds
  std::vector<RoleAssignment> roles;

  bool has(Role role) const;
  // The scopes of `role` (departments for approvers, issuers for officers).
  std::vector<std::string> scopes(Role role) const;
};

struct SessionPolicy {
  std::chrono::seconds idle_timeout{900};
  std::chrono::seconds absolute_timeout{8 * 3600};
  int max_failed_logins = 5;
  std::chrono::seconds lockout{900};
};

struct Session {
  User user;
  int64_t created_at = 0;  // unix seconds
  int64_t expires_at = 0;  // absolute end
};

struct NewSession {
  std::string token;  // the cookie's value: 32 random bytes, base64url
  Session session;
};

// Seals and opens TOTP secrets (the exchange's SecretBox under security.master_key).
struct SecretSealer {
  std::function<std::string(std::string_view plaintext, std::string_view associated_data)> seal;
  std::function<Result<std::string>(std::string_view sealed, std::string_view associated_data)>
      open;
};

class ConsoleStore {
 public:
  ConsoleStore(db::ConnectionPool& pool, SessionPolicy policy, SecretSealer sealer);

  // --- Users and roles (tongban-admin user ...) --------------------------------------------------

  // Creates an active user. With `with_totp`, a TOTP secret is made and returned in
  // `*totp_secret` (raw bytes; show it once). kInvalidArgument naming "username" (not 2..32 of
  // a-z 0-9 . _ - starting with a letter), "display_name" or "password" (checkPasswordPolicy);
  // kConflict when the username is taken.
  Result<User> addUser(const std::string& username, const std::string& display_name,
                       const std::string& password, bool with_totp, const std::string& actor,
                       std::string* totp_secret);

  // Grants (or, with `remove`, takes away) a role. kNotFound for an unknown user;
  // kInvalidArgument naming "scope" when a scoped role has no valid, known department code or an
  // unscoped role has one; kConflict when granting a role held already.
  Status setRole(const std::string& username, Role role, const std::string& scope, bool remove,
                 const std::string& actor);

  // active | disabled. Disabling ends the user's sessions. kNotFound.
  Status setStatus(const std::string& username, const std::string& status,
                   const std::string& actor);

  // Sets a new password, clears the failed-login counter and lock, ends the user's sessions.
  // With `new_totp`, a new TOTP secret replaces the old one (returned in *totp_secret).
  // kNotFound; kInvalidArgument (field "password").
  Status resetPassword(const std::string& username, const std::string& password, bool new_totp,
                       const std::string& actor, std::string* totp_secret);

  Result<User> getUser(const std::string& username);
  Result<std::vector<User>> listUsers();

  // --- Sessions (the exchange) ---------------------------------------------------------------

  // Checks the password (and the TOTP code when the user has one) and makes a session; ends the
  // session of `previous_token` when given. kUnauthenticated with one message for an unknown
  // user, a disabled user, a wrong password and a wrong code ("wrong username, password or
  // code"), and another when the account is locked. `*user_id` gets the id of the named user
  // when there is one (for the audit log), else 0.
  Result<NewSession> login(const std::string& username, const std::string& password,
                           const std::string& totp_code, const std::string& previous_token,
                           int64_t* user_id);

  // The session of `token`, its last-seen time moved to now. kUnauthenticated when there is none
  // or it has timed out (then it is deleted) or its user is disabled.
  Result<Session> resume(const std::string& token);

  // Ends the session (no error when there is none).
  Status logout(const std::string& token);

  const SessionPolicy& policy() const { return policy_; }

 private:
  db::ConnectionPool& pool_;
  SessionPolicy policy_;
  SecretSealer sealer_;
};

}  // namespace tongban::console
