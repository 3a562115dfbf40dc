// Determinism: every recorded history in test/fixtures/histories replays against the current workflow code, with
// the bundle and the data converter (payload codec) the worker uses. A workflow change that would break running
// workflows fails here, naming the fixture. No server: replay runs in this process.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultPayloadConverter } from '@temporalio/common';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { payloadToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayloadCodec } from '../../../platform/codec/payload-codec.js';
import { quietBundlerLogger } from '../../../platform/quiet-bundler-logger.js';
import { sentinelDataConverter } from '../../../platform/temporal.js';
import { installTemporalRuntime } from '../../../platform/temporal-runtime.js';
import { tracedBundlePath } from '../../../workers/tracing.js';
import { writeWorkflowBundle } from '../../../workers/workflow-bundle.js';
import * as workflows from '../../../workflows/index.js';
import {
  fixtureCodecEnv,
  fixtureDataConverter,
  listHistoryFixtures,
  readHistoryFixture,
  RECORDING_CANARY,
  secretLeaks,
  workflowTypeOf,
  type HistoryFixture,
  type HistoryJson,
} from '../../fixtures/histories/fixture-set.js';
import { replayFixtures } from './replay-fixtures.js';

const MAX_FIXTURE_BYTES = 200_000;
const throwAway = (file: string) => fileURLToPath(new URL(file, import.meta.url));

let fixtures: HistoryFixture[];
let workDir: string;
let bundlePath: string;

