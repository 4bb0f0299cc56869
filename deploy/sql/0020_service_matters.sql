-- Service matters (政务服务事项), one-thing bundles (一件事) and no-application benefits (免申即享).
--
-- A matter lists the materials an applicant must submit. Each material says how the hub can stand
-- in for it (the rule of the provincial plans: material issued by a government department, or
-- checkable by data sharing, need not be submitted):
--   certificate  the applicant holds a valid electronic certificate of type_code (holds_certificate)
--   fact         a fact check over the base registries (check_kind with its parameters)
--   none         the hub cannot stand in: the applicant submits it
-- `subject` names whose identifier the check is about: the applicant person (citizen id) or the
-- applicant entity (credit code). A legal_representative check is about the person, with the
-- entity as its parameter.
--
-- A one-thing groups matters from several departments; its precheck runs the union of their
-- checks once. A matter may carry an eligibility rule: every check in service.eligibility_checks
-- must hold for a person (kinds over persons only); the verification core scans its index for
-- the persons who qualify.
CREATE SCHEMA service;

CREATE TABLE service.matters (
  code             text        PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$'),
  name             text        NOT NULL CHECK (char_length(name) BETWEEN 2 AND 128),
  -- 实施部门: the department responsible for the matter.
  department_name  text        NOT NULL CHECK (char_length(department_name) BETWEEN 2 AND 128),
  applicant_kind   text        NOT NULL CHECK (applicant_kind IN ('person', 'entity')),
  -- The legal or policy basis of the material list (设定依据), shown to applicants.
  basis            text        NOT NULL DEFAULT '' CHECK (char_length(basis) <= 1000),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service.materials (
  matter_code   text     NOT NULL REFERENCES service.matters (code) ON DELETE CASCADE,
  position      smallint NOT NULL CHECK (position BETWEEN 1 AND 200),
  name          text     NOT NULL CHECK (char_length(name) BETWEEN 2 AND 128),
  substitute    text     NOT NULL CHECK (substitute IN ('certificate', 'fact', 'none')),
  subject       text     CHECK (subject IN ('person', 'entity')),
  check_kind    text     CHECK (check_kind IN ('holds_certificate', 'person_alive',
                                               'person_registered_in', 'person_age_at_least',
                                               'entity_in_business', 'legal_representative')),
  type_code     char(21) REFERENCES certs.certificate_types (code),
  region        text     CHECK (region ~ '^[1-9][0-9]([0-9]{2}([0-9]{2})?)?$'),
  min_age       smallint CHECK (min_age BETWEEN 0 AND 150),
  PRIMARY KEY (matter_code, position),
  CHECK ((substitute = 'none') = (subject IS NULL AND check_kind IS NULL)),
  CHECK ((substitute = 'certificate') = (check_kind IS NOT DISTINCT FROM 'holds_certificate')),
  CHECK ((check_kind IS NOT DISTINCT FROM 'holds_certificate') = (type_code IS NOT NULL)),
  CHECK ((check_kind IS NOT DISTINCT FROM 'person_registered_in') <= (region IS NOT NULL)),
  CHECK ((check_kind IS NOT DISTINCT FROM 'person_age_at_least') = (min_age IS NOT NULL)),
  CHECK (check_kind IS NULL OR
         (check_kind IN ('entity_in_business') AND subject = 'entity') OR
         (check_kind IN ('person_alive', 'person_registered_in', 'person_age_at_least',
                         'legal_representative') AND subject = 'person') OR
         check_kind = 'holds_certificate')
);

CREATE TABLE service.things (
  code        text PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$'),
  name        text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 128),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000)
);

CREATE TABLE service.thing_matters (
  thing_code  text     NOT NULL REFERENCES service.things (code) ON DELETE CASCADE,
  position    smallint NOT NULL CHECK (position BETWEEN 1 AND 50),
  matter_code text     NOT NULL REFERENCES service.matters (code),
  PRIMARY KEY (thing_code, position),
  UNIQUE (thing_code, matter_code)
);

