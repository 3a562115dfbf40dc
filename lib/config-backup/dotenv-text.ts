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
      const line = [`'${value}'`, `"${value}"`, `\`${value}\``].map((quoted) => `${name}=${quoted}`).find((candidate) => dotenv.parse(candidate)[name] === value);
      if (line === undefined) unrepresentable.push(name);
      return line ?? '';
    });
  // Names only: the values are the secrets this file is meant to protect.
  if (unrepresentable.length > 0) throw new DotenvEncodingError(`cannot write ${unrepresentable.join(', ')} as .env values (dotenv cannot read them back exactly)`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
