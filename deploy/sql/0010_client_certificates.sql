-- Client certificates bound to applications (docs/deployment.md). An application with a
-- registered fingerprint is served only when its request came through the TLS front door with
-- that client certificate: the front door passes the certificate it saw in a header that the
-- exchange trusts only from server.trusted_proxies.
ALTER TABLE exchange.applications
  ADD COLUMN client_cert_sha256 text CHECK (client_cert_sha256 ~ '^[0-9a-f]{64}$');

COMMENT ON COLUMN exchange.applications.client_cert_sha256 IS
  'lower-case hex SHA-256 of the DER client certificate the application must present; NULL: none';
