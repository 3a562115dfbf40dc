import type { TopLevelSpec } from 'vega-lite';
import type { SeriesForecast } from '../../domain/metrics/series-forecast.js';
import { isoOf, renderVegaLiteSvg, utcTimeEncoding } from './vega-svg.js';

export interface ForecastChartInput {
  seriesName: string;
  title?: string;
  /** Y-axis unit, e.g. 'GB'. */
  unit?: string;
  history: { date: Date | string; value: number }[];
  /** The model's fit over history (drawn as a solid line). */
  fit?: { date: Date | string; value: number }[];
  /** Future path: predicted value (dashed line) and the 95% interval (band). */
  forecast: { date: Date | string; predicted: number; lower: number; upper: number }[];
  capacity?: number | null;
  width?: number;
  height?: number;
}

/** Mark names in the SVG (`<g class="... {name}_marks">`), stable for tests and styling. */
export const FORECAST_MARKS = {
  band: 'intervalBand',
  forecastLine: 'forecastLine',
  fitLine: 'fitLine',
  history: 'historyPoints',
  capacity: 'capacityRule',
  capacityLabel: 'capacityLabel',
} as const;

/** Chart input from a `forecastSeries` result (history, fitted line and path all come from it). */
export function forecastChartInput(
  result: SeriesForecast,
  seriesName: string,
  options: { capacity?: number | null; unit?: string; title?: string } = {},
): ForecastChartInput {
  const input: ForecastChartInput = {
    seriesName,
    history: result.history,
    fit: result.fitted,
    forecast: result.path,
    capacity: options.capacity ?? result.daysUntilFull?.capacity ?? null,
  };
  if (options.unit !== undefined) input.unit = options.unit;
  if (options.title !== undefined) input.title = options.title;
  return input;
}

const finite = (...values: number[]): boolean => values.every(Number.isFinite);

export function forecastChartSpec(input: ForecastChartInput): TopLevelSpec {
  const x = utcTimeEncoding('date', null);
  const yTitle = input.unit ? `${input.seriesName} (${input.unit})` : input.seriesName;
  const y = { field: 'value', type: 'quantitative' as const, title: yTitle };
  const history = input.history.filter((p) => finite(p.value)).map((p) => ({ date: isoOf(p.date), value: p.value }));
  const fit = (input.fit ?? []).filter((p) => finite(p.value)).map((p) => ({ date: isoOf(p.date), value: p.value }));
  const future = input.forecast
    .filter((p) => finite(p.predicted, p.lower, p.upper))
    .map((p) => ({ date: isoOf(p.date), value: p.predicted, lower: p.lower, upper: p.upper }));
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      name: FORECAST_MARKS.band,
      data: { values: future },
      mark: { type: 'area', opacity: 0.25, color: '#4c78a8' },
      encoding: { x, y: { field: 'lower', type: 'quantitative', title: yTitle }, y2: { field: 'upper' } },
    },
    {
      name: FORECAST_MARKS.forecastLine,
      data: { values: future },
      mark: { type: 'line', strokeDash: [6, 4], color: '#4c78a8' },
      encoding: { x, y },
    },
    { name: FORECAST_MARKS.fitLine, data: { values: fit }, mark: { type: 'line', color: '#f58518' }, encoding: { x, y } },
    {
      name: FORECAST_MARKS.history,
      data: { values: history },
      mark: { type: 'point', filled: true, size: 18, color: '#333333' },
      encoding: { x, y, tooltip: [{ field: 'date' }, { field: 'value' }] },
    },
  ];
  if (input.capacity !== undefined && input.capacity !== null && Number.isFinite(input.capacity)) {
    const values = [{ capacity: input.capacity, label: `capacity ${input.capacity}${input.unit ? ` ${input.unit}` : ''}` }];
    layers.push(
      {
        name: FORECAST_MARKS.capacity,
        data: { values },
        mark: { type: 'rule', color: '#e45756', strokeDash: [2, 2] },
        encoding: { y: { field: 'capacity', type: 'quantitative' } },
      },
      {
        name: FORECAST_MARKS.capacityLabel,
        data: { values },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#e45756' },
        encoding: { y: { field: 'capacity', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: input.title ?? `${input.seriesName}: storage forecast`,
      subtitle: 'points: history, solid: fit, dashed: forecast, band: 95% prediction interval',
    },
    width: input.width ?? 640,
    height: input.height ?? 300,
    layer: layers,
  };
}

/** SVG string: history points, fit line, forecast line with its 95% band, and the capacity line when given. */
export function renderForecastSvg(input: ForecastChartInput): Promise<string> {
  return renderVegaLiteSvg(forecastChartSpec(input));
}
