import type ndarray from 'ndarray';
import { TERRAIN_RAMP } from './color-ramp.js';
import { type FigurePanel, type PanelFigureOptions, panelFigureSvg } from './figure.js';
import { type GridInput, isRasterLike, type RasterLike } from './raster-input.js';
import { type GuideRenderOptions, renderGuide } from './render-guide.js';
import { type ColoredRaster, colorizeRaster, renderErrorMap } from './render-raster.js';
import { hillshade } from './terrain-derivatives.js';
import type { TerrainOptions } from './terrain-options.js';

/** Options for {@link demFigureSvg} and {@link comparisonFigureSvg}. */
export interface DemFigureOptions extends PanelFigureOptions, TerrainOptions {
  /**
   * Darken the colours with a hillshade (sun from 315 degrees, 45 degrees up) so relief reads at a glance.
   * Needs a cell size (a raster, or `cellSize`); without one the colours are flat.
   */
  readonly shade?: boolean;
  /** Elevation unit shown on the colour bars. */
  readonly unit?: string;
}

/** Defaults of {@link DemFigureOptions}. */
export const DEFAULT_DEM_FIGURE_OPTIONS = { shade: true, unit: 'm', panelWidth: 256 } as const;

function hasCellSize(dem: GridInput, options: TerrainOptions): boolean {
  return options.cellSize !== undefined || isRasterLike(dem);
}

/** Multiplies the colours by `0.45 + 0.55 * hillshade / 255` (nodata and border pixels keep their colour). */
function shadeColors(colored: ColoredRaster, dem: GridInput, options: TerrainOptions): ColoredRaster {
  const shade = hillshade(dem, options).data;
  const data = Uint8ClampedArray.from(colored.image.data);
  for (let index = 0; index < shade.length; index++) {
    const value = shade[index];
    if (Number.isNaN(value)) continue;
    const factor = 0.45 + (0.55 * value) / 255;
    for (let channel = 0; channel < 3; channel++) data[index * 4 + channel] *= factor;
  }
  return { ...colored, image: { ...colored.image, data } };
}

function demPanel(
  title: string,
  dem: GridInput,
  range: { minimum: number; maximum: number },
  options: DemFigureOptions,
): FigurePanel {
  const { shade, unit } = { ...DEFAULT_DEM_FIGURE_OPTIONS, ...options };
  let colored = colorizeRaster(dem, { ...options, ...range, ramp: TERRAIN_RAMP });
  if (shade && hasCellSize(dem, options)) colored = shadeColors(colored, dem, options);
  return { title, image: colored.image, legend: { ramp: TERRAIN_RAMP, ...range, unit } };
}

/**
 * A DEM as a coloured (optionally shaded) picture with an elevation colour bar, as SVG.
 *
 * @param dem - Elevations, `[rows, cols]` ndarray or raster band.
 * @param options - Title, panel width, shading, unit, cell size, nodata.
 * @returns A standalone SVG document; render it with {@link svgToPng}.
 * @throws RangeError if every pixel is nodata.
 * @example
 * ```ts
 * writeFileSync('dem.png', await svgToPng(demFigureSvg(demRaster, { title: 'DTM', panelWidth: 512 })));
 * ```
 */
export function demFigureSvg(dem: GridInput, options: DemFigureOptions = {}): string {
  const colored = colorizeRaster(dem, options);
  const range = { minimum: colored.minimum, maximum: colored.maximum };
  return panelFigureSvg([demPanel(options.title ?? 'Elevation', dem, range, options)], {
    ...options,
    title: undefined,
  });
}

/** The rasters of a super-resolution comparison. */
export interface ComparisonInputs {
  /** Coarse DEM already resampled to the prediction grid (optional). */
  readonly coarse?: GridInput;
  /** Guide image, `[bands, rows, cols]` (optional). */
  readonly guide?: RasterLike | ndarray.NdArray;
  /** Predicted DEM. */
  readonly prediction: GridInput;
  /** Reference DEM. */
  readonly reference: GridInput;
}

/** Options for {@link comparisonFigureSvg}. */
export interface ComparisonFigureOptions extends DemFigureOptions {
  /** Guide band selection and stretch. */
  readonly guide?: GuideRenderOptions;
  /** Error magnitude at the ends of the diverging ramp. Default: 98th percentile of |error|. */
  readonly errorLimit?: number;
}

/**
 * Side-by-side panel: coarse input | guide | prediction | reference | error, with titles and colour bars.
 *
 * @param inputs - The rasters; `coarse` and `guide` may be left out.
 * @param options - Figure title, panel width, shading, error limit, guide rendering, cell size, nodata.
 * @returns A standalone SVG document. The DEM panels share one elevation range (that of the reference);
 *   the error panel uses a diverging ramp centred on 0 (red: prediction too high).
 * @throws RangeError if shapes differ or a raster is all nodata.
 * @example
 * ```ts
 * const svg = comparisonFigureSvg({ coarse, guide, prediction, reference }, { title: 'Tile 42' });
 * ```
 */
export function comparisonFigureSvg(inputs: ComparisonInputs, options: ComparisonFigureOptions = {}): string {
  const { unit } = { ...DEFAULT_DEM_FIGURE_OPTIONS, ...options };
  const referenceColors = colorizeRaster(inputs.reference, options);
  const range = { minimum: referenceColors.minimum, maximum: referenceColors.maximum };
  const panels: FigurePanel[] = [];
  if (inputs.coarse !== undefined) panels.push(demPanel('Coarse input', inputs.coarse, range, options));
  if (inputs.guide !== undefined)
    panels.push({ title: 'Guide image', image: renderGuide(inputs.guide, options.guide) });
  panels.push(demPanel('Prediction', inputs.prediction, range, options));
  panels.push(demPanel('Reference', inputs.reference, range, options));
  const error = renderErrorMap(inputs.prediction, inputs.reference, {
    ...options,
    limit: options.errorLimit,
  });
  panels.push({
    title: 'Error (prediction − reference)',
    image: error.image,
    legend: { ramp: error.ramp, minimum: error.minimum, maximum: error.maximum, unit },
  });
  return panelFigureSvg(panels, options);
}
