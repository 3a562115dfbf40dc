import { Command } from 'commander';
import type { ListedAlert } from '../../capabilities/alerts/service.js';
import type { CliContext } from '../context.js';
import { printResult } from '../output.js';

export function alertsCommand(ctx: CliContext): Command {
  const alerts = new Command('alerts').description('Alerts raised by the workflows and their deliveries to each channel (docs/alerts.md)');

  alerts
    .command('list')
    .description('List stored alerts, oldest first, each with every delivery (channel, trigger or resolve, status, HTTP code, attempts, last error)')
    .option('--target <name>', 'only alerts of this target')
    .option('--open', 'only alerts whose incident is not resolved')
    .option('--json', 'print JSON')
    .action(async (opts: { target?: string; open?: boolean; json?: boolean }) => {
      const db = (await ctx.db()).pool;
      const { listAlertsWithDeliveries } = await import('../../capabilities/alerts/service.js');
      const listed = await listAlertsWithDeliveries(db, { target: opts.target, open: opts.open ?? false });
      printResult({ alerts: listed }, opts.json, (r: { alerts: ListedAlert[] }) => renderAlerts(r.alerts));
    });

  return alerts;
}

function renderAlerts(alerts: readonly ListedAlert[]): string {
  if (alerts.length === 0) return 'no alerts';
  return alerts
    .map((a) => {
      const state = a.open ? 'open' : `resolved ${a.resolvedAt} (${a.resolution ?? ''})`;
      const head = `#${a.id} ${a.createdAt} ${a.severity} ${a.kind} ${a.target ?? '-'}: ${a.message}\n    ${state}; incident ${a.incidentKey}`;
      const deliveries = a.deliveries.map(
        (d) =>
          `    ${d.action} -> ${d.channel} (${d.kind}): ${d.status}${d.httpStatus ? ` HTTP ${d.httpStatus}` : ''}, ${d.attempts} attempt(s)${d.lastError ? `, last error: ${d.lastError}` : ''}`,
      );
      return [head, ...(deliveries.length ? deliveries : ['    no deliveries (no channel configured for it)'])].join('\n');
    })
    .join('\n');
}
