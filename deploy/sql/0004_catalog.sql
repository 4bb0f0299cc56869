-- Data resource catalog (政务数据资源目录, "一本账"): resources and their fields, applications for
-- access, grants, and the event history of every state change. Owned by the data administrators;
-- read and written through tongban::catalog::CatalogStore (catalog/include/tongban/catalog/).
--
-- A resource is identified by (code, version). Editing a resource creates the next version as a
-- draft; publishing it retires the previously published version. At most one version of a code is
-- published at a time. A resource's source names a registry table of this hub; its fields are
-- columns of that table (checked by the application against tongban/catalog/sources.h).
--
-- Changes to grants and to published resources are announced on the NOTIFY channel
-- 'tongban_catalog' (payload "grant <app_id> <resource_code>" or "resource <code>") so that the
-- exchange can drop cached grants.
CREATE SCHEMA catalog;

CREATE TABLE catalog.resources (
  code                text        NOT NULL
                                  CHECK (code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$'
                                         AND char_length(code) <= 64),
  version             integer     NOT NULL CHECK (version >= 1),
  name                text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
  description         text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
  provider_department char(18)    NOT NULL REFERENCES exchange.departments (code),
  -- "schema.table" of a registry of this hub (later: an adapter).
  source              text        NOT NULL
                                  CHECK (source ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  key_fields          text[]      NOT NULL
                                  CHECK (cardinality(key_fields) >= 1
                                         AND array_position(key_fields, NULL) IS NULL),
  -- unconditional (无条件共享), conditional (有条件共享), not_shared (不予共享).
  sharing_type        text        NOT NULL
                                  CHECK (sharing_type IN ('unconditional', 'conditional',
                                                          'not_shared')),
  open_data           boolean     NOT NULL DEFAULT false,
  update_cycle        text        NOT NULL
                                  CHECK (update_cycle IN ('realtime', 'daily', 'weekly', 'monthly',
                                                          'quarterly', 'yearly', 'irregular')),
  status              text        NOT NULL DEFAULT 'draft'
                                  CHECK (status IN ('draft', 'published', 'retired')),
  created_by          text        NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_by          text        NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (code, version),
  -- Open data (开放数据) is open to everyone, so it cannot need approval or be withheld.
  CHECK (NOT open_data OR sharing_type = 'unconditional')
);
-- At most one published version per code.
CREATE UNIQUE INDEX resources_published_idx ON catalog.resources (code) WHERE status = 'published';
CREATE INDEX resources_provider_idx ON catalog.resources (provider_department);

CREATE TABLE catalog.resource_fields (
  resource_code    text    NOT NULL,
  resource_version integer NOT NULL,
  position         integer NOT NULL CHECK (position >= 1),
  name             text    NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  type             text    NOT NULL
                           CHECK (type IN ('string', 'date', 'integer', 'decimal', 'timestamp',
                                           'enum')),
  description      text    NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
  sensitivity      text    NOT NULL DEFAULT 'internal'
                           CHECK (sensitivity IN ('public', 'internal', 'sensitive', 'secret')),
  masking          text    NOT NULL DEFAULT 'none'
                           CHECK (masking IN ('none', 'citizen_id', 'credit_code', 'name', 'phone',
                                              'address', 'date', 'full')),
  PRIMARY KEY (resource_code, resource_version, name),
  UNIQUE (resource_code, resource_version, position),
  FOREIGN KEY (resource_code, resource_version)
    REFERENCES catalog.resources (code, version) ON DELETE CASCADE
);
-- "Which resources carry field X?" (catalog search by field).
CREATE INDEX resource_fields_name_idx ON catalog.resource_fields (name);

-- An application (申请) of a consumer system for access to one version of a resource.
-- pending → approved | rejected | withdrawn; decided_by/decided_at are set when it leaves pending
-- (for withdrawn: the applicant).
CREATE TABLE catalog.access_requests (
  id               bigserial   PRIMARY KEY,
  app_id           text        NOT NULL REFERENCES exchange.applications (app_id),
  resource_code    text        NOT NULL,
  resource_version integer     NOT NULL,
  fields           text[]      NOT NULL
                               CHECK (cardinality(fields) >= 1
                                      AND array_position(fields, NULL) IS NULL),
  purpose          text        NOT NULL DEFAULT '' CHECK (char_length(purpose) <= 1000),
  legal_basis      text        NOT NULL DEFAULT '' CHECK (char_length(legal_basis) <= 1000),
  -- Service-matter codes (政务服务事项编码) the data may be used for.
  matter_codes     text[]      NOT NULL
                               CHECK (cardinality(matter_codes) >= 1
                                      AND array_position(matter_codes, NULL) IS NULL),
  valid_from       timestamptz NOT NULL,
  valid_to         timestamptz NOT NULL,
  rate_per_minute  integer     NOT NULL CHECK (rate_per_minute BETWEEN 1 AND 60000),
  state            text        NOT NULL DEFAULT 'pending'
                               CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  decided_by       text,
  decided_at       timestamptz,
  reason           text        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 1000),
  created_by       text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (resource_code, resource_version) REFERENCES catalog.resources (code, version),
  CHECK (valid_to > valid_from),
  CHECK ((state = 'pending') = (decided_at IS NULL)),
  CHECK ((decided_at IS NULL) = (decided_by IS NULL))
);
CREATE INDEX access_requests_app_idx ON catalog.access_requests (app_id);
CREATE INDEX access_requests_resource_idx ON catalog.access_requests (resource_code);
CREATE INDEX access_requests_pending_idx ON catalog.access_requests (created_at)
  WHERE state = 'pending';

