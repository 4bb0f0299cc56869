-- Electronic certificate library (电子证照库), owned by the hub: electronic seals, certificate types,
-- certificates and their status events, the change feed the verification core follows, and the
-- RFC 6962 transparency log over every issuance and status event. docs/certificates.md defines
-- the identifier, the canonical (signed) bytes, the log leaves and the bundle; certs/src/ writes
-- these tables. The application validates everything before it reaches SQL; the checks here are
-- the last line.
CREATE SCHEMA certs;

-- ---- electronic seals (电子印章), GB/T 38540-2020 shaped -------------------------------------------
-- `record` is the RFC 8785 canonical JSON of the seal's SES_Seal-like record (header, es_id,
-- property, picture digest, signer certificate digest, algorithm OID); `hub_signature` is the
-- hub's signature over exactly those bytes. Status is not part of the signed record: it changes,
-- and every change is a transparency-log leaf (seal_events.log_index).
CREATE SEQUENCE certs.seal_seq;

CREATE TABLE certs.seals (
  seal_id            text        PRIMARY KEY CHECK (seal_id ~ '^ES[0-9A-HJ-NP-RTUW-Y]{18}[0-9]{6}$'),
  owner_code         char(18)    NOT NULL REFERENCES exchange.departments (code),
  name               text        NOT NULL CHECK (char_length(name) BETWEEN 2 AND 64),
  -- official (公章), business (业务专用章), contract (合同专用章), finance (财务专用章),
  -- certificate (证照专用章), legal_rep (法定代表人名章).
  kind               text        NOT NULL CHECK (kind IN ('official', 'business', 'contract',
                                                          'finance', 'certificate', 'legal_rep')),
  picture_png        bytea       NOT NULL CHECK (octet_length(picture_png) BETWEEN 33 AND 262144),
  picture_width_mm   numeric(5,1) NOT NULL CHECK (picture_width_mm BETWEEN 10 AND 100),
  picture_height_mm  numeric(5,1) NOT NULL CHECK (picture_height_mm BETWEEN 10 AND 100),
  signer_certificate text        NOT NULL CHECK (signer_certificate LIKE '-----BEGIN CERTIFICATE-----%'),
  key_id             text        NOT NULL UNIQUE,
  algorithm          text        NOT NULL CHECK (algorithm IN ('SM2-SM3', 'ECDSA-P256-SHA256')),
  valid_from         timestamptz NOT NULL,
  valid_to           timestamptz NOT NULL,
  status             text        NOT NULL DEFAULT 'active'
                                 CHECK (status IN ('active', 'suspended', 'revoked')),
  record             bytea       NOT NULL,
  hub_signature      bytea       NOT NULL,
  hub_algorithm      text        NOT NULL CHECK (hub_algorithm IN ('SM2-SM3', 'ECDSA-P256-SHA256')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  created_by         text        NOT NULL,
  CHECK (valid_to > valid_from)
);
CREATE INDEX seals_owner_idx ON certs.seals (owner_code);

-- ---- transparency log (透明日志), RFC 6962 ----------------------------------------------------------
-- One row holds the log's size; appending updates it, which serialises appenders and makes leaf
-- indexes gap-free (an aborted transaction rolls its index back with everything else).
CREATE TABLE certs.log_state (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  size       bigint  NOT NULL CHECK (size >= 0)
);
INSERT INTO certs.log_state (singleton, size) VALUES (true, 0);

-- Leaves: leaf_hash = SHA-256(0x00 || leaf_data); leaf_data is canonical JSON (docs/certificates.md).
CREATE TABLE certs.log_leaves (
  leaf_index   bigint      PRIMARY KEY CHECK (leaf_index >= 0),
  leaf_hash    bytea       NOT NULL CHECK (octet_length(leaf_hash) = 32),
  leaf_data    bytea       NOT NULL,
  appended_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_leaves_hash_idx ON certs.log_leaves (leaf_hash);

-- Complete subtrees: hash of leaves [idx << level, (idx + 1) << level), level >= 1, written when
-- the subtree's last leaf is appended. Proofs read O(log n) rows instead of rehashing leaves.
CREATE TABLE certs.log_nodes (
  level  smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
  idx    bigint   NOT NULL CHECK (idx >= 0),
  hash   bytea    NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- Signed tree heads. `signature` is over the RFC 6962 §3.5 TreeHeadSignature structure
-- (version 0, signature_type 1, timestamp ms, tree_size, root hash: 50 bytes), by the hub's log
-- key whose certificate is kept beside it.
CREATE TABLE certs.tree_heads (
  tree_size          bigint      PRIMARY KEY CHECK (tree_size >= 0),
  root_hash          bytea       NOT NULL CHECK (octet_length(root_hash) = 32),
  timestamp_ms       bigint      NOT NULL,
  signature          bytea       NOT NULL,
  algorithm          text        NOT NULL CHECK (algorithm IN ('SM2-SM3', 'ECDSA-P256-SHA256')),
  signer_certificate text        NOT NULL
);

CREATE FUNCTION certs.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON certs.log_leaves
  FOR EACH ROW EXECUTE FUNCTION certs.refuse_change();
CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON certs.log_nodes
  FOR EACH ROW EXECUTE FUNCTION certs.refuse_change();
CREATE TRIGGER tree_heads_append_only BEFORE UPDATE OR DELETE ON certs.tree_heads
  FOR EACH ROW EXECUTE FUNCTION certs.refuse_change();

-- Seal status history; every row is also a log leaf.
CREATE TABLE certs.seal_events (
  id           bigserial   PRIMARY KEY,
  seal_id      text        NOT NULL REFERENCES certs.seals (seal_id),
  at           timestamptz NOT NULL,
  action       text        NOT NULL CHECK (action IN ('create', 'suspend', 'resume', 'revoke')),
  status       text        NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
  reason       text,
  actor        text        NOT NULL,
  log_index    bigint      NOT NULL UNIQUE REFERENCES certs.log_leaves (leaf_index)
);
CREATE INDEX seal_events_seal_idx ON certs.seal_events (seal_id, id);

-- ---- certificate types (证照类型) -------------------------------------------------------------------
-- code = credit code of the body that defines the type + 3 digits. surface_schema is the
-- definition the hub enforces on surface data (certs/include/tongban/certs/certificate_type.h):
--   {"holder_name_field", "holder_code_field", "number_field",
--    "fields": [{"name", "label", "type", "required", ...per-type constraints}],
--    "rules": [{"kind": ...}]}
-- holder_check: whether the holder must exist (and be active) in the population / legal-entity
-- registry. default_validity_months: NULL = long-term (长期有效).
CREATE TABLE certs.certificate_types (
  code                     char(21)    PRIMARY KEY
                                       CHECK (code ~ '^[0-9A-HJ-NP-RTUW-Y]{18}[0-9]{3}$'),
  name                     text        NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 2 AND 64),
  holder_kind              text        NOT NULL CHECK (holder_kind IN ('person', 'entity')),
  holder_check             boolean     NOT NULL DEFAULT true,
  surface_schema           jsonb       NOT NULL CHECK (jsonb_typeof(surface_schema) = 'object'),
  default_validity_months  integer     CHECK (default_validity_months BETWEEN 1 AND 1200),
  created_at               timestamptz NOT NULL DEFAULT now()
);

-- Which departments may issue a type (a department of market regulation issues business
-- licences; the civil affairs bureaus issue marriage certificates).
CREATE TABLE certs.type_issuers (
  type_code        char(21) NOT NULL REFERENCES certs.certificate_types (code),
  department_code  char(18) NOT NULL REFERENCES exchange.departments (code),
  PRIMARY KEY (type_code, department_code)
);

-- ---- certificates (电子证照) -------------------------------------------------------------------------
-- Serial counters: serial = year of issue + at least 6 digits, per issuer and year.
CREATE TABLE certs.serial_counters (
  issuer_code  char(18) NOT NULL,
  year         integer  NOT NULL CHECK (year BETWEEN 2000 AND 9999),
  last         bigint   NOT NULL CHECK (last >= 1),
  PRIMARY KEY (issuer_code, year)
);

-- States (DESIGN.md): valid, suspended (暂扣), cancelled (撤销), deregistered (注销), revoked as a
-- penalty (吊销), expired (失效), superseded (a newer version replaced it).
CREATE TABLE certs.certificates (
  certificate_id    text        PRIMARY KEY
                                CHECK (certificate_id ~ '^1\.2\.156\.3005\.2\.[0-9A-Z]{21}\.[0-9A-Z]{18}\.[0-9A-Z]+\.[0-9]{3}\.[0-9A-Z]$'),
  type_code         char(21)    NOT NULL REFERENCES certs.certificate_types (code),
  issuer_code       char(18)    NOT NULL REFERENCES exchange.departments (code),
  serial            text        NOT NULL CHECK (serial ~ '^[0-9]{10,}$'),
  version           smallint    NOT NULL CHECK (version BETWEEN 1 AND 999),
  supersedes        text        UNIQUE REFERENCES certs.certificates (certificate_id),
  superseded_by     text        UNIQUE REFERENCES certs.certificates (certificate_id),
  number            text        NOT NULL,  -- 证照编号: the number printed on the certificate
  holder_name       text        NOT NULL CHECK (char_length(holder_name) BETWEEN 1 AND 128),
  holder_code       text        NOT NULL,
  holder_code_type  char(3)     NOT NULL CHECK (holder_code_type IN ('111', '001')),
  surface           jsonb       NOT NULL CHECK (jsonb_typeof(surface) = 'object'),
  payload           bytea       NOT NULL,  -- the exact signed bytes (RFC 8785 JSON)
  signature         bytea       NOT NULL,  -- DER
  algorithm         text        NOT NULL CHECK (algorithm IN ('SM2-SM3', 'ECDSA-P256-SHA256')),
  seal_id           text        NOT NULL REFERENCES certs.seals (seal_id),
  issued_at         timestamptz NOT NULL,
  issue_date        date        NOT NULL,
  valid_from        date        NOT NULL,
  valid_to          date,       -- NULL: long-term
  status            text        NOT NULL DEFAULT 'valid'
                                CHECK (status IN ('valid', 'suspended', 'cancelled', 'deregistered',
                                                  'revoked', 'expired', 'superseded')),
  status_reason     text,
  status_changed_at timestamptz NOT NULL,
  open_objections   integer     NOT NULL DEFAULT 0 CHECK (open_objections >= 0),
  idempotency_key   text        NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 128),
  request_digest    bytea       NOT NULL CHECK (octet_length(request_digest) = 32),
  log_index         bigint      NOT NULL UNIQUE REFERENCES certs.log_leaves (leaf_index),
  UNIQUE (issuer_code, idempotency_key),
  UNIQUE (type_code, issuer_code, serial, version),
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX certificates_holder_idx ON certs.certificates (holder_code, holder_code_type);
CREATE INDEX certificates_expiry_idx ON certs.certificates (valid_to)
  WHERE status IN ('valid', 'suspended') AND valid_to IS NOT NULL;

-- Every transition of a certificate, each one also a log leaf.
CREATE TABLE certs.status_events (
  id              bigserial   PRIMARY KEY,
  certificate_id  text        NOT NULL REFERENCES certs.certificates (certificate_id),
  at              timestamptz NOT NULL,
  action          text        NOT NULL CHECK (action IN ('issue', 'suspend', 'resume', 'revoke',
                                                         'supersede', 'expire', 'objection_filed',
                                                         'objection_resolved')),
  from_status     text,
  to_status       text        NOT NULL,
  reason_code     text,
  note            text,
  actor           text        NOT NULL,
  log_index       bigint      NOT NULL UNIQUE REFERENCES certs.log_leaves (leaf_index)
);
CREATE INDEX status_events_certificate_idx ON certs.status_events (certificate_id, id);

-- Objections (异议) filed by a holder or a verifier; the issuer resolves them.
CREATE TABLE certs.objections (
  objection_id    bigserial   PRIMARY KEY,
  certificate_id  text        NOT NULL REFERENCES certs.certificates (certificate_id),
  filed_by_kind   text        NOT NULL CHECK (filed_by_kind IN ('holder', 'verifier')),
  filed_by        text        NOT NULL CHECK (char_length(filed_by) BETWEEN 1 AND 128),
  reason          text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
  status          text        NOT NULL DEFAULT 'open'
                              CHECK (status IN ('open', 'upheld', 'dismissed')),
  filed_at        timestamptz NOT NULL,
  resolved_at     timestamptz,
  resolved_by     text,
  resolution      text,
  CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE INDEX objections_certificate_idx ON certs.objections (certificate_id);

-- ---- change feed for the verification core -----------------------------------------------------
-- One row per certificate change; a reader asks for seq > last seen. Every writer inserts here
-- after appending to the transparency log, i.e. while holding the log_state row lock, so seq
-- order is commit order: a reader never sees seq n+1 before seq n has committed.
-- NOTIFY certs_changes carries the new seq so readers wake up at once.
CREATE TABLE certs.changes (
  seq               bigserial   PRIMARY KEY,
  at                timestamptz NOT NULL DEFAULT now(),
  certificate_id    text        NOT NULL REFERENCES certs.certificates (certificate_id),
  event             text        NOT NULL,
  status            text        NOT NULL,
  type_code         char(21)    NOT NULL,
  issuer_code       char(18)    NOT NULL,
  holder_code_type  char(3)     NOT NULL,
  holder_code       text        NOT NULL,
  valid_from        date        NOT NULL,
  valid_to          date,
  open_objections   integer     NOT NULL
);

CREATE FUNCTION certs.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('certs_changes', NEW.seq::text);
  RETURN NULL;
END;
$$;
CREATE TRIGGER changes_notify AFTER INSERT ON certs.changes
  FOR EACH ROW EXECUTE FUNCTION certs.notify_change();

-- ---- the shipped certificate types -------------------------------------------------------------
-- Defining bodies: 国家市场监督管理总局 11100000MB0143028R, 公安部 11100000000013338W,
-- 民政部 111000000000134346, 自然资源部 11100000MB196707X7, 教育部 11100000000012802C.
-- Issuers are granted per type in certs.type_issuers once their departments are registered.
INSERT INTO certs.certificate_types
  (code, name, holder_kind, holder_check, default_validity_months, surface_schema) VALUES
('11100000MB0143028R001', '营业执照', 'entity', true, NULL, $json${
  "holder_name_field": "name",
  "holder_code_field": "credit_code",
  "number_field": "credit_code",
  "fields": [
    {"name": "name", "label": "名称", "type": "string", "required": true, "min_length": 2, "max_length": 128},
    {"name": "credit_code", "label": "统一社会信用代码", "type": "credit_code", "required": true},
    {"name": "entity_type", "label": "类型", "type": "enum", "required": true,
     "values": ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户", "农民专业合作社", "分公司"]},
    {"name": "legal_representative", "label": "法定代表人", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "registered_capital", "label": "注册资本", "type": "string", "required": false,
     "pattern": "^[0-9]{1,12}(\\.[0-9]{1,6})?万元(人民币)?$"},
    {"name": "established_on", "label": "成立日期", "type": "date", "required": true, "minimum": "1949-10-01"},
    {"name": "business_term_from", "label": "营业期限自", "type": "date", "required": true},
    {"name": "business_term_to", "label": "营业期限至", "type": "date", "required": false},
    {"name": "address", "label": "住所", "type": "string", "required": true, "min_length": 1, "max_length": 256},
    {"name": "business_scope", "label": "经营范围", "type": "string", "required": true, "min_length": 1, "max_length": 2000},
    {"name": "registration_authority", "label": "登记机关", "type": "string", "required": true, "min_length": 2, "max_length": 128}
  ],
  "rules": [
    {"kind": "date_order", "earlier": "established_on", "later": "business_term_from"},
    {"kind": "date_order", "earlier": "business_term_from", "later": "business_term_to"}
  ]
}$json$),
('11100000MB0143028R002', '食品经营许可证', 'entity', true, 60, $json${
  "holder_name_field": "operator_name",
  "holder_code_field": "credit_code",
  "number_field": "licence_number",
  "fields": [
    {"name": "operator_name", "label": "经营者名称", "type": "string", "required": true, "min_length": 2, "max_length": 128},
    {"name": "credit_code", "label": "社会信用代码", "type": "credit_code", "required": true},
    {"name": "licence_number", "label": "许可证编号", "type": "string", "required": true, "pattern": "^JY[1-3][0-9]{13}$"},
    {"name": "legal_representative", "label": "法定代表人（负责人）", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "residence", "label": "住所", "type": "string", "required": true, "min_length": 1, "max_length": 256},
    {"name": "business_premises", "label": "经营场所", "type": "string", "required": true, "min_length": 1, "max_length": 256},
    {"name": "main_business_format", "label": "主体业态", "type": "enum", "required": true,
     "values": ["食品销售经营者", "餐饮服务经营者", "单位食堂"]},
    {"name": "business_items", "label": "经营项目", "type": "array", "required": true, "min_items": 1, "max_items": 20,
     "items": {"type": "string", "min_length": 2, "max_length": 64}},
    {"name": "supervising_authority", "label": "日常监督管理机构", "type": "string", "required": false, "max_length": 128},
    {"name": "complaint_hotline", "label": "投诉举报电话", "type": "string", "required": false, "pattern": "^[0-9-]{5,20}$"}
  ],
  "rules": []
}$json$),
('11100000000013338W001', '居民身份证', 'person', true, 120, $json${
  "holder_name_field": "name",
  "holder_code_field": "citizen_id",
  "number_field": "citizen_id",
  "fields": [
    {"name": "name", "label": "姓名", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "sex", "label": "性别", "type": "enum", "required": true, "values": ["男", "女"]},
    {"name": "ethnicity", "label": "民族", "type": "string", "required": true, "min_length": 1, "max_length": 16},
    {"name": "birth_date", "label": "出生", "type": "date", "required": true, "minimum": "1850-01-01"},
    {"name": "address", "label": "住址", "type": "string", "required": true, "min_length": 1, "max_length": 256},
    {"name": "citizen_id", "label": "公民身份号码", "type": "citizen_id", "required": true},
    {"name": "issuing_authority", "label": "签发机关", "type": "string", "required": true, "min_length": 2, "max_length": 64}
  ],
  "rules": [
    {"kind": "citizen_id_birth_date", "id_field": "citizen_id", "date_field": "birth_date"},
    {"kind": "citizen_id_sex", "id_field": "citizen_id", "sex_field": "sex", "male": "男", "female": "女"}
  ]
}$json$),
('111000000000134346001', '结婚证', 'person', true, NULL, $json${
  "holder_name_field": "holder_name",
  "number_field": "certificate_number",
  "fields": [
    {"name": "certificate_number", "label": "结婚证字号", "type": "string", "required": true,
     "pattern": "^J[0-9]{6}-[0-9]{4}-[0-9]{6}$"},
    {"name": "holder_name", "label": "持证人", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "registration_date", "label": "登记日期", "type": "date", "required": true, "minimum": "1950-05-01"},
    {"name": "husband_name", "label": "男方姓名", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "husband_citizen_id", "label": "男方身份证件号", "type": "citizen_id", "required": true},
    {"name": "wife_name", "label": "女方姓名", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "wife_citizen_id", "label": "女方身份证件号", "type": "citizen_id", "required": true},
    {"name": "registration_authority", "label": "登记机关", "type": "string", "required": true, "min_length": 2, "max_length": 128}
  ],
  "rules": [
    {"kind": "citizen_id_sex_is", "id_field": "husband_citizen_id", "sex": "M"},
    {"kind": "citizen_id_sex_is", "id_field": "wife_citizen_id", "sex": "F"},
    {"kind": "holder_code_in", "fields": ["husband_citizen_id", "wife_citizen_id"]},
    {"kind": "holder_name_in", "fields": ["husband_name", "wife_name"]}
  ]
}$json$),
('11100000MB196707X7001', '不动产权证书', 'person', true, NULL, $json${
  "holder_name_field": "obligee",
  "holder_code_field": "obligee_id",
  "number_field": "certificate_number",
  "fields": [
    {"name": "certificate_number", "label": "不动产权证书号", "type": "string", "required": true,
     "pattern": "^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\\([0-9]{4}\\)[^()]{1,20}不动产权第[0-9]{7}号$"},
    {"name": "obligee", "label": "权利人", "type": "string", "required": true, "min_length": 1, "max_length": 128},
    {"name": "obligee_id", "label": "证件号", "type": "citizen_id", "required": true},
    {"name": "co_ownership", "label": "共有情况", "type": "enum", "required": true, "values": ["单独所有", "共同共有", "按份共有"]},
    {"name": "region_code", "label": "行政区划", "type": "region_code", "required": true},
    {"name": "location", "label": "坐落", "type": "string", "required": true, "min_length": 2, "max_length": 256},
    {"name": "unit_number", "label": "不动产单元号", "type": "string", "required": true,
     "pattern": "^[0-9]{12}[A-Z]{2}[0-9]{5}[A-Z][0-9]{8}$"},
    {"name": "right_type", "label": "权利类型", "type": "enum", "required": true,
     "values": ["国有建设用地使用权/房屋所有权", "宅基地使用权/房屋所有权", "集体建设用地使用权/房屋所有权", "土地承包经营权"]},
    {"name": "right_nature", "label": "权利性质", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "usage", "label": "用途", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "area_m2", "label": "面积（平方米）", "type": "number", "required": true, "minimum": 0.01, "maximum": 10000000},
    {"name": "land_use_term_to", "label": "土地使用期限至", "type": "date", "required": false}
  ],
  "rules": []
}$json$),
('11100000000012802C001', '学位证书', 'person', true, NULL, $json${
  "holder_name_field": "name",
  "holder_code_field": "citizen_id",
  "number_field": "certificate_number",
  "fields": [
    {"name": "name", "label": "姓名", "type": "string", "required": true, "min_length": 1, "max_length": 64},
    {"name": "sex", "label": "性别", "type": "enum", "required": true, "values": ["男", "女"]},
    {"name": "birth_date", "label": "出生日期", "type": "date", "required": true, "minimum": "1900-01-01"},
    {"name": "citizen_id", "label": "身份证件号", "type": "citizen_id", "required": true},
    {"name": "degree_level", "label": "学位", "type": "enum", "required": true, "values": ["学士", "硕士", "博士"]},
    {"name": "discipline", "label": "学科门类", "type": "enum", "required": true,
     "values": ["哲学", "经济学", "法学", "教育学", "文学", "历史学", "理学", "工学", "农学", "医学", "军事学", "管理学", "艺术学", "交叉学科"]},
    {"name": "major", "label": "专业", "type": "string", "required": true, "min_length": 2, "max_length": 64},
    {"name": "awarding_institution", "label": "学位授予单位", "type": "string", "required": true, "min_length": 2, "max_length": 128},
    {"name": "certificate_number", "label": "证书编号", "type": "string", "required": true, "pattern": "^[0-9]{16}$"},
    {"name": "conferred_on", "label": "授予日期", "type": "date", "required": true, "minimum": "1981-01-01"}
  ],
  "rules": [
    {"kind": "citizen_id_birth_date", "id_field": "citizen_id", "date_field": "birth_date"},
    {"kind": "citizen_id_sex", "id_field": "citizen_id", "sex_field": "sex", "male": "男", "female": "女"},
    {"kind": "date_order", "earlier": "birth_date", "later": "conferred_on"}
  ]
}$json$);
