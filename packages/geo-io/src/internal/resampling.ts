/** A band of the source raster, read through its strides. */
export interface SourceBand {
  readonly data: ArrayLike<number>;
  readonly base: number;
  readonly rowStride: number;
  readonly columnStride: number;
  readonly width: number;
  readonly height: number;
  readonly nodata: number | null;
}

/** Value of a valid pixel, or `NaN` for nodata, NaN and pixels outside the band. */
export function validValue(band: SourceBand, column: number, row: number): number {
  if (column < 0 || row < 0 || column >= band.width || row >= band.height) return Number.NaN;
  const value = band.data[band.base + row * band.rowStride + column * band.columnStride];
  if (band.nodata !== null && value === band.nodata) return Number.NaN;
  return value;
}

/** Keys' cubic convolution kernel with a = -0.5 (as GDAL's "cubic"). */
export function keysCubicWeight(distance: number): number {
  const t = Math.abs(distance);
  if (t <= 1) return (1.5 * t - 2.5) * t * t + 1;
  if (t < 2) return ((-0.5 * t + 2.5) * t - 4) * t + 2;
  return 0;
}

/** Nearest neighbour at pixel coordinates `(x, y)` (0 = outer edge). */
export function sampleNearest(band: SourceBand, x: number, y: number): number {
  return validValue(band, Math.floor(x), Math.floor(y));
}

/** The horizontal weights of the 4-tap kernels, reused from call to call (the sampling is synchronous). */
const WEIGHTS_X = new Float64Array(4);

/**
 * Separable kernel interpolation around `(x, y)`, renormalised over the valid taps so that a
 * nodata pixel contributes nothing; `NaN` when the valid weight is negligible.
 */
function sampleSeparable(
  band: SourceBand,
  x: number,
  y: number,
  radius: number,
  weight: (d: number) => number,
): number {
  const centreX = x - 0.5;
  const centreY = y - 0.5;
  const firstX = Math.floor(centreX) - radius + 1;
  const firstY = Math.floor(centreY) - radius + 1;
  const taps = 2 * radius;
  const weightsX = taps <= WEIGHTS_X.length ? WEIGHTS_X : new Float64Array(taps);
  for (let i = 0; i < taps; i++) weightsX[i] = weight(centreX - (firstX + i));
  let sum = 0;
  let weightSum = 0;
  for (let j = 0; j < taps; j++) {
    const weightY = weight(centreY - (firstY + j));
    if (weightY === 0) continue;
    for (let i = 0; i < taps; i++) {
      const value = validValue(band, firstX + i, firstY + j);
      if (Number.isNaN(value)) continue;
      const w = weightY * weightsX[i];
      sum += w * value;
      weightSum += w;
    }
  }
  return Math.abs(weightSum) < 1e-5 ? Number.NaN : sum / weightSum;
}

const bilinearWeight = (distance: number) => Math.max(0, 1 - Math.abs(distance));

/** Bilinear interpolation between the four nearest pixel centres. */
export function sampleBilinear(band: SourceBand, x: number, y: number): number {
  return sampleSeparable(band, x, y, 1, bilinearWeight);
}

/** Cubic convolution over the 4 x 4 nearest pixel centres. */
export function sampleCubic(band: SourceBand, x: number, y: number): number {
  return sampleSeparable(band, x, y, 2, keysCubicWeight);
}

/**
 * Area-weighted mean of the valid source pixels overlapping the box `[minX, maxX] x [minY, maxY]`
 * (pixel coordinates), as GDAL's warper computes "average".
 */
export function sampleAverage(
  band: SourceBand,
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
): number {
  const firstX = Math.max(Math.floor(minX + 1e-10), 0);
  let lastX = Math.min(Math.ceil(maxX - 1e-10), band.width);
  const firstY = Math.max(Math.floor(minY + 1e-10), 0);
  let lastY = Math.min(Math.ceil(maxY - 1e-10), band.height);
  if (firstX === lastX && lastX < band.width) lastX++;
  if (firstY === lastY && lastY < band.height) lastY++;
  let sum = 0;
  let weightSum = 0;
  for (let row = firstY; row < lastY; row++) {
    const weightY = Math.min(row + 1, maxY) - Math.max(row, minY);
    const rowWeight = weightY > 0 ? weightY : 1;
    for (let column = firstX; column < lastX; column++) {
      const value = validValue(band, column, row);
      if (Number.isNaN(value)) continue;
      const weightX = Math.min(column + 1, maxX) - Math.max(column, minX);
      const w = rowWeight * (weightX > 0 ? weightX : 1);
      sum += w * value;
      weightSum += w;
    }
  }
  return weightSum > 0 ? sum / weightSum : Number.NaN;
}
