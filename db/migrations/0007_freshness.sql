-- Up Migration

-- Freshness objectives (issue 14): the newest completed run per target, found by an index-only descent instead of
-- walking past a target's failed and skipped runs (the freshness check reads it for every target every 5 minutes).
CREATE INDEX backup_runs_target_completed ON backup_runs (target, started_at DESC) WHERE status = 'completed';

-- Incidents about a target's backups as a whole (not about one run's metrics, which anomaly_incidents holds):
-- `stale-backup` opens when the newest successful backup is older than the target's maxAge and closes when a newer
-- one arrives. At most one open incident per target and kind; alerts are keyed by the incident's id.
CREATE TABLE freshness_incidents (
  id                    bigserial PRIMARY KEY,
  target                text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('stale-backup')),
  opened_at             timestamptz NOT NULL,
  -- the freshness check (workflow ID) that opened it: that caller sends its alert
  opened_by             text NOT NULL,
  max_age_seconds       double precision NOT NULL,
  -- the newest successful backup when it opened (null: the target never had one)
  last_success_id       text,
  last_success_at       timestamptz,
  details               jsonb NOT NULL DEFAULT '{}'::jsonb,
  closed_at             timestamptz,
  -- recovered: a newer successful backup; unmonitored: the target or its objective left sentinel.yaml
  close_reason          text CHECK (close_reason IN ('recovered', 'unmonitored')),
  closed_by             text,
  closed_by_backup_id   text,
  CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
CREATE UNIQUE INDEX freshness_incidents_one_open ON freshness_incidents (target, kind) WHERE closed_at IS NULL;
CREATE INDEX freshness_incidents_target_opened ON freshness_incidents (target, opened_at DESC);

-- Down Migration
DROP TABLE freshness_incidents;
DROP INDEX backup_runs_target_completed;
