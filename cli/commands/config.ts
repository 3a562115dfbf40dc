import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigCryptoError } from '../../domain/config-backup/errors.js';
import { keyringFromEnv, type Keyring } from '../../domain/config-backup/keyring.js';
import type { RetentionPolicy } from '../../domain/config-backup/retention.js';
import { APP_NAME, type AppConfigInput, type ConfigBackupInput, type ConfigBackupResult, type ConfigItemType } from '../../domain/config-backup/contract.js';
import { listItems } from '../../db/repositories/config-backups.js';
import { ConfigBackupBusyError } from '../../capabilities/config-backup/run/exclusive.js';
import type { ItemDiff, ListedItem, ShownItem } from '../../capabilities/config-backup/operations/inspect.js';
import type { PruneReport } from '../../capabilities/config-backup/operations/prune.js';
import type { RestoreReport } from '../../capabilities/config-backup/operations/restore-item.js';
import type { RotateReport } from '../../capabilities/config-backup/operations/rotate-key.js';
import { readConfigBackupSettings } from '../../capabilities/config-backup/run/settings.js';
import type { VerifyReport } from '../../capabilities/config-backup/operations/verify.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import type { configBackupWorkflow } from '../../workflows/config-backup.js';
import type { CliContext } from '../context.js';
import { configBackupExitCode, ExitCode } from '../exit-codes.js';
import { durationIn, wholeNumber } from '../options.js';
import { DEFAULT_WAIT_TIMEOUT_MS, waitForResult } from '../wait.js';
import { CliError, printResult } from '../output.js';
import { rootMessage } from '../../domain/errors/root-message.js';

// The operations, the Temporal client, the codec and the YAML parser are imported when a subcommand runs (`await
// import`), not when the command is built: `sentinel --help` builds every command and needs none of them.
const operations = {
  inspect: () => import('../../capabilities/config-backup/operations/inspect.js'),
  restore: () => import('../../capabilities/config-backup/operations/restore-item.js'),
};

const itemId = wholeNumber(1);
const collect = (value: string, previous: string[]) => [...previous, value];

