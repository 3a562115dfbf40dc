import { FEATURE_PIPELINE_VERSION } from '../../../domain/ml/features.js';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../db/repositories/models.js';
import { serializeArtifact } from '../../../domain/ml/model-artifact.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { trainFailureModel } from '../../../domain/ml/training.js';
import { canaryFeatures } from '../../../domain/models/canary.js';
import { buildExport, validateImport } from '../../../capabilities/models/model-transfer.js';

describe('model export files', async () => {
  const trained = await trainFailureModel(generateHistory({ targets: 3, days: 10, seed: 2 }), {
    algorithm: 'sentinel-forest',
    params: { nTrees: 5, seed: 1, threads: 1 },
    createdAt: new Date(0),
    createdBy: 'test',
  });
  const artifact = serializeArtifact(trained.artifact);
  const canary = trained.model.predict(canaryFeatures());
  const exported = buildExport({
    exportedAt: '2026-01-01T00:00:00.000Z',
    version: 7,
    algorithm: 'sentinel-forest',
    featurePipelineVersion: 1,
    artifactSha256: sha256Hex(artifact),
    metrics: { decision: 'x' },
    explanation: { importance: [] },
    canaryProbability: canary,
    artifact,
  });
  const doc = JSON.parse(exported);

  it('round-trip the artifact byte for byte, with metadata', () => {
    const v = validateImport(exported);
    expect(v.artifactText).toBe(artifact);
    expect(v).toMatchObject({ exportedVersion: 7, metrics: { decision: 'x' }, explanation: { importance: [] }, canaryProbability: canary });
  });

  it('accept a bare artifact, without an explanation', () => {
    expect(validateImport(`${artifact}\n`)).toMatchObject({ artifactText: artifact, explanation: null, exportedVersion: null });
  });

  it('refuse truncated, altered, foreign, newer and misbehaving models with one clear reason', () => {
    expect(() => validateImport(exported.slice(0, exported.length / 2))).toThrow(/invalid JSON \(truncated or corrupt/);
    expect(() => validateImport(JSON.stringify({ ...doc, artifact: artifact.replace('"nTrees":5', '"nTrees":6') }))).toThrow(/checksum mismatch/);
    expect(() => validateImport('{"format":"onnx"}')).toThrow(/not a model file \(format "onnx"\)/);
    expect(() => validateImport(JSON.stringify({ ...doc, formatVersion: 9 }))).toThrow(/export format 9 is newer/);
    const newer = artifact.replace(`"featurePipelineVersion":${FEATURE_PIPELINE_VERSION},`, `"featurePipelineVersion":${FEATURE_PIPELINE_VERSION + 1},`);
    expect(() => validateImport(JSON.stringify({ ...doc, artifact: newer, artifactSha256: sha256Hex(newer) }))).toThrow(
      new RegExp(`feature pipeline version ${FEATURE_PIPELINE_VERSION + 1}, newer than this code supports`),
    );
    expect(() => validateImport(JSON.stringify({ ...doc, canaryProbability: canary + 0.01 }))).toThrow(/canary input, the exporting system recorded/);
  });
});
