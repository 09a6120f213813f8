import { type SvgToPngOptions, svgToPng } from './figure.js';
import { FONT_FAMILY } from './internal/svg.js';
import type { LineProfile } from './line-profile.js';

/** One line of a profile chart. */
export interface ProfileSeries {
  /** Legend label, e.g. `'Prediction'`. */
  readonly name: string;
  /** Samples from {@link lineProfile}; NaN elevations leave gaps. */
  readonly profile: Pick<LineProfile, 'distance' | 'elevation'>;
}

/** Options for {@link lineProfileChartSvg}. */
export interface ProfileChartOptions {
  readonly title?: string;
  /** Plot area size in pixels (axes and legend come on top). */
  readonly width?: number;
  readonly height?: number;
  /** Unit of elevations on the y axis. */
  readonly elevationUnit?: string;
  /** Unit of distance on the x axis (map units of the raster, or `'px'`). */
  readonly distanceUnit?: string;
  /** Line colours, in the order of the series. */
  readonly colors?: readonly string[];
}

/** Defaults of {@link ProfileChartOptions}: prediction red, reference black, coarse grey (in that order). */
export const DEFAULT_PROFILE_CHART_OPTIONS = {
  width: 600,
  height: 260,
  elevationUnit: 'm',
  distanceUnit: 'm',
  colors: ['#d62728', '#222222', '#8c8c8c', '#1f77b4', '#2ca02c', '#9467bd'],
} as const;

/**
 * Line-profile chart (elevation against distance along a transect) as SVG, drawn by Vega-Lite.
 *
 * @param series - Lines to draw, e.g. prediction, reference and coarse input.
 * @param options - Title, size, axis units and colours.
 * @returns A standalone SVG document.
 * @throws RangeError if there is no series or more series than colours.
 * @remarks `vega` and `vega-lite` are loaded on first use; rendering needs no browser or canvas.
 * @example
 * ```ts
 * const svg = await lineProfileChartSvg([
 *   { name: 'Prediction', profile: lineProfile(prediction, a, b) },
 *   { name: 'Reference', profile: lineProfile(reference, a, b) },
 * ]);
 * ```
 */
export async function lineProfileChartSvg(
  series: readonly ProfileSeries[],
  options: ProfileChartOptions = {},
): Promise<string> {
  const settings = { ...DEFAULT_PROFILE_CHART_OPTIONS, ...options };
  if (series.length === 0) throw new RangeError('lineProfileChartSvg: expected at least one series');
  if (series.length > settings.colors.length) {
    throw new RangeError(
      `lineProfileChartSvg: ${series.length} series but only ${settings.colors.length} colours`,
    );
  }
  const values = series.flatMap(({ name, profile }) =>
    Array.from(profile.distance, (distance, index) => {
      const elevation = profile.elevation[index];
      return { distance, elevation: Number.isNaN(elevation) ? null : elevation, series: name };
    }),
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: settings.width,
    height: settings.height,
    background: 'white',
    ...(settings.title ? { title: settings.title } : {}),
    data: { values },
    mark: { type: 'line', strokeWidth: 1.6, invalid: 'break-paths-show-domains' },
    encoding: {
      x: {
        field: 'distance',
        type: 'quantitative',
        title: `Distance along the profile (${settings.distanceUnit})`,
      },
      y: {
        field: 'elevation',
        type: 'quantitative',
        title: `Elevation (${settings.elevationUnit})`,
        scale: { zero: false },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: series.map((entry) => entry.name), range: settings.colors.slice(0, series.length) },
      },
    },
    config: {
      font: FONT_FAMILY,
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 12 },
    },
  };
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Line-profile chart as PNG bytes: {@link lineProfileChartSvg} rendered by {@link svgToPng}.
 *
 * @param series - Lines to draw.
 * @param options - Chart options plus output width and fonts.
 * @returns The PNG file contents.
 * @throws RangeError as {@link lineProfileChartSvg}.
 * @example
 * ```ts
 * writeFileSync('profile.png', await lineProfileChartPng(series, { title: 'Transect A-B' }));
 * ```
 */
export async function lineProfileChartPng(
  series: readonly ProfileSeries[],
  options: ProfileChartOptions & SvgToPngOptions = {},
): Promise<Uint8Array> {
  return svgToPng(await lineProfileChartSvg(series, options), options);
}
