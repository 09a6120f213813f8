import * as tf from '@tensorflow/tfjs-core';
import { toBatchedInputs } from './internal/prepare.js';
import { solveTerms, termValue } from './internal/transport.js';
import { resolveSinkhornOptions, type SinkhornOptions } from './options.js';
import type { MeasureWeights } from './sinkhorn-divergence.js';

/**
 * Entropic optimal transport cost `W_epsilon(x, y)` (biased: `W(x, x) != 0`).
 *
 * @param x - Points of the first measure, `[n, d]` or `[batch, n, d]`, float32.
 * @param y - Points of the second measure, `[m, d]` or `[batch, m, d]`.
 * @param options - Solver options (see {@link SinkhornOptions}), plus optional weights `a` `[n]`/`[batch, n]` and
 *   `b` `[m]`/`[batch, m]` (uniform by default; non-negative, summing to 1).
 * @returns A scalar, or `[batch]` for batched inputs, in units of the normalised cost; the caller disposes it.
 *   Differentiable in `x`, `y`, `a` and `b`.
 * @throws RangeError on mismatched shapes, bad options, NaN/Infinity in the points or bad weights.
 * @throws TypeError on non-float32 inputs or a cost that is not a function.
 * @remarks
 * With the default `readout: 'dual'` the value is `<a, f> + <b, g> = min_P <P, C> + epsilon KL(P | a b^T)`;
 * with `'sharp'` it is `<P, C>`. Reads back one small vector from the device per call (validation and scales).
 * @example
 * ```ts
 * const x = tf.randomUniform([64, 3], 0, 1, 'float32', 1);
 * const y = tf.randomUniform([64, 3], 0, 1, 'float32', 2);
 * const w = sinkhornDistance(x, y, { epsilon: 0.05, relativeEpsilon: false });
 * ```
 */
export function sinkhornDistance(
  x: tf.Tensor,
  y: tf.Tensor,
  options: SinkhornOptions & MeasureWeights = {},
): tf.Tensor {
  const { a, b, ...rest } = options;
  const resolved = resolveSinkhornOptions('sinkhornDistance', rest);
  return tf.tidy(() => {
    const inputs = toBatchedInputs('sinkhornDistance', x, y, a, b);
    const solved = solveTerms('sinkhornDistance', inputs, resolved, false);
    const value = termValue(solved.terms[0], solved, resolved);
    return inputs.batched ? value : tf.squeeze(value, [0]);
  });
}
