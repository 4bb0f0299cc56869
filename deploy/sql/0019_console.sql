-- The administrators' console (docs/console.md): the people who use it, their roles, their
-- sessions. Console users are people, not applications: they sign in with a password (scrypt,
-- console/include/tongban/console/password.h) and, optionally, a TOTP code (RFC 6238).
CREATE SCHEMA console;

CREATE TABLE console.users (
  id               bigserial   PRIMARY KEY,
  username         text        NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9._-]{1,31}$'),
  display_name     text        NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 64),
  -- "scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>" (password.h)
  password_hash    text        NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  -- The TOTP secret sealed under security.master_key (AES-256-GCM, "console-totp:<username>" as
  -- associated data); NULL: no second factor.
  totp_secret_enc  bytea,
  -- The last TOTP time step accepted: a code is used once.
  totp_last_step   bigint,
  status           text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_logins    integer     NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until     timestamptz,
  -- Set by reset-password: the next login must choose a new password (not enforced yet).
  password_set_at  timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text        NOT NULL
);

-- Roles, modelled on X-Road's security server roles:
--   hub_admin            everything the console does;
--   department_approver  the access requests and grants on one department's resources (scope:
--                        the department's credit code);
--   auditor              reads everything, changes nothing (audit search, chain verification);
--   certificate_officer  certificates of one issuer (scope: the issuer's credit code).
CREATE TABLE console.role_assignments (
  user_id     bigint      NOT NULL REFERENCES console.users (id),
  role        text        NOT NULL
              CHECK (role IN ('hub_admin', 'department_approver', 'auditor', 'certificate_officer')),
  scope       text        NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text        NOT NULL,
  PRIMARY KEY (user_id, role, scope),
  CHECK ((role IN ('hub_admin', 'auditor') AND scope = '')
         OR (role IN ('department_approver', 'certificate_officer')
             AND scope ~ '^[0-9A-HJ-NP-RTUW-Y]{18}$'))
);

-- Sessions. Only SHA-256 of the session token (the cookie) is stored: a copy of this table does
-- not let anyone in. The CSRF token is derived from the session token (docs/console.md).
CREATE TABLE console.sessions (
  token_hash    bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
  user_id       bigint      NOT NULL REFERENCES console.users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL  -- absolute timeout
);
CREATE INDEX sessions_user_idx ON console.sessions (user_id);
CREATE INDEX sessions_expires_idx ON console.sessions (expires_at);

-- Every change to users and roles, with who and when.
CREATE TABLE console.user_events (
  id         bigserial   PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text        NOT NULL,
  username   text        NOT NULL,
  action     text        NOT NULL,
  detail     text        NOT NULL DEFAULT ''
);
COMMENT ON TABLE console.user_events IS 'append-only: changes to console users and roles';
