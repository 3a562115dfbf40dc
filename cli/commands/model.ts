import { readFile, writeFile } from 'node:fs/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ModelSummary } from '../../db/repositories/models.js';
import {
  MODEL_ALGORITHMS,
  type ModelEvaluation,
  type RollbackModelInput,
  type RollbackModelResult,
  type TrainModelInput,
  type TrainModelResult,
  type WindowMetrics,
} from '../../domain/models/contract.js';
import type { ImportedRun } from '../../domain/models/history-row.js';
import { packageVersion } from '../../platform/package-version.js';
import type { trainFailureModelWorkflow } from '../../workflows/models.js';
import type { CliContext } from '../context.js';
import { numberIn, wholeNumber } from '../options.js';
import { parseShare } from '../../domain/settings/share.js';
import { DEFAULT_WAIT_TIMEOUT_MS, waitForResult } from '../wait.js';
import { CliError, printResult } from '../output.js';
import { rootMessage } from '../../domain/errors/root-message.js';
import { ExitCode } from '../exit-codes.js';

// The Temporal client, SentinelClient, the repositories and the ML code are imported when a subcommand runs (`await
// import`), not when the command is built: `sentinel --help` builds every command and needs none of them.
const models = () => import('../../db/repositories/models.js');
const temporalClient = () => import('@temporalio/client');
const sentinelClient = () => import('../../client/sentinel-client.js');

const version = wholeNumber(1, 2_147_483_647);
const shareOption = (value: string): number => {
  const share = parseShare(/%\s*$/.test(value) ? value : Number(value));
  if (share === undefined) throw new InvalidArgumentError('must be a share of runs like "5%" or 0.05');
  return share;
};

