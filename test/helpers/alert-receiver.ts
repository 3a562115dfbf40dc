import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP receiver on 127.0.0.1 standing in for a webhook endpoint, Slack's incoming webhooks and PagerDuty's
 * Events API: it records every request, checks each body against the vendor's documented shape (answering 400
 * with the problems, as the vendor would), and answers per path as the test says: a status, or never ('hang').
 */
export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  /** What the receiver answered: a status, or 'hang' (no answer). */
  answer: number | 'hang';
  /** When it was received (epoch ms). */
  at: number;
  problems: string[];
}

/** A status now, a status after a delay, or no answer at all. */
export type Answer = number | 'hang' | { status: number; afterMs: number };
export type Shape = 'slack' | 'pagerduty' | 'webhook';

export interface AlertReceiver {
  url(path: string): string;
  requests: ReceivedRequest[];
  /** How `path` answers its n-th request (1-based); default 200 (PagerDuty paths: 202). */
  behave(path: string, answer: (n: number, request: ReceivedRequest) => Answer): void;
  /** The requests to `path` that were answered 2xx. */
  accepted(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startAlertReceiver(shapes: Record<string, Shape>): Promise<AlertReceiver> {
  const requests: ReceivedRequest[] = [];
  const behaviours = new Map<string, (n: number, request: ReceivedRequest) => Answer>();
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      let json: Record<string, unknown> = {};
      const problems: string[] = [];
      try {
        json = JSON.parse(body);
      } catch {
        problems.push('body is not JSON');
      }
      const shape = shapes[path];
      if (shape === 'slack') problems.push(...slackProblems(json));
      if (shape === 'pagerduty') problems.push(...pagerdutyProblems(json));
      const request: ReceivedRequest = { path, headers: req.headers, body, json, answer: 200, at: Date.now(), problems };
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const behaviour = behaviours.get(path);
      const answer = problems.length > 0 ? 400 : behaviour ? behaviour(n, request) : shape === 'pagerduty' ? 202 : 200;
      request.answer = typeof answer === 'object' ? answer.status : answer;
      requests.push(request);
      if (answer === 'hang') return; // never answered
      const reply = () =>
        res.writeHead(request.answer as number, { 'content-type': 'text/plain' }).end(problems.length > 0 ? `invalid: ${problems.join('; ')}` : 'ok');
      if (typeof answer === 'object') setTimeout(reply, answer.afterMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    behave: (path, answer) => void behaviours.set(path, answer),
    accepted: (path) => requests.filter((r) => r.path === path && typeof r.answer === 'number' && r.answer >= 200 && r.answer < 300),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, max: number) =>
  isObject(v) && (v.type === 'mrkdwn' || v.type === 'plain_text') && typeof v.text === 'string' && v.text.length > 0 && v.text.length <= max;

/**
 * Slack incoming webhooks with Block Kit (api.slack.com/messaging/webhooks, api.slack.com/reference/block-kit/blocks):
 * a `text` fallback, at most 50 blocks; a header's plain_text <= 150; a section's text <= 3000 or 1-10 fields of
 * <= 2000; a context's 1-10 elements.
 */
export function slackProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof body.text !== 'string' || body.text === '') problems.push('text (the notification fallback) is missing');
  const blocks = body.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return [...problems, 'blocks must be an array of 1-50 blocks'];
  blocks.forEach((block, i) => {
    if (!isObject(block)) return problems.push(`blocks[${i}] is not an object`);
    switch (block.type) {
      case 'header':
        if (!(isObject(block.text) && block.text.type === 'plain_text' && isText(block.text, 150)))
          problems.push(`blocks[${i}] header needs plain_text <= 150`);
        break;
      case 'section': {
        const fields = block.fields;
        const okText = block.text === undefined || isText(block.text, 3000);
        const okFields = fields === undefined || (Array.isArray(fields) && fields.length >= 1 && fields.length <= 10 && fields.every((f) => isText(f, 2000)));
        if (!okText || !okFields || (block.text === undefined && fields === undefined)) problems.push(`blocks[${i}] section needs text or fields`);
        break;
      }
      case 'context': {
        const elements = block.elements;
        if (!(Array.isArray(elements) && elements.length >= 1 && elements.length <= 10 && elements.every((e) => isText(e, 3000))))
          problems.push(`blocks[${i}] context needs 1-10 text elements`);
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`blocks[${i}] has unexpected type ${String(block.type)}`);
    }
    return undefined;
  });
  return problems;
}

/** PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events, .../resolve-events). */
export function pagerdutyProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof body.routing_key !== 'string' || body.routing_key === '') problems.push('routing_key is required');
  if (!['trigger', 'acknowledge', 'resolve'].includes(body.event_action as string)) problems.push('event_action must be trigger, acknowledge or resolve');
  if (body.dedup_key !== undefined && (typeof body.dedup_key !== 'string' || body.dedup_key.length > 255)) problems.push('dedup_key must be a string <= 255');
  if (body.event_action !== 'trigger') {
    if (typeof body.dedup_key !== 'string') problems.push('dedup_key is required to resolve');
    return problems;
  }
  const payload = body.payload;
  if (!isObject(payload)) return [...problems, 'payload is required'];
  if (typeof payload.summary !== 'string' || payload.summary === '' || payload.summary.length > 1024)
    problems.push('payload.summary must be 1-1024 characters');
  if (typeof payload.source !== 'string' || payload.source === '') problems.push('payload.source is required');
  if (!['critical', 'error', 'warning', 'info'].includes(payload.severity as string))
    problems.push('payload.severity must be critical, error, warning or info');
  if (payload.timestamp !== undefined && !Number.isFinite(Date.parse(payload.timestamp as string))) problems.push('payload.timestamp must be ISO 8601');
  if (payload.custom_details !== undefined && !isObject(payload.custom_details)) problems.push('payload.custom_details must be an object');
  return problems;
}
