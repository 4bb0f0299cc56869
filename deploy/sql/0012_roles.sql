-- Two database roles (docs/configuration.md, "Database roles"), so that the running exchange cannot
-- rewrite history:
--
--   tongban_owner    owns every schema, table, sequence and function; migrations run as it (or as
--                    a login role that is a member of it, or a superuser): `tongban-exchange migrate`
--                    and `tongban-admin` connect with database.owner_url.
--   tongban_runtime  what `tongban-exchange serve` connects as (database.url, a login role that is a
--                    member of it): SELECT, INSERT, UPDATE, DELETE on the hub's working tables;
--                    SELECT only on the registries (population, legal_entity) and the migration
--                    record; SELECT and INSERT only on append-only tables (the audit log and its
--                    checkpoints, the transparency log, the event histories). It owns nothing, so
--                    it cannot ALTER, DROP or TRUNCATE a table nor disable a trigger.
--
-- Both are NOLOGIN group roles, created here when missing (roles are cluster-wide: several
-- databases — test suites — may run this at once). Where the migrating role may not create roles,
-- a database administrator creates them first; this migration then only uses them.
--
-- public.tongban_apply_privileges() (re)applies ownership and grants to every object in the hub's
-- schemas and in public (not PostgreSQL's own, not an extension's); the migration runner calls it after every run that applied a migration, so tables that
-- later migrations create get the same treatment whichever role created them. A table is
-- append-only for the runtime role when it is listed below, has a BEFORE UPDATE/DELETE trigger
-- calling a *refuse_change() function, or has a COMMENT starting with 'append-only'.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['tongban_owner', 'tongban_runtime'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION
        WHEN duplicate_object OR unique_violation THEN
          NULL;  -- another database's migration created it meanwhile
        WHEN insufficient_privilege THEN
          RAISE EXCEPTION 'role % does not exist and % may not create it: a database administrator '
                          'runs CREATE ROLE tongban_owner NOLOGIN; CREATE ROLE tongban_runtime '
                          'NOLOGIN; first (docs/configuration.md)', r, current_user;
      END;
    END IF;
  END LOOP;
  EXECUTE format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO tongban_owner',
                 current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO tongban_runtime', current_database());
END
$$;

CREATE FUNCTION public.tongban_apply_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  o record;
  read_only_schemas constant text[] := ARRAY['population', 'legal_entity'];
  append_only constant text[] := ARRAY[
    'exchange.audit_log', 'exchange.audit_checkpoints', 'exchange.admin_events',
    'catalog.events', 'certs.log_leaves', 'certs.log_nodes', 'certs.tree_heads',
    'certs.seal_events', 'certs.status_events', 'certs.changes'];
BEGIN
  -- Schemas: every one but PostgreSQL's own and public.
  FOR o IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('information_schema', 'public') LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO tongban_owner', o.nspname);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tongban_runtime', o.nspname);
  END LOOP;

  -- Tables, views and sequences (a sequence owned by a column moves with its table).
  FOR o IN
    SELECT c.oid, c.relkind, n.nspname, c.oid::regclass::text AS name,
           (c.oid::regclass::text = ANY (append_only)
            OR obj_description(c.oid, 'pg_class') LIKE 'append-only%'
            OR EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                       WHERE t.tgrelid = c.oid AND p.proname LIKE '%refuse\_change')) AS append_only
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
      AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend e  -- an extension's own objects stay its own
                      WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                        AND e.deptype = 'e')
  LOOP
    IF o.relkind = 'S' THEN
      IF NOT EXISTS (SELECT 1 FROM pg_depend d
                     WHERE d.objid = o.oid AND d.classid = 'pg_class'::regclass
                       AND d.deptype IN ('a', 'i')) THEN
        EXECUTE format('ALTER SEQUENCE %s OWNER TO tongban_owner', o.name);
      END IF;
      EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM tongban_runtime', o.name);
      IF NOT (o.nspname = ANY (read_only_schemas)) THEN
        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO tongban_runtime', o.name);
      END IF;
      CONTINUE;
    END IF;
    EXECUTE format('ALTER %s %s OWNER TO tongban_owner',
                   CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  ELSE 'TABLE' END, o.name);
    EXECUTE format('REVOKE ALL ON TABLE %s FROM tongban_runtime', o.name);
    IF o.nspname = ANY (read_only_schemas) OR o.oid = 'public.schema_migrations'::regclass
       OR o.relkind IN ('v', 'm') THEN
      EXECUTE format('GRANT SELECT ON TABLE %s TO tongban_runtime', o.name);
    ELSIF o.append_only THEN
      EXECUTE format('GRANT SELECT, INSERT ON TABLE %s TO tongban_runtime', o.name);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO tongban_runtime', o.name);
    END IF;
  END LOOP;

  -- Functions (trigger functions among them).
  FOR o IN SELECT p.oid::regprocedure::text AS name, p.prokind
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
             AND NOT EXISTS (SELECT 1 FROM pg_depend e
                             WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid
                               AND e.deptype = 'e')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO tongban_owner',
                   CASE o.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE'
                                  ELSE 'FUNCTION' END, o.name);
  END LOOP;

  -- Types the migrations define (enums, domains, ranges, composite types not tied to a table).
  FOR o IN SELECT t.oid::regtype::text AS name, t.typtype
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE t.typtype IN ('e', 'd', 'r')
             AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
             AND NOT EXISTS (SELECT 1 FROM pg_depend e
                             WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
                               AND e.deptype = 'e')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO tongban_owner',
                   CASE o.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, o.name);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION public.tongban_apply_privileges() FROM PUBLIC;

-- Objects that tongban_owner itself creates later (a migration run with SET ROLE tongban_owner)
-- get the working grants at once; tongban_apply_privileges() narrows them after the run.
ALTER DEFAULT PRIVILEGES FOR ROLE tongban_owner
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tongban_runtime;
ALTER DEFAULT PRIVILEGES FOR ROLE tongban_owner
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO tongban_runtime;
ALTER DEFAULT PRIVILEGES FOR ROLE tongban_owner GRANT USAGE ON SCHEMAS TO tongban_runtime;

SELECT public.tongban_apply_privileges();
