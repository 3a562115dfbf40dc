import { describe, expect, it } from 'vitest';
import { declaredSchedules } from '../../../schedules/index.js';
import { parseSettings } from '../../../domain/settings/schema.js';
import { restoreDrillWorkflow } from '../../../workflows/restore-drill.js';

describe('restore drill schedules', () => {
  const config = parseSettings({
    timezone: 'Europe/Paris',
    targets: [
      { name: 'weekly-db', kind: 'postgres', url: 'postgres://u@h/a', drill: {} },
      { name: 'cron-db', kind: 'postgres', url: 'postgres://u@h/b', drill: { schedule: '30 4 * * 0' } },
      { name: 'no-drill-db', kind: 'postgres', url: 'postgres://u@h/c' },
      { name: 'files', kind: 'command', command: 'restic backup /srv', drill: { command: 'restic check', schedule: { dayOfMonth: 1, hour: 6 } } },
      { name: 'plain-files', kind: 'command', command: 'tar -czf x.tgz /etc' },
    ],
  });
  const drills = declaredSchedules({ config, timezone: config.timezone }).filter((s) => s.workflowType === restoreDrillWorkflow.name);

  it('one per target with a drill section: weekly by default, or the target’s own schedule', () => {
    expect(drills.map((s) => s.id)).toEqual(['sentinel/restore-drill/weekly-db', 'sentinel/restore-drill/cron-db', 'sentinel/restore-drill/files']);
    expect(drills[0]).toMatchObject({
      args: [{ target: 'weekly-db' }],
      calendars: [{ dayOfWeek: 'SATURDAY', hour: 5, minute: 0, comment: 'weekly restore drill' }],
      timezone: 'Europe/Paris',
      workflowIdPrefix: 'restore-drill/weekly-db/scheduled',
      searchAttributes: { BackupTarget: 'weekly-db' },
    });
    expect(drills[1]!.cron).toEqual(['30 4 * * 0']);
    expect(drills[2]!.calendars).toEqual([{ dayOfMonth: 1, hour: 6 }]);
  });
});