CREATE TABLE service.eligibility_checks (
  matter_code text     NOT NULL REFERENCES service.matters (code) ON DELETE CASCADE,
  position    smallint NOT NULL CHECK (position BETWEEN 1 AND 20),
  check_kind  text     NOT NULL CHECK (check_kind IN ('person_alive', 'person_registered_in',
                                                      'person_age_at_least')),
  region      text     CHECK (region ~ '^[1-9][0-9]([0-9]{2}([0-9]{2})?)?$'),
  min_age     smallint CHECK (min_age BETWEEN 0 AND 150),
  PRIMARY KEY (matter_code, position),
  CHECK ((check_kind = 'person_registered_in') = (region IS NOT NULL)),
  CHECK ((check_kind = 'person_age_at_least') = (min_age IS NOT NULL))
);

-- ---- shipped matters -----------------------------------------------------------------------------
-- From the Liaoning plan's 2024 list of key "one things" (省“高效办成一件事”2024年度重点事项清单):
-- 开办餐饮店 and 新生儿出生; and a no-application benefit (免申即享) of the kind its task 4
-- describes: the old-age allowance (高龄津贴) paid to registered residents aged 80 or more.
-- Codes: the province's region code, the department's short name, a sequence.
INSERT INTO service.matters (code, name, department_name, applicant_kind, basis) VALUES
('210000-SCJG-0001', '企业设立登记', '市场监督管理局', 'entity',
 '《中华人民共和国市场主体登记管理条例》'),
('210000-SCJG-0002', '食品经营许可', '市场监督管理局', 'entity',
 '《中华人民共和国食品安全法》第三十五条;《食品经营许可和备案管理办法》'),
('210000-XFJY-0001', '公众聚集场所投入使用、营业前消防安全检查', '消防救援机构', 'entity',
 '《中华人民共和国消防法》第十五条'),
('210000-SWJ-0001', '发票领用', '税务局', 'entity', '《中华人民共和国发票管理办法》第十五条'),
('210000-WJW-0001', '出生医学证明签发', '卫生健康委员会', 'person',
 '《中华人民共和国母婴保健法》第二十三条'),
('210000-GAJ-0001', '出生登记(户口登记)', '公安局', 'person',
 '《中华人民共和国户口登记条例》第七条'),
('210000-YBJ-0001', '城乡居民基本医疗保险参保登记', '医疗保障局', 'person',
 '《中华人民共和国社会保险法》第二十五条'),
('210000-RSJ-0001', '社会保障卡申领', '人力资源和社会保障局', 'person',
 '《社会保障卡管理办法》'),
('210000-MZJ-0001', '高龄津贴发放', '民政局', 'person',
 '辽宁省老年人高龄津贴制度;免申即享:符合条件的老年人无需申请');

INSERT INTO service.materials
  (matter_code, position, name, substitute, subject, check_kind, type_code, region, min_age) VALUES
('210000-SCJG-0001', 1, '公司登记(备案)申请书', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-SCJG-0001', 2, '公司章程', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-SCJG-0001', 3, '法定代表人身份证件', 'certificate', 'person', 'holds_certificate',
 '11100000000013338W001', NULL, NULL),
('210000-SCJG-0001', 4, '住所(经营场所)使用证明', 'certificate', 'person', 'holds_certificate',
 '11100000MB196707X7001', NULL, NULL),

('210000-SCJG-0002', 1, '食品经营许可申请书', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-SCJG-0002', 2, '营业执照', 'certificate', 'entity', 'holds_certificate',
 '11100000MB0143028R001', NULL, NULL),
('210000-SCJG-0002', 3, '经营主体存续证明', 'fact', 'entity', 'entity_in_business', NULL, NULL,
 NULL),
('210000-SCJG-0002', 4, '法定代表人身份证明', 'fact', 'person', 'legal_representative', NULL,
 NULL, NULL),
('210000-SCJG-0002', 5, '与食品经营相适应的主要设备设施布局、操作流程等文件', 'none', NULL, NULL,
 NULL, NULL, NULL),
('210000-SCJG-0002', 6, '食品安全自查、从业人员健康管理等食品安全管理制度', 'none', NULL, NULL,
 NULL, NULL, NULL),

('210000-XFJY-0001', 1, '公众聚集场所投入使用、营业前消防安全检查申请表', 'none', NULL, NULL,
 NULL, NULL, NULL),
