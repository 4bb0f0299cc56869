-- The exchange's own records: departments, their applications (consumer systems) and the
-- applications' signing keys. See docs/request-signing.md.
CREATE SCHEMA exchange;

-- A government department, identified by its unified social credit code (机关 codes start
-- with 11).
CREATE TABLE exchange.departments (
  code         char(18)    PRIMARY KEY CHECK (code ~ '^[0-9A-HJ-NP-RTUW-Y]{18}$'),
  name         text        NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 2 AND 128),
  region_code  char(6)     NOT NULL CHECK (region_code ~ '^[1-9][0-9]{5}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text        NOT NULL
);

-- A system of a department that calls the exchange.
--   consumer: queries data it holds grants for, applies for access;
--   provider: also decides access requests for its department's resources;
--   admin:    data administrators' tools (catalog, departments, applications, grants, audit).
CREATE TABLE exchange.applications (
  app_id           text        PRIMARY KEY CHECK (app_id ~ '^app_[0-9a-f]{16}$'),
  department_code  char(18)    NOT NULL REFERENCES exchange.departments (code),
  name             text        NOT NULL CHECK (char_length(name) BETWEEN 2 AND 128),
  role             text        NOT NULL DEFAULT 'consumer'
                               CHECK (role IN ('consumer', 'provider', 'admin')),
  status           text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text        NOT NULL,
  UNIQUE (department_code, name)
);

-- HMAC keys. The secret is stored encrypted (AES-256-GCM under the master key of the
-- configuration, the key id as associated data); it is shown once, when created.
-- A rotated key stays valid until not_after (the overlap window), then is refused.
CREATE TABLE exchange.app_keys (
  key_id      text        PRIMARY KEY CHECK (key_id ~ '^key_[0-9a-f]{16}$'),
  app_id      text        NOT NULL REFERENCES exchange.applications (app_id),
  secret_enc  bytea       NOT NULL,  -- 12-byte nonce || ciphertext || 16-byte tag
  status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  not_after   timestamptz,           -- NULL: no end
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text        NOT NULL
);
CREATE INDEX app_keys_app_idx ON exchange.app_keys (app_id);

-- Every change to departments, applications and keys, with who and when.
CREATE TABLE exchange.admin_events (
  id          bigserial   PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text        NOT NULL,
  object_type text        NOT NULL,
  object_id   text        NOT NULL,
  action      text        NOT NULL,
  detail      jsonb       NOT NULL DEFAULT '{}'
);
