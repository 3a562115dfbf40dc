import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * Every top-level `sentinel` command, loaded on demand: a command's module (and its heavy dependencies: the
 * Temporal SDK, vega, the ML code) is imported only when that command runs, so `sentinel config list` does not pay
 * for loading the charting library. Each capability adds one entry here.
 */
export interface CommandEntry {
  name: string;
  load: (ctx: CliContext) => Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'init', load: async (ctx) => (await import('./init.js')).initCommand(ctx) },
  { name: 'worker', load: async () => (await import('./worker.js')).workerCommand() },
  { name: 'backup', load: async (ctx) => (await import('./backup.js')).backupCommand(ctx) },
  { name: 'predict', load: async (ctx) => (await import('./predict.js')).predictCommand(ctx) },
  { name: 'schedules', load: async (ctx) => (await import('./schedules.js')).schedulesCommand(ctx) },
  { name: 'health', load: async (ctx) => (await import('./health.js')).healthCommand(ctx) },
  { name: 'codec-server', load: async (ctx) => (await import('./codec-server.js')).codecServerCommand(ctx) },
  { name: 'alerts', load: async (ctx) => (await import('./alerts.js')).alertsCommand(ctx) },
  { name: 'anomalies', load: async (ctx) => (await import('./anomalies.js')).anomaliesCommand(ctx) },
  { name: 'forecast', load: async (ctx) => (await import('./forecast.js')).forecastCommand(ctx) },
  { name: 'config', load: async (ctx) => (await import('./config.js')).configCommand(ctx) },
  { name: 'history', load: async (ctx) => (await import('./history.js')).historyCommand(ctx) },
  { name: 'model', load: async (ctx) => (await import('./model.js')).modelCommand(ctx) },
  { name: 'status', load: async (ctx) => (await import('./status.js')).statusCommand(ctx) },
  { name: 'drill', load: async (ctx) => (await import('./drill.js')).drillCommand(ctx) },
];

/** The commands to build for `argv`: only the one invoked, or all of them for the top-level help. */
export async function commandsFor(ctx: CliContext, argv: readonly string[] | 'all'): Promise<Command[]> {
  const requested = argv === 'all' ? undefined : argv.slice(2).find((arg) => !arg.startsWith('-'));
  const entries = COMMANDS.some((c) => c.name === requested) ? COMMANDS.filter((c) => c.name === requested) : COMMANDS;
  return Promise.all(entries.map((entry) => entry.load(ctx)));
}
