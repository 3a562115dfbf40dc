/**
 * What the project does per configuration file, stage by stage, on one thread, over the bench corpus: the work
 * restic also does (read, content hash, encrypt, crash-safe write) and the work it does not (format parsing, secret
 * detection with keyed markers, view serialisation, sealed file attributes, rows in PostgreSQL). Each stage is
 * timed over every file in turn (after one untimed pass, so the JIT is warm), so the per-file costs add up to what
 * one core spends; the full run spreads them over the main thread and the parse threads. Both wall time and the
 * process's CPU time (user + system, all threads: the libuv pool's file work included) are recorded: on a busy
 * machine wall time includes waiting for a core, CPU time does not; the I/O stages' wall time is mostly waiting for
 * the disk (fsync), done one file at a time here, where the run keeps many files in flight.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { payloadContext } from '../../domain/config-backup/contexts.js';
import { sealEnvelope } from '../../domain/config-backup/crypto.js';
import { sealFileMetadata } from '../../domain/config-backup/file-metadata.js';
import { decodeText, detectFormat, parseConfig, type ParseResult } from '../../domain/config-backup/formats.js';
import { keyringFromEnv } from '../../domain/config-backup/keyring.js';
import { redactorFor } from '../../capabilities/config-backup/services.js';
import { serializeView } from '../../capabilities/config-backup/run/views.js';
import { effectiveSensitiveKeys } from '../../capabilities/config-backup/run/views.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import type { RedactedView } from '../../domain/config-backup/types.js';

export interface StageCosts {
  files: number;
  /** Wall microseconds per file, averaged over the corpus. */
  perFileMicros: Record<string, number>;
  /** CPU microseconds per file (process user + system), averaged over the corpus. */
  perFileCpuMicros: Record<string, number>;
  /** Wall seconds for the whole corpus on one thread. */
  totalSeconds: Record<string, number>;
  secretsFound: number;
}

/** Stages restic does too (read, hash, encrypt, durable write) vs. the project's own (parse, redact, ...). */
export const RESTIC_ALSO_DOES = ['read', 'contentHash', 'encrypt', 'durableWrite'] as const;

export async function measureStages(paths: readonly string[], keySpec: string, scratchDir: string): Promise<StageCosts> {
  const keyring = keyringFromEnv({ CONFIG_BACKUP_KEY: keySpec });
  const redactor = redactorFor(keyring, effectiveSensitiveKeys());
  const totals: Record<string, number> = {};
  const cpuTotals: Record<string, number> = {};
  const cpuMs = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const record = (stage: string, started: number, cpuStarted: number) => {
    totals[stage] = (totals[stage] ?? 0) + performance.now() - started;
    cpuTotals[stage] = (cpuTotals[stage] ?? 0) + cpuMs() - cpuStarted;
  };
  const time = <T>(stage: string, work: () => T): T => {
    const [started, cpuStarted] = [performance.now(), cpuMs()];
    const result = work();
    record(stage, started, cpuStarted);
    return result;
  };
  const timeAsync = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const [started, cpuStarted] = [performance.now(), cpuMs()];
    const result = await work();
    record(stage, started, cpuStarted);
    return result;
  };

  const bytes: Buffer[] = [];
  for (const file of paths) bytes.push(await readFile(file)); // page cache warm, untimed
  let secretsFound = 0;
  const pass = async (timed: boolean) => {
    const store = new PayloadStore(path.join(scratchDir, timed ? 'timed' : 'warm-up'), { packed: true }); // as a run's store
    for (const [index, file] of paths.entries()) {
      const t = timed ? time : <T>(_: string, work: () => T) => work();
      const ta = timed ? timeAsync : <T>(_: string, work: () => Promise<T>) => work();
      const content = t('read', () => readFileSync(file)); // blocking, as the parse threads read
      const hash = t('contentHash', () => keyring.contentHash(content));
      const envelope = t('encrypt', () => sealEnvelope(keyring, payloadContext(hash), content, randomBytes));
      await ta('durableWrite', () => store.put(hash, envelope));
      const format = detectFormat(file);
      const parsed: ParseResult = t('parse', () => parseConfig(decodeText(bytes[index]!).text, format));
      const view: RedactedView = t('redact', () => redactor.redactParsed(parsed));
      const serialized = t('serializeView', () => serializeView(view));
      t('sealAttributes', () => sealFileMetadata(keyring, file, { size: content.length, mode: 0o644, uid: 0, gid: 0, mtimeMs: Date.now() }, randomBytes));
      if (timed) secretsFound += serialized.secretCount;
    }
    if (timed) await timeAsync('durableWrite', () => store.flush());
    else await store.flush();
  };
  await pass(false);
  await pass(true);
  await rm(scratchDir, { recursive: true, force: true });
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    files: paths.length,
    perFileMicros: Object.fromEntries(Object.entries(totals).map(([stage, ms]) => [stage, round((ms * 1000) / paths.length, 1)])),
    perFileCpuMicros: Object.fromEntries(Object.entries(cpuTotals).map(([stage, ms]) => [stage, round((ms * 1000) / paths.length, 1)])),
    totalSeconds: Object.fromEntries(Object.entries(totals).map(([stage, ms]) => [stage, round(ms / 1000, 3)])),
    secretsFound,
  };
}
