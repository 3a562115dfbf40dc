import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

  it('client/ and cli/ name workflows, queries, signals and updates by their definitions, never as strings', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const files = ['client', 'cli'].flatMap((dir) =>
      readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ts'))
        .map((name) => path.join(dir, name)),
    );
    const workflowNames = Object.keys(workflows).filter((name) => typeof (workflows as Record<string, unknown>)[name] === 'function');
    const stringly = [
      /\.(?:query|signal|executeUpdate|startUpdate)\s*(?:<[^>]*>)?\(\s*['"`]/,
      /\.workflow\.(?:start|execute|signalWithStart)\s*(?:<[^>]*>)?\(\s*['"`]/,
      new RegExp(`['"\`](?:${workflowNames.join('|')})['"\`]`),
    ];
    const offenders = files.flatMap((file) =>
      readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          !/^\s*(?:\*|\/\/|\/\*)/.test(line) && stringly.some((pattern) => pattern.test(line)) ? [`${file}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(files.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