const jsonObject = (raw: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`must be a JSON object, e.g. '{"nTrees":50}' (got ${raw})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError('must be a JSON object');
  return value as Record<string, unknown>;
};

const modelChoice = (raw: string): number | 'rules' => (raw === 'rules' ? 'rules' : version(raw));

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(4));

function listRow(m: ModelSummary) {
  const metrics = m.metrics as { evaluation?: { candidate?: WindowMetrics; rules?: WindowMetrics }; validation?: { metrics?: { prAuc?: number } } };
  return {
    version: m.version,
    status: m.status,
    algorithm: m.algorithm,
    createdAt: m.createdAt.toISOString(),
    statusChangedAt: m.statusChangedAt.toISOString(),
    source: m.source,
    featurePipelineVersion: m.featurePipelineVersion,
    trainingWindow: { from: m.trainingFrom?.toISOString() ?? null, to: m.trainingTo?.toISOString() ?? null },
    prAuc: metrics.evaluation?.candidate?.prAuc ?? metrics.validation?.metrics?.prAuc ?? null,
    rulesPrAuc: metrics.evaluation?.rules?.prAuc ?? null,
    artifactSha256: m.artifactSha256,
    artifactBytes: m.artifactBytes,
    decisionReason: m.decisionReason,
  };
}

export function modelCommand(ctx: CliContext): Command {
  const model = new Command('model').description('The failure model: train, evaluate, list, show, roll back, export and import');

  model
    .command('train')
    .description(
      'Start trainFailureModelWorkflow (train, evaluate against the rules and the active model, promote only if better); prints the workflow ID, or the result with --wait',
    )
    .addOption(new Option('--algorithm <name>', 'algorithm (default: sentinel-forest)').choices([...MODEL_ALGORITHMS]))
    .option(
      '--params <json>',
      'algorithm parameters as a JSON object, e.g. \'{"nTrees":200,"seed":7}\' (fixed; the others are chosen by cross-validation within "selectionBudgetSeconds", default 120)',
      jsonObject,
    )
    .option('--min-failures <n>', 'failures the history needs (default 25)', wholeNumber(2, 1_000_000))
    .option('--wait', 'wait for the result')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const input: TrainModelInput = {
        ...(opts.algorithm ? { algorithm: opts.algorithm } : {}),
        ...(opts.params ? { params: opts.params } : {}),
        ...(opts.minFailures !== undefined ? { minFailures: opts.minFailures } : {}),
      };
      const { checkAlgorithmParams } = await import('../../domain/models/params.js');
      const problem = checkAlgorithmParams(input.algorithm ?? 'sentinel-forest', input.params);
      if (problem) throw new CliError(problem, ExitCode.invalidInput);
      const client = await ctx.client();
      const [{ WorkflowFailedError }, { SentinelClient }] = await Promise.all([temporalClient(), sentinelClient()]);
      const { workflowId } = await SentinelClient.fromClient(client, ctx.env.taskQueue).startTraining(input);
      const handle = client.workflow.getHandle<typeof trainFailureModelWorkflow>(workflowId);
      if (!opts.wait) {
        printResult({ workflowId: handle.workflowId }, opts.json, (r: { workflowId: string }) => r.workflowId);
        return;
      }
      let result: TrainModelResult;
      try {
        // Training has no time limit of its own here (the workflow bounds it); the line says how far it got.
        const waited = await waitForResult<TrainModelResult>(handle, { timeoutMs: DEFAULT_WAIT_TIMEOUT_MS, progress: () => trainingProgress(client, handle) });
        if (!waited.finished) throw new CliError(`${workflowId}: still running after 24 h`, ExitCode.stillRunning);
        result = waited.result;
      } catch (error) {
        if (error instanceof WorkflowFailedError) throw new CliError(`${workflowId} failed: ${rootMessage(error)}`);
        throw error;
      }
      printResult(result, opts.json, describeTraining);
    });

  model
    .command('list')
    .description('Every stored model with its status (exactly one active at most), metrics and checksum')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const { listModels } = await models();
      const rows = (await listModels((await ctx.db()).pool)).map(listRow);
      printResult(rows, opts.json, (r: ReturnType<typeof listRow>[]) =>
        r.length === 0
          ? 'no models yet; import history (`sentinel history import FILE`) and run `sentinel model train`'
          : [
              `${'VER'.padStart(4)}  ${'STATUS'.padEnd(9)}  ${'ALGORITHM'.padEnd(16)}  ${'PR-AUC'.padEnd(6)}  ${'RULES'.padEnd(6)}  ${'CREATED AT'.padEnd(24)}  SHA-256`,
              ...r.map(
                (m) =>
                  `${String(m.version).padStart(4)}  ${m.status.padEnd(9)}  ${m.algorithm.padEnd(16)}  ${pct(m.prAuc).padEnd(6)}  ${pct(m.rulesPrAuc).padEnd(6)}  ${m.createdAt.padEnd(24)}  ${m.artifactSha256.slice(0, 12)}`,
              ),
            ].join('\n'),
      );
    });

  model
    .command('show')
    .description(
      'A model in full: parameters, training window, validation metrics (candidate, rules, active model), decision, importance, snapshots and audit events',
    )
    .argument('<version>', 'model version', version)
    .option('--json', 'print JSON')
    .action(async (v: number, opts) => {
      const db = (await ctx.db()).pool;
      const { getModel, listAudit, listSnapshots } = await models();
      const m = await getModel(db, v);
      if (!m) throw new CliError(`model ${v} does not exist (see \`sentinel model list\`)`);
      const snapshots = (await listSnapshots(db)).filter((s) => s.modelVersion === v || s.replacedBy === v);
      const audit = (await listAudit(db, 1000)).filter((a) => a.modelVersion === v || a.previousVersion === v).reverse();
      const shown = {
        ...listRow(m),
        parameters: m.parameters,
        metrics: m.metrics,
        explanation: m.explanation,
        canaryProbability: m.canaryProbability,
        createdBy: m.createdBy,
        snapshots,
        audit,
      };
      printResult(shown, opts.json, (s: typeof shown) =>
        [
          `model ${s.version}: ${s.status}, ${s.algorithm}, pipeline v${s.featurePipelineVersion}, ${s.artifactBytes} bytes, sha256 ${s.artifactSha256}`,
          `trained on ${s.trainingWindow.from} .. ${s.trainingWindow.to}; PR-AUC ${pct(s.prAuc)} (rules ${pct(s.rulesPrAuc)})`,
          `decision: ${s.decisionReason ?? '-'}`,
          `parameters: ${JSON.stringify(s.parameters)}`,
          ...selectionLines((s.metrics as { evaluation?: ModelEvaluation } | null)?.evaluation),
          ...s.audit.map((a) => `  ${a.at.toISOString()}  ${a.event}  by ${a.actor}${a.reason ? `: ${a.reason}` : ''}`),
        ].join('\n'),
      );
    });

  model
    .command('thresholds')
    .description(
      "Threshold advice of the active model (or --model): precision, recall and share of runs flagged at a range of thresholds on its validation window, and the threshold per target for sentinel.yaml's alertBudget / wantedPrecision (default budget 5% of runs) or the goal given here",
    )
    .option('--target <name>', 'only this target')
    .option('--model <version>', 'model version (default: the active model)', version)
    .option('--budget <share>', 'alert budget, e.g. "5%" or 0.05 (instead of sentinel.yaml\'s)', shareOption)
    .option('--precision <p>', "wanted precision in (0, 1] (instead of sentinel.yaml's)", numberIn(0, 1))
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const { thresholdReport } = await import('../../capabilities/prediction/threshold.js');
      const report = await thresholdReport((await ctx.db()).pool, await ctx.config(), {
        ...(opts.model !== undefined ? { version: opts.model } : {}),
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        goal: {
          ...(opts.budget !== undefined ? { alertBudget: opts.budget } : {}),
          ...(opts.precision !== undefined ? { wantedPrecision: opts.precision } : {}),
        },
      });
      if ('problem' in report) throw new CliError(report.problem, ExitCode.invalidInput);
      const pctOf = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
      printResult(report, opts.json, (r: typeof report) =>
        [
          `model ${r.version} (${r.status}), validation window ${r.window.from} .. ${r.window.to}`,
          `${'TARGET'.padEnd(20)}  ${'THRESHOLD'.padEnd(9)}  ${'FLAGGED'.padEnd(7)}  ${'PREC.'.padEnd(6)}  ${'RECALL'.padEnd(6)}  BASIS`,
          ...r.targets.map(
            (t) =>
              `${t.target.padEnd(20)}  ${String(t.recommendation.threshold).padEnd(9)}  ${pctOf(t.recommendation.expected.flaggedShare).padEnd(7)}  ${pctOf(t.recommendation.expected.precision).padEnd(6)}  ${pctOf(t.recommendation.expected.recall).padEnd(6)}  ${t.recommendation.basis}: ${t.recommendation.reason}`,
          ),
          '',
          `all targets (${r.overall.rows} runs, ${r.overall.failures} failures):`,
          `${'THRESHOLD'.padEnd(9)}  ${'FLAGGED'.padEnd(7)}  ${'PREC.'.padEnd(6)}  RECALL`,
          ...r.overall.points.map(
            (p) => `${String(p.threshold).padEnd(9)}  ${pctOf(p.flaggedShare).padEnd(7)}  ${pctOf(p.precision).padEnd(6)}  ${pctOf(p.recall)}`,
          ),
        ].join('\n'),
      );
    });

  model
    .command('monitor')
    .description(
      "Live quality of the active model: its recorded predictions against the outcomes of the runs in sentinel.yaml's modelMonitor window, beside its validation scores, the model it replaced and the rules on the same runs; the verdict the hourly modelMonitorWorkflow would reach now, its last check and the last automatic rollback (read-only)",
    )
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const [{ assessLiveQuality }, { automaticRollbacks, latestCheck }, { AUTOMATIC_ROLLBACK_EVENT }] = await Promise.all([
        import('../../capabilities/models/model-monitor.js'),
        import('../../db/repositories/model-monitor.js'),
        import('../../domain/models/monitor-contract.js'),
      ]);
      const db = (await ctx.db()).pool;
      const live = await assessLiveQuality(db, await ctx.config());
      const last = await latestCheck(db);
      const rollbacks = await automaticRollbacks(db, AUTOMATIC_ROLLBACK_EVENT);
      const output = {
        ...live,
        lastCheck: last && { at: last.checkedAt.toISOString(), verdict: last.verdict, modelVersion: last.modelVersion, checkedBy: last.checkedBy },
        automaticRollbacks: rollbacks.total,
        lastAutomaticRollback: rollbacks.last && {
          at: rollbacks.last.at.toISOString(),
          fromVersion: rollbacks.last.version,
          toVersion: rollbacks.last.toVersion,
          by: rollbacks.last.actor,
          reason: rollbacks.last.reason,
        },
      };
      printResult(output, opts.json, (o: typeof output) => describeMonitor(o));
    });

  model
    .command('rollback')
    .description(
      'Run rollbackModelWorkflow: pause the training schedule, restore a snapshot (default: the one before the last change), verify checksum and canary, unpause',
    )
    .option('--to <version>', 'restore this version (its newest snapshot)', version)
    .option('--keep-paused', 'leave the training schedule paused afterwards')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const input: RollbackModelInput = {
        ...(opts.to !== undefined ? { toVersion: opts.to } : {}),
        ...(opts.keepPaused ? { keepPaused: true } : {}),
        ...(opts.reason ? { reason: opts.reason } : {}),
      };
      const client = await ctx.client();
      const [{ WorkflowFailedError }, { SentinelClient }] = await Promise.all([temporalClient(), sentinelClient()]);
      const sentinel = SentinelClient.fromClient(client, ctx.env.taskQueue);
      const { workflowId } = await sentinel.startRollback(input);
      let result: RollbackModelResult;
      try {
        result = await sentinel.rollbackResult(workflowId);
      } catch (error) {
        if (error instanceof WorkflowFailedError) throw new CliError(`${workflowId} failed: ${rootMessage(error)}`);
        throw error;
      }
      printResult(result, opts.json, (r: RollbackModelResult) =>
        [
          `${r.restoredVersion === null ? 'no model active: the rules predict' : `model ${r.restoredVersion} restored`} (was ${r.previousVersion ?? 'none'}; snapshot ${r.snapshotId}, new snapshot ${r.newSnapshotId})`,
          `verified: checksum ${r.verification.checksumOk ? 'ok' : 'FAILED'}, canary ${r.verification.canaryProbability ?? '-'}`,
          `schedule ${r.schedule.scheduleId}: ${!r.schedule.exists ? 'not found (nothing paused)' : r.schedule.pausedNow ? 'paused' : 'running'}`,
        ].join('\n'),
      );
    });

  model
    .command('export')
    .description('Write a model (artifact byte for byte, checksum, metrics, explanation) to a JSON file')
    .argument('<version>', 'model version', version)
    .argument('<file>', 'output file')
    .option('--json', 'print JSON')
    .action(async (v: number, file: string, opts) => {
      const db = (await ctx.db()).pool;
      const [{ getModel, getModelArtifact, sha256Hex }, { buildExport }] = await Promise.all([models(), import('../../capabilities/models/model-transfer.js')]);
      const m = await getModel(db, v);
      const stored = m ? await getModelArtifact(db, v) : undefined;
      if (!m || !stored) throw new CliError(`model ${v} does not exist`);
      if (sha256Hex(stored.artifact) !== stored.artifactSha256)
        throw new CliError(`model ${v}'s stored artifact fails its checksum: not exported (restore it with \`sentinel model rollback --to ${v}\`)`);
      await writeFile(
        file,
        buildExport({
          exportedAt: new Date().toISOString(),
          version: v,
          algorithm: m.algorithm,
          featurePipelineVersion: m.featurePipelineVersion,
          artifactSha256: m.artifactSha256,
          metrics: m.metrics,
          explanation: m.explanation,
          canaryProbability: m.canaryProbability,
          artifact: stored.artifact.toString('utf8'),
        }),
      );
      printResult(
        { version: v, file, artifactSha256: m.artifactSha256, artifactBytes: m.artifactBytes },
        opts.json,
        (r: { version: number; file: string; artifactSha256: string }) => `model ${r.version} written to ${r.file} (sha256 ${r.artifactSha256})`,
      );
    });

  model
    .command('import')
    .description('Store a model file (from `model export`) as a candidate after validating checksum, format, pipeline version and canary')
    .argument('<file>', 'model file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts) => {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new CliError(`${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
      });
      const [{ insertAudit, insertModel, sha256Hex }, { ModelImportError, validateImport }] = await Promise.all([
        models(),
        import('../../capabilities/models/model-transfer.js'),
      ]);
      let validated;
      try {
        validated = validateImport(text);
      } catch (error) {
        if (error instanceof ModelImportError) throw new CliError(`${file}: ${error.message}`);
        throw error;
      }
      const db = (await ctx.db()).pool;
      const artifact = Buffer.from(validated.artifactText, 'utf8');
      const { version: stored } = await insertModel(db, {
        algorithm: validated.artifact.algorithm,
        parameters: validated.artifact.params,
        featurePipelineVersion: validated.artifact.featurePipelineVersion,
        trainingFrom: new Date(validated.artifact.training.from),
        trainingTo: new Date(validated.artifact.training.to),
        metrics: validated.metrics,
        explanation: validated.explanation,
        canaryProbability: validated.canaryProbability,
        decisionReason: `imported from ${file}${validated.exportedVersion !== null ? ` (version ${validated.exportedVersion} there)` : ''}; a candidate until a rollback or training promotes a model`,
        artifact,
        source: 'import',
        createdBy: 'sentinel model import',
      });
      await insertAudit(db, {
        event: 'imported',
        modelVersion: stored,
        actor: 'sentinel model import',
        reason: `from ${file}`,
        details: { sha256: sha256Hex(artifact) },
      });
      printResult(
        { version: stored, status: 'candidate', artifactSha256: sha256Hex(artifact), algorithm: validated.artifact.algorithm },
        opts.json,
        (r: { version: number; artifactSha256: string }) => `imported as candidate model ${r.version} (sha256 ${r.artifactSha256})`,
      );
    });

  model
    .command('evaluate')
    .description(
      "Backtest over a labelled history file in time order: each row predicted from the stored history plus the file's earlier rows only, scored against its status; changes nothing",
    )
    .requiredOption('--data <file>', 'labelled history file (.csv or .jsonl)')
    .option('--model <version|rules>', 'model version or "rules" (default: the active model, else the rules)', modelChoice)
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const [{ HistoryFileError, historyFormatOf, readHistoryFile }, { parseHistoryRow }] = await Promise.all([
        import('../../capabilities/history/history-file.js'),
        import('../../domain/models/history-row.js'),
      ]);
      try {
        historyFormatOf(opts.data);
      } catch (error) {
        throw new CliError((error as Error).message, ExitCode.invalidInput);
      }
      const db = (await ctx.db()).pool;
      const now = new Date();
      const fileRuns: ImportedRun[] = [];
      const problems: { line: number; reason: string }[] = [];
      try {
        for await (const record of readHistoryFile(opts.data)) {
          const parsed = record.error === undefined ? parseHistoryRow(record.values, now) : { ok: false as const, reason: record.error };
          if (parsed.ok) fileRuns.push(parsed.run);
          else problems.push({ line: record.line, reason: parsed.reason });
        }
      } catch (error) {
        if (error instanceof HistoryFileError) throw new CliError(error.message);
        throw error;
      }
      if (fileRuns.length === 0)
        throw new CliError(`${opts.data}: no valid rows to evaluate${problems[0] ? ` (line ${problems[0].line}: ${problems[0].reason})` : ''}`);

      const [{ activeModelRef, getModel, getModelArtifact }, { loadArtifactBytes }, { historyOfTargets }, { backtest }, { FEATURE_PIPELINE_VERSION }] =
        await Promise.all([
          models(),
          import('../../capabilities/models/model-loader.js'),
          import('../../db/repositories/history.js'),
          import('../../domain/models/backtest.js'),
          import('../../domain/ml/features.js'),
        ]);
      let chosen: { kind: 'rules' } | { kind: 'ml'; version: number; algorithm: string } = { kind: 'rules' };
      let failureModel = null;
      const wanted: number | 'rules' | undefined = opts.model ?? (await activeModelRef(db))?.version;
      if (wanted !== undefined && wanted !== 'rules') {
        const m = await getModel(db, wanted);
        const stored = m ? await getModelArtifact(db, wanted) : undefined;
        if (!m || !stored) throw new CliError(`model ${wanted} does not exist`);
        const loaded = loadArtifactBytes(wanted, stored.artifact, stored.artifactSha256);
        if (!loaded.ok) throw new CliError(loaded.reason);
        failureModel = loaded.model;
        chosen = { kind: 'ml', version: wanted, algorithm: m.algorithm };
      }
      const targets = [...new Set(fileRuns.map((r) => r.target))];
      const last = fileRuns.reduce((max, r) => Math.max(max, r.startedAt.getTime()), Number.NEGATIVE_INFINITY);
      const stored = await historyOfTargets(
        db,
        targets,
        new Date(last + 1),
        fileRuns.map((r) => r.backupId),
      );
      const result = backtest(fileRuns, stored, failureModel);
      const output = {
        data: opts.data,
        model: chosen,
        featurePipelineVersion: FEATURE_PIPELINE_VERSION,
        // How the evaluated model was chosen and validated when it was trained (absent for the rules).
        ...(failureModel ? { modelValidation: failureModel.artifact.validation, modelSelection: failureModel.artifact.selection ?? null } : {}),
        skippedRows: problems.length,
        skipped: problems.slice(0, 100),
        storedRunsUsed: stored.length,
        ...result,
      };
      printResult(output, opts.json, (o: typeof output) =>
        [
          `${o.data}: ${o.rows} rows (${o.from} .. ${o.to}), ${o.skippedRows} skipped, ${o.storedRunsUsed} stored runs as earlier history`,
          describeMetrics(o.model.kind === 'ml' ? `model ${o.model.version}` : 'rules', o.metrics),
          ...(o.model.kind === 'ml' ? [describeMetrics('rules', o.rules)] : []),
          ...(o.modelSelection
            ? [
                `model ${o.model.kind === 'ml' ? o.model.version : ''} was chosen among ${o.modelSelection.candidates.length} candidate(s): ` +
                  `${JSON.stringify(o.modelSelection.candidates[o.modelSelection.chosen]?.params ?? {})}, cross-validated PR-AUC ` +
                  `${pct(o.modelSelection.candidates[o.modelSelection.chosen]?.mean.prAuc)}`,
              ]
            : []),
        ].join('\n'),
      );
    });

  model
    .command('delete')
    .description('Delete a model; deleting the active one snapshots it first (restore with `model rollback`) and the rules predict again')
    .argument('<version>', 'model version', version)
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (v: number, opts) => {
      const { deleteModel } = await models();
      const result = await deleteModel((await ctx.db()).pool, {
        version: v,
        actor: 'sentinel model delete',
        reason: opts.reason ?? 'deleted from the CLI',
        packageVersion: packageVersion(),
      });
      if (!result.deleted) throw new CliError(`model ${v} does not exist`);
      printResult(
        { version: v, ...result },
        opts.json,
        (r: { version: number; wasActive: boolean; snapshotId: number | null }) =>
          `model ${r.version} deleted${r.wasActive ? ` (it was active: snapshot ${r.snapshotId} taken, the rules predict now)` : ''}`,
      );
    });
  return model;
}

