import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Compiles a Vega-Lite spec and renders it headless to an SVG string. `renderer: 'none'` needs no canvas or
 * DOM: text widths are estimated, which is fine for reports and CLI output.
 */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vegaSpec } = compile(spec);
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Dates as ISO strings (Vega-Lite parses 'YYYY-MM-DD' and full ISO instants as UTC). */
export function isoOf(at: Date | string | number): string {
  return at instanceof Date ? at.toISOString() : typeof at === 'number' ? new Date(at).toISOString() : at;
}

/** A UTC time axis (Vega then formats ticks in UTC): local time would make the SVG depend on the machine's timezone. */
export function utcTimeEncoding(field: string, title: string | null) {
  return {
    field,
    type: 'temporal' as const,
    scale: { type: 'utc' as const },
    axis: { labelAngle: -30 },
    title,
  };
}
