/**
 * Writes environment variables as a .env file that `dotenv` reads back to exactly the same values. Each value gets
 * the first quoting that round-trips (single quotes are literal; double quotes and backticks cover the rest).
 */
import dotenv from 'dotenv';

export class DotenvEncodingError extends Error {
  override readonly name = 'DotenvEncodingError';
}

export function toDotenv(vars: Readonly<Record<string, string>>): string {
  const unrepresentable: string[] = [];
  const lines = Object.keys(vars)
    .sort()
    .map((name) => {
      const value = vars[name]!;
      const line = spellings(value)
        .map((spelled) => `${name}=${spelled}`)
        .find((candidate) => dotenv.parse(candidate)[name] === value);
      if (line === undefined) unrepresentable.push(name);
      return line ?? '';
    });
  // Names only: the values are the secrets this file is meant to protect.
  if (unrepresentable.length > 0)
    throw new DotenvEncodingError(`cannot write ${unrepresentable.join(', ')} as .env values (dotenv cannot read them back exactly)`);
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  // Each line reads back alone; the whole file must too (lines can interact), or nothing is written.
  const readBack = dotenv.parse(text);
  const differing = Object.keys(vars)
    .filter((name) => readBack[name] !== vars[name])
    .sort();
  if (differing.length > 0) throw new DotenvEncodingError(`cannot write ${differing.join(', ')} as .env values (dotenv cannot read them back exactly)`);
  return text;
}

/**
 * Quoted spellings first. dotenv reads `\<quote>` inside quotes as an escaped quote, so a quoted value ending in a
 * backslash reads back alone but swallows the following lines up to the next such quote (`A='C:\'` then `B='x'`):
 * such a value is written bare, which ends at the line end, unless it starts with a quote (bare text read as quoted).
 */
function spellings(value: string): string[] {
  if (!value.endsWith('\\')) return [`'${value}'`, `"${value}"`, `\`${value}\``];
  return /^['"`]/.test(value) ? [] : [value];
}