export function configCommand(ctx: CliContext): Command {
  const config = new Command('config').description('Configuration backups: run one now, list, show, restore, diff, verify, prune, rotate the key');

  config
    .command('backup')
    .description(
      "Start configBackupWorkflow now (what to back up comes from the worker's CONFIG_* environment); prints the workflow ID, or the result with --wait",
    )
    .option(
      '--wait',
      `wait for the run to finish and print its result (exit ${ExitCode.partialFailure} when some items failed, ${ExitCode.backupFailed} when all did)`,
    )
    .option(
      '--wait-timeout <duration>',
      `with --wait, stop waiting after this long (e.g. 90s, 30m; default 24h) and exit ${ExitCode.stillRunning}; implies --wait`,
      durationIn(1000, 30 * 86_400_000),
    )
    .option('--app <name=file>', 'also back up an application config read from a JSON or YAML file (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(async (opts: { wait?: boolean; waitTimeout?: number; app: string[]; json?: boolean }) => {
      const apps = await Promise.all(opts.app.map(readAppOption));
      const input: ConfigBackupInput = apps.length > 0 ? { apps } : {};
      const client = await ctx.client();
      const [{ WorkflowFailedError }, { SentinelClient }, { assertCodecForSecrets }] = await Promise.all([
        import('@temporalio/client'),
        import('../../client/sentinel-client.js'),
        import('../../platform/codec/index.js'),
      ]);
      if (apps.length > 0) await guarded(async () => assertCodecForSecrets(client, 'start configBackupWorkflow with application configs'));
      const run = await SentinelClient.fromClient(client, ctx.env.taskQueue).startConfigBackup(input);
      const handle = client.workflow.getHandle<typeof configBackupWorkflow>(run.workflowId);
      if (!opts.wait && opts.waitTimeout === undefined)
        return printResult({ workflowId: run.workflowId, runId: run.runId }, opts.json, (r: { workflowId: string }) => r.workflowId);
      const timeoutMs = opts.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS;
      let waited;
      try {
        waited = await waitForResult<ConfigBackupResult>(handle, {
          timeoutMs,
          progress: async () => `waiting for config backup workflow ${handle.workflowId}`,
        });
      } catch (error) {
        if (error instanceof WorkflowFailedError) throw new CliError(`${handle.workflowId} failed: ${rootMessage(error)}`, ExitCode.backupFailed);
        throw error;
      }
      if (!waited.finished) {
        printResult({ workflowId: handle.workflowId, status: 'RUNNING' }, opts.json, () => `${handle.workflowId}: still running after ${timeoutMs / 1000} s`);
        process.exitCode = ExitCode.stillRunning;
        return;
      }
      const result = waited.result;
      printResult(result, opts.json, describeRun);
      const code = configBackupExitCode(result);
      if (code !== ExitCode.ok)
        throw new CliError(
          `${result.totals.failed} item(s) failed: ${result.items
            .filter((i) => i.status === 'failed')
            .map((i) => i.name)
            .join(', ')}`,
          code,
        );
    });

  config
    .command('list')
    .description('List backed-up items, newest first')
    .addOption(new Option('--type <type>', 'only this kind of item').choices(['env', 'file', 'app']))
    .option('--days <n>', 'only the last N days (default 7)', wholeNumber(1, 36_500), 7)
    .option('--limit <n>', 'at most N items', wholeNumber(1))
    .option('--json', 'print JSON')
    .action(async (opts: { type?: ConfigItemType; days: number; limit?: number; json?: boolean }) => {
      const rows = await listItems(await pool(ctx), { type: opts.type, days: opts.days, limit: opts.limit });
      const { listedItem } = await operations.inspect();
      printResult(rows.map(listedItem), opts.json, (items: ListedItem[]) =>
        items.length === 0
          ? `no configuration backups in the last ${opts.days} day(s)`
          : [
              `${'ID'.padStart(6)}  ${'BACKED UP AT'.padEnd(24)}  TYPE  ${'STATUS'.padEnd(9)}  NAME`,
              ...items.map(
                (i) =>
                  `${String(i.id).padStart(6)}  ${i.backedUpAt.padEnd(24)}  ${i.type.padEnd(4)}  ${i.status.padEnd(9)}  ${i.name}${i.reason ? `  (${i.reason})` : ''}`,
              ),
            ].join('\n'),
      );
    });

  config
    .command('show')
    .description('Show one backed-up item with its redacted view (secrets appear as «secret:…» markers)')
    .argument('<id>', 'item ID from `config list`', itemId)
    .option('--json', 'print JSON')
    .action(async (id: number, opts: { json?: boolean }) => {
      const { showItem } = await operations.inspect();
      const shown = await inspect(async () => showItem(await pool(ctx), id, optionalKeyring()));
      printResult(shown, opts.json, describeShown);
    });

  config
    .command('restore')
    .description('Restore an item byte for byte (files with mode and mtime); refuses to overwrite without --force')
    .argument('<id>', 'item ID from `config list`', itemId)
    .option('--to <dir>', 'restore below this directory, keeping the original path (files); default: in place (files), the working directory (env, app)')
    .option('--force', 'overwrite an existing file')
    .option('--owner', 'also restore owner and group (only when running as root)')
    .option('--json', 'print JSON')
    .action(async (id: number, opts: { to?: string; force?: boolean; owner?: boolean; json?: boolean }) => {
      const [{ requireItem }, { restoreItem }] = await Promise.all([operations.inspect(), operations.restore()]);
      const db = await pool(ctx);
      const item = await inspect(() => requireItem(db, id));
      const report = await inspect(() => restoreItem(keyring(), store(), item, { to: opts.to, force: opts.force, restoreOwner: opts.owner }));
      printResult(
        report,
        opts.json,
        (r: RestoreReport) => `restored item ${r.id} (${r.type} ${r.name}) to ${r.path}: ${r.bytes} bytes, mode ${r.mode}, mtime ${r.mtime}`,
      );
    });

  config
    .command('diff')
    .description('What changed in an item: against its previous backup, or between two backups (secrets only show as changed)')
    .argument('<id>', 'item ID')
    .argument('[id2]', 'a second item ID to compare with')
    .option('--json', 'print JSON')
    .action(async (rawId: string, rawId2: string | undefined, opts: { json?: boolean }) => {
      const id = parseId(rawId);
      const id2 = rawId2 === undefined ? undefined : parseId(rawId2);
      const { diffItems, renderDiff } = await operations.inspect();
      const result = await inspect(async () => diffItems(await pool(ctx), id, id2));
      printResult(result, opts.json, (r: ItemDiff) => renderDiff(r));
    });

  config
    .command('verify')
    .description('Re-read and authenticate every stored payload and file-attribute envelope; exit 1 naming each failure')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { verifyBackups } = await import('../../capabilities/config-backup/operations/verify.js');
      const report = await verifyBackups(await pool(ctx), keyring(), store());
      printResult(report, opts.json, describeVerify);
      if (!report.ok)
        throw new CliError(
          `verify failed: ${report.failures.map((f) => `${f.hash ? `payload ${f.hash.slice(0, 12)}` : f.kind} (${f.items.join(', ')}): ${f.reason}`).join('; ')}`,
        );
    });

  config
    .command('prune')
    .description('Forget old backups with restic `forget` semantics (per item; a backup is kept if any rule keeps it), then delete unreferenced payloads')
    .option('--keep-last <n>', 'keep the N newest backups', wholeNumber(0))
    .option('--keep-hourly <n>', 'keep the newest backup of each of the last N hours that have one', wholeNumber(0))
    .option('--keep-daily <n>', 'keep the newest backup of each of the last N days that have one', wholeNumber(0))
    .option('--keep-weekly <n>', 'keep the newest backup of each of the last N ISO weeks that have one', wholeNumber(0))
    .option('--keep-monthly <n>', 'keep the newest backup of each of the last N months that have one', wholeNumber(0))
    .option('--keep-yearly <n>', 'keep the newest backup of each of the last N years that have one', wholeNumber(0))
    .option('--timezone <tz>', 'IANA time zone for day/week/month buckets (default: sentinel.yaml timezone, else UTC)')
    .option('--dry-run', 'show what would be kept (and why) and removed; change nothing')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, number | string | boolean | undefined>) => {
      const policy: RetentionPolicy = {};
      for (const rule of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
        const value = opts[`keep${rule[0]!.toUpperCase()}${rule.slice(1)}`];
        if (typeof value === 'number') policy[rule] = value;
      }
      const timeZone =
        typeof opts.timezone === 'string'
          ? opts.timezone
          : await ctx.config().then(
              (c) => c.timezone,
              () => 'UTC',
            );
      const { prune } = await import('../../capabilities/config-backup/operations/prune.js');
      const report = await inspect(async () => prune(await pool(ctx), store(), policy, { timeZone, dryRun: Boolean(opts.dryRun) }));
      printResult(report, Boolean(opts.json), describePrune);
    });

  config
    .command('rotate-key')
    .description('Re-encrypt every payload and envelope under the active key of CONFIG_BACKUP_KEY (list the old key after the new one)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { rotateKey } = await import('../../capabilities/config-backup/operations/rotate-key.js');
      const report = await inspect(async () => rotateKey(await pool(ctx), keyring(), store()));
      printResult(report, opts.json, (r: RotateReport) =>
        [
          `active key ${r.activeKeyId}: ${r.payloads.rotated} of ${r.payloads.total} payload(s) re-encrypted (${r.payloads.alreadyCurrent} already current), ` +
            `${r.envelopes.rotated} of ${r.envelopes.total} file-attribute envelope(s), ${r.itemsRepointed} item(s) repointed, ${r.oldPayloadsRemoved} old payload(s) removed`,
          'run `sentinel config verify` with only the new key before removing the old one from CONFIG_BACKUP_KEY',
        ].join('\n'),
      );
    });

  return config;
}

