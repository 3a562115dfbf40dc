-- Up Migration

-- The awaiting-approval gauges ask, at every Prometheus scrape, which gated runs have no backup_runs row yet.
CREATE INDEX IF NOT EXISTS backup_runs_workflow ON backup_runs (workflow_id);

-- Down Migration
DROP INDEX IF EXISTS backup_runs_workflow;
