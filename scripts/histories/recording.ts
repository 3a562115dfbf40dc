// Turning a finished workflow run into a fixture: check it took the path its scenario is named after, then write
// its history as test/fixtures/histories/<workflowType>/<scenario>.json, refusing oversized or leaking histories.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { HISTORY_FIXTURES_DIR, secretLeaks, workflowTypeOf, type HistoryJson } from '../../test/fixtures/histories/fixture-set.js';
import type { RecordingStack } from './stack.js';
import { rootMessage } from '../../domain/errors/root-message.js';

/** Fixtures are read on every CI run and reviewed in diffs: a history this large means the scenario is too long. */
export const MAX_FIXTURE_BYTES = 200_000;
/** The fixed "scheduled at" of every recorded workflow ID, so re-recording yields the same IDs. */
export const RECORDED_AT = '2000-01-01T00:00:00.000Z';

export type Outcome<R> = { ok: true; result: R } | { ok: false; error: Error };

export interface Selection {
  /** `type` or `type/scenario` entries; empty selects everything. */
  only: readonly string[];
  /** Replace fixtures that exist; by default they are kept (they may stand for histories still running). */
  overwrite: boolean;
}

export interface FixtureReport {
  name: string;
  status: 'written' | 'kept (exists)' | 'not selected';
  bytes: number;
  events: number;
}

export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

export class Recorder {
  readonly reports: FixtureReport[] = [];

  constructor(
    readonly stack: RecordingStack,
    private readonly selection: Selection,
    /** Secrets besides the canary and credentialed URLs that must not appear in a history (the database URL). */
    private readonly secrets: readonly string[],
    private readonly dir = HISTORY_FIXTURES_DIR,
  ) {}

  /**
   * Waits for the run to close, checks with `expectPath` (a problem, or undefined) that it took the scenario's path,
   * and keeps its history. Returns the outcome so later scenarios can build on it.
   */
  async capture<R>(
    workflowType: string,
    scenario: string,
    handle: WorkflowHandle,
    expectPath: (outcome: Outcome<R>) => string | undefined,
  ): Promise<Outcome<R>> {
    const name = `${workflowType}/${scenario}`;
    const outcome: Outcome<R> = await handle.result().then(
      (result: R) => ({ ok: true as const, result }),
      (error: Error) => ({ ok: false as const, error }),
    );
    const problem = expectPath(outcome);
    if (problem) throw new RecordingError(`${name} (${handle.workflowId}) did not take its path: ${problem}`);
    // Temporal's JSON history plus the workflow ID, which replay needs (child workflow IDs derive from it) and the
    // events do not hold; the SDK's historyFromJSON ignores the extra field.
    const parsed: HistoryJson = { workflowId: handle.workflowId, ...(JSON.parse(historyToJSON(await handle.fetchHistory())) as HistoryJson) };
    const json = JSON.stringify(parsed, null, 2);
    const report: FixtureReport = { name, status: 'not selected', bytes: Buffer.byteLength(json), events: parsed.events.length };
    this.reports.push(report);

    if (workflowTypeOf(parsed) !== workflowType) throw new RecordingError(`${name}: the history is of type ${workflowTypeOf(parsed)}`);
    if (report.bytes > MAX_FIXTURE_BYTES)
      throw new RecordingError(`${name}: ${report.bytes} bytes, over the ${MAX_FIXTURE_BYTES}-byte limit; shorten the scenario`);
    const leaks = await secretLeaks(parsed, this.secrets);
    if (leaks.length > 0) throw new RecordingError(`${name}: the history holds ${leaks.join(', ')}; not written`);

    if (!this.selected(workflowType, scenario)) return outcome;
    const file = path.join(this.dir, workflowType, `${scenario}.json`);
    if (existsSync(file) && !this.selection.overwrite) {
      report.status = 'kept (exists)';
      return outcome;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${json}\n`);
    report.status = 'written';
    return outcome;
  }

  private selected(workflowType: string, scenario: string): boolean {
    const { only } = this.selection;
    return only.length === 0 || only.includes(workflowType) || only.includes(`${workflowType}/${scenario}`);
  }
}

/** A check for `capture`: the run completed and `check` finds nothing wrong with its result. */
export function completed<R>(check: (result: R) => string | undefined = () => undefined) {
  return (outcome: Outcome<R>): string | undefined => (outcome.ok ? check(outcome.result) : `it failed: ${rootMessage(outcome.error)}`);
}

/** A check for `capture`: the run failed with a root cause matching `pattern`. */
export function failedWith(pattern: RegExp) {
  return (outcome: Outcome<unknown>): string | undefined => {
    if (outcome.ok) return 'it completed';
    const message = rootMessage(outcome.error);
    return pattern.test(message) ? undefined : `it failed with "${message}"`;
  };
}

/** Polls until `probe` returns something truthy. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new RecordingError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
