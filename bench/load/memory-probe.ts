/**
 * Loaded first by the bench's worker processes (bench/load/worker-entry.ts): appends `process.memoryUsage()` as a
 * JSON line to LOAD_MEMORY_PROBE_FILE every LOAD_MEMORY_PROBE_MS. RSS alone cannot tell a growing JavaScript heap from native memory (the SDK core, the
 * workflow thread); this can, without any change to the worker's own code. The main isolate's heap only: the
 * workflow thread's heap shows up in RSS, not here.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.LOAD_MEMORY_PROBE_FILE;
const everyMs = Number(process.env.LOAD_MEMORY_PROBE_MS ?? 10_000);

if (file && Number.isFinite(everyMs) && everyMs > 0) {
  const write = () => {
    const m = process.memoryUsage();
    const line = { at: Date.now(), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // A probe must never take the worker down.
    }
  };
  write();
  // unref: the probe must not keep a worker alive that is shutting down.
  setInterval(write, everyMs).unref();
}
