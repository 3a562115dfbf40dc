import vm from 'node:vm';
import { round } from './stats.js';

/**
 * What the SDK's `isolateExecutionTimeout` watchdog costs per call into the workflow sandbox, on this process in the
 * same run: the worker runs every call into a workflow's vm context (activate, tryUnblockConditions,
 * concludeActivation, ...: several per activation) with `{ timeout }`, and Node starts a watchdog thread for each such
 * call. Timed here on a trivial script in a vm context, with and without the timeout, interleaved in blocks.
 * The option cannot be turned off in the SDK (it has a 5 s default), so this is platform cost shared by the gate and
 * its floors; the probe shows its size.
 */
export interface WatchdogProbe {
  calls: number;
  /** Wall and process CPU (all threads) per call, in microseconds. */
  withTimeoutUs: { wall: number; cpu: number };
  withoutTimeoutUs: { wall: number; cpu: number };
}

export function probeWatchdog(blocks = 20, callsPerBlock = 200): WatchdogProbe {
  const context = vm.createContext({ n: 0 });
  const script = new vm.Script('n += 1');
  const totals = { with: { wall: 0, cpu: 0 }, without: { wall: 0, cpu: 0 } };
  const time = (kind: 'with' | 'without') => {
    const options = kind === 'with' ? { timeout: 5_000 } : {};
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < callsPerBlock; i++) script.runInContext(context, options);
    totals[kind].wall += performance.now() - start;
    const used = process.cpuUsage(cpu);
    totals[kind].cpu += (used.user + used.system) / 1000;
  };
  for (let b = 0; b < blocks; b++) {
    if (b % 2 === 0) {
      time('with');
      time('without');
    } else {
      time('without');
      time('with');
    }
  }
  const calls = blocks * callsPerBlock;
  const us = (t: { wall: number; cpu: number }) => ({ wall: round((t.wall * 1000) / calls, 1), cpu: round((t.cpu * 1000) / calls, 1) });
  return { calls, withTimeoutUs: us(totals.with), withoutTimeoutUs: us(totals.without) };
}
