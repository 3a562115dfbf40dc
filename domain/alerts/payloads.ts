/**
 * The bodies each channel kind receives (docs/alerts.md shows examples). Pure: the signature and the HTTP call live
 * in capabilities/alerts/. Written by hand rather than with @slack/webhook or @pagerduty/pdjs: both are HTTP
 * clients around a JSON body we must shape anyway, and the delivery loop needs the raw status of every attempt.
 */
import type { AlertSeverity } from '../settings/schema.js';
import { awaitsApproval } from './incident.js';

export interface AlertEvent {
  action: 'trigger' | 'resolve';
  /** The stored alert (for a resolve: the incident's first alert). */
  id: number;
  dedupeKey: string;
  incidentKey: string;
  target: string | null;
  workflowId: string | null;
  kind: string;
  severity: AlertSeverity;
  message: string;
  details: Record<string, unknown>;
  createdAt: string;
  /** Why the incident ended (resolve only). */
  resolution?: string | undefined;
  resolvedAt?: string | undefined;
  /** The run in the Temporal Web UI, when the worker knows the UI's address. */
  runUrl?: string | undefined;
}

/** The `webhook` body: the fields ALERT_WEBHOOK_URL always received, plus `action`, `incidentKey` and the rest. */
export function webhookBody(event: AlertEvent): string {
  return JSON.stringify({
    id: event.id,
    dedupeKey: event.dedupeKey,
    target: event.target,
    workflowId: event.workflowId,
    kind: event.kind,
    severity: event.severity,
    message: event.message,
    details: event.details,
    action: event.action,
    incidentKey: event.incidentKey,
    createdAt: event.createdAt,
    ...(event.runUrl ? { runUrl: event.runUrl } : {}),
    ...(event.action === 'resolve' ? { resolution: event.resolution ?? null, resolvedAt: event.resolvedAt ?? null } : {}),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Slack (incoming webhooks, Block Kit: https://api.slack.com/reference/block-kit/blocks)

const SLACK_HEADER_MAX = 150; // plain_text in a header block
const SLACK_TEXT_MAX = 3000; // section text
const SLACK_FIELD_MAX = 2000; // each section field
const SLACK_FALLBACK_MAX = 4000; // top-level text shown in notifications

/** mrkdwn control characters, escaped as Slack asks (https://api.slack.com/reference/surfaces/formatting#escaping). */
export const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const mrkdwn = (text: string, max = SLACK_TEXT_MAX) => ({ type: 'mrkdwn', text: cut(text, max) });
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });

interface RiskFactorLike {
  factor?: unknown;
  description?: unknown;
  contribution?: unknown;
}

/** The factors that raised the risk most, as the prediction explains them. */
export function topFactors(details: Record<string, unknown>, count = 3): string[] {
  const factors = Array.isArray(details.riskFactors) ? (details.riskFactors as RiskFactorLike[]) : [];
  return factors
    .filter((f) => typeof f?.contribution === 'number' && f.contribution > 0)
    .sort((a, b) => (b.contribution as number) - (a.contribution as number))
    .slice(0, count)
    .map((f) => (typeof f.description === 'string' && f.description ? f.description : String(f.factor)));
}

/** `failure risk high (0.82)` in the gate's message: the risk level the prediction named. */
export function riskOf(event: Pick<AlertEvent, 'message' | 'details'>): { level: string | null; probability: number | null } {
  const level = /failure risk (low|medium|high|critical)\b/.exec(event.message)?.[1] ?? null;
  const probability = typeof event.details.probability === 'number' ? event.details.probability : null;
  return { level, probability };
}

/** A shell word for a workflow ID: bare when it is plainly safe, else single-quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The exact commands that answer an approval wait. */
export function approvalCommands(workflowId: string): { approve: string; reject: string } {
  const id = shellWord(workflowId);
  return {
    approve: `sentinel backup approve ${id} --by "$USER" --reason "why it is safe"`,
    reject: `sentinel backup reject ${id} --by "$USER" --reason "why not"`,
  };
}

const SEVERITY_MARK: Record<AlertSeverity, string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** An incoming-webhook message: `text` (notification fallback) and `blocks` (header, sections, context). */
export function slackMessage(event: AlertEvent): { text: string; blocks: Array<Record<string, unknown>> } {
  const subject = event.target ?? 'backup-sentinel';
  const resolved = event.action === 'resolve';
  const headline = resolved ? `Resolved: ${subject}: ${event.kind}` : `${subject}: ${event.kind} (${event.severity})`;
  // The fallback is mrkdwn too: escaped like the blocks, so a message with `<` cannot form a link or a mention.
  const text = cut(slackEscape(resolved ? `Resolved: ${event.message}${event.resolution ? ` (${event.resolution})` : ''}` : event.message), SLACK_FALLBACK_MAX);
  const blocks: Array<Record<string, unknown>> = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(`${resolved ? ':white_check_mark:' : SEVERITY_MARK[event.severity]} ${headline}`, SLACK_HEADER_MAX), emoji: true },
    },
  ];
  if (resolved) {
    blocks.push(section(`*Resolved:* ${slackEscape(event.resolution ?? 'ended')}\n*Was:* ${slackEscape(event.message)}`));
  } else {
    const risk = riskOf(event);
    const fields = [
      mrkdwn(`*Target*\n${slackEscape(subject)}`, SLACK_FIELD_MAX),
      mrkdwn(`*Severity*\n${event.severity}`, SLACK_FIELD_MAX),
      ...(risk.level ? [mrkdwn(`*Risk*\n${risk.level}`, SLACK_FIELD_MAX)] : []),
      ...(risk.probability !== null ? [mrkdwn(`*Probability*\n${risk.probability}`, SLACK_FIELD_MAX)] : []),
    ];
    blocks.push(section(slackEscape(event.message)), { type: 'section', fields });
    const factors = topFactors(event.details);
    if (factors.length > 0) blocks.push(section(`*Top factors*\n${factors.map((f) => `• ${slackEscape(f)}`).join('\n')}`));
    const actions = Array.isArray(event.details.recommendedActions) ? event.details.recommendedActions.filter((a): a is string => typeof a === 'string') : [];
    if (actions.length > 0) blocks.push(section(`*Recommended action*\n${slackEscape(actions[0]!)}`));
    if (event.workflowId && awaitsApproval(event)) {
      const commands = approvalCommands(event.workflowId);
      blocks.push(section(`*Awaiting approval.* Approve or reject:\n\`\`\`${slackEscape(commands.approve)}\n${slackEscape(commands.reject)}\`\`\``));
    }
  }
  const context = [
    ...(event.runUrl ? [`<${event.runUrl}|Open the run in the Temporal Web UI>`] : []),
    ...(event.workflowId ? [`workflow \`${slackEscape(event.workflowId)}\``] : []),
    `alert ${event.id} · ${slackEscape(event.incidentKey)}`,
  ];
  blocks.push({ type: 'context', elements: [mrkdwn(context.join(' · '))] });
  return { text, blocks };
}

// ---------------------------------------------------------------------------------------------------------------
// PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/)

/** PagerDuty's severities are critical, error, warning, info. */
export const PAGERDUTY_SEVERITY: Record<AlertSeverity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};
const PD_SUMMARY_MAX = 1024;

export function pagerdutyEvent(event: AlertEvent, routingKey: string): Record<string, unknown> {
  if (event.action === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: event.incidentKey };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: event.incidentKey,
    payload: {
      summary: cut(event.message, PD_SUMMARY_MAX),
      source: event.target ?? 'backup-sentinel',
      severity: PAGERDUTY_SEVERITY[event.severity],
      timestamp: event.createdAt,
      component: event.target ?? undefined,
      group: 'backup-sentinel',
      class: event.kind,
      custom_details: { ...event.details, alertId: event.id, dedupeKey: event.dedupeKey, workflowId: event.workflowId },
    },
    client: 'Backup Sentinel',
    ...(event.runUrl ? { client_url: event.runUrl, links: [{ href: event.runUrl, text: 'Run in the Temporal Web UI' }] } : {}),
  };
}
