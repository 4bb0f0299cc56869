-- Registry sources belong to the department that runs them, and grants are pinned to the resource
-- version they were approved for (issue 7, hole 2). Read and written through
-- tongban::catalog::CatalogStore.
--
-- catalog.source_owners says which department owns each registry source. Only that department's
-- provider applications (or a hub administrator) create or publish a resource over the source,
-- every resource over it names the owner as its provider, and only the owner's provider
-- applications weaken a field's masking below the source's default (sources.h). A source without
-- a row here is owned by nobody: no resource over it can be created or published (deny by
-- default). Administrators change an owner with `tongban-admin catalog sources set-owner` or
-- PUT /v1/admin/catalog/sources/{source}/owner; each change is a row in catalog.events.
CREATE TABLE catalog.source_owners (
  source          text        PRIMARY KEY
                              CHECK (source ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  department_code char(18)    NOT NULL REFERENCES exchange.departments (code),
  updated_by      text        NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Population (人口库) → public security; legal entities (法人库) → market regulation. Both
-- departments ship with 0004.
INSERT INTO catalog.source_owners (source, department_code, updated_by) VALUES
  ('population.persons', '11110000000010014U', 'migration'),
  ('legal_entity.entities', '11110000000010022N', 'migration');

-- Changes of owner are catalog events too (object_id: the source name).
ALTER TABLE catalog.events DROP CONSTRAINT events_object_type_check;
ALTER TABLE catalog.events ADD CONSTRAINT events_object_type_check
  CHECK (object_type IN ('resource', 'request', 'grant', 'source'));
INSERT INTO catalog.events (object_type, object_id, from_state, to_state, actor, reason) VALUES
  ('source', 'population.persons', NULL, '11110000000010014U', 'migration', 'shipped owner'),
  ('source', 'legal_entity.entities', NULL, '11110000000010022N', 'migration', 'shipped owner');

-- A resource published over a source by a department that does not own it (the attack of issue 7:
-- market regulation publishing population.persons unmasked) is retired; nothing is served from
-- it again.
WITH rogue AS (
  UPDATE catalog.resources r SET status = 'retired', updated_by = 'migration', updated_at = now()
    FROM catalog.source_owners o
   WHERE o.source = r.source AND r.status = 'published'
     AND r.provider_department <> o.department_code
  RETURNING r.code, r.version)
INSERT INTO catalog.events (object_type, object_id, from_state, to_state, actor, reason)
SELECT 'resource', code || '/' || version, 'published', 'retired', 'migration',
       'the provider does not own the source'
  FROM rogue;

-- A grant serves at most what the resource version it was approved for listed, with that
-- version's masking or a later version's, whichever is stronger.
ALTER TABLE catalog.grants ADD COLUMN resource_version integer;
UPDATE catalog.grants g SET resource_version = q.resource_version
  FROM catalog.access_requests q WHERE q.id = g.request_id;
ALTER TABLE catalog.grants ALTER COLUMN resource_version SET NOT NULL;
ALTER TABLE catalog.grants ADD FOREIGN KEY (resource_code, resource_version)
  REFERENCES catalog.resources (code, version);

-- Grant state changes are announced in the transaction that makes them (the trigger of 0004
-- already does so for every INSERT and UPDATE of catalog.grants); an owner change is announced
-- too, so that nodes drop what they cached about the source's resources.
CREATE FUNCTION catalog.notify_source_owner_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tongban_catalog', 'source ' || NEW.source);
  RETURN NULL;
END $$;
CREATE TRIGGER source_owners_notify AFTER INSERT OR UPDATE ON catalog.source_owners
  FOR EACH ROW EXECUTE FUNCTION catalog.notify_source_owner_change();
