// `npm run histories:record [-- --only TYPE[/SCENARIO],... ] [--overwrite]`: runs every workflow type through its
// interesting paths on a throw-away dev server and database, and keeps each finished history as
// test/fixtures/histories/<workflowType>/<scenario>.json for the replay test (test/unit/replay/).
//
// Existing fixtures are kept unless --overwrite: an old fixture stands for histories that may still be running
// when new workflow code is deployed, so it must keep replaying (CONTRIBUTING.md, "Workflow determinism").
import { FIXTURE_CODEC_KEY, HISTORY_FIXTURES_DIR } from '../test/fixtures/histories/fixture-set.js';
import { configBackupEnv, recordConfigBackup } from './histories/config-backup-scenarios.js';
import { freshnessTargets, recordFreshness } from './histories/freshness-scenarios.js';
import { drillTargets, recordDrills } from './histories/drill-scenarios.js';
import { recordModels } from './histories/model-scenarios.js';
import { monitoringTargets, recordMonitoring } from './histories/monitoring-scenarios.js';
import { preBackupTargets, recordPreBackup } from './histories/pre-backup-scenarios.js';
import { Recorder, type Selection } from './histories/recording.js';
import { startRecordingStack } from './histories/stack.js';

const USAGE = 'usage: npm run histories:record -- [--only TYPE[/SCENARIO],...] [--overwrite]';

function parseArgs(argv: readonly string[]): Selection {
  const selection: { only: string[]; overwrite: boolean } = { only: [], overwrite: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--overwrite') selection.overwrite = true;
    else if (arg === '--only' && argv[i + 1])
      selection.only.push(
        ...argv[++i]!.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return selection;
}

const log = (line: string) => process.stderr.write(`histories: ${line}\n`);

async function main(): Promise<void> {
  const selection = parseArgs(process.argv.slice(2));
  // The fixture key, never the operator's: fixtures are committed, and their key is public.
  process.env.CONFIG_BACKUP_KEY = FIXTURE_CODEC_KEY;
  // Recorded paths must not depend on the operator's environment.
  delete process.env.CAPACITY_ALERT_HORIZON_DAYS;
  // Several scenarios fail on purpose; the SDK would log each expected failure as a warning.
  process.env.TEMPORAL_LOG_LEVEL ??= 'ERROR';

  const stack = await startRecordingStack({ configBackupEnv, log });
  const started = Date.now();
  try {
    await stack.writeConfig({ targets: [...preBackupTargets(stack), ...monitoringTargets(), ...freshnessTargets(), ...drillTargets()] });
    // Any URL with credentials is refused too; the bare password is not searched for ("postgres" is also a target kind).
    const recorder = new Recorder(stack, selection, [stack.databaseUrl]);
    for (const [what, record] of [
      ['pre-backup gate', recordPreBackup],
      ['anomaly scan and capacity forecast', recordMonitoring],
      ['freshness check', recordFreshness],
      ['configuration backup', recordConfigBackup],
      ['failure-model training and rollback', recordModels],
      ['restore drills', recordDrills],
    ] as const) {
      log(`recording: ${what}`);
      await record(recorder);
    }
    for (const report of recorder.reports) {
      process.stdout.write(
        `${report.name.padEnd(60)} ${String(report.events).padStart(4)} events ${String(Math.round(report.bytes / 1024)).padStart(4)} KB  ${report.status}\n`,
      );
    }
    log(
      `${recorder.reports.filter((r) => r.status === 'written').length} fixture(s) written to ${HISTORY_FIXTURES_DIR} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`histories: ${error.message}\n`);
  process.exitCode = 1;
});
