-- Batch flow-back import (数据回流, `tongban-admin import`, docs/import.md): one checkpoint per
-- file and registry. The importer updates it in the same transaction as each batch it applies, so
-- after a crash the next run of the same file resumes just after the last committed batch.
-- The file is identified by its content (SHA-256), not its name: a renamed copy is the same file.
-- The `adapters` schema may also be created by the adapters' own migrations, hence IF NOT EXISTS.
CREATE SCHEMA IF NOT EXISTS adapters;

CREATE TABLE adapters.import_checkpoints (
  file_sha256   text        NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  registry      text        NOT NULL CHECK (registry IN ('population', 'legal_entity')),
  format        text        NOT NULL CHECK (format IN ('csv', 'jsonl')),
  file_name     text        NOT NULL,  -- as given on the last run, for operators
  file_bytes    bigint      NOT NULL CHECK (file_bytes >= 0),
  -- Where the next run starts: the byte offset and line number of the first record not yet
  -- committed (after the header for CSV).
  next_offset   bigint      NOT NULL CHECK (next_offset >= 0 AND next_offset <= file_bytes),
  next_line     bigint      NOT NULL CHECK (next_line >= 1),
  -- Counts over every run of this file (docs/import.md says what each means).
  rows_read     bigint      NOT NULL DEFAULT 0,
  inserted      bigint      NOT NULL DEFAULT 0,
  updated       bigint      NOT NULL DEFAULT 0,
  unchanged     bigint      NOT NULL DEFAULT 0,
  rejected      bigint      NOT NULL DEFAULT 0,
  superseded    bigint      NOT NULL DEFAULT 0,
  -- The reject file and its length at the last commit: a resumed run cuts it back to this.
  reject_path   text        NOT NULL,
  reject_bytes  bigint      NOT NULL DEFAULT 0,
  runs          integer     NOT NULL DEFAULT 1,
  started_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  PRIMARY KEY (file_sha256, registry)
);