-- A grant (授权): application × resource × fields × matter codes × validity window × rate quota.
-- active ⇄ suspended; active | suspended → revoked (final).
CREATE TABLE catalog.grants (
  id               bigserial   PRIMARY KEY,
  request_id       bigint      NOT NULL UNIQUE REFERENCES catalog.access_requests (id),
  app_id           text        NOT NULL REFERENCES exchange.applications (app_id),
  resource_code    text        NOT NULL
                               CHECK (resource_code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$'),
  fields           text[]      NOT NULL
                               CHECK (cardinality(fields) >= 1
                                      AND array_position(fields, NULL) IS NULL),
  -- Fields whose masking rule this grant lifts (only for conditional resources; set by the
  -- approver).
  unmasked_fields  text[]      NOT NULL DEFAULT '{}'
                               CHECK (unmasked_fields <@ fields),
  matter_codes     text[]      NOT NULL
                               CHECK (cardinality(matter_codes) >= 1
                                      AND array_position(matter_codes, NULL) IS NULL),
  valid_from       timestamptz NOT NULL,
  valid_to         timestamptz NOT NULL,
  rate_per_minute  integer     NOT NULL CHECK (rate_per_minute BETWEEN 1 AND 60000),
  state            text        NOT NULL DEFAULT 'active'
                               CHECK (state IN ('active', 'suspended', 'revoked')),
  created_by       text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_by       text        NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to > valid_from)
);
-- The exchange's hot path: the usable grants of (application, resource) now.
CREATE INDEX grants_active_idx ON catalog.grants (app_id, resource_code, valid_to)
  WHERE state = 'active';
CREATE INDEX grants_app_idx ON catalog.grants (app_id);
CREATE INDEX grants_resource_idx ON catalog.grants (resource_code);

-- Every state change of a resource, request or grant, with who, when and why. Append-only.
--   resource: object_id "<code>/<version>"; request and grant: the numeric id.
CREATE TABLE catalog.events (
  id          bigserial   PRIMARY KEY,
  object_type text        NOT NULL CHECK (object_type IN ('resource', 'request', 'grant')),
  object_id   text        NOT NULL CHECK (char_length(object_id) BETWEEN 1 AND 80),
  from_state  text,       -- NULL when the object is created
  to_state    text        NOT NULL,
  actor       text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 128),
  reason      text        NOT NULL DEFAULT '',
  at          timestamptz NOT NULL DEFAULT now(),
  CHECK (from_state IS DISTINCT FROM to_state)
);
CREATE INDEX events_object_idx ON catalog.events (object_type, object_id, id);

CREATE FUNCTION catalog.notify_grant_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tongban_catalog', 'grant ' || NEW.app_id || ' ' || NEW.resource_code);
  RETURN NULL;
END $$;
CREATE TRIGGER grants_notify AFTER INSERT OR UPDATE ON catalog.grants
  FOR EACH ROW EXECUTE FUNCTION catalog.notify_grant_change();

CREATE FUNCTION catalog.notify_resource_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM pg_notify('tongban_catalog', 'resource ' || NEW.code);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER resources_notify AFTER INSERT OR UPDATE ON catalog.resources
  FOR EACH ROW EXECUTE FUNCTION catalog.notify_resource_change();

