-- Up Migration

-- What an alert is about: alerts of one incident (an anomaly incident, one pre-backup gate, a failed or skipped
-- backup) share this key, which is PagerDuty's dedup_key and what a resolve names. Existing rows are their own.
ALTER TABLE alerts ADD COLUMN incident_key text;
UPDATE alerts SET incident_key = dedupe_key;
ALTER TABLE alerts ALTER COLUMN incident_key SET NOT NULL;
-- When the incident ended (set once by the first resolve) and why.
ALTER TABLE alerts ADD COLUMN resolved_at timestamptz;
ALTER TABLE alerts ADD COLUMN resolution text;
CREATE INDEX alerts_incident_key ON alerts (incident_key);
CREATE INDEX alerts_open ON alerts (target, kind) WHERE resolved_at IS NULL;

-- One row per alert (trigger) or incident (resolve) and channel: every HTTP attempt updates it, so a retried
-- activity continues the count and a delivered row is never sent again.
CREATE TABLE alert_deliveries (
  id               bigserial PRIMARY KEY,
  alert_id         bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  -- the alert's dedupe key for a trigger, `resolve:<incident key>` for a resolve: unique per channel
  dedupe           text NOT NULL,
  incident_key     text NOT NULL,
  action           text NOT NULL CHECK (action IN ('trigger', 'resolve')),
  channel          text NOT NULL,
  channel_kind     text NOT NULL CHECK (channel_kind IN ('webhook', 'slack', 'pagerduty')),
  -- pending: not finished (in progress, or its worker died); delivered: 2xx; rejected: 4xx (never retried);
  -- failed: 5xx, timeouts or unreachable after every attempt
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'rejected', 'failed')),
  http_status      integer,
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  delivered_at     timestamptz,
  -- while set and in the future, one activity is delivering this row: a concurrent one (a scan and a run check
  -- resolving one incident) leaves it alone; a killed worker's lease has run out before its activity is retried
  lease_until      timestamptz,
  UNIQUE (dedupe, channel)
);
CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id);
CREATE INDEX alert_deliveries_incident ON alert_deliveries (incident_key, action);

-- Down Migration
DROP TABLE alert_deliveries;
DROP INDEX alerts_open;
DROP INDEX alerts_incident_key;
ALTER TABLE alerts DROP COLUMN resolution;
ALTER TABLE alerts DROP COLUMN resolved_at;
ALTER TABLE alerts DROP COLUMN incident_key;
