-- The directory (docs/architecture.md): departments, their applications, the applications'
-- signing keys, and the history of changes to them move from the exchange schema to a schema of
-- their own, owned by the directory/ module that catalog, certs and the exchange all build on.
--
-- ALTER TABLE ... SET SCHEMA keeps the rows, the indexes, the constraints, the column-owned
-- sequence (admin_events_id_seq) and the grants; the foreign keys that catalog and certs hold
-- (catalog.resources, catalog.access_requests, catalog.grants, catalog.source_owners,
-- certs.seals, certs.type_issuers, certs.certificates) follow the tables they reference. No
-- function, trigger or view names these tables.
--
-- The runtime role keeps exactly its rights: SELECT, INSERT, UPDATE, DELETE on departments,
-- applications and app_keys; SELECT and INSERT only on admin_events. 0012_roles.sql lists
-- admin_events as append-only by its old name, exchange.admin_events; the COMMENT below is what
-- public.tongban_apply_privileges() recognises under the new one.
CREATE SCHEMA directory;
-- Owned by the owner role at once, not only when tongban_apply_privileges() runs after this
-- migration run: the tables keep their owner, and the foreign-key checks that later migrations of
-- the same run trigger (0015 publishes resources naming a department) run as that owner, which
-- needs the schema.
ALTER SCHEMA directory OWNER TO tongban_owner;

ALTER TABLE exchange.departments SET SCHEMA directory;
ALTER TABLE exchange.applications SET SCHEMA directory;
ALTER TABLE exchange.app_keys SET SCHEMA directory;
ALTER TABLE exchange.admin_events SET SCHEMA directory;

COMMENT ON TABLE directory.admin_events IS
  'append-only: every change to departments, applications and keys, with who and when';
