/**
 * sentinel.yaml under hostile input: the schema (parseSettings) on any value and on targets of the right
 * shape with wrong contents, the file loader on random bytes, invalid UTF-8, BOMs, deep nesting and huge lines,
 * and operator-written durations. Every refusal is a SettingsError naming the file and the field.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../../domain/settings/duration.js';
import { SettingsError, parseSettings } from '../../../domain/settings/schema.js';
import { loadSettings } from '../../../platform/settings-file.js';
import {
  anyText,
  anyValue,
  deepConfigText,
  hugeLine,
  invalidUtf8,
  nestedJsonText,
  randomBytes,
  structuredButWrong,
  tokenSoup,
  withBom,
} from './arbitraries.js';
import { DEEP_NESTING, PER_HUGE_INPUT_MS, RUNS_CHEAP, RUNS_FILES, RUNS_HUGE } from './budgets.js';
import { expectClearOutcome, expectClearOutcomeAsync, hostileParameters } from './expect-clear-error.js';

const target = structuredButWrong({
  name: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/), anyText(10)),
  kind: fc.constantFrom('postgres', 'command', 'workflow', 'ftp'),
  url: fc.constantFrom('postgres://u@h/db', 'mysql://x'),
  command: fc.constantFrom('restic backup /srv', ''),
  workflow: structuredButWrong({ type: fc.constantFrom('customBackup', ''), taskQueue: fc.constantFrom('q', '') }),
  policy: fc.constantFrom('delay', 'manual', 'panic'),
  threshold: fc.double({ min: -1, max: 2 }),
  delayMinutes: fc.double({ min: -1, max: 20_000 }),
  maxDelays: fc.integer({ min: -1, max: 200 }),
  approvalTimeout: fc.oneof(fc.constantFrom('90s', '15m', '12h', '1d', '250ms', '1.5h', 'soon', '-1s', ''), fc.double(), anyText(12)),
  timeoutSeconds: fc.double({ min: -10, max: 1e6 }),
  schedule: fc.oneof(fc.constantFrom('0 1 * * *', ''), fc.object()),
  capacityGb: fc.double({ min: -1, max: 1e4 }),
});
const config = structuredButWrong({ timezone: fc.oneof(fc.constantFrom('UTC', 'Europe/Berlin'), anyText(10)), targets: fc.array(target, { maxLength: 4 }) });

describe('parseSettings', () => {
  it(`validates any value: a config or a SettingsError listing the bad fields (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(anyValue(), (data) => {
        expectClearOutcome(() => parseSettings(data), { accept: [SettingsError] });
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`validates configs of the right shape with wrong contents (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(config, (data) => {
        const outcome = expectClearOutcome(() => parseSettings(data, 'sentinel.yaml'), { accept: [SettingsError] });
        if (outcome.ok) {
          for (const t of outcome.value.targets) {
            expect(t.name).toMatch(/^[a-z0-9][a-z0-9._-]{0,62}$/i);
            expect(t.threshold === 'auto' || (t.threshold > 0 && t.threshold <= 1)).toBe(true);
            expect(Number.isFinite(t.approvalTimeout) && t.approvalTimeout >= 0).toBe(true);
          }
        } else {
          expect(outcome.error.message).toMatch(/^sentinel\.yaml is invalid:\n {2}/);
          expect((outcome.error as SettingsError).problems.length).toBeGreaterThan(0);
        }
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

describe('parseDurationMs', () => {
  it(`returns milliseconds >= 0 or undefined for any text or number (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.oneof(anyText(20), tokenSoup(8), fc.double(), fc.stringMatching(/^\s*\d{1,400}(\.\d{1,400})?\s*(ms|s|m|h|d)\s*$/)), (value) => {
        const ms = expectClearOutcome(() => parseDurationMs(value), { accept: [] });
        if (ms.ok && ms.value !== undefined) expect(ms.value >= 0 && !Number.isNaN(ms.value)).toBe(true);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

describe('loadSettings (the file)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostile-sentinel-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (bytes: Uint8Array | string, maxMs?: number) => {
    const file = join(dir, 'sentinel.yaml');
    await writeFile(file, bytes);
    return expectClearOutcomeAsync(() => loadSettings(file), { accept: [SettingsError], maxMs });
  };

  it(`loads or refuses any file content with a SettingsError naming the file (${RUNS_FILES} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(randomBytes(), invalidUtf8(), withBom(tokenSoup(40).map((t) => new TextEncoder().encode(t))), tokenSoup(60)),
        async (content) => {
          const outcome = await load(content);
          if (!outcome.ok) expect(outcome.error.message).toContain('sentinel.yaml');
        },
      ),
      hostileParameters(RUNS_FILES),
    );
  });

  it(`refuses deep nesting and huge lines quickly (${RUNS_HUGE} + ${RUNS_HUGE} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(deepConfigText(), hugeLine()), async (content) => {
        await load(content, PER_HUGE_INPUT_MS);
      }),
      hostileParameters(RUNS_HUGE * 2, { endOnFailure: true }),
    );
  });

  it(`survives a ${DEEP_NESTING}-level document loaded again and again (the yaml package aborted the process on the second)`, async () => {
    for (const text of [nestedJsonText(DEEP_NESTING, 'array'), nestedJsonText(DEEP_NESTING, 'object'), `targets: ${nestedJsonText(DEEP_NESTING, 'mixed')}`]) {
      for (let round = 0; round < 3; round++) {
        const outcome = await load(text);
        expect(outcome.ok).toBe(false);
        expect((outcome as { error: Error }).error.message).toMatch(/sentinel\.yaml is not valid YAML: collections nested deeper than 128 levels/);
      }
    }
  });

  it('accepts a UTF-8 BOM before a valid document', async () => {
    const outcome = await load(`\ufefftargets:\n  - name: db\n    kind: command\n    command: "true"\n`);
    expect(outcome.ok && outcome.value.targets[0]?.name).toBe('db');
  });
});
