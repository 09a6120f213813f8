import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ColorRamp } from './color-ramp.js';
import { escapeXml, FONT_FAMILY, formatTick, niceTicks } from './internal/svg.js';
import { pngDataUrl } from './png.js';
import type { RgbaImage } from './render-raster.js';

/** A colour bar under a panel. */
export interface ColorLegend {
  readonly ramp: ColorRamp;
  readonly minimum: number;
  readonly maximum: number;
  /** Unit shown after the values, e.g. `'m'`. */
  readonly unit: string;
}

/** One picture of a figure. */
export interface FigurePanel {
  readonly title: string;
  readonly image: RgbaImage;
  /** Colour bar drawn under the image, when the colours stand for values. */
  readonly legend?: ColorLegend;
}

/** Options for {@link panelFigureSvg}. */
export interface PanelFigureOptions {
  /** Figure title above the panels. */
  readonly title?: string;
  /** Displayed width of each panel in pixels; heights keep the aspect ratio. */
  readonly panelWidth?: number;
  /** Panels per row. Default: all in one row. */
  readonly columns?: number;
}

/** Defaults of {@link PanelFigureOptions}. */
export const DEFAULT_PANEL_FIGURE_OPTIONS = { panelWidth: 256 } as const;

const MARGIN = 16;
const TITLE_HEIGHT = 28;
const PANEL_TITLE_HEIGHT = 22;
const LEGEND_HEIGHT = 44;

/**
 * Lays out images side by side with titles and colour bars, as an SVG document.
 *
 * @param panels - The pictures, in reading order.
 * @param options - Figure title, panel width and columns.
 * @returns A standalone SVG string (images embedded as PNG data URLs, drawn without smoothing;
 *   transparent (nodata) pixels show a grey hatching).
 * @throws RangeError if there is no panel or the panel width is not positive.
 * @example
 * ```ts
 * const svg = panelFigureSvg([{ title: 'DEM', image, legend: { ramp, minimum, maximum, unit: 'm' } }]);
 * ```
 */
