/** A band of the source raster (or of a window of it), read through its strides. */
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

/** The triangle (bilinear) kernel. */
export function bilinearWeight(distance: number): number {
  const t = Math.abs(distance);
  return t <= 1 ? 1 - t : 0;
}

/**
 * The column (or row) of the pixel under pixel coordinate `x` (0 = outer edge), as GDAL's warper
 * rounds it: `floor(x + 1e-10)`, the far edge belonging to the last pixel.
 */
export function pixelIndex(x: number, size: number): number {
  const index = Math.floor(x + 1e-10);
  return index === size ? size - 1 : index;
}

/** The horizontal weights of the bilinear taps, reused from call to call (the sampling is synchronous). */
const BILINEAR_X = new Float64Array(2);

/**
 * Bilinear interpolation between the four nearest pixel centres, renormalised over the valid ones
 * (GDAL's 4-sample bilinear: outside the band or nodata taps drop out); `NaN` when the valid weight is negligible.
 */
export function sampleBilinear(band: SourceBand, x: number, y: number): number {
  const centreX = x - 0.5;
  const centreY = y - 0.5;
  const firstX = Math.floor(centreX);
  const firstY = Math.floor(centreY);
  for (let i = 0; i < 2; i++) BILINEAR_X[i] = bilinearWeight(centreX - (firstX + i));
  let sum = 0;
  let weightSum = 0;
  for (let j = 0; j < 2; j++) {
    const weightY = bilinearWeight(centreY - (firstY + j));
    if (weightY === 0) continue;
    for (let i = 0; i < 2; i++) {
      const value = validValue(band, firstX + i, firstY + j);
      if (Number.isNaN(value)) continue;
      const w = weightY * BILINEAR_X[i];
      sum += w * value;
      weightSum += w;
    }
  }
  return Math.abs(weightSum) < 1e-5 ? Number.NaN : sum / weightSum;
}

const CUBIC_X = new Float64Array(4);
const CUBIC_Y = new Float64Array(4);

/** Keys weights of the taps -1, 0, 1, 2 for a fractional offset `t` in [0, 1). */
function cubicWeights(t: number, out: Float64Array): void {
  out[0] = keysCubicWeight(t + 1);
  out[1] = keysCubicWeight(t);
  out[2] = keysCubicWeight(1 - t);
  out[3] = keysCubicWeight(2 - t);
}

/**
 * Cubic convolution over the 4 x 4 nearest pixel centres, as GDAL's 4-sample cubic: where the 4 x 4
 * taps are not all inside the band and valid, it falls back to {@link sampleBilinear}.
 */
export function sampleCubic(band: SourceBand, x: number, y: number): number {
  const column = Math.trunc(x - 0.5);
  const row = Math.trunc(y - 0.5);
  if (column - 1 < 0 || column + 2 >= band.width || row - 1 < 0 || row + 2 >= band.height) {
    return sampleBilinear(band, x, y);
  }
  cubicWeights(x - 0.5 - column, CUBIC_X);
  cubicWeights(y - 0.5 - row, CUBIC_Y);
  let sum = 0;
  for (let j = 0; j < 4; j++) {
    let rowSum = 0;
    for (let i = 0; i < 4; i++) {
      const value = validValue(band, column - 1 + i, row - 1 + j);
      if (Number.isNaN(value)) return sampleBilinear(band, x, y);
      rowSum += CUBIC_X[i] * value;
    }
    sum += CUBIC_Y[j] * rowSum;
  }
  return sum;
}

/** Kernels that {@link sampleScaled} widens. */
export type ScaledKernel = 'bilinear' | 'cubic';

let scaledWeightsX = new Float64Array(16);

/**
 * Bilinear or cubic kernel widened for downsampling, as GDAL's warp kernel does when the source
 * is finer than the target (`dfXScale`/`dfYScale` below 0.95): along an axis with scale `s < 1`
 * the kernel reaches `ceil(r / s)` pixels (r = 1 bilinear, 2 cubic) and the tap at offset `d`
 * weighs `kernel(d * s)`; an axis with scale >= 1 keeps the plain kernel. Weights are renormalised
 * by their sum.
 *
 * @param masked - GDAL's path with validity masks (source or target nodata): nodata taps drop out
 * of the weights, and a total weight within 1e-5 of 1 is not divided out (as GDAL). Otherwise
 * GDAL's no-mask path: a NaN tap makes the result NaN, and a kernel wider than the band falls
 * back to bilinear.
 * @returns The value, or `NaN` when no valid tap has weight.
 */
