import { describe, expect, it } from 'vitest';
import { checkSqlProblem, meetsExpectation, parseExpectation, splitStatements, type Expectation } from '../../../domain/drill/checks.js';
import { endpointOf, sameDatabase } from '../../../capabilities/drill/scratch.js';
import { parseSettings, type SettingsError } from '../../../domain/settings/schema.js';

const exp = (text: string) => parseExpectation(text) as Expectation;

describe('drill check expectations', () => {
  it('parses each operator; numbers compare numerically, quoted text as text', () => {
    expect(exp('>= 1')).toEqual({ operator: '>=', operand: '1', number: 1 });
    expect(exp('!=0')).toEqual({ operator: '!=', operand: '0', number: 0 });
    expect(exp("= 'EUR'")).toEqual({ operator: '=', operand: 'EUR', number: null });
    expect(meetsExpectation('42', exp('>= 1'))).toBe(true); // count(*) arrives as a string
    expect(meetsExpectation('0', exp('>= 1'))).toBe(false);
    expect(meetsExpectation(10, exp('= 10'))).toBe(true);
    expect(meetsExpectation('9.5', exp('< 10'))).toBe(true);
    expect(meetsExpectation('10', exp('> 10'))).toBe(false);
    expect(meetsExpectation('10', exp('<= 10'))).toBe(true);
    expect(meetsExpectation('3', exp('!= 0'))).toBe(true);
    expect(meetsExpectation('EUR', exp("= 'EUR'"))).toBe(true);
    expect(meetsExpectation('USD', exp("!= 'EUR'"))).toBe(true);
  });

  it('NULL and non-numbers never satisfy a numeric expectation', () => {
    expect(meetsExpectation(null, exp('>= 0'))).toBe(false);
    expect(meetsExpectation('abc', exp('>= 0'))).toBe(false);
    expect(meetsExpectation('', exp('= 0'))).toBe(false);
  });

  it('refuses a missing operator, a missing value and an ordering of text', () => {
    expect(parseExpectation('1')).toMatch(/must start with one of/);
    expect(parseExpectation('>=')).toMatch(/needs a value/);
    expect(parseExpectation('> abc')).toMatch(/compares numbers/);
  });
});

describe('drill check SQL', () => {
  it('accepts one read-only query, with a trailing semicolon, comments and semicolons inside quotes', () => {
    expect(checkSqlProblem('select count(*) from orders')).toBeUndefined();
    expect(checkSqlProblem('select count(*) from orders;  -- how many\n')).toBeUndefined();
    expect(checkSqlProblem("select count(*) from t where note = 'a;b'")).toBeUndefined();
    expect(checkSqlProblem('select $x$;$x$::text')).toBeUndefined();
    expect(checkSqlProblem('/* a; /* nested; */ */ with t as (select 1) select * from t')).toBeUndefined();
    expect(checkSqlProblem('SHOW server_version')).toBeUndefined();
  });

  it('refuses several statements and statements that write or end the transaction', () => {
    expect(checkSqlProblem('select 1; delete from orders')).toMatch(/must be one statement; found 2/);
    expect(checkSqlProblem('delete from orders')).toMatch(/read-only query .* not DELETE/);
    expect(checkSqlProblem('commit')).toMatch(/not COMMIT/);
    expect(checkSqlProblem('')).toBe('is empty');
    expect(checkSqlProblem("select 'open")).toMatch(/unterminated/);
    expect(splitStatements('select 1;;select 2;')).toEqual(['select 1', 'select 2']);
  });
});

describe('sentinel.yaml: drill and keep', () => {
  const target = (extra: Record<string, unknown>) => ({ targets: [{ name: 'db', kind: 'postgres', url: 'postgres://u@h/db', ...extra }] });
  const problems = (data: unknown) => {
    try {
      parseSettings(data);
      return [];
    } catch (error) {
      return (error as SettingsError).problems;
    }
  };

  it('accepts checks, countTables, a schedule and a keep policy', () => {
    const settings = parseSettings(
      target({
        drill: { schedule: '0 5 * * 6', checks: [{ sql: 'select count(*) from orders', expect: '>= 1' }], countTables: ['orders', 'sales.items'] },
        keep: { daily: 7, weekly: 4, within: '2d', yearly: 'unlimited' },
      }),
    );
    const t = settings.targets[0] as Extract<(typeof settings.targets)[number], { kind: 'postgres' }>;
    expect(t.drill?.checks).toHaveLength(1);
    expect(t.keep).toEqual({ daily: 7, weekly: 4, within: 2 * 86_400_000, yearly: Infinity });
  });

  it('refuses a keep policy that would keep nothing, a write in a check, a bad expectation', () => {
    expect(problems(target({ keep: {} }))).toEqual([expect.stringMatching(/^targets\[0\]\.keep: would keep nothing/)]);
    expect(problems(target({ keep: { last: 0, daily: 0 } }))).toEqual([expect.stringMatching(/would keep nothing/)]);
    expect(problems(target({ drill: { checks: [{ sql: 'select 1; drop table orders', expect: '= 1' }] } }))).toEqual([
      expect.stringMatching(/^targets\[0\]\.drill\.checks\[0\]\.sql: must be one statement/),
    ]);
    expect(problems(target({ drill: { checks: [{ sql: 'update orders set total = 0', expect: '= 1' }] } }))[0]).toMatch(/read-only query/);
    expect(problems(target({ drill: { checks: [{ sql: 'select 1', expect: 'about 1' }] } }))[0]).toMatch(/expect: must start with one of/);
    expect(problems(target({ drill: { cheks: [] } }))[0]).toMatch(/unknown key; did you mean `checks`/);
  });
});

describe('the drill URL must not be the target database', () => {
  it('same host (loopback spellings alike), port and database is the same database', () => {
    expect(sameDatabase('postgres://admin:x@127.0.0.1:5432/orders', 'postgresql://app@localhost/orders')).toBe(true);
    expect(sameDatabase('postgres://admin@db.internal/postgres', 'postgres://app@db.internal:5432/orders')).toBe(false);
    expect(sameDatabase('postgres://admin@db.internal:5433/orders', 'postgres://app@db.internal:5432/orders')).toBe(false);
    expect(sameDatabase('postgres://orders@db.internal', 'postgres://x@db.internal/orders')).toBe(true); // dbname defaults to the user
    expect(endpointOf('postgres://u@/orders?host=/run/postgresql')).toEqual({ host: '/run/postgresql', port: '5432', database: 'orders' });
  });
});
