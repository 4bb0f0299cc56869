-- The replay guard shared by every exchange node (docs/request-signing.md): once a signed
-- request's signature verifies, its (key id, nonce) is inserted here; the same pair again — on
-- this node, on another node, or after a restart — is a replay and is refused (401). A row is
-- needed only while a request carrying it could still pass the clock-skew check: expires_at is
-- the request's timestamp plus security.max_clock_skew_s, and the exchange deletes expired rows
-- about once a minute (exchange/src/nonce_store.cc).
--
-- UNLOGGED: no WAL, so a claim costs one index insert and no flush. The price: after a crash of
-- PostgreSQL (not a clean restart) the table comes back empty, so a request signed in the few
-- minutes before the crash could be replayed once after it. docs/request-signing.md says so.
CREATE UNLOGGED TABLE exchange.request_nonces (
  key_id      text   NOT NULL CHECK (char_length(key_id) BETWEEN 1 AND 64),
  nonce       text   NOT NULL CHECK (char_length(nonce) BETWEEN 16 AND 64),
  expires_at  bigint NOT NULL,  -- unix seconds
  PRIMARY KEY (key_id, nonce)
);
CREATE INDEX request_nonces_expires_idx ON exchange.request_nonces (expires_at);
