-- The verification core's grants (docs/verification-serving.md). A check discloses one verdict,
-- never the data behind it, but an application still asks about a person or an entity only with
-- a grant naming what the predicate reads, for stated service matters, within a quota — the
-- catalog's own grant machinery, no parallel system:
--   VERIFY-PERSON (人口信息核验) over population.persons: fields status (person_alive),
--     region_code (person_registered_in), birth_date (person_age_at_least); provided by the
--     population registry's owner.
--   VERIFY-ENTITY (法人信息核验) over legal_entity.entities: fields status (entity_in_business),
--     legal_rep_citizen_id (legal_representative); provided by the legal-entity registry's owner.
--   Certificates: the type's own resource CERT-<type code> (migration 0008), whose fields now
--     include holder_code: a grant naming certificate_id may ask certificate_valid, one naming
--     holder_code may ask holds_certificate; neither reads a certificate (that needs the field
--     certificate).
-- The key field of each resource is listed because the catalog requires it; a grant need not name
-- it. No schema change: the rows below are ordinary catalog entries, published by the owners.
INSERT INTO catalog.resources (code, version, name, description, provider_department, source,
                               key_fields, sharing_type, open_data, update_cycle, status,
                               created_by, updated_by)
SELECT r.code, 1, r.name, r.description, o.department_code, r.source, r.key_fields,
       'conditional', false, 'realtime', 'published', 'migration', 'migration'
  FROM (VALUES
    ('VERIFY-PERSON', '人口信息核验',
     '免证办核验：人员是否健在、户籍是否在某行政区划内、是否年满某年龄。只返回是/否/未知，不返回任何个人信息。',
     'population.persons', '{citizen_id}'::text[]),
    ('VERIFY-ENTITY', '法人信息核验',
     '免证办核验：市场主体是否存续（未列入经营异常名录、未吊销、未注销），某人是否为其法定代表人。只返回是/否/未知。',
     'legal_entity.entities', '{credit_code}'::text[])
  ) AS r(code, name, description, source, key_fields)
  JOIN catalog.source_owners o ON o.source = r.source;

INSERT INTO catalog.resource_fields (resource_code, resource_version, position, name, type,
                                     description, sensitivity, masking)
SELECT f.* FROM (VALUES
  ('VERIFY-PERSON', 1, 1, 'citizen_id',  'string', '公民身份号码（核验对象）', 'sensitive', 'citizen_id'),
  ('VERIFY-PERSON', 1, 2, 'status',      'enum',   '核验：人员是否健在（person_alive）', 'internal', 'none'),
  ('VERIFY-PERSON', 1, 3, 'region_code', 'string', '核验：户籍地是否在某行政区划内（person_registered_in）',
   'internal', 'none'),
  ('VERIFY-PERSON', 1, 4, 'birth_date',  'date',   '核验：是否年满某年龄（person_age_at_least）',
   'sensitive', 'date'),
  ('VERIFY-ENTITY', 1, 1, 'credit_code', 'string', '统一社会信用代码（核验对象）', 'public', 'none'),
  ('VERIFY-ENTITY', 1, 2, 'status',      'enum',   '核验：是否存续（entity_in_business）', 'public', 'none'),
  ('VERIFY-ENTITY', 1, 3, 'legal_rep_citizen_id', 'string',
   '核验：某人是否为法定代表人（legal_representative）', 'sensitive', 'citizen_id')
  ) AS f(resource_code, resource_version, position, name, type, description, sensitivity, masking)
  JOIN catalog.resources r ON r.code = f.resource_code AND r.version = 1;

INSERT INTO catalog.events (object_type, object_id, from_state, to_state, actor, reason)
SELECT 'resource', code || '/1', NULL, 'published', 'migration', 'shipped verification resource'
  FROM catalog.resources WHERE code IN ('VERIFY-PERSON', 'VERIFY-ENTITY') AND version = 1;
