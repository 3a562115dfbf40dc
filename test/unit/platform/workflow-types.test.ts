import { describe, expect, it } from 'vitest';
import * as workflows from '../../../workflows/index.js';
import { WORKFLOW_TYPES } from '../../../client/index.js';

/**
 * The worker registers each workflow under its export name; clients, the CLI and schedules name it by the function
 * (`client.workflow.start(preBackupWorkflow, ...)` sends `preBackupWorkflow.name`). A re-export under another name
 * would make the two disagree and every start fail with "workflow type not found".
 */
describe('workflow types', () => {
  it('every exported workflow function is registered under its own name', () => {
    const functions = Object.entries(workflows).filter(([, value]) => typeof value === 'function');
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const [exportName, fn] of functions) expect((fn as { name: string }).name).toBe(exportName);
  });

  it('WORKFLOW_TYPES names registered workflows', () => {
    for (const type of Object.values(WORKFLOW_TYPES)) expect(Object.keys(workflows)).toContain(type);
  });
});
