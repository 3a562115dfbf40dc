/**
 * The training activity: history from PostgreSQL -> a training thread (features, forest, evaluation of the
 * candidate, the rules and the active model on the same validation rows, promotion gate) -> the candidate stored in
 * `ml_models`. Returns metadata only (version, metrics, decision): the artifact stays in the database.
 *
 * Heartbeats with the phase and progress (trees done / total); cancelling the activity terminates the thread.
 * Idempotent per workflow run: a retry finds the candidate the first attempt stored.
 */
import { Context } from '@temporalio/activity';
import { loadHistoryColumns } from '../../db/repositories/history.js';
import { activeModelRef, getModel, getModelArtifact, insertAudit, insertModel, sha256Hex, type ModelSummary } from '../../db/repositories/models.js';
import { FEATURE_PIPELINE_VERSION } from '../../domain/ml/features.js';
import { parseArtifact } from '../../domain/ml/model-artifact.js';
import { countFailures } from '../../domain/models/history-columns.js';
import {
  DEFAULT_MIN_FAILURES,
  DEFAULT_MODEL_ALGORITHM,
  type ModelAlgorithm,
  type ModelEvaluation,
  type PromotionVerdict,
  type TrainCandidateResult,
} from '../../domain/models/contract.js';
import { checkAlgorithmFeasible, checkAlgorithmParams } from '../../domain/models/params.js';
import type { ActivityDeps } from '../deps.js';
import { invalidInput } from '../../platform/failures.js';
import { heartbeat } from '../heartbeat.js';
import { runTrainingThread } from './training-runner.js';
import type { ThresholdGoals } from '../../domain/models/train-candidate.js';
import type { ThresholdRecommendation } from '../../domain/models/thresholds.js';
import { thresholdGoalOf } from '../../domain/settings/schema.js';

export interface TrainModelCandidateInput {
  algorithm?: ModelAlgorithm;
  params?: Record<string, unknown>;
  minFailures?: number;
  /** `<workflowId>#<runId>`: identifies this training round (idempotency). */
  trainingRun: string;
  requestedBy: string;
}

