-- Up Migration

-- One key check value per key id that has written to the configuration backup store: an HMAC of a fixed label
-- under a sub-key derived from the key (domain/config-backup/keyring.ts), never the key or anything cheaper to
-- attack than it. A different key presented under a recorded id (a recreated development key `dev`, say) is
-- refused before it writes, instead of silently starting a second lineage that the first key cannot read.
CREATE TABLE config_backup_keys (
  key_id        text PRIMARY KEY,
  check_value   text NOT NULL CHECK (check_value ~ '^[0-9a-f]{64}$'),
  first_used_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE config_backup_keys;
