-- Temporal's own databases are created by its auto-setup; Sentinel's state lives in a database of its own.
CREATE DATABASE sentinel;
