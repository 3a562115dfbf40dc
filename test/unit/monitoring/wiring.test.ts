import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../domain/settings/schema.js';
import { parseSizes } from '../../../cli/commands/forecast.js';
import { CliContext } from '../../../cli/context.js';
import { buildProgram } from '../../../cli/program.js';
import { validateAnomalyMonitorInput, validateCapacityForecastInput } from '../../../domain/monitoring/index.js';
import { declaredSchedules } from '../../../schedules/index.js';
import * as workflows from '../../../workflows/index.js';

describe('schedules start the metrics workflows with valid input', () => {
  const config = parseSettings({ targets: [] });
  const byType = new Map(declaredSchedules({ config, timezone: 'UTC' }).map((d) => [d.workflowType, d]));

  it('hourly anomaly scan and daily capacity forecast name workflows the worker registers', () => {
    const scan = byType.get('anomalyMonitorWorkflow')!;
    const capacity = byType.get('capacityForecastWorkflow')!;
    expect(scan.id).toBe('sentinel/anomaly-scan');
    expect(capacity.id).toBe('sentinel/capacity-forecast');
    expect(typeof workflows.anomalyMonitorWorkflow).toBe('function');
    expect(typeof workflows.capacityForecastWorkflow).toBe('function');
    expect(validateAnomalyMonitorInput(scan.args[0], Date.now())).toEqual([]);
    expect(validateCapacityForecastInput(capacity.args[0])).toEqual([]);
  });
});

describe('sentinel.yaml capacityGb', () => {
  it('is optional and must be positive', () => {
    expect(parseSettings({ targets: [{ name: 'a', kind: 'command', command: 'true', capacityGb: 500 }] }).targets[0]!.capacityGb).toBe(500);
    expect(parseSettings({ targets: [{ name: 'a', kind: 'command', command: 'true' }] }).targets[0]!.capacityGb).toBeUndefined();
    expect(() => parseSettings({ targets: [{ name: 'a', kind: 'command', command: 'true', capacityGb: 0 }] })).toThrow('targets[0].capacityGb: must be > 0');
  });
});

describe('CLI', async () => {
  const program = await buildProgram(new CliContext());
  const find = (...path: string[]) => path.reduce((command, name) => command.commands.find((c) => c.name() === name)!, program);

  it('has anomalies check/scan and forecast, each with --json and --plot', () => {
    for (const path of [['anomalies', 'check'], ['anomalies', 'scan'], ['forecast']]) {
      const command = find(...path);
      expect(command, path.join(' ')).toBeDefined();
      expect(command.description()).not.toBe('');
      expect(command.options.map((o) => o.long)).toContain('--json');
    }
    expect(find('anomalies', 'check').options.map((o) => o.long)).toEqual(expect.arrayContaining(['--target', '--duration', '--size', '--plot']));
    expect(find('forecast').options.map((o) => o.long)).toEqual(expect.arrayContaining(['--target', '--sizes', '--days', '--capacity-gb', '--plot']));
    expect(find('anomalies', 'scan').options.map((o) => o.long)).toEqual(expect.arrayContaining(['--since', '--plot']));
  });

  it('--sizes parses daily GB and names the bad value', () => {
    expect(parseSizes('10.5, 11.2,12.1')).toEqual([10.5, 11.2, 12.1]);
    expect(() => parseSizes('')).toThrow(InvalidArgumentError);
    expect(() => parseSizes('10.5,abc,12')).toThrow('value 2 ("abc") is not a number');
    expect(() => parseSizes('10.5,,12')).toThrow('value 2 ("") is not a number');
    expect(() => parseSizes('10.5,NaN')).toThrow('value 2 ("NaN") is not a number');
    expect(() => parseSizes('1,-2,3')).toThrow('value 2 (-2) is negative');
  });
});
