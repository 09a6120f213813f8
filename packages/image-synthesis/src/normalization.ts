/** One land-cover class: the value stored in the raster and its name. */
export interface LandCoverClass {
  /** Pixel value in the land-cover raster. */
  readonly value: number;
  /** Human-readable name. */
  readonly name: string;
}

/** The classes of a land-cover map, in one-hot channel order. */
export type ClassTable = readonly LandCoverClass[];

/** The generalised NLCD 2011 classes of the Zion sample (`data/zion-landcover.tif`). */
export const ZION_LAND_COVER_CLASSES: ClassTable = [
  { value: 1, name: 'Water' },
  { value: 2, name: 'Developed' },
  { value: 3, name: 'Barren' },
  { value: 4, name: 'Forest' },
  { value: 5, name: 'Shrubland' },
  { value: 6, name: 'Herbaceous' },
  { value: 7, name: 'Cultivated' },
  { value: 8, name: 'Wetlands' },
];

/**
 * Maps land-cover values to class indices (one-hot channels) of a class table.
 *
 * @param values - Land-cover pixel values.
 * @param table - The classes, in channel order.
 * @param nodata - A value that marks missing pixels (index -1), or `null`.
 * @returns Class indices, -1 for nodata.
 * @throws RangeError naming the unknown values and the values the table expects.
 */
export function classIndices(
  values: ArrayLike<number>,
  table: ClassTable,
  nodata: number | null = null,
): Int32Array {
  const lookup = new Map(table.map((entry, index) => [entry.value, index]));
  const indices = new Int32Array(values.length);
  const unknown = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (nodata !== null && (value === nodata || (Number.isNaN(nodata) && Number.isNaN(value)))) {
      indices[i] = -1;
      continue;
    }
    const index = lookup.get(value);
    if (index === undefined) unknown.add(value);
    else indices[i] = index;
  }
  if (unknown.size > 0) {
    throw new RangeError(
      `classIndices: land-cover values ${[...unknown]
        .sort((a, b) => a - b)
        .slice(0, 10)
        .join(
          ', ',
        )} are not in the class table; expected one of ${table.map((c) => `${c.value} (${c.name})`).join(', ')}${nodata === null ? '' : ` or nodata ${nodata}`}`,
    );
  }
  return indices;
}

/**
 * One-hot encodes class indices, pixel-interleaved (`[height * width * classes]`); -1 (nodata) is all zeros.
 *
 * @param indices - Class indices from {@link classIndices}.
 * @param classes - Number of classes.
 * @returns The one-hot values.
 */
export function oneHot(indices: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) if (indices[i] >= 0) out[i * classes + indices[i]] = 1;
  return out;
}

/** How imagery of a data type is mapped to [-1, 1]. */
export type ImageryNormalization =
  | {
      /** Optical reflectance or digital numbers: clipped to `[low, high]` per band, then scaled linearly. */
      readonly kind: 'optical';
      /** Lower clip per band. */
      readonly low: readonly number[];
      /** Upper clip per band. */
      readonly high: readonly number[];
    }
  | {
      /** SAR backscatter intensity: `10 log10(max(v, 1e-6))` dB, clipped to `[lowDb, highDb]`, scaled linearly. */
      readonly kind: 'sar';
      /** Lower clip, dB. */
      readonly lowDb: number;
      /** Upper clip, dB. */
      readonly highDb: number;
    };

/** Parameters that bring a DEM to about zero mean and unit scale: `(h - mean) / scale`. */
export interface DemNormalization {
  /** Metres subtracted. */
  readonly mean: number;
  /** Metres per unit. */
  readonly scale: number;
}

/**
 * A percentile of the finite values of an array (linear interpolation between order statistics).
 *
 * @param values - The values; non-finite ones are ignored.
 * @param fraction - In [0, 1].
 * @returns The percentile, or NaN when no value is finite.
 */
export function percentile(values: ArrayLike<number>, fraction: number): number {
  const sorted = Float64Array.from(Array.from(values).filter(Number.isFinite)).sort();
  if (sorted.length === 0) return Number.NaN;
  const position = Math.min(Math.max(fraction, 0), 1) * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/**
 * Optical normalisation fitted on band-sequential imagery: each band clipped to its 2nd and 98th percentile.
 *
 * @param bands - One array per band.
 * @param lowFraction - Lower percentile (default 0.02).
 * @param highFraction - Upper percentile (default 0.98).
 * @returns The normalisation.
 */
export function fitOpticalNormalization(
  bands: readonly ArrayLike<number>[],
  lowFraction = 0.02,
  highFraction = 0.98,
): ImageryNormalization {
  return {
    kind: 'optical',
    low: bands.map((band) => percentile(band, lowFraction)),
    high: bands.map((band) => percentile(band, highFraction)),
  };
}

/** The clip range of a band in the normalised quantity: its optical values, or dB for SAR. */
function clipRange(normalization: ImageryNormalization, band: number): [number, number] {
  return normalization.kind === 'optical'
    ? [normalization.low[band], normalization.high[band]]
    : [normalization.lowDb, normalization.highDb];
}

/**
 * Maps one band's values to [-1, 1].
 *
 * @param values - Raw values.
 * @param normalization - Optical or SAR normalisation.
 * @param band - The band's index (for the optical clip values).
 * @returns Values in [-1, 1].
 */
export function normalizeBand(
  values: ArrayLike<number>,
  normalization: ImageryNormalization,
  band: number,
): Float32Array {
  const out = new Float32Array(values.length);
  const [low, high] = clipRange(normalization, band);
  for (let i = 0; i < values.length; i++) {
    const v = normalization.kind === 'optical' ? values[i] : 10 * Math.log10(Math.max(values[i], 1e-6));
    out[i] = (2 * (Math.min(Math.max(v, low), high) - low)) / (high - low) - 1;
  }
  return out;
}

/**
 * Maps values in [-1, 1] back to the band's units (the clip range; dB become intensities for SAR).
 *
 * @param values - Values in [-1, 1].
 * @param normalization - The normalisation used in training.
 * @param band - The band's index.
 * @returns Values in the band's units.
 */
export function denormalizeBand(
  values: ArrayLike<number>,
  normalization: ImageryNormalization,
  band: number,
): Float32Array {
  const out = new Float32Array(values.length);
  const [low, high] = clipRange(normalization, band);
  for (let i = 0; i < values.length; i++) {
    const v = low + ((values[i] + 1) / 2) * (high - low);
    out[i] = normalization.kind === 'optical' ? v : 10 ** (v / 10);
  }
  return out;
}

/**
 * Fits a DEM normalisation: mean and standard deviation of the finite heights.
 *
 * @param heights - Heights in metres.
 * @returns `{ mean, scale }`; `scale` is at least 1 m.
 */
export function fitDemNormalization(heights: ArrayLike<number>): DemNormalization {
  let sum = 0;
  let squares = 0;
  let count = 0;
  for (let i = 0; i < heights.length; i++) {
    if (!Number.isFinite(heights[i])) continue;
    sum += heights[i];
    squares += heights[i] * heights[i];
    count++;
  }
  const mean = count === 0 ? 0 : sum / count;
  const variance = count === 0 ? 1 : Math.max(squares / count - mean * mean, 0);
  return { mean, scale: Math.max(Math.sqrt(variance), 1) };
}
