/**
 * Configuration files of every format (YAML, JSON, INI, .env, TOML, text) from a hostile filesystem: random bytes,
 * invalid UTF-8, BOMs, 10,000-level nesting, 5 MB single lines, lines dense with secrets. The contract is that a
 * file that does not parse is still backed up, as text with a warning: decoding, parsing, redacting and building
 * the stored view never throw, never take long, and never copy file content into a warning. (Redaction on its
 * own, and the other helpers that see raw content, are in redaction.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIG_FORMATS, decodeText, parseConfig } from '../../../domain/config-backup/formats.js';
import { Keyring } from '../../../domain/config-backup/keyring.js';
import { Redactor } from '../../../domain/config-backup/redact.js';
import type { ConfigFormat } from '../../../domain/config-backup/types.js';
import { buildFileView } from '../../../capabilities/config-backup/run/views.js';
import { anyText, deepConfigText, denseSecretsLine, hugeLine, invalidUtf8, nestedJsonText, randomBytes, tokenSoup, withBom } from './arbitraries.js';
import { DEEP_NESTING, PER_HUGE_INPUT_MS, RUNS_CHEAP, RUNS_HUGE, RUNS_MEDIUM } from './budgets.js';
import { assertClearMessage, expectNoThrow, hostileParameters } from './expect-clear-error.js';

const keyring = Keyring.fromKeys([{ id: 'k1', key: Buffer.alloc(32, 0x11) }]);
const redactor = new Redactor({ keyedHash: keyring.markerHasher(), hashKeyId: 'k1' });
const CANARY = 'CANARY-9q8w7e6r';

const fileBytes = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    randomBytes(),
    invalidUtf8(),
    withBom(randomBytes(200)),
    withBom(anyText(200).map((t) => new TextEncoder().encode(t))),
    tokenSoup(60).map((t) => new TextEncoder().encode(t)),
  );

const isFlatValue = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function assertParseResult(text: string, format: ConfigFormat): void {
  const result = expectNoThrow(() => parseConfig(text, format));
  for (const warning of result.warnings) assertClearMessage(warning, 'warning');
  if (result.kind === 'map') {
    expect(result.format).toBe(format);
    for (const value of Object.values(result.entries)) if (!isFlatValue(value)) throw new Error(`not a flat value: ${String(value)}`);
  } else {
    expect(result.text).toBe(text);
    expect(result.warnings.length).toBe(format === 'text' ? 0 : 1);
  }
}

describe('decodeText', () => {
  it(`decodes any bytes, warning exactly when they are not UTF-8, and drops a UTF-8 BOM (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fileBytes(), (bytes) => {
        const decoded = expectNoThrow(() => decodeText(bytes));
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        expect(decoded.warnings.length).toBe(valid ? 0 : 1);
        // Exactly one BOM is dropped: a second U+FEFF is content (found by the property: EF BB BF EF BB BF).
        if (valid && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
          expect(decoded.text).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(3)));
        }
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

describe.each(CONFIG_FORMATS.map((format) => ({ format })))('parseConfig as $format', ({ format }) => {
  it(`gives a flat map or the text with one warning for any file content (${RUNS_MEDIUM} inputs)`, () => {
    fc.assert(
      fc.property(fileBytes(), (bytes) => assertParseResult(decodeText(bytes).text, format)),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`never copies file content into a warning (${RUNS_MEDIUM} inputs)`, () => {
    fc.assert(
      fc.property(tokenSoup(30), tokenSoup(30), (before, after) => {
        const result = expectNoThrow(() => parseConfig(`${before}${CANARY}${after}`, format));
        for (const warning of result.warnings) expect(warning).not.toContain(CANARY);
      }),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`survives nesting up to ${DEEP_NESTING} levels, twice in one process (${RUNS_HUGE} inputs)`, () => {
    fc.assert(
      fc.property(deepConfigText(), (text) => {
        for (let round = 0; round < 2; round++) {
          const result = expectNoThrow(() => parseConfig(text, format), PER_HUGE_INPUT_MS);
          if (result.kind === 'text') expect(result.warnings).toHaveLength(format === 'text' ? 0 : 1);
        }
      }),
      hostileParameters(RUNS_HUGE, { endOnFailure: true }),
    );
  });

  it(`handles a 5 MB single line, parsed, redacted and serialised (${RUNS_HUGE} inputs)`, () => {
    fc.assert(
      fc.property(hugeLine(), (line) => {
        const bytes = new TextEncoder().encode(line);
        const view = expectNoThrow(() => buildFileView(redactor, bytes, format), PER_HUGE_INPUT_MS);
        expect(JSON.parse(view.json).kind).toBe(view.kind);
      }),
      hostileParameters(RUNS_HUGE, { endOnFailure: true }),
    );
  });

  it('redacts a 1 MB line holding 52,000 secrets in linear time', () => {
    const view = expectNoThrow(() => buildFileView(redactor, new TextEncoder().encode(denseSecretsLine()), format), PER_HUGE_INPUT_MS);
    expect(view.json).not.toContain('0123456789abcdefgh');
  });
});

describe('YAML nesting (the yaml package recovers from a stack overflow only until V8 overflows inside its regexp compiler)', () => {
  it('refuses nesting beyond the limit with a warning naming it, without aborting the process', () => {
    // Anchors and aliases send YAML to the yaml package (js-yaml caps its own depth at 100 and has no alias limit).
    for (const text of [
      `a: &x 1\nb: ${nestedJsonText(DEEP_NESTING, 'array')}`,
      `a: &x 1\nb: ${nestedJsonText(DEEP_NESTING, 'object')}`,
      `- &x 1\n- ${'- '.repeat(DEEP_NESTING)}x`,
    ]) {
      for (let round = 0; round < 2; round++) {
        const result = parseConfig(text, 'yaml');
        expect(result.kind).toBe('text');
        expect(result.warnings[0]).toMatch(/^could not parse as YAML \(collections nested deeper than 128 levels at line 2, column \d+\)/);
      }
    }
    for (const text of [nestedJsonText(DEEP_NESTING, 'array'), `${'- '.repeat(DEEP_NESTING)}x`]) {
      expect(parseConfig(text, 'yaml').warnings[0]).toMatch(/^could not parse as YAML \(/);
    }
  });

  it('still parses anchors and aliases at a normal depth', () => {
    const result = parseConfig(`base: &b\n  a: [${nestedJsonText(50, 'array')}]\ncopy: *b\n`, 'yaml');
    expect(result.kind).toBe('map');
  });
});
