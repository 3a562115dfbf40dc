-- Up Migration

-- Restore drills and dump retention (issue 14, items 2 and 3; docs/backup-assurance.md).

-- Row counts taken at backup time in the dump's own snapshot ({"public.orders": 1234}), which a drill compares
-- with the restored copy; and when retention removed the dump file (the row stays: it is history).
ALTER TABLE backup_runs
  ADD COLUMN table_counts        jsonb,
  ADD COLUMN artifact_pruned_at  timestamptz,
  ADD COLUMN artifact_pruned_reason text;

-- One row per drill (drill_id = <workflowId>#<runId>, so a retried activity updates its own row). While a drill is
-- `running` and its lease has not expired, prune keeps the dump it reads (`backup_id`).
CREATE TABLE restore_drills (
  drill_id          text PRIMARY KEY,
  target            text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('postgres', 'command')),
  workflow_id       text NOT NULL,
  backup_id         text,
  artifact_path     text,
  artifact_sha256   text,
  scratch_database  text,
  status            text NOT NULL CHECK (status IN ('running', 'passed', 'failed')),
  attempt           integer NOT NULL DEFAULT 1,
  started_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  lease_until       timestamptz,
  -- pg_restore's (or the drill command's) wall time: the measured recovery time (RTO)
  restore_seconds   double precision CHECK (restore_seconds IS NULL OR restore_seconds >= 0),
  -- [{kind: 'sql'|'row-count', name, expect, actual, passed, error?}]
  checks            jsonb NOT NULL DEFAULT '[]'::jsonb,
  error             text,
  -- the scratch database was dropped (or never created): the drill left nothing behind
  cleaned_at        timestamptz
);
CREATE INDEX restore_drills_target_started ON restore_drills (target, started_at DESC);
CREATE INDEX restore_drills_running ON restore_drills (backup_id) WHERE status = 'running';

-- Down Migration
DROP TABLE restore_drills;
ALTER TABLE backup_runs DROP COLUMN artifact_pruned_reason, DROP COLUMN artifact_pruned_at, DROP COLUMN table_counts;
