-- Up Migration

-- Every approve/reject that reached a pre-backup run, written by the workflow through an activity so the audit
-- outlives Temporal's retention (the namespace deletes closed histories after its retention period): who decided
-- for which run and target, what, why, when and through what, including decisions refused (not an approver) or
-- ignored (not awaiting approval, or already decided).
CREATE TABLE approvals (
  workflow_id text NOT NULL,
  run_id      text NOT NULL,
  seq         integer NOT NULL CHECK (seq > 0),
  target      text NOT NULL,
  decision    text NOT NULL CHECK (decision IN ('approve', 'reject')),
  decided_by  text NOT NULL,
  reason      text,
  transport   text NOT NULL CHECK (transport IN ('signal', 'update')),
  via         text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('accepted', 'refused', 'ignored')),
  note        text,
  decided_at  timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, run_id, seq)
);
CREATE INDEX approvals_target_time ON approvals (target, decided_at DESC);

-- Down Migration
DROP TABLE approvals;