function describeMetrics(name: string, m: WindowMetrics): string {
  const c = m.confusion;
  return `${name.padEnd(10)} PR-AUC ${pct(m.prAuc)}  ROC-AUC ${pct(m.rocAuc)}  Brier ${pct(m.brier)} (base ${pct(m.brierBaseline)})  precision ${pct(m.precision)} recall ${pct(m.recall)} at ${m.threshold}  TP ${c.truePositives} FP ${c.falsePositives} TN ${c.trueNegatives} FN ${c.falseNegatives}  base rate ${pct(m.baseRate)}`;
}

function describeTraining(r: TrainModelResult): string {
  const lines = [
    `${r.workflowId}: ${r.outcome}${r.version !== null ? ` (model ${r.version})` : ''}; active model now ${r.activeVersion ?? 'none (rules)'}`,
    `reason: ${r.reason}`,
  ];
  if (r.evaluation) {
    const e = r.evaluation;
    lines.push(`validation ${e.window.from} .. ${e.window.to}: ${e.window.rows} runs, ${e.window.failures} failures`);
    lines.push(describeMetrics('candidate', e.candidate), describeMetrics('rules', e.rules));
    if (e.active) lines.push(describeMetrics(`active ${e.active.version}`, e.active));
    lines.push(...selectionLines(e));
  }
  return lines.join('\n');
}