async function pool(ctx: CliContext) {
  return (await ctx.db()).pool;
}

function keyring(): Keyring {
  try {
    return keyringFromEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigCryptoError) throw new CliError(error.message);
    throw error;
  }
}

function optionalKeyring(): Keyring | undefined {
  try {
    return keyringFromEnv(process.env);
  } catch {
    return undefined;
  }
}

function store(): PayloadStore {
  return new PayloadStore(readConfigBackupSettings(process.env).dir, { deferDirectorySync: true });
}

/** Expected refusals become one-line CLI errors. */
async function inspect<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const [{ ItemNotFoundError }, { RestoreRefusedError }] = await Promise.all([operations.inspect(), operations.restore()]);
    if (
      error instanceof ItemNotFoundError ||
      error instanceof RestoreRefusedError ||
      error instanceof ConfigBackupBusyError ||
      error instanceof ConfigCryptoError ||
      error instanceof RangeError
    )
      throw new CliError(error.message);
    throw error;
  }
}

async function guarded(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ConfigCryptoError) throw new CliError(error.message);
    throw error;
  }
}

function parseId(raw: string): number {
  try {
    return itemId(raw);
  } catch (error) {
    throw new CliError(`item ID ${(error as Error).message}`, ExitCode.invalidInput);
  }
}

