import { describe, expect, it } from 'vitest';
import { configBackupExitCode, EXIT_CODE_TABLE, ExitCode, preBackupExitCode } from '../../../cli/exit-codes.js';
import { cliReference } from '../../../cli/reference.js';
import { buildProgram } from '../../../cli/program.js';
import { CliContext } from '../../../cli/context.js';

const totals = (backedUp: number, unchanged: number, failed: number) => ({
  totals: { backedUp, unchanged, failed, payloadsWritten: 0, payloadBytesWritten: 0 },
});
const backup = (status: 'completed' | 'failed') => ({ status, startedAt: '2026-01-01T00:00:00Z', durationSeconds: 1, sizeBytes: null });

describe('exit codes', () => {
  it('are distinct and documented in the help epilog and the CLI reference', async () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
    for (const code of values) expect(EXIT_CODE_TABLE).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
    const program = await buildProgram(new CliContext());
    expect(cliReference(program)).toContain(EXIT_CODE_TABLE);
  });

  it('a finished pre-backup run: backed up 0, backup failed 3, rejected or skipped 5', () => {
    expect(preBackupExitCode({ decision: 'proceed', backup: backup('completed') })).toBe(0);
    expect(preBackupExitCode({ decision: 'approved', backup: backup('completed') })).toBe(0);
    expect(preBackupExitCode({ decision: 'proceed', backup: backup('failed') })).toBe(3);
    expect(preBackupExitCode({ decision: 'approved', backup: backup('failed') })).toBe(3);
    expect(preBackupExitCode({ decision: 'proceed', backup: null })).toBe(3); // proceeded yet nothing backed up
    expect(preBackupExitCode({ decision: 'rejected', backup: null })).toBe(5);
    expect(preBackupExitCode({ decision: 'skipped', backup: null })).toBe(5);
  });

  it('a finished config backup: all fine 0, some failed 4, all failed 3', () => {
    expect(configBackupExitCode(totals(2, 1, 0))).toBe(0);
    expect(configBackupExitCode(totals(0, 0, 0))).toBe(0);
    expect(configBackupExitCode(totals(2, 0, 1))).toBe(4);
    expect(configBackupExitCode(totals(0, 1, 1))).toBe(4);
    expect(configBackupExitCode(totals(0, 0, 3))).toBe(3);
  });
});
