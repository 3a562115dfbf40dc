import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { registry } from '../../../platform/telemetry.js';
import '../../../platform/telemetry-targets.js'; // registers the per-target gauges read from PostgreSQL
import '../../../platform/telemetry-models.js'; // registers the model monitor gauges read from PostgreSQL

/**
 * The shipped Prometheus alert rules and Grafana dashboard, checked by Prometheus's own tool (Debian's `prometheus`
 * package ships promtool; scripts/ensure-promtool.sh installs it): rule syntax, the rules' unit tests, every
 * dashboard query as a recording rule, the Compose scrape config, and that each metric they name is one the worker
 * exports, so renaming a metric fails here instead of silently emptying a panel or an alert.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const RULES = path.join(ROOT, 'deploy/prometheus/sentinel-rules.yml');
const RULE_TESTS = path.join(ROOT, 'deploy/prometheus/sentinel-rules.test.yml');
const SCRAPE_CONFIG = path.join(ROOT, 'deploy/prometheus/prometheus.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/dashboards/backup-sentinel.json');

function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error) throw new Error(`promtool not found (${run.error.message}): run scripts/ensure-promtool.sh (Debian package prometheus)`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query: { query: string } }> };
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
/** Grafana's template variables, replaced the way Grafana would for "All". */
const expand = (expr: string) => expr.replaceAll('$target', '.*').replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1d');
const dashboardQueries = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: expand(t.expr) })));
const ruleExprs = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) =>
  g.rules.map((r) => ({ alert: r.alert, expr: r.expr })),
);
const testSeries = (parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: Array<{ input_series: Array<{ series: string }> }> }).tests.flatMap((t) =>
  t.input_series.map((s) => s.series),
);

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or literals. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' '); // ranges
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = bare.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

describe('Prometheus alert rules and the Grafana dashboard', () => {
  it('reads metric names out of PromQL', () => {
    expect(metricNames('sum by (target) (increase(sentinel_backups_total{status="failed"}[6h])) > 0 unless on (target) up == 0')).toEqual([
      'sentinel_backups_total',
      'up',
    ]);
    expect(metricNames('a_seconds{x="y{z}"} / 60 and bool b')).toEqual(['a_seconds', 'b']);
  });

  it('the rules pass promtool check rules', () => {
    const { status, output } = promtool(['check', 'rules', RULES]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('the rules pass their unit tests (promtool test rules)', () => {
    const { status, output } = promtool(['test', 'rules', RULE_TESTS]);
    expect(output, output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('every dashboard query is valid PromQL (checked as a recording rule)', () => {
    expect(dashboardQueries.length).toBeGreaterThanOrEqual(8);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-dashboard-'));
    const file = path.join(dir, 'dashboard-queries.yml');
    writeFileSync(
      file,
      stringify({ groups: [{ name: 'dashboard', rules: dashboardQueries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr })) }] }),
    );
    const { status, output } = promtool(['check', 'rules', file]);
    expect(output, output).toContain(`SUCCESS: ${dashboardQueries.length} rules found`);
    expect(status).toBe(0);
  });

  it('names only metrics the worker exports, in the rules, their tests, the dashboard and its variable', async () => {
    const exported = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    const known = (name: string) => {
      if (name === 'up' || exported.has(name)) return true;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return exported.get(base) === 'histogram';
    };
    const used = [
      ...ruleExprs.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
      ...testSeries.map((s) => ({ where: 'rule test series', expr: s })),
      ...dashboardQueries.map((q) => ({ where: `panel "${q.panel}"`, expr: q.expr })),
      ...dashboard.templating.list.map((v) => ({ where: `variable ${v.name}`, expr: v.query.query.replace(/^label_values\((\w+),.*$/, '$1') })),
    ];
    const unknown = used.flatMap((u) =>
      metricNames(u.expr)
        .filter((n) => !known(n))
        .map((n) => `${u.where}: ${n}`),
    );
    expect(unknown).toEqual([]);
    // Every metric a per-target panel or rule reads carries the target label. The failure model's live quality
    // (sentinel_model_*) is fleet-wide: one active model predicts for every target, so its gauges have none.
    const perTarget = [...ruleExprs.map((r) => r.expr), ...dashboardQueries.map((q) => q.expr)]
      .flatMap(metricNames)
      .filter((n) => n.startsWith('sentinel_') && !n.startsWith('sentinel_model_'))
      .map((n) => (exported.has(n) ? n : n.replace(/_(bucket|sum|count)$/, '')));
    for (const name of new Set(perTarget)) expect((registry.getSingleMetric(name) as unknown as { labelNames: string[] }).labelNames, name).toContain('target');
  });

  it('the Compose scrape config is valid and loads the rules', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-prometheus-'));
    const config = readFileSync(SCRAPE_CONFIG, 'utf8').replace('/etc/prometheus/sentinel-rules.yml', RULES);
    writeFileSync(path.join(dir, 'prometheus.yml'), config);
    const { status, output } = promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
    expect(output, output).toContain('SUCCESS');
    expect(status).toBe(0);
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version 2\./);
  });
});