async function readAppOption(raw: string): Promise<AppConfigInput> {
  const eq = raw.indexOf('=');
  const name = raw.slice(0, eq);
  const file = raw.slice(eq + 1);
  if (eq <= 0 || file === '' || !APP_NAME.test(name))
    throw new InvalidArgumentError(`--app must be NAME=FILE with a name of letters, digits, ".", "_" or "-" (got "${raw}")`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`--app ${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const [{ parse: parseYaml }, { assertYamlNesting, YamlNestingError }] = await Promise.all([import('yaml'), import('../../domain/settings/yaml-nesting.js')]);
  let config: unknown;
  try {
    if (/\.ya?ml$/i.test(file)) assertYamlNesting(text);
    config = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the offending line, which may hold a secret; the nesting refusal does not.
    const why = error instanceof YamlNestingError ? `: ${error.message}` : '';
    throw new CliError(`--app ${name}: ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}${why}`);
  }
  if (typeof config !== 'object' || config === null) throw new CliError(`--app ${name}: ${file} must hold an object or a list`);
  return { name, config: config as AppConfigInput['config'] };
}

function describeRun(r: ConfigBackupResult): string {
  const t = r.totals;
  const lines = [
    `${r.workflowId}: set ${r.setId}, ${r.items.length} item(s): ${t.backedUp} backed up, ${t.unchanged} unchanged, ${t.failed} failed; ` +
      `${t.payloadsWritten} new payload(s), ${t.payloadBytesWritten} bytes written${r.waitedForLockMs > 0 ? `; waited ${Math.round(r.waitedForLockMs / 1000)} s for another run` : ''}`,
  ];
  for (const item of r.items.filter((i) => i.status === 'failed')) lines.push(`failed: ${item.type} ${item.name}: ${item.reason ?? 'unknown reason'}`);
  return lines.join('\n');
}

function describeShown(s: ShownItem): string {
  const lines = [
    `item ${s.id}: ${s.type} ${s.name}`,
    `status ${s.status}, backed up ${s.backedUpAt} (set ${s.setId}, ${s.workflowId})`,
    ...(s.reason ? [`reason: ${s.reason}`] : []),
    ...(s.format ? [`format ${s.format}, ${s.sizeBytes ?? 0} bytes, ${s.secrets ?? 0} secret(s), ${s.warnings ?? 0} warning(s)`] : []),
    ...(s.attributes ? [`mode ${s.attributes.mode}, owner ${s.attributes.uid}:${s.attributes.gid}, mtime ${s.attributes.mtime}`] : []),
  ];
  if (s.view) {
    for (const warning of s.view.warnings) lines.push(`warning: ${warning}`);
    lines.push('');
    if (s.view.kind === 'map') for (const [key, value] of Object.entries(s.view.entries)) lines.push(`${key} = ${JSON.stringify(value)}`);
    else lines.push(...s.view.lines);
  }
  return lines.join('\n');
}

function describeVerify(r: VerifyReport): string {
  const lines = [
    `${r.ok ? 'ok' : 'FAILED'}: ${r.payloadsChecked} payload(s) (${r.plaintextBytes} bytes) and ${r.envelopesChecked} file-attribute envelope(s) checked for ${r.itemsChecked} item(s)`,
  ];
  for (const f of r.failures) lines.push(`failed: ${f.hash ? `payload ${f.hash}` : f.kind} (${f.items.join(', ')}): ${f.reason}`);
  if (r.orphans.length > 0) lines.push(`${r.orphans.length} unreferenced payload(s) (removed by the next run's cleanup)`);
  return lines.join('\n');
}

function describePrune(r: PruneReport): string {
  const lines = [`${r.dryRun ? '(dry run) ' : ''}${r.policy} (buckets in ${r.timeZone}): keep ${r.kept}, remove ${r.removed}`];
  for (const group of r.groups) {
    lines.push(group.group);
    for (const k of group.keep) lines.push(`  keep   ${String(k.id).padStart(6)}  ${k.backedUpAt}  ${k.reasons.join(', ')}`);
    for (const x of group.remove) lines.push(`  remove ${String(x.id).padStart(6)}  ${x.backedUpAt}`);
  }
  if (r.deleted)
    lines.push(
      `deleted ${r.deleted.items} item(s), ${r.deleted.sets} set(s), ${r.deleted.views} view(s), ${r.deleted.payloads} payload(s) (${r.deleted.bytesFreed} bytes)`,
    );
  return lines.join('\n');
}
