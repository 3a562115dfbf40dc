-- Up Migration

-- Live model quality (issue 16, item 8). Each gate decision already stores failure_probability; these columns say
-- which predictor produced it (predicted_by 'model' with model_version, or 'rules') and the threshold the gate
-- compared it with, so the monitor joins every finished run to the prediction its gate made. Rows written before
-- this migration (and imported history) have NULL: they are never counted as live outcomes of any model.
ALTER TABLE backup_runs
  ADD COLUMN predicted_by text CHECK (predicted_by IS NULL OR predicted_by IN ('model', 'rules')),
  ADD COLUMN model_version integer,
  ADD COLUMN prediction_threshold double precision CHECK (prediction_threshold IS NULL OR (prediction_threshold > 0 AND prediction_threshold <= 1)),
  ADD CONSTRAINT backup_runs_model_version_when_model CHECK ((predicted_by = 'model') = (model_version IS NOT NULL));
CREATE INDEX backup_runs_live_outcomes ON backup_runs (model_version, started_at DESC)
  WHERE model_version IS NOT NULL AND status IN ('completed', 'failed');

-- Every check of the live quality monitor (modelMonitorWorkflow, hourly): the verdict and the figures it rests on.
-- The newest row feeds the Prometheus gauges; dedupe_key (the workflow run) makes a retried activity store it once.
CREATE TABLE model_monitor_checks (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  checked_at    timestamptz NOT NULL DEFAULT now(),
  model_version integer,
  verdict       text NOT NULL CHECK (verdict IN ('no-model', 'insufficient-data', 'healthy', 'degraded')),
  report        jsonb NOT NULL,
  checked_by    text NOT NULL,
  dedupe_key    text NOT NULL UNIQUE
);
CREATE INDEX model_monitor_checks_at ON model_monitor_checks (checked_at DESC);

-- Down Migration
DROP TABLE model_monitor_checks;
DROP INDEX backup_runs_live_outcomes;
ALTER TABLE backup_runs DROP CONSTRAINT backup_runs_model_version_when_model,
  DROP COLUMN prediction_threshold, DROP COLUMN model_version, DROP COLUMN predicted_by;
