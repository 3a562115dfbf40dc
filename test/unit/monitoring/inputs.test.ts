import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CAPACITY_HORIZON_DAYS,
  anomalyScanWorkflowId,
  capacityForecastWorkflowId,
  resolveHorizonDays,
  validateAnomalyMonitorInput,
  validateCapacityForecastInput,
} from '../../../domain/monitoring/index.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('anomalyMonitorWorkflow input', () => {
  it('accepts {}, undefined and a past since', () => {
    expect(validateAnomalyMonitorInput({}, NOW)).toEqual([]);
    expect(validateAnomalyMonitorInput(undefined, NOW)).toEqual([]);
    expect(validateAnomalyMonitorInput({ since: '2026-11-19T00:00:00Z' }, NOW)).toEqual([]);
  });
  it('names every problem', () => {
    expect(validateAnomalyMonitorInput({ since: 'yesterday' }, NOW)).toEqual(['since must be an ISO 8601 date-time (got "yesterday")']);
    expect(validateAnomalyMonitorInput({ since: '2026-11-21T00:00:00Z' }, NOW)).toEqual(['since must not be in the future (got 2026-11-21T00:00:00Z)']);
    expect(validateAnomalyMonitorInput({ sinse: 'x' }, NOW)).toEqual(['unknown field "sinse" (allowed: since)']);
    expect(validateAnomalyMonitorInput([], NOW)).toHaveLength(1);
  });
});

describe('capacityForecastWorkflow input', () => {
  it('accepts {}, a horizon and targets', () => {
    expect(validateCapacityForecastInput({})).toEqual([]);
    expect(validateCapacityForecastInput({ horizonDays: 7, targets: ['orders-db'] })).toEqual([]);
  });
  it('rejects non-positive or non-finite horizons, empty and malformed targets', () => {
    expect(validateCapacityForecastInput({ horizonDays: 0 })).toEqual(['horizonDays must be a number of days in (0, 3650] (got 0)']);
    expect(validateCapacityForecastInput({ horizonDays: Number.NaN })).toHaveLength(1);
    expect(validateCapacityForecastInput({ horizonDays: '14' })).toHaveLength(1);
    expect(validateCapacityForecastInput({ targets: [] })).toEqual(['targets must be a non-empty list of target names']);
    expect(validateCapacityForecastInput({ targets: ['ok', 'no spaces'] })).toEqual(['targets[1] must be a target name (got "no spaces")']);
  });
});

describe('capacity alert horizon', () => {
  it('input, then CAPACITY_ALERT_HORIZON_DAYS, then 14 days', () => {
    expect(resolveHorizonDays(3, '7')).toEqual({ horizonDays: 3, source: 'input' });
    expect(resolveHorizonDays(undefined, '7')).toEqual({ horizonDays: 7, source: 'env' });
    expect(resolveHorizonDays(undefined, undefined)).toEqual({ horizonDays: DEFAULT_CAPACITY_HORIZON_DAYS, source: 'default' });
    expect(DEFAULT_CAPACITY_HORIZON_DAYS).toBe(14);
  });
  it('refuses a malformed environment value instead of ignoring it', () => {
    expect(() => resolveHorizonDays(undefined, 'two weeks')).toThrow('CAPACITY_ALERT_HORIZON_DAYS must be a number of days in (0, 3650] (got "two weeks")');
    expect(() => resolveHorizonDays(undefined, '0')).toThrow(RangeError);
  });
});

describe('workflow IDs', () => {
  it('are <kind>/<ISO time>', () => {
    const at = new Date('2026-11-20T12:00:00.000Z');
    expect(anomalyScanWorkflowId(at)).toBe('anomaly-scan/2026-11-20T12:00:00.000Z');
    expect(capacityForecastWorkflowId(at)).toBe('capacity-forecast/2026-11-20T12:00:00.000Z');
  });
});