('210000-XFJY-0001', 2, '营业执照', 'certificate', 'entity', 'holds_certificate',
 '11100000MB0143028R001', NULL, NULL),
('210000-XFJY-0001', 3, '场所平面布置图、场所消防设施平面图', 'none', NULL, NULL, NULL, NULL, NULL),

('210000-SWJ-0001', 1, '营业执照', 'certificate', 'entity', 'holds_certificate',
 '11100000MB0143028R001', NULL, NULL),
('210000-SWJ-0001', 2, '经营主体存续证明', 'fact', 'entity', 'entity_in_business', NULL, NULL,
 NULL),
('210000-SWJ-0001', 3, '经办人身份证件', 'certificate', 'person', 'holds_certificate',
 '11100000000013338W001', NULL, NULL),

('210000-WJW-0001', 1, '出生医学证明首次签发登记表', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-WJW-0001', 2, '父母有效身份证件', 'certificate', 'person', 'holds_certificate',
 '11100000000013338W001', NULL, NULL),
('210000-WJW-0001', 3, '结婚证', 'certificate', 'person', 'holds_certificate',
 '111000000000134346001', NULL, NULL),

('210000-GAJ-0001', 1, '出生医学证明', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-GAJ-0001', 2, '父母居民户口簿(本省户籍)', 'fact', 'person', 'person_registered_in',
 NULL, '21', NULL),
('210000-GAJ-0001', 3, '父母居民身份证', 'certificate', 'person', 'holds_certificate',
 '11100000000013338W001', NULL, NULL),
('210000-GAJ-0001', 4, '结婚证', 'certificate', 'person', 'holds_certificate',
 '111000000000134346001', NULL, NULL),

('210000-YBJ-0001', 1, '城乡居民基本医疗保险参保登记表', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-YBJ-0001', 2, '居民户口簿(本省户籍)', 'fact', 'person', 'person_registered_in', NULL,
 '21', NULL),

('210000-RSJ-0001', 1, '社会保障卡申领登记表', 'none', NULL, NULL, NULL, NULL, NULL),
('210000-RSJ-0001', 2, '居民身份证', 'certificate', 'person', 'holds_certificate',
 '11100000000013338W001', NULL, NULL),
('210000-RSJ-0001', 3, '近期免冠证件照片', 'none', NULL, NULL, NULL, NULL, NULL),

('210000-MZJ-0001', 1, '居民身份证', 'certificate', 'person', 'holds_certificate',
 '11100000000013338W001', NULL, NULL),
('210000-MZJ-0001', 2, '居民户口簿(本省户籍)', 'fact', 'person', 'person_registered_in', NULL,
 '21', NULL),
('210000-MZJ-0001', 3, '年龄证明(年满80周岁)', 'fact', 'person', 'person_age_at_least', NULL,
 NULL, 80);

INSERT INTO service.things (code, name, description) VALUES
('210000-YJS-KBCYD', '开办餐饮店一件事',
 '企业设立登记、食品经营许可、公众聚集场所营业前消防安全检查、发票领用,一次申请、并联办理。'),
('210000-YJS-XSECS', '新生儿出生一件事',
 '出生医学证明、户口登记、城乡居民医保参保登记、社会保障卡申领,一次申请、一次办结。');

INSERT INTO service.thing_matters (thing_code, position, matter_code) VALUES
('210000-YJS-KBCYD', 1, '210000-SCJG-0001'),
('210000-YJS-KBCYD', 2, '210000-SCJG-0002'),
('210000-YJS-KBCYD', 3, '210000-XFJY-0001'),
('210000-YJS-KBCYD', 4, '210000-SWJ-0001'),
('210000-YJS-XSECS', 1, '210000-WJW-0001'),
('210000-YJS-XSECS', 2, '210000-GAJ-0001'),
('210000-YJS-XSECS', 3, '210000-YBJ-0001'),
('210000-YJS-XSECS', 4, '210000-RSJ-0001');

INSERT INTO service.eligibility_checks (matter_code, position, check_kind, region, min_age) VALUES
('210000-MZJ-0001', 1, 'person_alive', NULL, NULL),
('210000-MZJ-0001', 2, 'person_registered_in', '21', NULL),
('210000-MZJ-0001', 3, 'person_age_at_least', NULL, 80);
