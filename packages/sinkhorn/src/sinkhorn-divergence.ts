import * as tf from '@tensorflow/tfjs-core';
import { toBatchedInputs } from './internal/prepare.js';
import { solveTerms, termValue } from './internal/transport.js';
import { resolveSinkhornOptions, type SinkhornOptions } from './options.js';

/** Weights of the two measures for {@link sinkhornDivergence}, {@link sinkhornDistance} and {@link entropicTransport}. */
export interface MeasureWeights {
  /** Weights of `x`, `[n]` or `[batch, n]`: non-negative, summing to 1. Uniform by default. */
  readonly a?: tf.Tensor;
  /** Weights of `y`, `[m]` or `[batch, m]`: non-negative, summing to 1. Uniform by default. */
  readonly b?: tf.Tensor;
}

/**
 * Debiased Sinkhorn divergence `S(x, y) = W(x, y) - W(x, x) / 2 - W(y, y) / 2` between two point clouds.
 *
 * @param x - Points of the first measure, `[n, d]` or `[batch, n, d]`, float32.
 * @param y - Points of the second measure, `[m, d]` or `[batch, m, d]`.
 * @param options - Solver options (see {@link SinkhornOptions}) and the weights `a`, `b` ({@link MeasureWeights}).
 * @returns A scalar, or `[batch]` for batched inputs, in units of the normalised cost; the caller disposes it.
 *   Differentiable in `x`, `y`, `a` and `b`.
 * @throws RangeError on mismatched shapes, bad options, NaN/Infinity in the points or bad weights.
 * @throws TypeError on non-float32 inputs or a cost that is not a function.
 * @remarks
 * The three terms share one cost normalisation and one epsilon. The cross term uses alternating updates, the self
 * terms the symmetric update `f <- (f + softmin(f)) / 2` (option `selfTermUpdate`); where `x` and `y` are the same
 * measure (points and weights) the value is set to exactly 0, with a zero gradient (the minimum of `S`). With
 * `validateInputs: true`, or a data-dependent scale (`relativeEpsilon`, `costNormalization` `'mean'`/`'max'`), each
 * call reads one small vector back from the device; with neither, and no `tolerance`, nothing is read back
 * synchronously, so the call works on backends without synchronous reads (WebGPU under Node).
 * @example
 * ```ts
 * const x = tf.randomUniform([16, 1024], 0, 1, 'float32', 1);
 * const y = tf.randomUniform([16, 1024], 0, 1, 'float32', 2);
 * const loss = sinkhornDivergence(x, y, { costNormalization: 'dimension', relativeEpsilon: false });
 * ```
 */
export function sinkhornDivergence(
  x: tf.Tensor,
  y: tf.Tensor,
  options: SinkhornOptions & MeasureWeights = {},
): tf.Tensor {
  const { a, b, ...rest } = options;
  const resolved = resolveSinkhornOptions('sinkhornDivergence', rest);
  return tf.tidy(() => {
    const inputs = toBatchedInputs('sinkhornDivergence', x, y, a, b);
    const solved = solveTerms('sinkhornDivergence', inputs, resolved, true);
    const values = solved.terms.map((term) => termValue(term, solved, resolved));
    const [cross, selfX, selfY] = values;
    const debiased = tf.sub(tf.sub(cross, tf.mul(selfX, 0.5)), tf.mul(selfY, 0.5));
    const value = solved.identical ? tf.where(solved.identical, tf.zerosLike(debiased), debiased) : debiased;
    return inputs.batched ? value : tf.squeeze(value, [0]);
  });
}