export function sampleScaled(
  band: SourceBand,
  x: number,
  y: number,
  kernel: ScaledKernel,
  xScale: number,
  yScale: number,
  masked: boolean,
): number {
  const filterRadius = kernel === 'cubic' ? 2 : 1;
  const weight = kernel === 'cubic' ? keysCubicWeight : bilinearWeight;
  const xRadius = xScale < 1 ? Math.ceil(filterRadius / xScale) : filterRadius;
  const yRadius = yScale < 1 ? Math.ceil(filterRadius / yScale) : filterRadius;
  const sx = Math.min(xScale, 1);
  const sy = Math.min(yScale, 1);
  const column = Math.floor(x - 0.5);
  const row = Math.floor(y - 0.5);
  const deltaX = x - 0.5 - column;
  const deltaY = y - 0.5 - row;
  const { width, height } = band;
  if (!masked && (column >= width || row >= height || xRadius > width || yRadius > height)) {
    return sampleBilinear(band, x, y);
  }
  // Taps: GDAL starts at -radius (odd filter radius) or 1 - radius (even); the extra tap weighs 0.
  let iMin = masked ? ((filterRadius + 1) % 2) - xRadius : 1 - xRadius;
  let iMax = xRadius;
  let jMin = masked ? ((filterRadius + 1) % 2) - yRadius : 1 - yRadius;
  let jMax = yRadius;
  if (column + iMin < 0) iMin = -column;
  if (column + iMax >= width) iMax = width - column - 1;
  if (row + jMin < 0) jMin = -row;
  if (row + jMax >= height) jMax = height - row - 1;
  const taps = iMax - iMin + 1;
  if (taps <= 0 || jMax < jMin) return Number.NaN;
  if (scaledWeightsX.length < taps) {
    scaledWeightsX = new Float64Array(taps);
  }
  let horizontalSum = 0;
  for (let i = iMin; i <= iMax; i++) {
    const w = weight((i - deltaX) * sx);
    scaledWeightsX[i - iMin] = w;
    horizontalSum += w;
  }
  let sum = 0;
  let weightSum = 0;
  let verticalSum = 0;
  for (let j = jMin; j <= jMax; j++) {
    const weightY = weight((j - deltaY) * sy);
    verticalSum += weightY;
    let rowSum = 0;
    let rowWeight = 0;
    for (let i = iMin; i <= iMax; i++) {
      const value = validValue(band, column + i, row + j);
      if (Number.isNaN(value)) {
        if (!masked) return Number.NaN;
        continue;
      }
      const w = scaledWeightsX[i - iMin];
      rowSum += value * w;
      rowWeight += w;
    }
    sum += rowSum * weightY;
    weightSum += rowWeight * weightY;
  }
  if (!masked) return sum / (horizontalSum * verticalSum);
  if (weightSum < 0.000001) return Number.NaN;
  return weightSum < 0.99999 || weightSum > 1.00001 ? sum / weightSum : sum;
}

/**
 * GDAL's warper "average": the weighted mean of the valid pixels under the box
 * `[minX, maxX] x [minY, maxY]` (pixel coordinates of the band, minX <= maxX, minY <= maxY). The
 * pixels are columns `floor(minX)` (at least 0) to `ceil(maxX)` (at most the width), one at least;
 * the first and last column weigh the part of them inside the box (a single column weighs 1),
 * likewise for rows. Where the box sticks out of the band the edge pixels weigh more than 1, as in
 * GDAL.
 */
export function sampleAverage(
  band: SourceBand,
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
): number {
  const firstX = Math.min(Math.max(Math.floor(minX + 1e-10), 0), band.width);
  let endX = Math.min(Math.ceil(maxX - 1e-10), band.width);
  const firstY = Math.min(Math.max(Math.floor(minY + 1e-10), 0), band.height);
  let endY = Math.min(Math.ceil(maxY - 1e-10), band.height);
  if (firstX === endX && endX < band.width) endX++;
  if (firstY === endY && endY < band.height) endY++;
  let sum = 0;
  let weightSum = 0;
  for (let row = firstY; row < endY; row++) {
    const weightY =
      row === firstY
        ? firstY + 1 === endY
          ? 1
          : 1 - (minY - firstY)
        : row + 1 === endY
          ? 1 - (endY - maxY)
          : 1;
    for (let column = firstX; column < endX; column++) {
      const value = validValue(band, column, row);
      if (Number.isNaN(value)) continue;
      const w =
        column === firstX
          ? firstX + 1 === endX
            ? weightY
            : weightY * (1 - (minX - firstX))
          : column + 1 === endX
            ? weightY * (1 - (endX - maxX))
            : weightY;
      sum += value * w;
      weightSum += w;
    }
  }
  return weightSum > 0 ? sum / weightSum : Number.NaN;
}
