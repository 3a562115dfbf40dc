/**
 * Whether this pg_dump can dump that server, from `pg_dump --version` and the server's `server_version_num`.
 * pg_dump reads servers of its own major version and older only; a newer server makes it abort *after* it has
 * connected and run its session set-up, so the activity asks first and refuses with both versions named.
 */
export interface PgVersion {
  /** As people write it: "15.18", "18.6", "9.6.24", "18beta1". */
  text: string;
  /** The major version as PostgreSQL numbers it (180000, 150000, 90600), for comparing. */
  majorNum: number;
  /** The major as people write it: "18", "9.6". */
  major: string;
}

/** `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15.18; undefined when the output is not a version. */
export function parsePgDumpVersion(output: string): PgVersion | undefined {
  const match = /\bpg_dump \(PostgreSQL\) (\d+)(?:\.(\d+))?(?:\.(\d+))?([a-z]+\d*)?/.exec(output);
  if (!match) return undefined;
  const [, a, b, c, suffix] = match;
  const first = Number(a);
  const text = `${a}${b !== undefined ? `.${b}` : ''}${c !== undefined ? `.${c}` : ''}${suffix ?? ''}`;
  if (first >= 10) return { text, majorNum: first * 10000, major: String(first) };
  const second = Number(b ?? 0);
  return { text, majorNum: first * 10000 + second * 100, major: `${first}.${second}` };
}

/** `SHOW server_version_num`: 180006 → 18.6, 90624 → 9.6.24; undefined when not a number. */
export function parseServerVersionNum(value: string | number): PgVersion | undefined {
  const num = Number(value);
  if (!Number.isInteger(num) || num < 10000) return undefined;
  if (num >= 100000) {
    const major = Math.floor(num / 10000);
    return { text: `${major}.${num % 10000}`, majorNum: major * 10000, major: String(major) };
  }
  const first = Math.floor(num / 10000);
  const second = Math.floor((num % 10000) / 100);
  return { text: `${first}.${second}.${num % 100}`, majorNum: first * 10000 + second * 100, major: `${first}.${second}` };
}

/** The refusal when pg_dump is older than the server, else undefined. */
export function pgDumpTooOld(pgDump: PgVersion, server: PgVersion): string | undefined {
  if (pgDump.majorNum >= server.majorNum) return undefined;
  return `pg_dump ${pgDump.text} cannot dump PostgreSQL server ${server.text}: install pg_dump ${server.major} or newer on the worker's PATH (Debian: postgresql-client-${server.major})`;
}
