export { ANOMALY_MARKS, anomalyChartInput, anomalyChartSpec, renderAnomalySvg } from './anomaly-chart.js';
export type { AnomalyChartInput, AnomalyChartPoint } from './anomaly-chart.js';
export { FORECAST_MARKS, forecastChartInput, forecastChartSpec, renderForecastSvg } from './forecast-chart.js';
export type { ForecastChartInput } from './forecast-chart.js';
export { renderVegaLiteSvg } from './vega-svg.js';
