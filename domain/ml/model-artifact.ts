/**
 * The stored form of a trained failure model: one JSON document with everything needed to predict (algorithm,
 * classifier JSON, calibration, feature pipeline version and names) and to audit it (params, training and
 * validation windows, metrics, who/when created it).
 *
 * `serializeArtifact` is deterministic (keys sorted at every level, no whitespace): the same model gives the same
 * bytes, so a checksum identifies it. `parseArtifact` validates everything, including the classifier itself, and
 * throws one clear error for truncated or corrupt text, unknown formats, or models built by a newer feature
 * pipeline than this code computes.
 */
import { z } from 'zod';
import { describeValue } from '../describe-value.js';
import { calibrationSchema, type Calibration } from './calibration.js';
import type { AlgorithmName, FailureClassifier } from './classifier.js';
import { loadClassifier } from './classifier-loaders.js';
import { FEATURE_NAMES, FEATURE_PIPELINE_VERSION } from './features.js';

export const MODEL_ARTIFACT_FORMAT = 'backup-sentinel.failure-model';
export const MODEL_ARTIFACT_FORMAT_VERSION = 1;

const isoInstant = z.iso.datetime({ offset: true });
const nullableMetric = z.number().finite().nullable();

export const artifactMetricsSchema = z
  .object({
    rows: z.number().int().min(0),
    failures: z.number().int().min(0),
    baseRate: nullableMetric,
    prAuc: nullableMetric,
    rocAuc: nullableMetric,
    brier: nullableMetric,
  })
  .strict();

export const timeWindowSchema = z.object({ from: isoInstant, to: isoInstant }).strict();

const foldScoreSchema = z.object({ prAuc: nullableMetric, rocAuc: nullableMetric, brier: nullableMetric }).strict();

/** How the params were chosen (domain/ml/selection.ts): folds, every candidate's scores, the winner, the calibration. */
export const selectionSchema = z
  .object({
    budgetSeconds: z.number().min(0),
    elapsedSeconds: z.number().min(0),
    stopped: z.enum(['exhausted', 'budget']),
    folds: z.array(
      z
        .object({
          trainRows: z.number().int().min(0),
          trainFailures: z.number().int().min(0),
          validationFrom: isoInstant,
          validationTo: isoInstant,
          validationRows: z.number().int().min(0),
          validationFailures: z.number().int().min(0),
        })
        .strict(),
    ),
    candidates: z.array(
      z.object({ params: z.record(z.string(), z.unknown()), folds: z.array(foldScoreSchema), mean: foldScoreSchema, seconds: z.number().min(0) }).strict(),
    ),
    chosen: z.number().int().min(0),
    /** What the deployed model's calibration was fitted on: its out-of-bag scores, or out-of-fold scores plus the validation window's. */
    calibratedOn: z
      .object({ source: z.enum(['out-of-bag', 'out-of-fold', 'none']), rows: z.number().int().min(0), failures: z.number().int().min(0) })
      .strict(),
  })
  .strict();

export type ModelSelection = z.infer<typeof selectionSchema>;

export const modelArtifactSchema = z
  .object({
    format: z.literal(MODEL_ARTIFACT_FORMAT),
    formatVersion: z.number().int().min(1),
    algorithm: z.enum(['sentinel-forest', 'sentinel-boosting', 'ml-random-forest']),
    /** Resolved, model-defining training params (seed included). */
    params: z.record(z.string(), z.unknown()),
    featurePipelineVersion: z.number().int().min(1),
    featureNames: z.array(z.string()).min(1),
    classifier: z.unknown(),
    calibration: calibrationSchema,
    /** Start times of the first and last runs the deployed model was fitted on, and their counts (all of them since pipeline 2). */
    training: timeWindowSchema.extend({ rows: z.number().int().min(1), failures: z.number().int().min(0) }).strict(),
    /**
     * Metrics on the validation runs (newest part of the time split) of the same params fitted on the older runs
     * only (`fittedOn`; absent: the deployed model itself, before pipeline 2).
     */
    validation: timeWindowSchema
      .extend({
        metrics: artifactMetricsSchema,
        fittedOn: timeWindowSchema
          .extend({ rows: z.number().int().min(1), failures: z.number().int().min(0) })
          .strict()
          .optional(),
      })
      .strict()
      .nullable(),
    /** Model selection; absent for models trained without it. */
    selection: selectionSchema.nullable().optional(),
    /** Metrics of the calibrated OOB predictions on the training runs, when the algorithm provides them. */
    outOfBag: artifactMetricsSchema.nullable(),
    created: z.object({ at: isoInstant, by: z.string().min(1) }).strict(),
  })
  .strict();

export type ModelArtifact = z.infer<typeof modelArtifactSchema>;
export type ArtifactMetrics = z.infer<typeof artifactMetricsSchema>;

