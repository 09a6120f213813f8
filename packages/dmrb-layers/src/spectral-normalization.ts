import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link spectralNormalizeKernel}. */
export interface SpectralNormalizationOptions {
  /**
   * Power iterations that refine the singular vector estimate. `0` reuses the stored vector
   * unchanged (inference); training uses `1`, as in Miyato et al. 2018.
   */
  readonly powerIterations?: number;
  /** Floor for vector norms, so a zero kernel does not divide by zero. */
  readonly epsilon?: number;
}

/** Defaults for {@link SpectralNormalizationOptions}. */
export const DEFAULT_SPECTRAL_NORMALIZATION_OPTIONS: Required<SpectralNormalizationOptions> = {
  powerIterations: 1,
  epsilon: 1e-12,
};

/** The result of {@link spectralNormalizeKernel}. */
export interface SpectralNormalizationResult {
  /** The kernel divided by its estimated largest singular value, same shape as the input kernel. */
  readonly kernel: tf.Tensor4D;
  /** The refined left singular vector estimate, `[1, outputChannels]`, to store for the next call. */
  readonly spectralVector: tf.Tensor2D;
  /** The estimated largest singular value, a scalar. */
  readonly sigma: tf.Scalar;
}

/** Identity in the forward pass, zero gradient in the backward pass. */
const stopGradient = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.add(inputs[0] as tf.Tensor, 0),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

function normalizeRow(x: tf.Tensor2D, epsilon: number): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x), epsilon));
}

/**
 * Divides a convolution kernel by a power-iteration estimate of its largest singular value.
 *
 * @param kernel - Convolution kernel, `[kernelHeight, kernelWidth, inputChannels, outputChannels]`
 *   (a dense kernel `[inputs, outputs]` may be passed reshaped to `[1, 1, inputs, outputs]`).
 * @param spectralVector - Current estimate of the left singular vector, `[1, outputChannels]`.
 * @param options - Power iterations and the norm floor.
 * @returns The normalised kernel, the refined vector and sigma; the caller disposes all three.
 * @throws RangeError if the vector length differs from the kernel's output channels or
 *   `powerIterations` is not a non-negative integer.
 * @remarks The kernel is viewed as the matrix `M` of shape `[kh * kw * inputChannels, outputChannels]`;
 *   with `u` the stored vector, each iteration sets `v = normalise(u M^T)`, `u = normalise(v M)`,
 *   and `sigma = v M u^T`. The vectors are treated as constants for autodiff (as in the paper),
 *   so gradients flow to the kernel through `sigma` and the division only.
 * @example
 * ```ts
 * const kernel = tf.randomNormal([3, 3, 8, 16]) as tf.Tensor4D;
 * const u = tf.randomNormal([1, 16]) as tf.Tensor2D;
 * const { kernel: normalized, spectralVector, sigma } = spectralNormalizeKernel(kernel, u);
 * ```
 */
export function spectralNormalizeKernel(
  kernel: tf.Tensor4D,
  spectralVector: tf.Tensor2D,
  options: SpectralNormalizationOptions = {},
): SpectralNormalizationResult {
  const { powerIterations, epsilon } = { ...DEFAULT_SPECTRAL_NORMALIZATION_OPTIONS, ...options };
  const outputChannels = kernel.shape[3];
  if (
    spectralVector.rank !== 2 ||
    spectralVector.shape[0] !== 1 ||
    spectralVector.shape[1] !== outputChannels
  ) {
    throw new RangeError(
      `spectralNormalizeKernel: spectral vector must have shape [1, ${outputChannels}], got [${spectralVector.shape}]`,
    );
  }
  if (!Number.isInteger(powerIterations) || powerIterations < 0) {
    throw new RangeError(
      `spectralNormalizeKernel: powerIterations must be a non-negative integer, got ${powerIterations}`,
    );
  }
  return tf.tidy(() => {
    const matrix = tf.reshape(kernel, [-1, outputChannels]) as tf.Tensor2D;
    const constantMatrix = stopGradient(matrix) as tf.Tensor2D;
    let u = stopGradient(spectralVector) as tf.Tensor2D;
    let v = normalizeRow(tf.matMul(u, constantMatrix, false, true), epsilon);
    for (let iteration = 0; iteration < powerIterations; iteration++) {
      u = normalizeRow(tf.matMul(v, constantMatrix), epsilon);
      v = normalizeRow(tf.matMul(u, constantMatrix, false, true), epsilon);
    }
    const sigma = tf.sum(tf.mul(tf.matMul(v, matrix), u)) as tf.Scalar;
    const normalized = tf.div(kernel, tf.maximum(sigma, epsilon)) as tf.Tensor4D;
    return { kernel: normalized, spectralVector: u, sigma };
  });
}
