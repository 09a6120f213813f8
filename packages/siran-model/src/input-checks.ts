import { metresPerVerticalUnit, type RasterSource, type VerticalUnit } from '@siran/dataset-builder';
import type { Crs, Raster } from '@siran/geo-io';
import type { InputNormalization } from './normalization.js';

/** Heights on Earth, metres, with a margin: values outside are another unit or a wrong nodata value. */
export const PLAUSIBLE_HEIGHTS: readonly [number, number] = [-1000, 9000];

/**
 * How far a guide band's statistics may be from those the model was trained on before prediction is refused:
 * standard deviations within a factor of `scale`, means within `offset` trained standard deviations.
 */
export const GUIDE_STATISTICS_TOLERANCE = { scale: 8, offset: 8 } as const;

/**
 * Metres per unit of a coarse DEM's heights, refusing to guess when its CRS says feet.
 *
 * @param unit - The unit the user gave, if any.
 * @param crs - The coarse DEM's CRS.
 * @param name - The coarse DEM's name, for the message.
 * @returns Metres per height unit (1 for metres).
 * @throws RangeError if no unit was given and the CRS's units are not metres.
 */
export function coarseMetresPerUnit(unit: VerticalUnit | undefined, crs: Crs, name: string): number {
  if (unit !== undefined) return metresPerVerticalUnit(unit, crs);
  const fromCrs = metresPerVerticalUnit(undefined, crs);
  if (Math.abs(fromCrs - 1) > 1e-9) {
    throw new RangeError(
      `the coarse DEM ${name} is in a CRS whose units are ${fromCrs} m (${crs.proj4}); its heights are probably in that unit too, not metres: say which (coarseVerticalUnit 'foot', 'us-survey-foot' or 'metre'; siran predict --coarse-unit)`,
    );
  }
  return 1;
}

/**
 * Converts a coarse DEM's band to metres in place and checks that its heights can be heights on Earth.
 *
 * @param raster - The coarse DEM as read.
 * @param band - The band used.
 * @param metresPerUnit - From {@link coarseMetresPerUnit}.
 * @param name - The coarse DEM's name, for the message.
 * @param check - Whether to check the heights' range.
 * @throws RangeError if no pixel has a value, or (with `check`) the heights in metres leave {@link PLAUSIBLE_HEIGHTS}.
 */
export function coarseToMetres(
  raster: Raster,
  band: number,
  metresPerUnit: number,
  name: string,
  check = true,
): void {
  const [, rows, columns] = raster.data.shape;
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const value = raster.data.get(band, row, column);
      if (value === raster.nodata || !Number.isFinite(value)) continue;
      const metres = value * metresPerUnit;
      if (metresPerUnit !== 1) raster.data.set(band, row, column, metres);
      minimum = Math.min(minimum, metres);
      maximum = Math.max(maximum, metres);
    }
  }
  if (minimum > maximum) {
    throw new RangeError(
      `the coarse DEM ${name} has no valid height in band ${band + 1} (nodata ${raster.nodata})`,
    );
  }
  const [low, high] = PLAUSIBLE_HEIGHTS;
  if (check && (minimum < low || maximum > high)) {
    throw new RangeError(
      `the coarse DEM ${name} has heights from ${minimum.toFixed(1)} to ${maximum.toFixed(1)} m, outside the ${low}..${high} m of the Earth's surface: are they in another unit (give it as coarseVerticalUnit, siran predict --coarse-unit), or is a nodata value missing (the file says ${raster.nodata})?`,
    );
  }
}

/** Per-band statistics of a sample of the guide. */
export interface GuideSample {
  /** Mean per band (NIR, red, green), source units. */
  readonly mean: [number, number, number];
  /** Standard deviation per band. */
  readonly standardDeviation: [number, number, number];
  /** Pixels sampled. */
  readonly pixels: number;
}

/**
 * Samples a guide in a grid of small windows (at most `windows^2` of `size^2` pixels) and returns per-band
 * statistics, nodata and non-finite values left out; reads a few kilobytes of a large file, not all of it.
 *
 * @param guide - The guide.
 * @param bands - 0-based bands for NIR, red and green.
 * @param windows - Windows per axis.
 * @param size - Window side, pixels.
 * @returns The sample's statistics.
 */