export function panelFigureSvg(panels: readonly FigurePanel[], options: PanelFigureOptions = {}): string {
  const panelWidth = options.panelWidth ?? DEFAULT_PANEL_FIGURE_OPTIONS.panelWidth;
  if (panels.length === 0) throw new RangeError('panelFigureSvg: expected at least one panel');
  if (!(panelWidth > 0))
    throw new RangeError(`panelFigureSvg: panelWidth must be positive, got ${panelWidth}`);
  const columns = Math.max(1, Math.min(options.columns ?? panels.length, panels.length));
  const imageHeight = Math.max(
    ...panels.map((panel) => (panel.image.height / panel.image.width) * panelWidth),
  );
  const hasLegend = panels.some((panel) => panel.legend !== undefined);
  const cellHeight = PANEL_TITLE_HEIGHT + imageHeight + (hasLegend ? LEGEND_HEIGHT : 0) + MARGIN;
  const top = options.title ? TITLE_HEIGHT + MARGIN : MARGIN;
  const width = MARGIN + columns * (panelWidth + MARGIN);
  const height = top + Math.ceil(panels.length / columns) * cellHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.round(height)}" viewBox="0 0 ${width} ${Math.round(height)}" font-family="${FONT_FAMILY}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    // Nodata shows through transparent pixels as grey hatching, distinct from every ramp colour.
    '<defs><pattern id="nodata" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="6" height="6" fill="#d0d0d0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#a0a0a0" stroke-width="2"/></pattern></defs>',
  ];
  if (options.title) {
    parts.push(
      `<text x="${width / 2}" y="${MARGIN + 18}" font-size="18" font-weight="bold" text-anchor="middle">${escapeXml(options.title)}</text>`,
    );
  }
  panels.forEach((panel, index) => {
    const x = MARGIN + (index % columns) * (panelWidth + MARGIN);
    const y = top + Math.floor(index / columns) * cellHeight;
    const shownHeight = (panel.image.height / panel.image.width) * panelWidth;
    parts.push(
      `<text x="${x + panelWidth / 2}" y="${y + 15}" font-size="14" text-anchor="middle">${escapeXml(panel.title)}</text>`,
      `<rect x="${x - 0.5}" y="${y + PANEL_TITLE_HEIGHT - 0.5}" width="${panelWidth + 1}" height="${shownHeight + 1}" fill="url(#nodata)" stroke="#999999"/>`,
      `<image x="${x}" y="${y + PANEL_TITLE_HEIGHT}" width="${panelWidth}" height="${shownHeight}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${pngDataUrl(panel.image)}"/>`,
    );
    if (panel.legend)
      parts.push(colorBarSvg(panel.legend, x, y + PANEL_TITLE_HEIGHT + imageHeight + 8, panelWidth, index));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * A horizontal colour bar with tick labels, as an SVG fragment.
 *
 * @param legend - Ramp, value range and unit.
 * @param x - Left edge.
 * @param y - Top edge.
 * @param width - Bar width.
 * @param id - Unique suffix for the gradient id.
 * @returns SVG markup (a `<g>` element).
 * @example
 * ```ts
 * colorBarSvg({ ramp: TERRAIN_RAMP, minimum: 0, maximum: 100, unit: 'm' }, 10, 10, 200, 0);
 * ```
 */
export function colorBarSvg(
  legend: ColorLegend,
  x: number,
  y: number,
  width: number,
  id: number | string,
): string {
  const { ramp, minimum, maximum, unit } = legend;
  const barHeight = 12;
  const stops = ramp
    .map(([position, [r, g, b]]) => `<stop offset="${position}" stop-color="rgb(${r},${g},${b})"/>`)
    .join('');
  const { ticks, step } = niceTicks(minimum, maximum, Math.max(2, Math.floor(width / 60)));
  const span = maximum > minimum ? maximum - minimum : 1;
  const tickMarks = ticks
    .map((tick) => {
      const tx = x + ((tick - minimum) / span) * width;
      return (
        `<line x1="${tx}" y1="${y + barHeight}" x2="${tx}" y2="${y + barHeight + 4}" stroke="#333333"/>` +
        `<text x="${tx}" y="${y + barHeight + 16}" font-size="11" text-anchor="middle">${formatTick(tick, step)}</text>`
      );
    })
    .join('');
  return (
    `<g><defs><linearGradient id="ramp-${id}" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient></defs>` +
    `<rect x="${x}" y="${y}" width="${width}" height="${barHeight}" fill="url(#ramp-${id})" stroke="#666666"/>` +
    `${tickMarks}<text x="${x + width}" y="${y + barHeight + 30}" font-size="11" text-anchor="end">${escapeXml(unit)}</text></g>`
  );
}

/** Options for {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Output width in pixels; the height follows. Default: the SVG's own size. */
  readonly width?: number;
  /** Font files to load in addition to the bundled DejaVu Sans (and the system fonts, if loaded). */
  readonly fontFiles?: readonly string[];
  /** Also load the system's fonts. Default `false`: the bundled DejaVu Sans makes output the same everywhere. */
  readonly loadSystemFonts?: boolean;
}

/** DejaVu Sans (regular and bold) from the `dejavu-fonts-ttf` package. */
const BUNDLED_FONTS = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  fileURLToPath(
    new URL(
      `ttf/${file}`,
      pathToFileURL(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
    ),
  ),
);

/**
 * Renders an SVG document to PNG bytes with resvg (a Rust renderer shipped as an npm binary).
 *
 * @param svg - The SVG document.
 * @param options - Output width and fonts.
 * @returns The PNG file contents.
 * @remarks Text is drawn with DejaVu Sans from the `dejavu-fonts-ttf` package (Bitstream Vera licence), so
 *   figures need no system font and look the same on every machine; `fontFiles` and `loadSystemFonts` add more.
 *   `@resvg/resvg-js` is loaded on first use.
 * @example
 * ```ts
 * writeFileSync('panel.png', await svgToPng(panelFigureSvg(panels)));
 * ```
 */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const renderer = new Resvg(svg, {
    background: 'white',
    fitTo: options.width ? { mode: 'width', value: options.width } : { mode: 'original' },
    font: {
      loadSystemFonts: options.loadSystemFonts ?? false,
      fontFiles: [...BUNDLED_FONTS, ...(options.fontFiles ?? [])],
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return new Uint8Array(renderer.render().asPng());
}