beforeAll(async () => {
  installTemporalRuntime(); // the SDK's own logs at warn and above only
  fixtures = await listHistoryFixtures();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-replay-'));
  // The very bundle a worker loads (workers/workflow-bundle.ts, as for SENTINEL_WORKFLOW_BUNDLE and the test run).
  bundlePath = await writeWorkflowBundle(path.join(workDir, 'workflow-bundle.js'));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('recorded workflow histories', () => {
  it('cover every workflow type the worker registers', () => {
    const registered = Object.entries(workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    expect(registered).toContain('preBackupWorkflow');
    const recorded = new Set(fixtures.map((f) => f.workflowType));
    const missing = registered.filter((type) => !recorded.has(type));
    expect(missing, `no fixture in test/fixtures/histories/<type>/ for ${missing.join(', ')}: record one with npm run histories:record`).toEqual([]);
  });

  it('are filed under the workflow type they record, name their workflow ID and stay small', async () => {
    const problems: string[] = [];
    for (const fixture of fixtures) {
      const history = await readHistoryFixture(fixture);
      const type = workflowTypeOf(history);
      if (type !== fixture.workflowType) problems.push(`${fixture.name}: records ${type}`);
      if (typeof history.workflowId !== 'string' || history.workflowId === '') problems.push(`${fixture.name}: no workflowId`);
      const bytes = (await stat(fixture.file)).size;
      if (bytes > MAX_FIXTURE_BYTES) problems.push(`${fixture.name}: ${bytes} bytes`);
    }
    expect(problems).toEqual([]);
  });

  it("cover both sides of the gate's patch: the two-read path recorded before 'gate-one-read' and the one-read path", async () => {
    interface Marker {
      markerRecordedEventAttributes?: { markerName: string; details: Record<string, { payloads: { data: string }[] }> };
    }
    /** The plain JSON of a marker's detail (core's own markers are not encoded by the codec). */
    const detail = (event: Marker, key: string): Record<string, unknown> =>
      JSON.parse(Buffer.from(event.markerRecordedEventAttributes?.details[key]?.payloads[0]?.data ?? '', 'base64').toString());
    const paths = new Map<string, string>();
    for (const fixture of fixtures.filter((f) => f.workflowType === 'preBackupWorkflow')) {
      const events = ((await readHistoryFixture(fixture)) as unknown as { events: Marker[] }).events;
      const named = (name: string) => events.filter((e) => e.markerRecordedEventAttributes?.markerName === name);
      const patches = named('core_patch').map((e) => detail(e, 'patch-data').id);
      const first = named('core_local_activity')[0];
      if (first) paths.set(fixture.scenario, `${patches.includes('gate-one-read') ? 'patched' : 'unpatched'} ${detail(first, 'data').activity_type}`);
    }
    expect(paths.get('low-risk-postgres-proceed')).toBe('unpatched resolveGate');
    expect(paths.get('high-risk-delay-repredict-proceed')).toBe('unpatched resolveGate');
    expect(paths.get('one-read-low-risk-postgres-proceed')).toBe('patched resolveGateAndPredict');
    expect(paths.get('one-read-high-risk-delays-escalate-approve-signal')).toBe('patched resolveGateAndPredict');
  });

  it('hold no secret, neither in the clear nor inside the (publicly keyed) encrypted payloads', async () => {
    const leaks: string[] = [];
    for (const fixture of fixtures) for (const leak of await secretLeaks(await readHistoryFixture(fixture))) leaks.push(`${fixture.name}: ${leak}`);
    expect(leaks).toEqual([]);
  });

  it('replay against the current workflow code without nondeterminism', async () => {
    const report = await replayFixtures({ workflowBundle: { codePath: bundlePath }, dataConverter: fixtureDataConverter() }, fixtures);
    expect(report.failures).toEqual([]);
    expect(report.replayed).toEqual(fixtures.map((f) => f.name));
  });

  it('replay with tracing on too: the traced bundle (OpenTelemetry workflow interceptors) and the span sink', async () => {
    // The bundle a worker loads when OTEL_EXPORTER_OTLP_ENDPOINT is set, with the sink it registers for workflow spans.
    const tracedPath = await writeWorkflowBundle(tracedBundlePath(bundlePath), { tracing: true });
    expect(await readFile(tracedPath, 'utf8')).toContain('OpenTelemetryInboundInterceptor');
    const sinks = { exporter: makeWorkflowExporter(new SimpleSpanProcessor(new InMemorySpanExporter()), new Resource({})) };
    const report = await replayFixtures({ workflowBundle: { codePath: tracedPath }, dataConverter: fixtureDataConverter(), sinks }, fixtures);
    expect(report.failures).toEqual([]);
    expect(report.replayed).toEqual(fixtures.map((f) => f.name));
  });
});

describe('the replay check', () => {
  const rollbackFixtures = () => fixtures.filter((f) => f.workflowType === 'rollbackModelWorkflow');

  it('reports a change that reorders two activities as nondeterminism, naming the fixture', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: throwAway('./reordered-rollback-workflow.ts'), logger: quietBundlerLogger });
    const report = await replayFixtures({ workflowBundle: { code }, dataConverter: fixtureDataConverter() }, rollbackFixtures());
    expect(report.replayed.length).toBeGreaterThan(0);
    expect(report.failures).toHaveLength(report.replayed.length);
    for (const name of report.replayed) {
      expect(report.errors.get(name)).toBeInstanceOf(DeterminismViolationError);
      expect(report.failures.find((f) => f.startsWith(`${name}: `))).toMatch(/nondeterminism.*restoreModelSnapshot|nondeterminism.*pauseModelTraining/is);
    }
  });

  it('accepts the same reordering behind patched(): old histories keep the old order', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: throwAway('./patched-rollback-workflow.ts'), logger: quietBundlerLogger });
    const report = await replayFixtures({ workflowBundle: { code }, dataConverter: fixtureDataConverter() }, rollbackFixtures());
    expect(report.failures).toEqual([]);
    expect(report.replayed.length).toBeGreaterThan(0);
  });

  it('decodes payloads with the fixture key: without it, the encrypted histories do not replay', async () => {
    const fixture = fixtures.find((f) => f.workflowType === 'preBackupWorkflow')!;
    const report = await replayFixtures({ workflowBundle: { codePath: bundlePath }, dataConverter: sentinelDataConverter({}) }, [fixture]);
    expect(report.failures).toEqual([expect.stringMatching(/^preBackupWorkflow\/.*\.json: .*it is encrypted but CONFIG_BACKUP_KEY is not set/)]);
  });

  it('finds a secret sealed inside a payload, and a connection string with a password', async () => {
    const codec = createPayloadCodec(fixtureCodecEnv());
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ password: RECORDING_CANARY })]);
    const history: HistoryJson = {
      events: [
        {
          eventId: '1',
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          workflowExecutionStartedEventAttributes: { workflowType: { name: 'x' }, input: { payloads: [payloadToJSON(sealed!)] } },
        },
      ],
    };
    expect(JSON.stringify(history)).not.toContain(RECORDING_CANARY);
    expect(await secretLeaks(history)).toEqual([`the recording canary ${RECORDING_CANARY}`]);
    const withUrl: HistoryJson = { events: [{ eventId: '1', failure: { message: 'pg_dump: postgres://app:s3cret@db.internal/app refused' } }] };
    expect(await secretLeaks(withUrl)).toEqual(['a URL with credentials (postgres://app:***@)']);
  });
});
