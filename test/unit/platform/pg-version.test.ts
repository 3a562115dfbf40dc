import { describe, expect, it } from 'vitest';
import { reachesEmbedded } from '../../../activities/backup/postgres.js';
import { parsePgDumpVersion, parseServerVersionNum, pgDumpTooOld } from '../../../activities/backup/pg-version.js';

describe('pg_dump against the server version', () => {
  it('reads pg_dump --version and server_version_num', () => {
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n')).toEqual({ text: '15.18', majorNum: 150000, major: '15' });
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 18beta1')).toEqual({ text: '18beta1', majorNum: 180000, major: '18' });
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({ text: '9.6.24', majorNum: 90600, major: '9.6' });
    expect(parsePgDumpVersion('command not found')).toBeUndefined();
    expect(parseServerVersionNum('180006')).toEqual({ text: '18.6', majorNum: 180000, major: '18' });
    expect(parseServerVersionNum(150018)).toEqual({ text: '15.18', majorNum: 150000, major: '15' });
    expect(parseServerVersionNum('90624')).toEqual({ text: '9.6.24', majorNum: 90600, major: '9.6' });
    expect(parseServerVersionNum('')).toBeUndefined();
    expect(parseServerVersionNum('abc')).toBeUndefined();
  });

  it('refuses a pg_dump older than the server, naming both versions and what to install', () => {
    const pgDump = parsePgDumpVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')!;
    expect(pgDumpTooOld(pgDump, parseServerVersionNum('180006')!)).toBe(
      "pg_dump 15.18 cannot dump PostgreSQL server 18.6: install pg_dump 18 or newer on the worker's PATH (Debian: postgresql-client-18)",
    );
    expect(pgDumpTooOld(parsePgDumpVersion('pg_dump (PostgreSQL) 9.6.24')!, parseServerVersionNum('100001')!)).toMatch(
      /^pg_dump 9\.6\.24 cannot dump PostgreSQL server 10\.1: install pg_dump 10 or newer/,
    );
  });

  it('accepts the same major (any minor) and older servers', () => {
    const pgDump = parsePgDumpVersion('pg_dump (PostgreSQL) 15.2')!;
    for (const server of ['150018', '150000', '140011', '120020', '90624']) expect(pgDumpTooOld(pgDump, parseServerVersionNum(server)!)).toBeUndefined();
  });
});

describe('a target that reaches the embedded database', () => {
  const embedded = 'postgres://postgres:pw@127.0.0.1:5433/postgres';
  it('is any loopback host on its port, whatever the user, password or database name', () => {
    for (const url of [
      embedded,
      'postgres://postgres@127.0.0.1:5433/postgres',
      'postgres://app:other@localhost:5433/orders',
      'postgresql://u@[::1]:5433/x',
      'postgres://u@127.0.0.2:5433/x',
      'postgres://u@db.example.com/x?host=localhost&port=5433',
    ])
      expect(reachesEmbedded(url, embedded), url).toBe(true);
  });
  it('is not another port, a remote host, or a Unix socket directory', () => {
    for (const url of [
      'postgres://u@127.0.0.1:5432/x',
      'postgres://u@127.0.0.1/x',
      'postgres://u@db.example.com:5433/x',
      'postgres://u@/x?host=/var/run/postgresql&port=5433',
      'not a url',
    ])
      expect(reachesEmbedded(url, embedded), url).toBe(false);
  });
});
