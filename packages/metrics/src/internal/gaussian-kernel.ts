/** The truncation scikit-image uses for SSIM: an 11-tap window at sigma 1.5. */
export const SSIM_TRUNCATE = 3.5;

/**
 * One-dimensional normalised Gaussian weights, the way `scipy.ndimage.gaussian_filter1d` builds them.
 *
 * @param sigma - Standard deviation in pixels.
 * @param truncate - Radius in standard deviations; the radius in pixels is `floor(truncate * sigma + 0.5)`.
 * @returns Weights of length `2 * radius + 1`, summing to 1.
 */
export function gaussianWeights(sigma: number, truncate = SSIM_TRUNCATE): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let offset = -radius; offset <= radius; offset++) {
    const weight = Math.exp((-0.5 * offset * offset) / (sigma * sigma));
    weights[offset + radius] = weight;
    total += weight;
  }
  for (let index = 0; index < weights.length; index++) weights[index] /= total;
  return weights;
}

/**
 * Index into `[0, size)` with half-sample symmetric reflection (`d c b a | a b c d | d c b a`),
 * scipy's `mode='reflect'`.
 */
export function reflectIndex(index: number, size: number): number {
  const period = 2 * size;
  let folded = index % period;
  if (folded < 0) folded += period;
  return folded < size ? folded : period - 1 - folded;
}
