import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../../capabilities/alerts/signature.js';
import { awaitsApproval, gateIncidentKey, incidentKeyOf } from '../../../domain/alerts/incident.js';
import { approvalCommands, pagerdutyEvent, slackMessage, webhookBody, type AlertEvent } from '../../../domain/alerts/payloads.js';
import { channelsFor } from '../../../domain/alerts/routing.js';

const preventive: AlertEvent = {
  action: 'trigger',
  id: 7,
  dedupeKey: 'pre-backup/orders-db/2026-12-07T02:00:00.000Z#run-1:preventive:1',
  incidentKey: 'gate:pre-backup/orders-db/2026-12-07T02:00:00.000Z#run-1',
  target: 'orders-db',
  workflowId: 'pre-backup/orders-db/2026-12-07T02:00:00.000Z',
  kind: 'preventive',
  severity: 'critical',
  message: 'orders-db: failure risk critical (0.91) above threshold 0.5; awaiting approval',
  details: {
    probability: 0.91,
    riskFactors: [
      { factor: 'recent_failures', value: 4, contribution: 1.2, description: '4 of the last runs failed' },
      { factor: 'free_space', value: 3, contribution: 2.5, description: 'only 3 GB free <for> the dump' },
      { factor: 'hour', value: 2, contribution: -0.3, description: 'quiet hour' },
    ],
    recommendedActions: ['Free space on the backup volume', 'Check the last failure'],
  },
  createdAt: '2026-12-07T02:00:01.000Z',
  runUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/pre-backup%2Forders-db',
};

describe('incident keys', () => {
  it('groups a gate’s preventive and escalation alerts under the gate; everything else is its own incident', () => {
    expect(incidentKeyOf(preventive)).toBe(gateIncidentKey('pre-backup/orders-db/2026-12-07T02:00:00.000Z', 'run-1'));
    expect(incidentKeyOf({ dedupeKey: 'wf#run:escalation:3', kind: 'escalation' })).toBe('gate:wf#run');
    expect(incidentKeyOf({ dedupeKey: 'wf#run:backup-failed:1', kind: 'backup-failed' })).toBe('wf#run:backup-failed:1');
    expect(incidentKeyOf({ dedupeKey: 'anomaly-incident:abc', kind: 'duration-anomaly' })).toBe('anomaly-incident:abc');
    expect(incidentKeyOf({ dedupeKey: 'capacity:orders-db:2026-12-07', kind: 'capacity' })).toBe('capacity:orders-db:2026-12-07');
  });

  it('knows an approval wait from the workflow’s message', () => {
    expect(awaitsApproval(preventive)).toBe(true);
    expect(awaitsApproval({ ...preventive, message: 'orders-db: failure risk high (0.7) above threshold 0.5; delaying 60 min' })).toBe(false);
    expect(awaitsApproval({ ...preventive, kind: 'escalation', message: 'still high' })).toBe(true);
  });
});

describe('routes', () => {
  const channels = [
    { name: 'slack', minSeverity: 'info' as const },
    { name: 'pager', minSeverity: 'warning' as const },
    { name: 'hook', minSeverity: 'critical' as const },
  ];
  const routes = [{ targets: ['orders-db'], severities: ['critical' as const], channels: ['pager'] }];
  it('restricts routed channels to the alerts their routes match and leaves the others to their severity floor', () => {
    const names = (target: string | null, severity: 'info' | 'warning' | 'critical') => channelsFor({ target, severity }, channels, routes).map((c) => c.name);
    expect(names('orders-db', 'critical')).toEqual(['slack', 'pager', 'hook']);
    expect(names('orders-db', 'warning')).toEqual(['slack']);
    expect(names('billing', 'critical')).toEqual(['slack', 'hook']);
    expect(names(null, 'info')).toEqual(['slack']);
    expect(channelsFor({ target: 'x', severity: 'warning' }, channels, []).map((c) => c.name)).toEqual(['slack', 'pager']);
  });
});

