/**
 * `sentinel model export` / `import`: a model leaves as one JSON file holding the artifact text exactly as stored
 * (so its SHA-256 is preserved and checked on the way back in) plus the registry's metadata (metrics, explanation,
 * canary). Import validates everything before storing the model as a candidate: checksum, artifact format, feature
 * pipeline version (newer ones are refused: this code cannot compute their features), that it loads and predicts,
 * and that it reproduces the exporter's canary probability. A bare artifact file (the artifact JSON itself) is
 * accepted too; it then has no explanation, so its predictions carry no risk factors (only the probability and
 * the general recommendation).
 */
import { sha256Hex } from '../../db/repositories/models.js';
import { describeValue } from '../../domain/describe-value.js';
import { FEATURE_PIPELINE_VERSION } from '../../domain/ml/features.js';
import { MODEL_ARTIFACT_FORMAT, parseArtifact, type ModelArtifact } from '../../domain/ml/model-artifact.js';
import { loadFailureModel, type FailureModel } from '../../domain/ml/model.js';
import { canaryFeatures } from '../../domain/models/canary.js';

export const MODEL_EXPORT_FORMAT = 'backup-sentinel.model-export';
export const MODEL_EXPORT_FORMAT_VERSION = 1;

export interface ModelExport {
  format: typeof MODEL_EXPORT_FORMAT;
  formatVersion: number;
  exportedAt: string;
  version: number;
  algorithm: string;
  featurePipelineVersion: number;
  artifactSha256: string;
  metrics: unknown;
  explanation: unknown;
  canaryProbability: number | null;
  /** The artifact text, byte for byte as stored. */
  artifact: string;
}

export class ModelImportError extends Error {
  override readonly name = 'ModelImportError';
}

export interface ValidatedImport {
  artifactText: string;
  artifact: ModelArtifact;
  model: FailureModel;
  metrics: Record<string, unknown>;
  explanation: unknown;
  canaryProbability: number;
  exportedVersion: number | null;
}

export function buildExport(input: Omit<ModelExport, 'format' | 'formatVersion'>): string {
  return `${JSON.stringify({ format: MODEL_EXPORT_FORMAT, formatVersion: MODEL_EXPORT_FORMAT_VERSION, ...input }, null, 2)}\n`;
}

/** A validation listing cut to its first problems: a damaged tree of 100,000 nodes would otherwise list each one. */
function firstLines(message: string, keep = 10): string {
  const lines = message.split('\n');
  return lines.length <= keep ? message : `${lines.slice(0, keep).join('\n')}\n  ... (${lines.length - keep} more lines)`;
}

/** Checks an export (or bare artifact) file's text; throws ModelImportError with one clear reason. */
export function validateImport(text: string): ValidatedImport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ModelImportError(`not a model file: invalid JSON (truncated or corrupt, ${text.length} characters): ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ModelImportError('not a model file: expected a JSON object');
  const doc = raw as Record<string, unknown>;
  let artifactText: string;
  let envelope: Partial<ModelExport> | null = null;
  if (doc.format === MODEL_EXPORT_FORMAT) {
    envelope = doc as Partial<ModelExport>;
    if (typeof envelope.formatVersion === 'number' && envelope.formatVersion > MODEL_EXPORT_FORMAT_VERSION) {
      throw new ModelImportError(
        `model export format ${envelope.formatVersion} is newer than this version of Backup Sentinel reads (${MODEL_EXPORT_FORMAT_VERSION})`,
      );
    }
    if (typeof envelope.artifact !== 'string') throw new ModelImportError('model export has no artifact');
    artifactText = envelope.artifact;
    if (typeof envelope.artifactSha256 !== 'string' || sha256Hex(artifactText) !== envelope.artifactSha256) {
      throw new ModelImportError(
        `artifact checksum mismatch (export says ${String(envelope.artifactSha256).slice(0, 12)}..., artifact hashes to ${sha256Hex(artifactText).slice(0, 12)}...): the file was altered or damaged`,
      );
    }
  } else if (doc.format === MODEL_ARTIFACT_FORMAT) {
    artifactText = text.trim();
  } else {
    throw new ModelImportError(`not a model file (format ${describeValue(doc.format)}); expected a \`sentinel model export\` file`);
  }

  let artifact: ModelArtifact;
  let model: FailureModel;
  try {
    artifact = parseArtifact(artifactText);
    model = loadFailureModel(artifact);
  } catch (error) {
    throw new ModelImportError(`${firstLines((error as Error).message)} (this code computes feature pipeline version ${FEATURE_PIPELINE_VERSION})`);
  }
  const canaryProbability = model.predict(canaryFeatures());
  if (!Number.isFinite(canaryProbability) || canaryProbability < 0 || canaryProbability > 1) {
    throw new ModelImportError(`the model predicts ${canaryProbability} for the canary input`);
  }
  const expected = envelope?.canaryProbability;
  if (typeof expected === 'number' && Math.abs(expected - canaryProbability) > 1e-12) {
    throw new ModelImportError(`the model predicts ${canaryProbability} for the canary input, the exporting system recorded ${expected}`);
  }
  const metrics =
    envelope?.metrics && typeof envelope.metrics === 'object'
      ? (envelope.metrics as Record<string, unknown>)
      : { validation: artifact.validation, outOfBag: artifact.outOfBag };
  return {
    artifactText,
    artifact,
    model,
    metrics,
    explanation: envelope?.explanation ?? null,
    canaryProbability,
    exportedVersion: typeof envelope?.version === 'number' ? envelope.version : null,
  };
}
