import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { readHistoryFixture, type HistoryFixture } from '../../fixtures/histories/fixture-set.js';

export interface ReplayReport {
  replayed: string[];
  /** `<workflowType>/<scenario>.json: <why>`, one per fixture that did not replay. */
  failures: string[];
  /** The errors themselves, by fixture name, for tests that look at their class. */
  errors: Map<string, Error>;
}

/**
 * Replays fixtures one after the other on one replay worker, under their recorded workflow IDs. Results arrive in
 * input order, so each is matched to its file by position (two fixtures of one scenario share a workflow ID).
 */
export async function replayFixtures(options: ReplayWorkerOptions, fixtures: readonly HistoryFixture[]): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: [], failures: [], errors: new Map() };
  async function* histories() {
    for (const fixture of fixtures) {
      const history = await readHistoryFixture(fixture);
      yield { workflowId: history.workflowId ?? fixture.name, history };
    }
  }
  let index = 0;
  for await (const result of Worker.runReplayHistories({ replayName: 'history-fixtures', ...options }, histories())) {
    const name = fixtures[index++]?.name ?? result.workflowId;
    report.replayed.push(name);
    if (result.error) {
      report.failures.push(`${name}: ${result.error.message.slice(0, 1000)}`);
      report.errors.set(name, result.error);
    }
  }
  return report;
}