describe('payloads', () => {
  it('webhook: the fields ALERT_WEBHOOK_URL always received, plus action and incident key', () => {
    const body = JSON.parse(webhookBody(preventive));
    expect(body).toMatchObject({
      id: 7,
      dedupeKey: preventive.dedupeKey,
      target: 'orders-db',
      workflowId: preventive.workflowId,
      kind: 'preventive',
      severity: 'critical',
      message: preventive.message,
      details: preventive.details,
      action: 'trigger',
      incidentKey: preventive.incidentKey,
    });
    expect(JSON.parse(webhookBody({ ...preventive, action: 'resolve', resolution: 'approved' }))).toMatchObject({ action: 'resolve', resolution: 'approved' });
  });

  it('slack: Block Kit with target, risk, probability, top factors, recommended action, link and the approval commands', () => {
    const message = slackMessage(preventive);
    expect(message.text).toBe(preventive.message);
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const all = JSON.stringify(message.blocks);
    for (const expected of ['*Target*\\norders-db', '*Risk*\\ncritical', '*Probability*\\n0.91', 'Free space on the backup volume'])
      expect(all).toContain(expected);
    // top factors by contribution, escaped for mrkdwn, the negative one left out
    expect(all).toContain('• only 3 GB free &lt;for&gt; the dump\\n• 4 of the last runs failed');
    expect(all).not.toContain('quiet hour');
    const commands = approvalCommands(preventive.workflowId!);
    expect(commands.approve).toBe(`sentinel backup approve ${preventive.workflowId} --by "$USER" --reason "why it is safe"`);
    expect(all).toContain(JSON.stringify(commands.approve).slice(1, -1));
    expect(all).toContain(JSON.stringify(commands.reject).slice(1, -1));
    expect(message.blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringContaining(`<${preventive.runUrl}|`) }] });
    for (const block of message.blocks) expect(['header', 'section', 'context']).toContain(block.type);
    // no approval commands when the gate is only delaying
    expect(JSON.stringify(slackMessage({ ...preventive, message: 'x; delaying 60 min' }).blocks)).not.toContain('sentinel backup approve');
    // text from a backup's error cannot ping the channel or forge a link
    const hostile = slackMessage({ ...preventive, message: 'failed <!channel> <https://evil.example|click> & more' });
    expect(hostile.text).toBe('failed &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more');
    expect(JSON.stringify(hostile.blocks)).not.toContain('<!channel>');
    expect(approvalCommands("odd id's")).toMatchObject({ approve: expect.stringContaining(`'odd id'\\''s'`) });
  });

  it('pagerduty: Events API v2 trigger and resolve under the incident key', () => {
    expect(pagerdutyEvent(preventive, 'KEY')).toMatchObject({
      routing_key: 'KEY',
      event_action: 'trigger',
      dedup_key: preventive.incidentKey,
      payload: {
        summary: preventive.message,
        source: 'orders-db',
        severity: 'critical',
        timestamp: preventive.createdAt,
        custom_details: { probability: 0.91 },
      },
      links: [{ href: preventive.runUrl }],
    });
    expect(pagerdutyEvent({ ...preventive, severity: 'warning' }, 'KEY')).toMatchObject({ payload: { severity: 'warning' } });
    expect(pagerdutyEvent({ ...preventive, action: 'resolve' }, 'KEY')).toEqual({
      routing_key: 'KEY',
      event_action: 'resolve',
      dedup_key: preventive.incidentKey,
    });
  });
});

describe('webhook signature', () => {
  const secret = 's'.repeat(32);
  it('is v1=hex HMAC-SHA256 over "timestamp.body", verified within the replay window only', () => {
    const body = '{"a":1}';
    const signature = signWebhook(secret, 1_700_000_000, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(secret, { timestamp: '1700000000', signature }, body, 1_700_000_100)).toBe(true);
    expect(verifyWebhook(secret, { timestamp: '1700000000', signature }, '{"a":2}', 1_700_000_100)).toBe(false);
    expect(verifyWebhook(`${secret}x`, { timestamp: '1700000000', signature }, body, 1_700_000_100)).toBe(false);
    expect(verifyWebhook(secret, { timestamp: '1700000000', signature }, body, 1_700_000_301)).toBe(false);
    expect(verifyWebhook(secret, { timestamp: '1700000001', signature }, body, 1_700_000_100)).toBe(false);
  });
});
