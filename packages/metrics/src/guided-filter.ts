/** Options of {@link guidedFilter}. */
export interface GuidedFilterOptions {
  /** Window radius `r`, pixels: windows of `(2r + 1)^2` pixels, clipped at the borders. */
  readonly radius?: number;
  /** Regularisation `epsilon`, in squared units of the guide after each band is scaled to [0, 1]. */
  readonly epsilon?: number;
}

/** Defaults of {@link GuidedFilterOptions}: He et al.'s usual small window and a mild regularisation. */
export const DEFAULT_GUIDED_FILTER_OPTIONS: Required<GuidedFilterOptions> = { radius: 4, epsilon: 1e-3 };

/**
 * The guided filter of He, Sun and Tang (2013), with a guide of one or three bands: in every window the output is
 * the least-squares affine function `a^T I + b` of the guide `I` that best fits the input, `epsilon` damping `a`;
 * each pixel averages the coefficients of the windows that cover it. As a DEM baseline it filters the bicubic DEM
 * by the image, so that height edges follow the image's edges.
 *
 * @param input - The image to filter (e.g. a bicubic DEM), row-major `[height * width]`.
 * @param guide - One or three guide bands, each row-major `[height * width]`.
 * @param width - Columns.
 * @param height - Rows.
 * @param options - Radius and epsilon; see {@link DEFAULT_GUIDED_FILTER_OPTIONS}.
 * @returns The filtered image, float64, in the input's units.
 * @throws RangeError if the sizes disagree, the guide has neither 1 nor 3 bands, or an option is out of range.
 * @remarks Each guide band is scaled to [0, 1] by its minimum and maximum over the image first, so that
 *   `epsilon` means the same for 8-bit and 16-bit images. Box sums use integral images in float64: the cost is
 *   linear in the pixels and independent of the radius. Non-finite inputs are not allowed.
 * @example
 * ```ts
 * const filtered = guidedFilter(bicubic, [nir, red, green], 256, 256, { radius: 4, epsilon: 1e-3 });
 * ```
 */
export function guidedFilter(
  input: ArrayLike<number>,
  guide: readonly ArrayLike<number>[],
  width: number,
  height: number,
  options: GuidedFilterOptions = {},
): Float64Array {
  const { radius, epsilon } = { ...DEFAULT_GUIDED_FILTER_OPTIONS, ...options };
  const size = width * height;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    input.length !== size
  ) {
    throw new RangeError(`guidedFilter: input has ${input.length} values, expected ${width} x ${height}`);
  }
  if ((guide.length !== 1 && guide.length !== 3) || guide.some((band) => band.length !== size)) {
    throw new RangeError(
      `guidedFilter: the guide must be 1 or 3 bands of ${size} values, got ${guide.length} band(s) of ${guide.map((b) => b.length).join(', ')}`,
    );
  }
  if (!Number.isInteger(radius) || radius < 0)
    throw new RangeError(`guidedFilter: radius must be an integer >= 0, got ${radius}`);
  if (!(epsilon > 0)) throw new RangeError(`guidedFilter: epsilon must be positive, got ${epsilon}`);
  const bands = guide.map(scaledToUnit);
  const box = boxMean(width, height, radius);
  const meanP = box(Float64Array.from(input));
  const meanI = bands.map((band) => box(band));
  const k = bands.length;
  // Window statistics: cov(I_i, p) and the covariance matrix of I (upper triangle).
  const covIP = bands.map((band, i) => {
    const product = new Float64Array(size);
    for (let j = 0; j < size; j++) product[j] = band[j] * input[j];
    const mean = box(product);
    for (let j = 0; j < size; j++) mean[j] -= meanI[i][j] * meanP[j];
    return mean;
  });
  const sigma: Float64Array[][] = [];
  for (let i = 0; i < k; i++) {
    sigma.push([]);
    for (let m = i; m < k; m++) {
      const product = new Float64Array(size);
      for (let j = 0; j < size; j++) product[j] = bands[i][j] * bands[m][j];
      const mean = box(product);
      for (let j = 0; j < size; j++) mean[j] -= meanI[i][j] * meanI[m][j];
      sigma[i][m] = mean;
    }
  }
  // a = (Sigma + epsilon U)^-1 cov(I, p), b = mean(p) - a^T mean(I), per window centre.
  const a = bands.map(() => new Float64Array(size));
  const b = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    if (k === 1) {
      a[0][j] = covIP[0][j] / (sigma[0][0][j] + epsilon);
    } else {
      const s00 = sigma[0][0][j] + epsilon;
      const s01 = sigma[0][1][j];
      const s02 = sigma[0][2][j];
      const s11 = sigma[1][1][j] + epsilon;
      const s12 = sigma[1][2][j];
      const s22 = sigma[2][2][j] + epsilon;
      // Inverse of the symmetric 3 x 3 matrix by cofactors.
      const c00 = s11 * s22 - s12 * s12;
      const c01 = s02 * s12 - s01 * s22;
      const c02 = s01 * s12 - s02 * s11;
      const c11 = s00 * s22 - s02 * s02;
      const c12 = s01 * s02 - s00 * s12;
      const c22 = s00 * s11 - s01 * s01;
      const determinant = s00 * c00 + s01 * c01 + s02 * c02;
      const [v0, v1, v2] = [covIP[0][j], covIP[1][j], covIP[2][j]];
      a[0][j] = (c00 * v0 + c01 * v1 + c02 * v2) / determinant;
      a[1][j] = (c01 * v0 + c11 * v1 + c12 * v2) / determinant;
      a[2][j] = (c02 * v0 + c12 * v1 + c22 * v2) / determinant;
    }
    let value = meanP[j];
    for (let i = 0; i < k; i++) value -= a[i][j] * meanI[i][j];
    b[j] = value;
  }
  const meanA = a.map((coefficients) => box(coefficients));
  const meanB = box(b);
  const output = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    let value = meanB[j];
    for (let i = 0; i < k; i++) value += meanA[i][j] * bands[i][j];
    output[j] = value;
  }
  return output;
}

/** A band scaled to [0, 1] by its range (a constant band becomes zeros). */
function scaledToUnit(band: ArrayLike<number>): Float64Array {
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < band.length; i++) {
    minimum = Math.min(minimum, band[i]);
    maximum = Math.max(maximum, band[i]);
  }
  const range = maximum - minimum;
  return Float64Array.from(band, (value) => (range > 0 ? (value - minimum) / range : 0));
}

/** Mean over `(2r + 1)^2` windows clipped at the borders, by an integral image. */
function boxMean(width: number, height: number, radius: number): (values: Float64Array) => Float64Array {
  return (values) => {
    const stride = width + 1;
    const integral = new Float64Array(stride * (height + 1));
    for (let row = 0; row < height; row++) {
      let rowSum = 0;
      for (let column = 0; column < width; column++) {
        rowSum += values[row * width + column];
        integral[(row + 1) * stride + column + 1] = integral[row * stride + column + 1] + rowSum;
      }
    }
    const output = new Float64Array(width * height);
    for (let row = 0; row < height; row++) {
      const top = Math.max(0, row - radius);
      const bottom = Math.min(height, row + radius + 1);
      for (let column = 0; column < width; column++) {
        const left = Math.max(0, column - radius);
        const right = Math.min(width, column + radius + 1);
        const sum =
          integral[bottom * stride + right] -
          integral[top * stride + right] -
          integral[bottom * stride + left] +
          integral[top * stride + left];
        output[row * width + column] = sum / ((bottom - top) * (right - left));
      }
    }
    return output;
  };
}
