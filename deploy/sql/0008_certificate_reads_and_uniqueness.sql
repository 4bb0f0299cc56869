-- Issue 7: a certificate type says whether a holder may hold only one current certificate of it
-- (a company has one business licence; a person one identity card and at most one marriage
-- certificate in force). A second issuance of such a type to a holder whose certificate of it is
-- valid or suspended is refused (409, naming the current certificate): a change is a correction.
-- Race-safe without a unique index: every issuance of a unique type takes a transaction-level
-- advisory lock on (type, holder) in the issuance batch before it looks for a current
-- certificate (certs/src/issuance_sequencer.cc). Corrections replace a version in place and
-- never add a current certificate.
ALTER TABLE certs.certificate_types
  ADD COLUMN unique_per_holder boolean NOT NULL DEFAULT false;

UPDATE certs.certificate_types SET unique_per_holder = true
 WHERE code IN ('11100000MB0143028R001',   -- 营业执照
                '11100000000013338W001',   -- 居民身份证
                '111000000000134346001');  -- 结婚证

-- Issue 7: reading a certificate needs a grant on its type as a catalog resource, whose source is
-- "certs:<type code>" (catalog/include/tongban/catalog/sources.h; docs/certificates.md).
ALTER TABLE catalog.resources DROP CONSTRAINT resources_source_check;
ALTER TABLE catalog.resources ADD CONSTRAINT resources_source_check
  CHECK (source ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'
         OR source ~ '^certs:[0-9A-HJ-NP-RTUW-Y]{18}[0-9]{3}$');
