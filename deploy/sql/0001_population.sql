-- Population registry (人口库), owned by public security.
-- One row per person, keyed by the GB 11643-1999 citizen id. The application validates ids
-- (check character, birth date) before they reach SQL; the checks here are the last line.
CREATE SCHEMA population;

CREATE TABLE population.persons (
  citizen_id    char(18)    PRIMARY KEY
                            CHECK (citizen_id ~ '^[1-9][0-9]{16}[0-9X]$'),
  name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  -- GB/T 2261.1 sex, agreeing with the citizen id's order digit (odd = male).
  sex           char(1)     NOT NULL CHECK (sex IN ('M', 'F')),
  birth_date    date        NOT NULL CHECK (birth_date >= DATE '1850-01-01'),
  ethnicity     text        NOT NULL DEFAULT '汉族',
  -- Household registration (户籍): GB/T 2260 region code and address.
  region_code   char(6)     NOT NULL CHECK (region_code ~ '^[1-9][0-9]{5}$'),
  address       text        NOT NULL CHECK (char_length(address) BETWEEN 1 AND 256),
  status        text        NOT NULL DEFAULT 'living'
                            CHECK (status IN ('living', 'deceased', 'emigrated')),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (to_char(birth_date, 'YYYYMMDD') = substr(citizen_id, 7, 8)),
  CHECK ((substr(citizen_id, 17, 1)::int % 2 = 1) = (sex = 'M'))
);

CREATE INDEX persons_region_idx ON population.persons (region_code);
CREATE INDEX persons_name_idx ON population.persons (name);
