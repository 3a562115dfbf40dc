import { describe, expect, it } from 'vitest';
import { batches, configBackupWorkflowId, summarizeOutcomes, validateConfigBackupInput } from '../../../domain/config-backup/contract.js';

describe('configBackupWorkflow input', () => {
  it("accepts the schedule's {} and a full input", () => {
    expect(validateConfigBackupInput({})).toEqual([]);
    expect(validateConfigBackupInput(undefined)).toEqual([]);
    expect(
      validateConfigBackupInput({
        envPrefix: 'PROD_',
        sensitiveKeys: ['PIN'],
        files: ['/etc/app.yaml', '/etc/nginx/**/*.conf'],
        apps: [
          { name: 'billing', config: { a: 1 } },
          { name: 'crm', config: [1], encryptSensitive: false },
        ],
      }),
    ).toEqual([]);
  });

  it('lists every problem at once', () => {
    expect(
      validateConfigBackupInput({
        envPrefix: '',
        sensitiveKeys: ['', 3],
        files: ['ok', '', 'a\0b'],
        apps: [
          { name: 'x y', config: 1 },
          { name: 'dup', config: {} },
          { name: 'dup', config: {}, encryptSensitive: 'yes' },
        ],
        extra: true,
      }),
    ).toEqual([
      'unknown field "extra"',
      'envPrefix must be a non-empty variable-name prefix such as "PROD_"',
      'sensitiveKeys[0] must be a non-empty name of at most 100 characters',
      'sensitiveKeys[1] must be a non-empty name of at most 100 characters',
      'files[1] must be a non-empty path or glob',
      'files[2] must be a non-empty path or glob',
      'apps[0].name must be 1-128 letters, digits, ".", "_" or "-"',
      'apps[0].config must be an object or a list',
      'apps[2].name "dup" is given twice',
      'apps[2].encryptSensitive must be true or false',
    ]);
    expect(validateConfigBackupInput([])).toEqual(['input must be an object ({} for the defaults)']);
  });

  it('batches, totals and workflow IDs', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches([], 2)).toEqual([]);
    const summary = summarizeOutcomes([
      { items: [{ id: 1, type: 'env', name: 'P_', status: 'backed_up', bytesWritten: 10 }], payloadsWritten: 1, payloadBytesWritten: 10 },
      {
        items: [
          { id: 2, type: 'file', name: '/a', status: 'unchanged', bytesWritten: 0 },
          { id: 3, type: 'file', name: '/b', status: 'failed', reason: 'gone', bytesWritten: 0 },
        ],
        payloadsWritten: 0,
        payloadBytesWritten: 0,
      },
    ]);
    expect(summary.totals).toEqual({ backedUp: 1, unchanged: 1, failed: 1, payloadsWritten: 1, payloadBytesWritten: 10 });
    expect(summary.items.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(configBackupWorkflowId(new Date('2026-11-22T01:00:00Z'))).toBe('config-backup/2026-11-22T01:00:00.000Z');
  });
});
