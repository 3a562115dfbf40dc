-- Up Migration

-- Configuration backups. Payloads (file bytes, env snapshots, app configs) live encrypted in CONFIG_BACKUP_DIR,
-- addressed by a keyed hash of their plaintext; these tables hold only metadata, ciphertext envelopes and redacted
-- views. No column ever holds a plaintext secret.

-- One row per backup run (configBackupWorkflow execution).
CREATE TABLE config_backup_sets (
  id                    bigserial PRIMARY KEY,
  workflow_id           text NOT NULL,
  -- `<workflowId>#<runId>`: also the lock holder; unique so a retried begin activity finds its own set.
  holder                text NOT NULL UNIQUE,
  status                text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  started_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz,
  env_prefix            text,
  key_id                text NOT NULL,
  items_backed_up       integer NOT NULL DEFAULT 0,
  items_unchanged       integer NOT NULL DEFAULT 0,
  items_failed          integer NOT NULL DEFAULT 0,
  payloads_written      integer NOT NULL DEFAULT 0,
  payload_bytes_written bigint NOT NULL DEFAULT 0,
  error_message         text
);
CREATE INDEX config_backup_sets_started ON config_backup_sets (started_at DESC);

-- Redacted views (secrets replaced by keyed-hash markers), stored once per distinct view: an unchanged item
-- points at the view of its previous backup instead of storing it again.
CREATE TABLE config_backup_views (
  view_hash   text PRIMARY KEY CHECK (view_hash ~ '^[0-9a-f]{64}$'),
  kind        text NOT NULL CHECK (kind IN ('map', 'text')),
  format      text NOT NULL,
  -- Key whose marker key hashed the secrets; markers compare only between views with the same id.
  hash_key_id text,
  -- Fingerprint of the sensitive-key list the view was redacted with (a new list means a new view).
  profile     text NOT NULL,
  -- json, not jsonb: views are stored and read whole, and json's cheaper input matters for a 20 MB first run.
  view        json NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per item per run: env (one per prefix), file (one per path), app (one per name).
CREATE TABLE config_backup_items (
  id                    bigserial PRIMARY KEY,
  set_id                bigint NOT NULL REFERENCES config_backup_sets (id) ON DELETE CASCADE,
  item_type             text NOT NULL CHECK (item_type IN ('env', 'file', 'app')),
  item_name             text NOT NULL,
  status                text NOT NULL CHECK (status IN ('backed_up', 'unchanged', 'failed')),
  failure_code          text,
  failure_reason        text,
  format                text,
  -- Payload address: keyed HMAC of the plaintext under key_id's content-hash key.
  content_hash          text CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  key_id                text,
  size_bytes            bigint,
  -- Files: AES-GCM envelope of { size, mode, uid, gid, mtimeMs } bound to `file:<path>`.
  metadata_envelope     bytea,
  -- Files: keyed hash of (device, inode, size, mtime, ctime, mode, owner) when read. A re-run that finds the same
  -- token skips reading the file (ctime changes on every write, chmod and chown), like restic's change detection.
  change_token          text,
  view_hash             text REFERENCES config_backup_views (view_hash),
  secret_count          integer,
  warning_count         integer,
  payload_written       boolean NOT NULL DEFAULT false,
  payload_bytes_written bigint NOT NULL DEFAULT 0,
  backed_up_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (set_id, item_type, item_name),
  CHECK ((status = 'failed') = (content_hash IS NULL))
);
CREATE INDEX config_backup_items_item ON config_backup_items (item_type, item_name, backed_up_at DESC, id DESC);
CREATE INDEX config_backup_items_time ON config_backup_items (backed_up_at DESC, id DESC);
CREATE INDEX config_backup_items_hash ON config_backup_items (content_hash);
CREATE INDEX config_backup_items_view ON config_backup_items (view_hash);

-- The run lock: one row, held by a backup run (or a prune/rotate-key) with a lease that the holder renews while
-- it works. A run spans several activities (possibly on several workers), so a session advisory lock tied to one
-- connection cannot cover it; the lease also frees the lock if its holder dies. Writers re-check the holder
-- inside their write transactions (fencing).
CREATE TABLE config_backup_lock (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  holder      text,
  acquired_at timestamptz,
  lease_until timestamptz
);
INSERT INTO config_backup_lock (id) VALUES (true);

-- Down Migration
DROP TABLE config_backup_lock;
DROP TABLE config_backup_items;
DROP TABLE config_backup_views;
DROP TABLE config_backup_sets;
