import dotenv from 'dotenv';
import { describe, expect, it } from 'vitest';
import { DotenvEncodingError, toDotenv } from '../../../capabilities/config-backup/run/dotenv-text.js';

describe('environment variables written as .env', () => {
  it('reads back to exactly the same values, whatever they contain', () => {
    const vars = {
      PLAIN: 'web1',
      EMPTY: '',
      SPACES: '  padded value  ',
      HASH: 'a#b # not a comment',
      QUOTES: `it's "quoted"`,
      NEWLINE: 'line1\nline2',
      BACKSLASH: 'C:\\path\\n-not-a-newline',
      DSN: 'postgres://u:p@h:5432/db?sslmode=require',
      DOLLAR: '$HOME and ${USER}',
    };
    const text = toDotenv(vars);
    expect(dotenv.parse(text)).toEqual(vars);
    expect(text.split('\n')[0]).toBe("BACKSLASH='C:\\path\\n-not-a-newline'");
  });

  it('names the variables it cannot write, never their values', () => {
    expect(() => toDotenv({ OK: 'fine', BAD: 'a\'b"c`d\ne' })).toThrow(
      new DotenvEncodingError('cannot write BAD as .env values (dotenv cannot read them back exactly)'),
    );
  });
});
