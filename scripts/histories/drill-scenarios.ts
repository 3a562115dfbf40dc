// Restore drills: a command drill that passes, one that fails and alerts, and one refused (a command target without
// drill.command), which records the failure through closeRestoreDrill, alerts and fails as invalid input.
import { restoreDrillWorkflowId, type RestoreDrillInput, type RestoreDrillResult } from '../../domain/drill/contract.js';
import { completed, failedWith, RECORDED_AT, type Recorder } from './recording.js';
import { TASK_QUEUE } from './stack.js';

const TYPE = 'restoreDrillWorkflow';

export function drillTargets(): unknown[] {
  return [
    { name: 'drill-ok', kind: 'command', command: 'true', drill: { command: 'true' } },
    { name: 'drill-broken', kind: 'command', command: 'true', drill: { command: 'echo "snapshot 3f2a unreadable" >&2; exit 3' } },
    { name: 'drill-none', kind: 'command', command: 'true' },
  ];
}

export async function recordDrills(r: Recorder): Promise<void> {
  const start = (scenario: string, input: RestoreDrillInput) =>
    r.stack.client.workflow.start(TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: `${restoreDrillWorkflowId(input.target, RECORDED_AT)}-${scenario}`,
      args: [input],
    });
  await r.capture<RestoreDrillResult>(
    TYPE,
    'command-passed',
    await start('command-passed', { target: 'drill-ok' }),
    completed((result) => (result.status === 'passed' ? undefined : `status ${result.status}: ${result.error}`)),
  );
  await r.capture<RestoreDrillResult>(
    TYPE,
    'command-failed-alert',
    await start('command-failed-alert', { target: 'drill-broken' }),
    completed((result) => (result.status === 'failed' && result.alertSent ? undefined : `status ${result.status}, alert sent ${result.alertSent}`)),
  );
  await r.capture<RestoreDrillResult>(
    TYPE,
    'refused-invalid-input',
    await start('refused-invalid-input', { target: 'drill-none' }),
    failedWith(/drill\.command/),
  );
}
