import { describe, expect, it } from 'vitest';
import { buildBaselines } from '../../../domain/metrics/baselines.js';
import { scoreRun } from '../../../domain/metrics/scoring.js';
import { forecastSeries } from '../../../domain/metrics/series-forecast.js';
import { ANOMALY_MARKS, FORECAST_MARKS, anomalyChartInput, forecastChartInput, renderAnomalySvg, renderForecastSvg } from '../../../cli/plot/index.js';
import { DAY_MS, HOUR_MS, SUNDAY, run } from './helpers.js';

/** Number of items drawn in a named mark group (`<g class="mark-<type> role-mark <name>_marks" ...>...</g>`). */
function markItems(svg: string, name: string, element: 'path' | 'line' | 'text' = 'path'): number | null {
  const open = new RegExp(`<g class="mark-[a-z]+ role-mark ${name}_marks"[^>]*?(/?)>`).exec(svg);
  if (!open) return null;
  if (open[1] === '/') return 0; // an empty group is self-closing
  const body = svg.slice(open.index + open[0].length, svg.indexOf('</g>', open.index));
  return (body.match(new RegExp(`<${element}[ >]`, 'g')) ?? []).length;
}

function expectSvg(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).not.toMatch(/NaN/);
}

describe('renderForecastSvg', () => {
  const points = Array.from({ length: 12 }, (_, i) => ({ at: Date.UTC(2024, 0, 1) + i * DAY_MS, value: 100 + 3 * i + (i % 2) }));
  const result = forecastSeries(points, { daysAhead: 20, capacity: 200 });

  it('draws history points, fit line, interval band and the capacity line', async () => {
    const svg = await renderForecastSvg(forecastChartInput(result, 'backup-store-1', { unit: 'GB' }));
    expectSvg(svg);
    expect(svg).toContain('backup-store-1');
    expect(markItems(svg, FORECAST_MARKS.history)).toBe(12);
    expect(markItems(svg, FORECAST_MARKS.fitLine)).toBe(1);
    expect(markItems(svg, FORECAST_MARKS.forecastLine)).toBe(1);
    expect(markItems(svg, FORECAST_MARKS.band)).toBe(1);
    expect(markItems(svg, FORECAST_MARKS.capacity, 'line')).toBe(1);
    expect(svg).toContain('capacity 200 GB');
  });

  it('leaves the capacity line out without a capacity and escapes names', async () => {
    const svg = await renderForecastSvg({ ...forecastChartInput(result, 'a <b> & c'), capacity: null });
    expectSvg(svg);
    expect(markItems(svg, FORECAST_MARKS.capacity, 'line')).toBeNull();
    expect(svg).toContain('a &lt;b&gt; &amp; c');
  });
});

describe('renderAnomalySvg', () => {
  it('draws the metric history, baseline centre and band, and exactly the flagged runs', async () => {
    const history = Array.from({ length: 20 }, (_, d) =>
      run({ target: 'db', startedAt: new Date(SUNDAY + d * DAY_MS + 2 * HOUR_MS), durationSeconds: 100 + (d % 4) }),
    );
    const baselines = buildBaselines(history);
    const durations = [101, 400, 99, 102, 700, 100, 30];
    const scores = durations.map((durationSeconds, i) =>
      scoreRun(baselines, run({ target: 'db', startedAt: new Date(SUNDAY + (21 + i) * DAY_MS + 2 * HOUR_MS), durationSeconds })),
    );
    const input = anomalyChartInput(scores, 'durationSeconds', 'db', 's');
    expect(input.points.filter((p) => p.flagged)).toHaveLength(3);
    const svg = await renderAnomalySvg(input);
    expectSvg(svg);
    expect(svg).toContain('db: durationSeconds');
    expect(markItems(svg, ANOMALY_MARKS.history)).toBe(7);
    expect(markItems(svg, ANOMALY_MARKS.flagged)).toBe(3);
    expect(markItems(svg, ANOMALY_MARKS.centre)).toBe(1);
    expect(markItems(svg, ANOMALY_MARKS.band)).toBe(1);
  });

  it('renders with no flagged points and no baseline', async () => {
    const svg = await renderAnomalySvg({
      seriesName: 'fresh-target',
      metric: 'sizeBytes',
      points: [{ at: new Date(SUNDAY), value: 1e9, expected: null, flagged: false }],
    });
    expectSvg(svg);
    expect(markItems(svg, ANOMALY_MARKS.history)).toBe(1);
    expect(markItems(svg, ANOMALY_MARKS.flagged)).toBe(0);
  });
});