export interface CreateArtifactInput {
  algorithm: AlgorithmName;
  params: Record<string, unknown>;
  classifier: FailureClassifier;
  calibration: Calibration;
  training: ModelArtifact['training'];
  validation: ModelArtifact['validation'];
  outOfBag: ModelArtifact['outOfBag'];
  selection?: ModelSelection | null;
  createdAt: Date;
  createdBy: string;
}

/** Builds an artifact for the current feature pipeline. */
export function createArtifact(input: CreateArtifactInput): ModelArtifact {
  if (input.classifier.algorithm !== input.algorithm) {
    throw new Error(`classifier is ${input.classifier.algorithm}, artifact says ${input.algorithm}`);
  }
  if (input.classifier.featureCount !== FEATURE_NAMES.length) {
    throw new Error(`classifier expects ${input.classifier.featureCount} features, the pipeline has ${FEATURE_NAMES.length}`);
  }
  const artifact: ModelArtifact = {
    format: MODEL_ARTIFACT_FORMAT,
    formatVersion: MODEL_ARTIFACT_FORMAT_VERSION,
    algorithm: input.algorithm,
    params: input.params,
    featurePipelineVersion: FEATURE_PIPELINE_VERSION,
    featureNames: [...FEATURE_NAMES],
    classifier: JSON.parse(JSON.stringify(input.classifier.toJSON())) as unknown,
    calibration: input.calibration,
    training: input.training,
    validation: input.validation,
    outOfBag: input.outOfBag,
    ...(input.selection !== undefined ? { selection: input.selection } : {}),
    created: { at: input.createdAt.toISOString(), by: input.createdBy },
  };
  return modelArtifactSchema.parse(artifact);
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) throw new TypeError('typed arrays must be converted to plain arrays before serialising');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`cannot serialise the number ${value}`);
  return value;
}

/** Deterministic JSON text of an artifact. */
export function serializeArtifact(artifact: ModelArtifact): string {
  return JSON.stringify(sortKeysDeep(artifact));
}

export class ModelArtifactError extends Error {
  override readonly name = 'ModelArtifactError';
}

/**
 * Parses and validates artifact text. Artifacts of older feature pipeline versions parse (they can be listed and
 * inspected) but `loadFailureModel` refuses to predict with them.
 */
export function parseArtifact(text: string): ModelArtifact {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactError(`model artifact is not valid JSON (truncated or corrupt, ${text.length} characters): ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ModelArtifactError('model artifact is not a JSON object');
  }
  const header = raw as Record<string, unknown>;
  if (header.format !== MODEL_ARTIFACT_FORMAT) {
    throw new ModelArtifactError(`not a failure-model artifact (format ${describeValue(header.format)})`);
  }
  if (typeof header.formatVersion === 'number' && header.formatVersion > MODEL_ARTIFACT_FORMAT_VERSION) {
    throw new ModelArtifactError(`model artifact format version ${header.formatVersion} is newer than this code supports (${MODEL_ARTIFACT_FORMAT_VERSION})`);
  }
  const pipeline = header.featurePipelineVersion;
  if (typeof pipeline === 'number' && pipeline > FEATURE_PIPELINE_VERSION) {
    throw new ModelArtifactError(
      `model was built by feature pipeline version ${pipeline}, newer than this code supports ` +
        `(${FEATURE_PIPELINE_VERSION}); upgrade Backup Sentinel or use a model trained by this version`,
    );
  }
  const parsed = modelArtifactSchema.safeParse(raw);
  if (!parsed.success) throw new ModelArtifactError(`invalid model artifact: ${z.prettifyError(parsed.error)}`);
  const artifact = parsed.data;
  if (artifact.featurePipelineVersion === FEATURE_PIPELINE_VERSION && !sameNames(artifact.featureNames, FEATURE_NAMES)) {
    throw new ModelArtifactError(`model claims feature pipeline version ${FEATURE_PIPELINE_VERSION} but its feature names differ from this pipeline's`);
  }
  try {
    const classifier = loadClassifier(artifact.algorithm, artifact.classifier);
    if (classifier.featureCount !== artifact.featureNames.length) {
      throw new Error(`classifier expects ${classifier.featureCount} features, artifact lists ${artifact.featureNames.length}`);
    }
  } catch (error) {
    throw new ModelArtifactError(`model artifact holds an invalid ${artifact.algorithm} classifier: ${(error as Error).message}`);
  }
  return artifact;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, k) => name === b[k]);
}

export function isArtifactUsable(artifact: ModelArtifact): boolean {
  return artifact.featurePipelineVersion === FEATURE_PIPELINE_VERSION && sameNames(artifact.featureNames, FEATURE_NAMES);
}
