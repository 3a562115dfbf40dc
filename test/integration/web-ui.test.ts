import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevServer, type DevServer } from '../../platform/dev-server.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { preBackupWorkflowId } from '../../domain/pre-backup/contract.js';
import { BackupTarget } from '../../workflows/search-attributes.js';

// Checks the Web UI as an operator would: a second dev server with its UI, a pre-backup run started with the
// project's search attributes, found in the browser by a visibility query. The screenshot lands in test-output/.
const CHROMIUM = process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium';
let server: DevServer;
let browser: Browser;
let connection: Connection;

beforeAll(async () => {
  const uiPort = await freePort();
  server = await startDevServer({ uiPort });
  connection = await Connection.connect({ address: server.address });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await connection?.close();
  await server?.stop();
});

describe('Temporal Web UI', () => {
  it('finds a pre-backup run by its BackupTarget search attribute', async () => {
    const client = new Client({ connection, dataConverter: sentinelDataConverter() });
    const target = `ui-check-${Date.now()}`;
    // No worker polls this queue: the run stays open, as an awaiting run would, and shows in the list.
    const handle = await client.workflow.start('preBackupWorkflow', {
      taskQueue: 'ui-check-queue',
      workflowId: preBackupWorkflowId(target, new Date()),
      args: [{ target }],
      typedSearchAttributes: [{ key: BackupTarget, value: target }],
      staticSummary: `${target}: pre-backup gate`,
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const query = encodeURIComponent(`BackupTarget="${target}"`);
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${query}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.getByText(handle.workflowId).first().waitFor({ timeout: 60_000 });
    await mkdir('test-output', { recursive: true });
    const shot = path.resolve('test-output', 'web-ui-pre-backup-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(await page.getByText(handle.workflowId).count()).toBeGreaterThan(0);
    await handle.terminate('ui check done');
  });
});