export async function sampleGuide(
  guide: RasterSource,
  bands: readonly [number, number, number],
  windows = 6,
  size = 32,
): Promise<GuideSample> {
  const sums = [0, 0, 0];
  const squares = [0, 0, 0];
  const counts = [0, 0, 0];
  const width = Math.min(size, guide.width);
  const height = Math.min(size, guide.height);
  const starts = (extent: number, window: number) => [
    ...new Set(
      Array.from({ length: windows }, (_, i) => Math.round(((extent - window) * (i + 0.5)) / windows)),
    ),
  ];
  for (const y of starts(guide.height, height)) {
    for (const x of starts(guide.width, width)) {
      const raster = await guide.read({ x, y, width, height }, bands);
      const values = raster.data.data;
      const pixels = width * height;
      for (let band = 0; band < 3; band++) {
        for (let i = 0; i < pixels; i++) {
          const value = values[band * pixels + i];
          if (value === guide.nodata || !Number.isFinite(value)) continue;
          sums[band] += value;
          squares[band] += value * value;
          counts[band] += 1;
        }
      }
    }
  }
  const mean = sums.map((sum, band) => (counts[band] > 0 ? sum / counts[band] : Number.NaN));
  const standardDeviation = squares.map((square, band) =>
    counts[band] > 0 ? Math.sqrt(Math.max(0, square / counts[band] - mean[band] ** 2)) : Number.NaN,
  );
  return {
    mean: mean as [number, number, number],
    standardDeviation: standardDeviation as [number, number, number],
    pixels: Math.min(...counts),
  };
}

/**
 * Refuses a guide whose values are not of the kind the model was trained on (another bit depth or scaling,
 * reflectance where digital numbers were trained, a wrong band), judged on a sample of the guide.
 *
 * @param sample - From {@link sampleGuide}.
 * @param normalization - The model's input normalisation (trained guide statistics).
 * @param bands - The 0-based guide bands used, for the message.
 * @param name - The guide's name, for the message.
 * @throws RangeError naming the band, its statistics and the trained ones, when a band's standard deviation is
 *   more than {@link GUIDE_STATISTICS_TOLERANCE}`.scale` times off, or its mean more than `.offset` trained
 *   standard deviations away.
 * @remarks A model without guide statistics (all means 0 and deviations 1: inputs already standardised) is not
 *   checked.
 */
export function checkGuideStatistics(
  sample: GuideSample,
  normalization: InputNormalization,
  bands: readonly [number, number, number],
  name: string,
): void {
  const identity =
    normalization.guideMean.every((value) => value === 0) &&
    normalization.guideStandardDeviation.every((value) => value === 1);
  if (identity) return;
  const labels = ['NIR', 'red', 'green'];
  const problems: string[] = [];
  for (let band = 0; band < 3; band++) {
    const mean = sample.mean[band];
    const deviation = sample.standardDeviation[band];
    const trainedMean = normalization.guideMean[band];
    const trainedDeviation = Math.max(normalization.guideStandardDeviation[band], 1e-6);
    const ratio = deviation / trainedDeviation;
    const offset = Math.abs(mean - trainedMean) / trainedDeviation;
    const { scale, offset: maximumOffset } = GUIDE_STATISTICS_TOLERANCE;
    if (!Number.isFinite(mean) || !(ratio <= scale && ratio >= 1 / scale) || !(offset <= maximumOffset)) {
      problems.push(
        `band ${bands[band] + 1} (${labels[band]}) has mean ${format(mean)} and standard deviation ${format(deviation)}, the model was trained on mean ${format(trainedMean)} and standard deviation ${format(trainedDeviation)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new RangeError(
      `the guide ${name} is not in the range the model was trained on: ${problems.join('; ')}. Rescale it to the trained range (e.g. 16-bit reflectance to 8-bit digital numbers), check the band order (NIR, red, green; siran predict --guide-bands), or skip this check (checkInputs false, siran predict --no-input-checks)`,
    );
  }
}

function format(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}