/** Chosen params and their cross-validation scores, and what the deployed model was refit on. */
function selectionLines(e: ModelEvaluation | undefined): string[] {
  if (!e) return [];
  const lines: string[] = [];
  if (e.activeComparison) lines.push(`compared with the active model: ${e.activeComparison.note}`);
  const s = e.selection;
  if (s) {
    const score = (f: { prAuc: number | null; rocAuc: number | null; brier: number | null }) =>
      `PR-AUC ${pct(f.prAuc)} ROC-AUC ${pct(f.rocAuc)} Brier ${pct(f.brier)}`;
    lines.push(
      `selection: ${s.candidates} candidate(s) within a budget of ${s.budgetSeconds} s (${s.stopped === 'budget' ? 'stopped by the budget' : 'all tried'}); chosen ${JSON.stringify(s.params)}`,
      `  mean over ${s.folds.length} time-ordered fold(s): ${score(s.mean)}`,
      ...s.folds.map((f, k) => `  fold ${k + 1}: ${score(f)}`),
    );
  }
  if (e.deployed) lines.push(`deployed model refit on ${e.deployed.rows} runs (${e.deployed.failures} failures), ${e.deployed.from} .. ${e.deployed.to}`);
  return lines;
}

/**
 * "waiting for training workflow ID: trainModelCandidate trees 12/50": the workflow's pending activity and its last
 * heartbeat ({ phase, done, total }, see activities/models/training.ts), read from the server without a query, so
 * it also says when no worker has picked the work up.
 */
