/** A single-band grid in row-major order. */
export interface BandGrid {
  /** Values, `rows * cols`, row-major. */
  readonly data: Float32Array;
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
}

function checkRatio(ratio: number, functionName: string): void {
  if (!Number.isInteger(ratio) || ratio < 1) {
    throw new RangeError(`${functionName}: ratio must be a positive integer, got ${ratio}`);
  }
}

/**
 * Degrades a band by a block mean: every output pixel is the mean of the `ratio x ratio` input pixels it covers.
 *
 * @param band - The band; its size must be a multiple of `ratio`.
 * @param ratio - Integer resolution ratio.
 * @returns A new band of `rows / ratio x cols / ratio`.
 * @throws RangeError if `ratio` is not a positive integer or does not divide the size.
 * @remarks This is the Wald-protocol degradation used throughout the package: an ideal area-integrating sensor
 *   (a box point-spread function) with no noise. Computed in float64, stored as float32.
 * @example
 * ```ts
 * blockMean({ data: Float32Array.from([1, 3, 5, 7]), rows: 2, cols: 2 }, 2).data; // [4]
 * ```
 */
export function blockMean(band: BandGrid, ratio: number): BandGrid {
  checkRatio(ratio, 'blockMean');
  if (band.rows % ratio !== 0 || band.cols % ratio !== 0) {
    throw new RangeError(
      `blockMean: size ${band.rows} x ${band.cols} is not a multiple of the ratio ${ratio}`,
    );
  }
  const rows = band.rows / ratio;
  const cols = band.cols / ratio;
  const data = new Float32Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      let sum = 0;
      for (let i = 0; i < ratio; i++) {
        const offset = (row * ratio + i) * band.cols + col * ratio;
        for (let j = 0; j < ratio; j++) sum += band.data[offset + j];
      }
      data[row * cols + col] = sum / (ratio * ratio);
    }
  }
  return { data, rows, cols };
}

/** Keys' cubic convolution kernel with a = -0.5 (the usual "bicubic"). */
function cubic(x: number): number {
  const t = Math.abs(x);
  if (t <= 1) return 1.5 * t ** 3 - 2.5 * t ** 2 + 1;
  if (t < 2) return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2;
  return 0;
}

/** Taps and weights of one output coordinate along one axis, edge pixels replicated. */
function axisTaps(size: number, ratio: number): Array<{ index: number[]; weight: number[] }> {
  return Array.from({ length: size * ratio }, (_, output) => {
    const position = (output + 0.5) / ratio - 0.5;
    const base = Math.floor(position);
    const index: number[] = [];
    const weight: number[] = [];
    for (let k = -1; k <= 2; k++) {
      index.push(Math.min(size - 1, Math.max(0, base + k)));
      weight.push(cubic(position - (base + k)));
    }
    return { index, weight };
  });
}

/**
 * Upsamples a band by an integer ratio with bicubic interpolation (Keys, a = -0.5, pixel centres aligned as
 * areas: output centre `(i + 0.5) / ratio - 0.5` in input pixels, edges replicated).
 *
 * @param band - The low-resolution band.
 * @param ratio - Integer resolution ratio.
 * @returns A new band of `rows * ratio x cols * ratio`.
 * @throws RangeError if `ratio` is not a positive integer.
 * @example
 * ```ts
 * upsampleBicubic({ data: Float32Array.from([2]), rows: 1, cols: 1 }, 2).data; // [2, 2, 2, 2]
 * ```
 */
export function upsampleBicubic(band: BandGrid, ratio: number): BandGrid {
  checkRatio(ratio, 'upsampleBicubic');
  const rowTaps = axisTaps(band.rows, ratio);
  const colTaps = axisTaps(band.cols, ratio);
  const cols = band.cols * ratio;
  // Separable: columns first into a float64 buffer, then rows.
  const horizontal = new Float64Array(band.rows * cols);
  for (let row = 0; row < band.rows; row++) {
    for (let col = 0; col < cols; col++) {
      const { index, weight } = colTaps[col];
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += weight[k] * band.data[row * band.cols + index[k]];
      horizontal[row * cols + col] = sum;
    }
  }
  const rows = band.rows * ratio;
  const data = new Float32Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    const { index, weight } = rowTaps[row];
    for (let col = 0; col < cols; col++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += weight[k] * horizontal[index[k] * cols + col];
      data[row * cols + col] = sum;
    }
  }
  return { data, rows, cols };
}
