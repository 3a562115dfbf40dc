/**
 * Which channels receive an alert (docs/alerts.md, "Routes"). Pure.
 *
 * - A channel receives only alerts at or above its `minSeverity`.
 * - A channel named in no route receives every alert (by its severity floor).
 * - A channel named in a route receives only the alerts some route naming it matches; a route matches an alert
 *   when the alert's target is in its `targets` (absent: any alert, also one without a target) and its severity in
 *   its `severities` (absent: any).
 * So adding `{ targets: [orders-db], severities: [critical], channels: [oncall] }` restricts the pager to critical
 * alerts of orders-db and leaves every other channel as it was.
 */
import type { AlertSeverity } from '../settings/schema.js';

export const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export interface RoutableChannel {
  name: string;
  minSeverity: AlertSeverity;
}

export interface Route {
  targets?: readonly string[] | undefined;
  severities?: readonly AlertSeverity[] | undefined;
  channels: readonly string[];
}

export function routeMatches(route: Route, alert: { target: string | null; severity: AlertSeverity }): boolean {
  if (route.targets && (alert.target === null || !route.targets.includes(alert.target))) return false;
  if (route.severities && !route.severities.includes(alert.severity)) return false;
  return true;
}

export function channelsFor<C extends RoutableChannel>(
  alert: { target: string | null; severity: AlertSeverity },
  channels: readonly C[],
  routes: readonly Route[],
): C[] {
  const routed = new Set(routes.flatMap((r) => r.channels));
  const matched = new Set(routes.filter((r) => routeMatches(r, alert)).flatMap((r) => r.channels));
  return channels.filter(
    (channel) => SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[channel.minSeverity] && (!routed.has(channel.name) || matched.has(channel.name)),
  );
}
