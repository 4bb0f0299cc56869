-- Change feeds for the verification core (issue 9; docs/verification.md): one sequence-numbered
-- change table per registry, written by triggers so that every insert, update (of a field a check
-- reads), delete and truncate is recorded whoever makes it, and a NOTIFY per committing
-- transaction so the core's applier wakes up at once. certs.changes (0006) already carries
-- certificate changes (written by the certs module under the log lock); seal status changes had
-- no feed, so certs.seal_changes is added here.
--
-- Ordering. certs.changes gets seq order = commit order from the transparency-log lock its writers
-- hold. These feeds do not serialise their writers (registry bulk loads would queue behind one
-- another): a transaction may commit seq 7 while seq 6 is still in flight. Two facts make that
-- harmless for the reader (verification/src/feed_reader.h): (1) for any one key, seq order is
-- commit order — a second writer of the same row waits on the first one's row lock (or unique
-- index entry) before its AFTER trigger can draw a seq; (2) a transaction draws its seq after it
-- has an xid (the AFTER trigger runs after its row change), so a gap seen under snapshot S can
-- only belong to a transaction with xid < xmax(S). The reader applies what it sees, remembers the
-- gaps with xmax(S), re-reads them, and forgets a gap once xmin of a later snapshot has passed
-- that xmax (the holder committed — and was read — or rolled back).
--
-- Each row is an after-image of the fields the checks read (op 'D': the key only; op 'T':
-- TRUNCATE, everything gone). The NOTIFY payload is empty: PostgreSQL folds identical
-- notifications of one transaction into one, so a bulk load of a million rows sends one.

-- ---- population (人口库) -------------------------------------------------------------------------
CREATE TABLE population.changes (
  seq          bigserial   PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  op           char(1)     NOT NULL CHECK (op IN ('I', 'U', 'D', 'T')),
  citizen_id   char(18)    CHECK ((citizen_id IS NULL) = (op = 'T')),
  region_code  char(6),
  status       text,
  CHECK ((op IN ('I', 'U')) = (status IS NOT NULL AND region_code IS NOT NULL))
);
COMMENT ON TABLE population.changes IS
  'append-only change feed of population.persons for the verification core (0014)';

CREATE FUNCTION population.record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO population.changes (op) VALUES ('T');
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO population.changes (op, citizen_id) VALUES ('D', OLD.citizen_id);
  ELSE
    IF TG_OP = 'UPDATE' AND OLD.citizen_id <> NEW.citizen_id THEN
      INSERT INTO population.changes (op, citizen_id) VALUES ('D', OLD.citizen_id);
    END IF;
    INSERT INTO population.changes (op, citizen_id, region_code, status)
      VALUES (left(TG_OP, 1), NEW.citizen_id, NEW.region_code, NEW.status);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER persons_record_change AFTER INSERT OR DELETE ON population.persons
  FOR EACH ROW EXECUTE FUNCTION population.record_change();
CREATE TRIGGER persons_record_update AFTER UPDATE ON population.persons
  FOR EACH ROW WHEN (OLD.citizen_id IS DISTINCT FROM NEW.citizen_id
                     OR OLD.region_code IS DISTINCT FROM NEW.region_code
                     OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION population.record_change();
CREATE TRIGGER persons_record_truncate AFTER TRUNCATE ON population.persons
  FOR EACH STATEMENT EXECUTE FUNCTION population.record_change();

CREATE FUNCTION population.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('population_changes', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER changes_notify AFTER INSERT ON population.changes
  FOR EACH ROW EXECUTE FUNCTION population.notify_change();

-- ---- legal entities (法人库) ---------------------------------------------------------------------
CREATE TABLE legal_entity.changes (
  seq                   bigserial   PRIMARY KEY,
  at                    timestamptz NOT NULL DEFAULT clock_timestamp(),
  op                    char(1)     NOT NULL CHECK (op IN ('I', 'U', 'D', 'T')),
  credit_code           char(18)    CHECK ((credit_code IS NULL) = (op = 'T')),
  status                text,
  legal_rep_citizen_id  char(18),
  CHECK ((op IN ('I', 'U')) = (status IS NOT NULL AND legal_rep_citizen_id IS NOT NULL))
);
COMMENT ON TABLE legal_entity.changes IS
  'append-only change feed of legal_entity.entities for the verification core (0014)';

CREATE FUNCTION legal_entity.record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO legal_entity.changes (op) VALUES ('T');
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO legal_entity.changes (op, credit_code) VALUES ('D', OLD.credit_code);
  ELSE
    IF TG_OP = 'UPDATE' AND OLD.credit_code <> NEW.credit_code THEN
      INSERT INTO legal_entity.changes (op, credit_code) VALUES ('D', OLD.credit_code);
    END IF;
    INSERT INTO legal_entity.changes (op, credit_code, status, legal_rep_citizen_id)
      VALUES (left(TG_OP, 1), NEW.credit_code, NEW.status, NEW.legal_rep_citizen_id);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER entities_record_change AFTER INSERT OR DELETE ON legal_entity.entities
  FOR EACH ROW EXECUTE FUNCTION legal_entity.record_change();
CREATE TRIGGER entities_record_update AFTER UPDATE ON legal_entity.entities
  FOR EACH ROW WHEN (OLD.credit_code IS DISTINCT FROM NEW.credit_code
                     OR OLD.status IS DISTINCT FROM NEW.status
                     OR OLD.legal_rep_citizen_id IS DISTINCT FROM NEW.legal_rep_citizen_id)
  EXECUTE FUNCTION legal_entity.record_change();
CREATE TRIGGER entities_record_truncate AFTER TRUNCATE ON legal_entity.entities
  FOR EACH STATEMENT EXECUTE FUNCTION legal_entity.record_change();

CREATE FUNCTION legal_entity.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('legal_entity_changes', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER changes_notify AFTER INSERT ON legal_entity.changes
  FOR EACH ROW EXECUTE FUNCTION legal_entity.notify_change();

-- ---- seal status (电子印章状态) ---------------------------------------------------------------------
-- A certificate is not valid while the seal that sealed it is suspended or revoked. Seal changes
-- are rare; the trigger records every insert and status change of certs.seals.
CREATE TABLE certs.seal_changes (
  seq      bigserial   PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  seal_id  text        NOT NULL,
  status   text        NOT NULL CHECK (status IN ('active', 'suspended', 'revoked'))
);
COMMENT ON TABLE certs.seal_changes IS
  'append-only change feed of certs.seals status for the verification core (0014)';

CREATE FUNCTION certs.record_seal_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO certs.seal_changes (seal_id, status) VALUES (NEW.seal_id, NEW.status);
  PERFORM pg_notify('certs_seal_changes', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER seals_record_change AFTER INSERT ON certs.seals
  FOR EACH ROW EXECUTE FUNCTION certs.record_seal_change();
CREATE TRIGGER seals_record_status AFTER UPDATE ON certs.seals
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION certs.record_seal_change();