async function trainingProgress(client: Client, handle: WorkflowHandle): Promise<string> {
  const prefix = `waiting for training workflow ${handle.workflowId}`;
  const description = await handle.describe();
  const pending = description.raw.pendingActivities?.[0];
  if (!pending) return `${prefix}: ${description.status.name === 'RUNNING' ? 'between steps' : description.status.name.toLowerCase()}`;
  const name = pending.activityType?.name ?? 'activity';
  if (!pending.lastStartedTime) return `${prefix}: ${name} queued (no worker has picked it up yet)`;
  const { decodeFromPayloadsAtIndex } = await import('@temporalio/common/lib/internal-non-workflow/index.js');
  const beat = await decodeFromPayloadsAtIndex<{ phase?: string; done?: number; total?: number } | undefined>(
    client.options.loadedDataConverter,
    0,
    pending.heartbeatDetails?.payloads ?? [],
  ).catch(() => undefined);
  const attempt = (pending.attempt ?? 1) > 1 ? ` (attempt ${pending.attempt})` : '';
  if (!beat?.phase) return `${prefix}: ${name}${attempt}`;
  const count = beat.total ? ` ${beat.done ?? 0}/${beat.total}` : beat.done ? ` ${beat.done}` : '';
  return `${prefix}: ${name} ${beat.phase}${count}${attempt}`;
}

