/** Mean and covariance of a set of feature vectors, float64. */
export interface FeatureStatistics {
  /** Mean, length `d`. */
  readonly mean: Float64Array;
  /** Covariance (unbiased, `n - 1`), row-major `d x d`. */
  readonly covariance: Float64Array;
  /** Feature dimension. */
  readonly dimension: number;
  /** Number of vectors. */
  readonly count: number;
}

/**
 * Mean and unbiased covariance of feature vectors.
 *
 * @param features - Row-major `[count * dimension]` values.
 * @param dimension - Features per vector.
 * @returns The statistics (float64).
 * @throws RangeError if the length is not a multiple of `dimension` or fewer than two vectors are given.
 */
export function featureStatistics(features: ArrayLike<number>, dimension: number): FeatureStatistics {
  const count = features.length / dimension;
  if (!Number.isInteger(count) || count < 2)
    throw new RangeError(
      `featureStatistics: need at least two vectors of ${dimension} values, got ${features.length} values`,
    );
  const mean = new Float64Array(dimension);
  for (let n = 0; n < count; n++)
    for (let i = 0; i < dimension; i++) mean[i] += features[n * dimension + i] / count;
  const covariance = new Float64Array(dimension * dimension);
  for (let n = 0; n < count; n++)
    for (let i = 0; i < dimension; i++) {
      const a = features[n * dimension + i] - mean[i];
      for (let j = i; j < dimension; j++)
        covariance[i * dimension + j] += (a * (features[n * dimension + j] - mean[j])) / (count - 1);
    }
  for (let i = 0; i < dimension; i++)
    for (let j = 0; j < i; j++) covariance[i * dimension + j] = covariance[j * dimension + i];
  return { mean, covariance, dimension, count };
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations, in float64.
 *
 * @param matrix - Row-major `n x n`, symmetric (only read).
 * @param n - Its order.
 * @returns Eigenvalues and eigenvectors (column `k` of the row-major `vectors` belongs to `values[k]`).
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) scale += a[i * n + j] ** 2;
        else off += a[i * n + j] ** 2;
      }
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/**
 * The square root of a symmetric positive semi-definite matrix, `V sqrt(max(L, 0)) V^T`, in float64.
 *
 * @param matrix - Row-major `n x n`.
 * @param n - Its order.
 * @returns The symmetric square root; negative eigenvalues (rounding) are taken as 0.
 */
export function symmetricSquareRoot(matrix: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(values[k], 0));
    if (root === 0) continue;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) out[i * n + j] += vectors[i * n + k] * root * vectors[j * n + k];
  }
  return out;
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * n + k] * b[k * n + j];
  return out;
}

/**
 * Fréchet distance between two Gaussians: `|m1 - m2|^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2)`.
 *
 * @param first - Statistics of the first set.
 * @param second - Statistics of the second set.
 * @returns The distance (>= 0 up to rounding; clamped at 0).
 * @throws RangeError if the dimensions differ.
 * @remarks The cross term uses the symmetric PSD matrix `C1^1/2 C2 C1^1/2` (same eigenvalues as `C1 C2`), so both
 *   square roots come from symmetric eigen-decompositions in float64: no complex parts, no failure on singular
 *   covariances (fewer vectors than dimensions).
 */
export function frechetDistance(first: FeatureStatistics, second: FeatureStatistics): number {
  const n = first.dimension;
  if (second.dimension !== n)
    throw new RangeError(`frechetDistance: dimensions differ, ${n} and ${second.dimension}`);
  let distance = 0;
  for (let i = 0; i < n; i++)
    distance +=
      (first.mean[i] - second.mean[i]) ** 2 + first.covariance[i * n + i] + second.covariance[i * n + i];
  const root = symmetricSquareRoot(first.covariance, n);
  const product = multiply(multiply(root, second.covariance, n), root, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++)
      product[i * n + j] = product[j * n + i] = (product[i * n + j] + product[j * n + i]) / 2;
  const { values } = symmetricEigen(product, n);
  for (const value of values) distance -= 2 * Math.sqrt(Math.max(value, 0));
  return Math.max(distance, 0);
}
