/**
 * `sentinel model import FILE` under hostile input: random text, deep and huge JSON, and real export files and
 * artifacts with one field (anywhere in the document) replaced by a hostile value. validateImport either accepts a
 * model that loads and predicts a probability, or throws a ModelImportError with a clear reason.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../db/repositories/models.js';
import { serializeArtifact } from '../../../domain/ml/model-artifact.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { trainFailureModel } from '../../../domain/ml/training.js';
import { canaryFeatures } from '../../../domain/models/canary.js';
import { buildExport, ModelImportError, validateImport } from '../../../capabilities/models/model-transfer.js';
import { anyText, anyValue, hugeLine, nestedJsonText, tokenSoup } from './arbitraries.js';
import { DEEP_NESTING, PER_HUGE_INPUT_MS, RUNS_HUGE, RUNS_MEDIUM } from './budgets.js';
import { expectClearOutcome, hostileParameters } from './expect-clear-error.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in a JSON document (objects and arrays), collected without recursion. */
function pathsOf(doc: Json): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const pending: Array<{ value: Json; path: Array<string | number> }> = [{ value: doc, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    out.push(next.path);
    const { value, path } = next;
    if (Array.isArray(value)) value.forEach((v, i) => pending.push({ value: v, path: [...path, i] }));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pending.push({ value: v, path: [...path, k] });
  }
  return out;
}

function replaced(doc: Json, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy;
}

/**
 * A replacement a JSON file can hold: anything JSON cannot represent (cycles, 10,000 levels) becomes a 2,000-level
 * value instead, which JSON.stringify can still write; the 10,000-level documents are tested as text below.
 */
const jsonReplacement = fc.oneof(
  anyValue().map((v) => {
    try {
      const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
      return text === undefined ? null : (JSON.parse(text) as unknown);
    } catch {
      return JSON.parse(nestedJsonText(2_000, 'mixed')) as unknown;
    }
  }),
  fc.constantFrom(-1, 0, 1e308, -1e308, 0.5, 2 ** 31, '', 'sentinel-forest', 'ml-random-forest', [], {}, [[]], [0, 1], null),
);

describe('validateImport', () => {
  let artifact = '';
  let exported = '';
  let artifactPaths: Array<Array<string | number>> = [];
  let exportPaths: Array<Array<string | number>> = [];

  beforeAll(async () => {
    const trained = await trainFailureModel(generateHistory({ targets: 2, days: 8, seed: 3 }), {
      algorithm: 'sentinel-forest',
      params: { nTrees: 3, seed: 1, threads: 1 },
      createdAt: new Date(0),
      createdBy: 'hostile-test',
    });
    artifact = serializeArtifact(trained.artifact);
    exported = buildExport({
      exportedAt: '2026-01-01T00:00:00.000Z',
      version: 3,
      algorithm: 'sentinel-forest',
      featurePipelineVersion: 1,
      artifactSha256: sha256Hex(artifact),
      metrics: {},
      explanation: null,
      canaryProbability: trained.model.predict(canaryFeatures()),
      artifact,
    });
    artifactPaths = pathsOf(JSON.parse(artifact) as Json);
    exportPaths = pathsOf(JSON.parse(exported) as Json);
    expect(validateImport(exported).artifactText).toBe(artifact);
  });

  const check = (text: string, maxMs?: number) => {
    const outcome = expectClearOutcome(() => validateImport(text), { accept: [ModelImportError], maxMs });
    if (outcome.ok) expect(outcome.value.canaryProbability >= 0 && outcome.value.canaryProbability <= 1).toBe(true);
  };

  it(`refuses random text and random JSON documents (${RUNS_MEDIUM} inputs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText(200),
          tokenSoup(30),
          fc.json(),
          jsonReplacement.map((v) => JSON.stringify({ format: v }) ?? ''),
        ),
        (text) => check(text),
      ),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`accepts or refuses a bare artifact with any one value replaced (${RUNS_MEDIUM} inputs)`, () => {
    fc.assert(
      fc.property(fc.nat(), jsonReplacement, (pick, value) => {
        const path = artifactPaths[pick % artifactPaths.length]!;
        check(JSON.stringify(replaced(JSON.parse(artifact) as Json, path, value)));
      }),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`accepts or refuses an export file with any one value replaced (${RUNS_MEDIUM} inputs)`, () => {
    fc.assert(
      fc.property(fc.nat(), jsonReplacement, (pick, value) => {
        const path = exportPaths[pick % exportPaths.length]!;
        check(JSON.stringify(replaced(JSON.parse(exported) as Json, path, value)));
      }),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`refuses truncated exports, 5 MB lines and ${DEEP_NESTING}-level documents quickly (${RUNS_HUGE} + ${RUNS_HUGE} inputs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hugeLine(),
          fc.constantFrom(
            nestedJsonText(DEEP_NESTING, 'object'),
            `{"format":${nestedJsonText(DEEP_NESTING, 'array')}}`,
            `{"format":"${'x'.repeat(5_000_000)}"}`,
          ),
        ),
        (text) => check(text, PER_HUGE_INPUT_MS),
      ),
      hostileParameters(RUNS_HUGE * 2, { endOnFailure: true }),
    );
    for (let cut = 0; cut < exported.length; cut += Math.max(1, Math.floor(exported.length / 200))) check(exported.slice(0, cut));
  });
});
