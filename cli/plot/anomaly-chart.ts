import type { TopLevelSpec } from 'vega-lite';
import type { RunMetric } from '../../domain/metrics/anomaly-policy.js';
import type { RunScore } from '../../domain/metrics/scoring.js';
import type { Severity } from '../../domain/metrics/zscore.js';
import { isoOf, renderVegaLiteSvg, utcTimeEncoding } from './vega-svg.js';

export interface AnomalyChartPoint {
  at: Date | string;
  value: number;
  /** Baseline centre and the non-anomalous band for this run (seasonal buckets make it vary); null = none. */
  expected: { median: number; lower: number; upper: number } | null;
  flagged: boolean;
  severity?: Severity;
}

export interface AnomalyChartInput {
  /** Usually the target name. */
  seriesName: string;
  metric: string;
  title?: string;
  unit?: string;
  points: AnomalyChartPoint[];
  width?: number;
  height?: number;
}

/** Mark names in the SVG (`<g class="... {name}_marks">`). */
export const ANOMALY_MARKS = {
  band: 'baselineBand',
  centre: 'baselineCentre',
  history: 'metricPoints',
  flagged: 'flaggedPoints',
} as const;

/** Chart input for one metric from scored runs (unscored runs are left out: they have no baseline). */
export function anomalyChartInput(scores: readonly RunScore[], metric: RunMetric, seriesName: string, unit?: string): AnomalyChartInput {
  const points: AnomalyChartPoint[] = [];
  for (const score of scores) {
    if (score.status !== 'scored') continue;
    const finding = score.findings.find((f) => f.metric === metric);
    if (!finding) continue;
    points.push({
      at: score.startedAt,
      value: finding.value,
      expected: finding.expected,
      flagged: finding.isAnomaly,
      severity: finding.severity,
    });
  }
  const input: AnomalyChartInput = { seriesName, metric, points };
  if (unit !== undefined) input.unit = unit;
  return input;
}

export function anomalyChartSpec(input: AnomalyChartInput): TopLevelSpec {
  const x = utcTimeEncoding('at', null);
  const yTitle = input.unit ? `${input.metric} (${input.unit})` : input.metric;
  const y = { field: 'value', type: 'quantitative' as const, title: yTitle };
  const rows = input.points
    .filter((p) => Number.isFinite(p.value))
    .map((p) => ({
      at: isoOf(p.at),
      value: p.value,
      median: p.expected?.median ?? null,
      lower: p.expected?.lower ?? null,
      upper: p.expected?.upper ?? null,
      flagged: p.flagged,
      severity: p.severity ?? (p.flagged ? 'warning' : 'info'),
    }));
  const withBaseline = rows.filter((r) => r.median !== null && Number.isFinite(r.median) && Number.isFinite(r.lower) && Number.isFinite(r.upper));
  const flagged = rows.filter((r) => r.flagged);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: input.title ?? `${input.seriesName}: ${input.metric}`, subtitle: 'band: baseline range (|modified z| <= 3.5), line: baseline median' },
    width: input.width ?? 640,
    height: input.height ?? 300,
    layer: [
      {
        name: ANOMALY_MARKS.band,
        data: { values: withBaseline },
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.2, color: '#54a24b' },
        encoding: { x, y: { field: 'lower', type: 'quantitative', title: yTitle }, y2: { field: 'upper' } },
      },
      {
        name: ANOMALY_MARKS.centre,
        data: { values: withBaseline },
        mark: { type: 'line', interpolate: 'step-after', color: '#54a24b' },
        encoding: { x, y: { field: 'median', type: 'quantitative', title: yTitle } },
      },
      {
        name: ANOMALY_MARKS.history,
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 14, color: '#777777' },
        encoding: { x, y },
      },
      {
        name: ANOMALY_MARKS.flagged,
        data: { values: flagged },
        mark: { type: 'point', filled: true, size: 70, shape: 'diamond' },
        encoding: {
          x,
          y,
          color: {
            field: 'severity',
            type: 'nominal',
            scale: { domain: ['info', 'warning', 'critical'], range: ['#4c78a8', '#f58518', '#e45756'] },
            title: 'severity',
          },
          tooltip: [{ field: 'at' }, { field: 'value' }, { field: 'severity' }],
        },
      },
    ],
  };
}

/** SVG string: the metric's history, the baseline centre and band, and the flagged runs coloured by severity. */
export function renderAnomalySvg(input: AnomalyChartInput): Promise<string> {
  return renderVegaLiteSvg(anomalyChartSpec(input));
}
