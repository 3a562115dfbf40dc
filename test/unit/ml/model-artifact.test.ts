import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { loadArtifactBytes } from '../../../capabilities/models/model-loader.js';
import { sha256Hex } from '../../../db/repositories/models.js';
import { applyCalibration, fitPlattCalibration } from '../../../domain/ml/calibration.js';
import { coveredOob } from '../../../domain/ml/classifier.js';
import { buildFeatureTable, FEATURE_NAMES, FEATURE_PIPELINE_VERSION } from '../../../domain/ml/features.js';
import { trainForest } from '../../../domain/ml/forest/forest.js';
import { matrixRow } from '../../../domain/ml/matrix.js';
import { createArtifact, MODEL_ARTIFACT_FORMAT_VERSION, ModelArtifactError, parseArtifact, serializeArtifact } from '../../../domain/ml/model-artifact.js';
import { loadFailureModel } from '../../../domain/ml/model.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';

const table = buildFeatureTable(generateHistory({ targets: 3, days: 10, seed: 4 }));
const trained = trainForest(table.matrix, table.labels, { nTrees: 5, seed: 1 });
const oob = coveredOob(trained.oob, table.labels);
const artifact = createArtifact({
  algorithm: 'sentinel-forest',
  params: { ...trained.forest.options },
  classifier: trained.forest,
  calibration: fitPlattCalibration(oob.scores, oob.labels),
  training: { from: '2024-01-01T00:00:00.000Z', to: '2024-01-10T23:00:00.000Z', rows: table.labels.length, failures: 40 },
  validation: null,
  outOfBag: null,
  createdAt: new Date('2024-02-01T12:00:00Z'),
  createdBy: 'unit test',
});
const text = serializeArtifact(artifact);

function mutated(change: (raw: Record<string, unknown>) => void): string {
  const raw = JSON.parse(text) as Record<string, unknown>;
  change(raw);
  return JSON.stringify(raw);
}

describe('model artifact', () => {
  it('serialises deterministically with sorted keys and parses back to the same artifact', () => {
    expect(text.startsWith('{"algorithm":"sentinel-forest","calibration":')).toBe(true);
    const parsed = parseArtifact(text);
    expect(serializeArtifact(parsed) === text).toBe(true);
    expect(parsed.featurePipelineVersion).toBe(FEATURE_PIPELINE_VERSION);
    expect(parsed.featureNames).toEqual([...FEATURE_NAMES]);
  });

  it('loads into a model that predicts like the trained classifier plus calibration', () => {
    const model = loadFailureModel(text);
    for (let i = 0; i < 20; i++) {
      const row = matrixRow(table.matrix, i);
      expect(model.predict(row)).toBe(applyCalibration(artifact.calibration, trained.forest.predictProba(row)));
    }
    expect(Array.from(model.predictBatch(table.matrix)).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => model.predict(matrixRow(table.matrix, i))));
  });

  it('rejects truncated or non-JSON text with a clear error', () => {
    expect(() => parseArtifact(text.slice(0, text.length - 7))).toThrow(ModelArtifactError);
    expect(() => parseArtifact(text.slice(0, text.length - 7))).toThrow(/not valid JSON \(truncated or corrupt/);
    expect(() => parseArtifact(text.slice(0, 50))).toThrow(/truncated or corrupt/);
    expect(() => parseArtifact('')).toThrow(/truncated or corrupt/);
    expect(() => parseArtifact('[1,2]')).toThrow(/not a JSON object/);
  });

  it('rejects models built by a newer feature pipeline or artifact format', () => {
    expect(() => parseArtifact(mutated((raw) => (raw.featurePipelineVersion = FEATURE_PIPELINE_VERSION + 1)))).toThrow(
      new RegExp(`feature pipeline version ${FEATURE_PIPELINE_VERSION + 1}, newer than this code supports`),
    );
    expect(() => parseArtifact(mutated((raw) => (raw.formatVersion = MODEL_ARTIFACT_FORMAT_VERSION + 1)))).toThrow(/format version/);
  });

  it('rejects corrupt content: schema violations, foreign feature names, a broken forest', () => {
    expect(() => parseArtifact(mutated((raw) => delete raw.calibration))).toThrow(/invalid model artifact/);
    expect(() => parseArtifact(mutated((raw) => (raw.format = 'something-else')))).toThrow(/not a failure-model artifact/);
    expect(() => parseArtifact(mutated((raw) => (raw.featureNames = [...FEATURE_NAMES].reverse())))).toThrow(/feature names differ/);
    const brokenTree = mutated((raw) => {
      const forest = raw.classifier as { trees: { children: number[]; feature: number[] }[] };
      const tree = forest.trees[0]!;
      tree.children[tree.feature.findIndex((f) => f >= 0)] = 0;
    });
    expect(() => parseArtifact(brokenTree)).toThrow(/invalid sentinel-forest classifier/);
    expect(() => parseArtifact(mutated((raw) => (raw.algorithm = 'ml-random-forest')))).toThrow(/invalid ml-random-forest classifier/);
  });
});

describe('a stored model of an older feature pipeline', () => {
  it('is refused with a clear message (prediction then uses the rules), not fed features it was not trained on', async () => {
    const text = await readFile(new URL('../../fixtures/models/failure-model-pipeline-v1.json', import.meta.url), 'utf8');
    expect(parseArtifact(text).featurePipelineVersion).toBe(1); // the artifact itself is valid
    expect(FEATURE_PIPELINE_VERSION).toBeGreaterThan(1);
    expect(() => loadFailureModel(text)).toThrow(
      new RegExp(`feature pipeline version 1, this code computes version ${FEATURE_PIPELINE_VERSION} only: predictions use the rules until`),
    );
    const loaded = loadArtifactBytes(4, Buffer.from(text), sha256Hex(text));
    expect(loaded).toEqual({ ok: false, reason: expect.stringMatching(/^model 4 cannot be loaded: model uses feature pipeline version 1/) });
  });
});