/** Human output of `sentinel model monitor`. */
function describeMonitor(o: {
  verdict: string;
  reason: string;
  modelVersion: number | null;
  replacedVersion: number | null;
  window: { days: number; maxOutcomes: number; from: string | null; to: string | null; activeSince: string | null };
  judgement: import('../../domain/models/live-quality.js').LiveQualityJudgement | null;
  response: import('../../domain/models/live-quality.js').MonitorResponse;
  shadowProblems: string[];
  lastCheck: { at: string; verdict: string } | null;
  automaticRollbacks: number;
  lastAutomaticRollback: { at: string; fromVersion: number | null; toVersion: number | null; reason: string | null } | null;
}): string {
  const lines = [`${o.verdict.toUpperCase()}: ${o.reason}`];
  if (o.modelVersion !== null) {
    lines.push(
      `model ${o.modelVersion} (replaced ${o.replacedVersion ?? 'the rules'}), active since ${o.window.activeSince ?? '-'}; window: last ${o.window.days} days, at most ${o.window.maxOutcomes} outcomes${o.window.from ? ` (${o.window.from} .. ${o.window.to})` : ''}`,
    );
  }
  const j = o.judgement;
  if (j) {
    lines.push(`${j.outcomes} outcomes, ${j.failures} failures; base-rate Brier ${pct(j.baseRateBrier)}`);
    lines.push(`${'PREDICTOR'.padEnd(12)}  ${'PR-AUC'.padEnd(6)}  ${'ROC-AUC'.padEnd(7)}  BRIER`);
    const row = (name: string, m: { prAuc: number | null; rocAuc: number | null; brier: number | null } | null) =>
      m && lines.push(`${name.padEnd(12)}  ${pct(m.prAuc).padEnd(6)}  ${pct(m.rocAuc).padEnd(7)}  ${pct(m.brier)}`);
    row('live', j.active);
    row('validation', j.validation && { prAuc: j.validation.prAuc, rocAuc: null, brier: j.validation.brier });
    row('replaced', j.replaced);
    row('rules', j.rules);
    lines.push(`at the gates' thresholds: ${j.active.flagged} flagged, precision ${pct(j.active.precision)}, recall ${pct(j.active.recall)}`);
    for (const c of j.checks)
      lines.push(
        `  ${c.degraded ? 'DEGRADED' : 'ok      '}  ${c.name.padEnd(19)}  gap ${c.gap.toFixed(4)}, lower bound ${c.lowerBound.toFixed(4)}, tolerance ${c.tolerance}`,
      );
  }
  for (const problem of o.shadowProblems) lines.push(`note: ${problem}`);
  if (o.response.action === 'rollback') lines.push(`the monitor would roll back to model ${o.response.toVersion}`);
  if (o.response.action === 'alert-only') lines.push(`the monitor would only alert: ${o.response.why}`);
  lines.push(`last check: ${o.lastCheck ? `${o.lastCheck.at} (${o.lastCheck.verdict})` : 'never'}`);
  const r = o.lastAutomaticRollback;
  lines.push(`automatic rollbacks: ${o.automaticRollbacks}${r ? `; last ${r.at}: model ${r.fromVersion} to ${r.toVersion}: ${r.reason ?? ''}` : ''}`);
  return lines.join('\n');
}