/** What `ml_models.metrics` holds for a trained candidate. */
export interface StoredTrainingMetrics {
  evaluation: ModelEvaluation;
  decision: PromotionVerdict;
  comparedActiveVersion: number | null;
  trainingSeconds: number;
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

function resultOf(model: ModelSummary): TrainCandidateResult {
  const m = model.metrics as unknown as StoredTrainingMetrics;
  return {
    outcome: 'trained',
    version: model.version,
    algorithm: model.algorithm as ModelAlgorithm,
    artifactSha256: model.artifactSha256,
    artifactBytes: model.artifactBytes,
    evaluation: forTemporal(m.evaluation),
    decision: m.decision,
    comparedActiveVersion: m.comparedActiveVersion,
    trainingSeconds: m.trainingSeconds,
  };
}

export async function trainModelCandidate(
  deps: Pick<ActivityDeps, 'db' | 'log'> & Partial<Pick<ActivityDeps, 'loadSettings'>>,
  input: TrainModelCandidateInput,
): Promise<TrainCandidateResult> {
  const algorithm = input.algorithm ?? DEFAULT_MODEL_ALGORITHM;
  const params = input.params ?? {};
  const minFailures = input.minFailures ?? DEFAULT_MIN_FAILURES;
  const paramProblem = checkAlgorithmParams(algorithm, params);
  if (paramProblem) throw invalidInput(paramProblem);

  const existing = await deps.db.query('SELECT version FROM ml_models WHERE training_run = $1', [input.trainingRun]);
  if (existing.rows[0]) {
    return resultOf((await getModel(deps.db, existing.rows[0].version)) as ModelSummary);
  }

  heartbeat({ phase: 'loading', done: 0, total: 0 });
  const columns = await loadHistoryColumns(deps.db, (rows) => heartbeat({ phase: 'loading', done: rows, total: 0 }));
  const feasibility = checkAlgorithmFeasible(algorithm, columns.size);
  if (feasibility) throw invalidInput(feasibility);

  // The active model is scored on the candidate's validation rows; the thread gets its text, not a database handle.
  const activeRef = await activeModelRef(deps.db);
  let active: { version: number; artifactText: string } | null = null;
  if (activeRef) {
    const stored = await getModelArtifact(deps.db, activeRef.version);
    if (stored) active = { version: activeRef.version, artifactText: stored.artifact.toString('utf8') };
  }

  const thresholdGoals = await goalsFromSettings(deps);
  const rows = columns.size;
  const failures = countFailures(columns);
  let last: Record<string, unknown> = { phase: 'features', done: 0, total: 1 };
  // The thread reports progress per tree; between reports (features, evaluation) keep the heartbeat alive.
  const ticker = setInterval(() => heartbeat(last), 5000);
  let output;
  try {
    output = await runTrainingThread(
      { columns, algorithm, params, minFailures, active, createdAt: new Date().toISOString(), createdBy: input.requestedBy, thresholdGoals },
      {
        onProgress: (phase, done, total) => {
          last = { phase, done, total };
          heartbeat(last);
        },
        ...(cancellationSignal() ? { signal: cancellationSignal() as AbortSignal } : {}),
      },
    );
  } catch (error) {
    const e = error as Error & { originalName?: string };
    if (e.originalName === 'ZodError' || e.originalName === 'RangeError') throw invalidInput(`training failed on its input: ${e.message}`);
    throw error;
  } finally {
    clearInterval(ticker);
  }

  if (output.outcome === 'insufficient-data') {
    await insertAudit(deps.db, {
      event: 'no-model',
      actor: input.requestedBy,
      reason: output.reason,
      details: { rows, failures },
      dedupeKey: `${input.trainingRun}:no-model`,
    });
    deps.log.info({ rows, failures, reason: output.reason }, 'no model trained');
    return { ...output, activeVersion: activeRef?.version ?? null };
  }

  const artifact = Buffer.from(output.artifactText, 'utf8');
  const parsed = parseArtifact(output.artifactText);
  const metrics: StoredTrainingMetrics = {
    evaluation: output.evaluation,
    decision: output.decision,
    comparedActiveVersion: active?.version ?? null,
    trainingSeconds: Math.round(output.trainingSeconds * 100) / 100,
  };
  const { version } = await insertModel(deps.db, {
    algorithm,
    parameters: output.params,
    featurePipelineVersion: FEATURE_PIPELINE_VERSION,
    trainingFrom: new Date(parsed.training.from),
    trainingTo: new Date(parsed.training.to),
    metrics: metrics as unknown as Record<string, unknown>,
    explanation: output.explanation,
    canaryProbability: output.canaryProbability,
    decisionReason: output.decision.reason,
    artifact,
    source: 'training',
    createdBy: input.requestedBy,
    trainingRun: input.trainingRun,
  });
  await insertAudit(deps.db, {
    event: 'trained',
    modelVersion: version,
    previousVersion: active?.version ?? null,
    actor: input.requestedBy,
    reason: output.decision.reason,
    details: { algorithm, promote: output.decision.promote, candidatePrAuc: output.evaluation.candidate.prAuc, rulesPrAuc: output.evaluation.rules.prAuc },
    dedupeKey: `${input.trainingRun}:trained`,
  });
  deps.log.info({ version, algorithm, promote: output.decision.promote, reason: output.decision.reason }, 'model candidate trained');
  return {
    outcome: 'trained',
    version,
    algorithm,
    artifactSha256: sha256Hex(artifact),
    artifactBytes: artifact.length,
    evaluation: forTemporal(output.evaluation),
    decision: output.decision,
    comparedActiveVersion: active?.version ?? null,
    trainingSeconds: metrics.trainingSeconds,
  };
}

/**
 * sentinel.yaml's alert budgets / wanted precisions for the threshold recommendations stored with the model. A
 * settings file that cannot be read does not stop training: the default budget applies, and the curves are stored
 * anyway (`sentinel model thresholds` recomputes from them with the file as it is then).
 */
async function goalsFromSettings(deps: Partial<Pick<ActivityDeps, 'loadSettings' | 'log'>>): Promise<ThresholdGoals> {
  if (!deps.loadSettings) return { default: {}, targets: {} };
  try {
    const settings = await deps.loadSettings();
    return {
      default: thresholdGoalOf(settings, undefined),
      targets: Object.fromEntries(settings.targets.map((t) => [t.name, thresholdGoalOf(settings, t)])),
    };
  } catch (error) {
    deps.log?.warn({ err: (error as Error).message }, 'sentinel.yaml unreadable: threshold advice uses the default alert budget');
    return { default: {}, targets: {} };
  }
}

/** Per-target recommendations carried in the activity result (all of them stay in ml_models.metrics). */
const MAX_RESULT_RECOMMENDATIONS = 50;

/**
 * The evaluation as it travels through Temporal: the per-target threshold curves stay in the database (a team with
 * hundreds of targets would make the payload large); the overall curve and up to 50 recommendations are kept.
 * `sentinel model thresholds` reads the full advice from ml_models.
 */
function forTemporal(evaluation: ModelEvaluation): ModelEvaluation {
  const advice = evaluation.thresholds;
  if (!advice) return evaluation;
  const names = Object.keys(advice.recommendations).sort().slice(0, MAX_RESULT_RECOMMENDATIONS);
  return {
    ...evaluation,
    thresholds: { ...advice, targets: {}, recommendations: Object.fromEntries(names.map((n) => [n, advice.recommendations[n] as ThresholdRecommendation])) },
  };
}
