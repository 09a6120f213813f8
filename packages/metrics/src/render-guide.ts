import type ndarray from 'ndarray';
import { gridSource } from './internal/grid-source.js';
import { isRasterLike, type RasterLike } from './raster-input.js';
import { percentileOf, type RgbaImage } from './render-raster.js';

/** Options for {@link renderGuide}. */
export interface GuideRenderOptions {
  /** Band indices shown as red, green and blue. Default `[0, 1, 2]` (for a NIR/R/G guide: false-colour infrared). */
  readonly bands?: readonly [number, number, number];
  /** Per-band percentile mapped to black. */
  readonly lowPercentile?: number;
  /** Per-band percentile mapped to full intensity. */
  readonly highPercentile?: number;
  /** Value marking missing pixels in a bare ndarray (a raster brings its own). */
  readonly nodata?: number | null;
}

/** Defaults of {@link GuideRenderOptions}: a 2-98 % stretch, the usual remote-sensing quick look. */
export const DEFAULT_GUIDE_RENDER_OPTIONS = {
  bands: [0, 1, 2],
  lowPercentile: 2,
  highPercentile: 98,
} as const;

/**
 * Renders a multispectral guide image as RGB with a per-band percentile stretch.
 *
 * @param guide - A raster or a `[bands, rows, cols]` ndarray.
 * @param options - Band selection, stretch percentiles and nodata.
 * @returns An RGBA image; pixels that are nodata in any shown band are transparent.
 * @throws RangeError if a band index is out of range or a shown band has no valid pixel.
 * @example
 * ```ts
 * const image = renderGuide(guideRaster, { bands: [0, 1, 2], lowPercentile: 2, highPercentile: 98 });
 * ```
 */
export function renderGuide(
  guide: RasterLike | ndarray.NdArray,
  options: GuideRenderOptions = {},
): RgbaImage {
  const { bands, lowPercentile, highPercentile } = { ...DEFAULT_GUIDE_RENDER_OPTIONS, ...options };
  const raster: RasterLike = isRasterLike(guide)
    ? guide
    : { data: guide, nodata: options.nodata ?? null, transform: [0, 1, 0, 0, 0, -1] };
  if (raster.data.shape.length !== 3) {
    throw new RangeError(`renderGuide: expected [bands, rows, cols], got shape [${raster.data.shape}]`);
  }
  const [bandCount, rows, cols] = raster.data.shape;
  const data = new Uint8ClampedArray(rows * cols * 4).fill(255);
  bands.forEach((band, channel) => {
    if (!Number.isInteger(band) || band < 0 || band >= bandCount) {
      throw new RangeError(`renderGuide: band ${band} is out of range; the guide has ${bandCount} bands`);
    }
    const source = gridSource(raster, { band }, 'renderGuide', 'guide');
    const values = new Float64Array(rows * cols);
    for (let row = 0; row < rows; row++) source.readRow(row, values.subarray(row * cols, (row + 1) * cols));
    const low = percentileOf(values, lowPercentile);
    const high = percentileOf(values, highPercentile);
    if (Number.isNaN(low)) throw new RangeError(`renderGuide: band ${band} has no valid pixel`);
    const span = high > low ? high - low : 1;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (Number.isNaN(value)) data[index * 4 + 3] = 0;
      else data[index * 4 + channel] = Math.round(((value - low) / span) * 255);
    }
  });
  return { width: cols, height: rows, data };
}
