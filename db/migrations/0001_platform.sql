-- Up Migration

-- Every pre-backup run and every imported history row. Only `completed` and `failed` rows are backup history;
-- `skipped` records a gate that decided not to back up (rejected, or approval timed out).
CREATE TABLE backup_runs (
  backup_id             text PRIMARY KEY,
  target                text NOT NULL,
  started_at            timestamptz NOT NULL,
  ended_at              timestamptz,
  status                text NOT NULL CHECK (status IN ('completed', 'failed', 'skipped')),
  duration_seconds      double precision CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
  size_bytes            bigint CHECK (size_bytes IS NULL OR size_bytes >= 0),
  database_size_gb      double precision,
  free_space_gb         double precision,
  estimated_duration    double precision,
  estimated_size        double precision,
  error_message         text,
  hour_of_day           smallint,
  day_of_week           smallint,
  previous_success_rate double precision,
  source                text NOT NULL DEFAULT 'sentinel' CHECK (source IN ('sentinel', 'import')),
  workflow_id           text,
  workflow_run_id       text UNIQUE,
  decision              text,
  failure_probability   double precision,
  risk_level            text,
  artifact_path         text,
  artifact_sha256       text,
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backup_runs_target_started ON backup_runs (target, started_at DESC);

CREATE TABLE alerts (
  id            bigserial PRIMARY KEY,
  dedupe_key    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  target        text,
  workflow_id   text,
  kind          text NOT NULL,
  severity      text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message       text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb,
  webhook_status text,
  delivered_at  timestamptz
);
CREATE INDEX alerts_target_created ON alerts (target, created_at DESC);

-- Down Migration
DROP TABLE alerts;
DROP TABLE backup_runs;