-- Shipped entries: the two registries of this hub and the departments that provide them.
INSERT INTO exchange.departments (code, name, region_code, created_by) VALUES
  ('11110000000010014U', '公安局人口管理总队', '110000', 'migration'),
  ('11110000000010022N', '市场监督管理局', '110000', 'migration');

INSERT INTO catalog.resources (code, version, name, description, provider_department, source,
                               key_fields, sharing_type, open_data, update_cycle, status,
                               created_by, updated_by) VALUES
  ('POP-PERSON-BASIC', 1, '人口基本信息',
   '户籍人口基本信息：公民身份号码、姓名、性别、出生日期、民族、户籍地行政区划与住址、人员状态。',
   '11110000000010014U', 'population.persons', '{citizen_id}', 'conditional', false, 'realtime',
   'published', 'migration', 'migration'),
  ('LE-ENTITY-BASIC', 1, '法人基本信息',
   '法人登记基本信息：统一社会信用代码、名称、类型、法定代表人、注册资本、成立日期、住所、登记状态、经营范围。',
   '11110000000010022N', 'legal_entity.entities', '{credit_code}', 'unconditional', true,
   'realtime', 'published', 'migration', 'migration');

INSERT INTO catalog.resource_fields (resource_code, resource_version, position, name, type,
                                     description, sensitivity, masking) VALUES
  ('POP-PERSON-BASIC', 1, 1, 'citizen_id',  'string', '公民身份号码', 'sensitive', 'citizen_id'),
  ('POP-PERSON-BASIC', 1, 2, 'name',        'string', '姓名', 'sensitive', 'name'),
  ('POP-PERSON-BASIC', 1, 3, 'sex',         'enum',   '性别（M 男，F 女）', 'internal', 'none'),
  ('POP-PERSON-BASIC', 1, 4, 'birth_date',  'date',   '出生日期', 'sensitive', 'date'),
  ('POP-PERSON-BASIC', 1, 5, 'ethnicity',   'string', '民族', 'internal', 'none'),
  ('POP-PERSON-BASIC', 1, 6, 'region_code', 'string', '户籍地行政区划代码（GB/T 2260）',
   'internal', 'none'),
  ('POP-PERSON-BASIC', 1, 7, 'address',     'string', '户籍地址', 'sensitive', 'address'),
  ('POP-PERSON-BASIC', 1, 8, 'status',      'enum',
   '人员状态（living 正常，deceased 死亡，emigrated 迁出）', 'internal', 'none'),
  ('LE-ENTITY-BASIC', 1, 1, 'credit_code', 'string', '统一社会信用代码', 'public', 'none'),
  ('LE-ENTITY-BASIC', 1, 2, 'name',        'string', '名称', 'public', 'none'),
  ('LE-ENTITY-BASIC', 1, 3, 'entity_type', 'enum',   '市场主体类型', 'public', 'none'),
  ('LE-ENTITY-BASIC', 1, 4, 'legal_rep_citizen_id', 'string', '法定代表人公民身份号码',
   'sensitive', 'citizen_id'),
  ('LE-ENTITY-BASIC', 1, 5, 'registered_capital', 'decimal', '注册资本（人民币元）', 'public',
   'none'),
  ('LE-ENTITY-BASIC', 1, 6, 'established_on', 'date', '成立日期', 'public', 'none'),
  ('LE-ENTITY-BASIC', 1, 7, 'region_code',    'string', '住所行政区划代码（GB/T 2260）', 'public',
   'none'),
  ('LE-ENTITY-BASIC', 1, 8, 'address',        'string', '住所', 'public', 'none'),
  ('LE-ENTITY-BASIC', 1, 9, 'status',         'enum',
   '登记状态（in_business 存续，abnormal 经营异常，revoked 吊销，deregistered 注销）', 'public',
   'none'),
  ('LE-ENTITY-BASIC', 1, 10, 'business_scope', 'string', '经营范围', 'public', 'none');

INSERT INTO catalog.events (object_type, object_id, from_state, to_state, actor, reason) VALUES
  ('resource', 'POP-PERSON-BASIC/1', NULL, 'published', 'migration', 'shipped catalog entry'),
  ('resource', 'LE-ENTITY-BASIC/1', NULL, 'published', 'migration', 'shipped catalog entry');
