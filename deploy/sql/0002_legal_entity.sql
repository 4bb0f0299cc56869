-- Legal-entity registry (法人库), owned by market regulation.
-- One row per entity, keyed by the GB 32100-2015 unified social credit code. The legal
-- representative is a citizen id of the population registry; there is deliberately no foreign key
-- across schemas, because each registry may move to its own server (DESIGN.md, Data).
CREATE SCHEMA legal_entity;

CREATE TABLE legal_entity.entities (
  credit_code          char(18)      PRIMARY KEY
                                     CHECK (credit_code ~ '^[0-9A-HJ-NP-RTUW-Y]{18}$'),
  name                 text          NOT NULL CHECK (char_length(name) BETWEEN 2 AND 128),
  -- Entity type, in the registration authority's terms:
  --   llc (有限责任公司), joint_stock (股份有限公司), sole_proprietorship (个人独资企业),
  --   partnership (合伙企业), individual_business (个体工商户),
  --   farmer_cooperative (农民专业合作社), branch (分公司).
  entity_type          text          NOT NULL CHECK (entity_type IN (
                                       'llc', 'joint_stock', 'sole_proprietorship', 'partnership',
                                       'individual_business', 'farmer_cooperative', 'branch')),
  legal_rep_citizen_id char(18)      NOT NULL
                                     CHECK (legal_rep_citizen_id ~ '^[1-9][0-9]{16}[0-9X]$'),
  registered_capital   numeric(18,2) CHECK (registered_capital >= 0),  -- CNY; NULL when none
  established_on       date          NOT NULL CHECK (established_on >= DATE '1949-10-01'),
  region_code          char(6)       NOT NULL CHECK (region_code ~ '^[1-9][0-9]{5}$'),
  address              text          NOT NULL CHECK (char_length(address) BETWEEN 1 AND 256),
  -- in_business (存续/在业), abnormal (列入经营异常名录), revoked (吊销), deregistered (注销).
  status               text          NOT NULL DEFAULT 'in_business'
                                     CHECK (status IN ('in_business', 'abnormal', 'revoked',
                                                       'deregistered')),
  business_scope       text          NOT NULL CHECK (char_length(business_scope) <= 2000),
  updated_at           timestamptz   NOT NULL DEFAULT now()
);

-- "Which entities does this person represent?" (subject views, verification checks).
CREATE INDEX entities_legal_rep_idx ON legal_entity.entities (legal_rep_citizen_id);
CREATE INDEX entities_region_idx ON legal_entity.entities (region_code);
CREATE INDEX entities_name_idx ON legal_entity.entities (name);
