-- Up Migration

-- Redacted views are compressed with lz4 instead of pglz when PostgreSQL has it (built with lz4, as Debian's and
-- the official images are; the COMPRESSION clause needs PostgreSQL 14+): a first run inserts about 22 MB of views
-- for 2,000 files, and pglz cost PostgreSQL 0.67-0.98 s of CPU for them against 0.34-0.50 s with lz4 (same views,
-- interleaved, on this machine; tables 10.6 MB against 12.1 MB). Only values written from now on are affected; old
-- ones stay readable as they are. Without lz4 the column keeps pglz and the migration still succeeds.
DO $$
BEGIN
  EXECUTE 'ALTER TABLE config_backup_views ALTER COLUMN view SET COMPRESSION lz4';
EXCEPTION
  WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'config_backup_views.view keeps its default compression: %', SQLERRM;
END
$$;

-- Down Migration
DO $$
BEGIN
  EXECUTE 'ALTER TABLE config_backup_views ALTER COLUMN view SET COMPRESSION default';
EXCEPTION
  WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    NULL;
END
$$;
