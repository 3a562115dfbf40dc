/**
 * A restore drill's declared checks (`drill.checks` in sentinel.yaml): one SQL query returning a single value, and
 * an expectation such as `>= 1` compared with it. Pure: parsed when sentinel.yaml loads (so a bad check is refused
 * there, not at 04:00 on Saturday) and evaluated by the drill.
 */

export const EXPECT_OPERATORS = ['>=', '<=', '!=', '=', '>', '<'] as const;
export type ExpectOperator = (typeof EXPECT_OPERATORS)[number];

export interface Expectation {
  operator: ExpectOperator;
  /** The operand as written (`1`, `'EUR'`, `true`). */
  operand: string;
  /** The operand as a number when it is one: then the comparison is numeric. */
  number: number | null;
}

/** `>= 1`, `= 0`, `!= 'x'`: the operator first, then the value the query's single result is compared with. */
export function parseExpectation(text: string): Expectation | string {
  const trimmed = text.trim();
  const operator = EXPECT_OPERATORS.find((op) => trimmed.startsWith(op));
  if (!operator) return `must start with one of ${EXPECT_OPERATORS.join(' ')} followed by a value, e.g. ">= 1"`;
  let operand = trimmed.slice(operator.length).trim();
  if (operand === '') return `"${operator}" needs a value to compare with, e.g. "${operator} 1"`;
  if (/^'.*'$/s.test(operand)) operand = operand.slice(1, -1).replaceAll("''", "'");
  const number = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(operand) ? Number(operand) : null;
  if (number === null && !['=', '!='].includes(operator)) return `"${operator}" compares numbers; "${operand}" is not a number`;
  return { operator, operand, number };
}

/**
 * Compares a query's single value with the expectation: numerically when the operand is a number (a count arrives
 * from PostgreSQL as the string "42"), else as text (`= EUR`, `!= 'x'`). NULL never satisfies an expectation.
 */
export function meetsExpectation(value: unknown, expectation: Expectation): boolean {
  if (value === null || value === undefined) return false;
  if (expectation.number !== null) {
    const actual = typeof value === 'number' || typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (typeof value === 'string' && value.trim() === '') return false;
    if (!Number.isFinite(actual)) return false;
    return compare(actual, expectation.number, expectation.operator);
  }
  const text = value instanceof Date ? value.toISOString() : String(value);
  return expectation.operator === '=' ? text === expectation.operand : text !== expectation.operand;
}

function compare(a: number, b: number, op: ExpectOperator): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '<':
      return a < b;
  }
}

/**
 * Why `sql` is not one read-only query, or undefined. The drill runs each check in a READ ONLY transaction over
 * the extended protocol (which refuses a second statement), so this is the first line of defence, not the only
 * one: it refuses at load what is obviously wrong — several statements, or a statement that writes or ends the
 * transaction. Hand-written rather than a SQL parser: it only needs to find statement boundaries (`;` outside
 * quotes, comments and dollar-quoted bodies) and the leading keyword, and libpg_query would add a native build.
 */
export function checkSqlProblem(sql: string): string | undefined {
  const statements = splitStatements(sql);
  if (statements === undefined) return 'has an unterminated quote, comment or dollar-quoted string';
  if (statements.length === 0) return 'is empty';
  if (statements.length > 1) return `must be one statement; found ${statements.length} (drill checks are single read-only queries)`;
  const keyword = /^[a-z]+/i.exec(statements[0]!)?.[0]?.toLowerCase();
  if (!keyword || !READ_ONLY_STARTS.has(keyword))
    return `must be a read-only query (SELECT, WITH, VALUES, TABLE or SHOW), not ${keyword ? keyword.toUpperCase() : 'this'}`;
  return undefined;
}

const READ_ONLY_STARTS = new Set(['select', 'with', 'values', 'table', 'show']);

/** The statements of `sql` with comments removed (empty ones dropped); undefined when a quote is left open. */
export function splitStatements(sql: string): string[] | undefined {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      current += ' ';
      continue;
    }
    if (c === '/' && next === '*') {
      // PostgreSQL's block comments nest.
      let depth = 1;
      let j = i + 2;
      while (j < sql.length && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) return undefined;
      i = j;
      current += ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return undefined;
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        if (end === -1) return undefined;
        current += sql.slice(i, end + tag[0].length);
        i = end + tag[0].length;
        continue;
      }
    }
    if (c === ';') {
      if (current.trim() !== '') statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
    i++;
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}
