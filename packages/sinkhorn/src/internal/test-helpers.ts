/**
 * Largest absolute difference over the largest magnitude of the reference (for tests).
 *
 * @param actual - Computed values.
 * @param expected - Reference values, same length.
 * @returns The relative error.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return error / scale;
}
