-- Up Migration

-- Open and closed anomaly incidents: one alert per incident (target + metric + direction), not one per run.
-- `metric` is a run metric (durationSeconds, sizeBytes) or its EWMA drift (durationSeconds:drift, ...).
CREATE TABLE anomaly_incidents (
  incident_id          text PRIMARY KEY,
  target               text NOT NULL,
  metric               text NOT NULL,
  direction            text NOT NULL CHECK (direction IN ('above', 'below')),
  kind                 text NOT NULL CHECK (kind IN ('run', 'drift')),
  opened_at            timestamptz NOT NULL,
  last_seen_at         timestamptz NOT NULL,
  last_backup_id       text NOT NULL,
  occurrences          integer NOT NULL CHECK (occurrences >= 1),
  -- who opened it (a pre-backup run's backup_id or a scan's workflow ID): that caller sends its alert
  opened_by            text NOT NULL,
  -- the finding that opened it (value, expected range, score), for the alert and for people
  details              jsonb NOT NULL DEFAULT '{}'::jsonb,
  closed_at            timestamptz,
  close_reason         text CHECK (close_reason IN ('recovered', 'stale')),
  closed_by_backup_id  text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
CREATE UNIQUE INDEX anomaly_incidents_one_open ON anomaly_incidents (target, metric, direction) WHERE closed_at IS NULL;
CREATE INDEX anomaly_incidents_target_opened ON anomaly_incidents (target, opened_at DESC);

-- Which runs have been checked (by a pre-backup run or a scan): only a run's first check moves incidents, so a
-- retried activity or a second scan over the same hours raises nothing twice.
CREATE TABLE anomaly_checks (
  backup_id   text PRIMARY KEY REFERENCES backup_runs (backup_id) ON DELETE CASCADE,
  target      text NOT NULL,
  started_at  timestamptz NOT NULL,
  checked_by  text NOT NULL,
  status      text NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  is_anomaly  boolean NOT NULL,
  findings    jsonb NOT NULL DEFAULT '[]'::jsonb,
  checked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anomaly_checks_target_started ON anomaly_checks (target, started_at DESC);

-- Down Migration
DROP TABLE anomaly_checks;
DROP TABLE anomaly_incidents;
