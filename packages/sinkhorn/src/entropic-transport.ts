import * as tf from '@tensorflow/tfjs-core';
import { toBatchedInputs } from './internal/prepare.js';
import { solveTerms, termValue } from './internal/transport.js';
import { resolveSinkhornOptions, type SinkhornOptions } from './options.js';
import type { MeasureWeights } from './sinkhorn-divergence.js';

/** The solution of an entropic transport problem, as returned by {@link entropicTransport}. */
export interface EntropicTransportResult {
  /** Transport plan `P_ij = a_i b_j exp((f_i + g_j - C_ij) / epsilon)`, `[n, m]` or `[batch, n, m]`. */
  readonly plan: tf.Tensor;
  /** Dual potential of `x`, `f`, `[n]` or `[batch, n]`, in units of the normalised cost. */
  readonly rowPotential: tf.Tensor;
  /** Dual potential of `y`, `g`, `[m]` or `[batch, m]`. */
  readonly columnPotential: tf.Tensor;
  /** The transport cost in the chosen readout, a scalar or `[batch]`. */
  readonly value: tf.Tensor;
  /** The epsilon actually used (after `relativeEpsilon`), in units of the normalised cost. */
  readonly epsilon: number;
  /** The factor applied to the raw cost by `costNormalization`. */
  readonly costMultiplier: number;
  /** Iterations run (fewer than `iterations` when `tolerance` stopped early). */
  readonly iterations: number;
}

/**
 * Solves the entropic optimal transport problem between two point clouds and returns the plan and potentials.
 *
 * @param x - Points of the first measure, `[n, d]` or `[batch, n, d]`, float32.
 * @param y - Points of the second measure, `[m, d]` or `[batch, m, d]`.
 * @param options - Solver options (see {@link SinkhornOptions}) and the weights `a`, `b` ({@link MeasureWeights}).
 * @returns Plan, potentials and value; the caller disposes the four tensors (e.g. `tf.dispose(Object.values(r))`).
 * @throws RangeError on mismatched shapes, bad options, NaN/Infinity in the points or bad weights.
 * @throws TypeError on non-float32 inputs or a cost that is not a function.
 * @remarks
 * The plan is materialised (`n * m` entries) even in the blockwise regime. After the last alternating update the
 * column marginals of the plan are exact and the row marginals are within the Sinkhorn error.
 * @example
 * ```ts
 * const x = tf.randomUniform([32, 2], 0, 1, 'float32', 1);
 * const y = tf.randomUniform([48, 2], 0, 1, 'float32', 2);
 * const { plan, rowPotential, columnPotential, value } = entropicTransport(x, y, { tolerance: 1e-6, iterations: 500 });
 * tf.dispose([plan, rowPotential, columnPotential, value]);
 * ```
 */
export function entropicTransport(
  x: tf.Tensor,
  y: tf.Tensor,
  options: SinkhornOptions & MeasureWeights = {},
): EntropicTransportResult {
  const { a, b, ...rest } = options;
  const resolved = resolveSinkhornOptions('entropicTransport', rest);
  let scalars = { epsilon: 0, costMultiplier: 1, iterations: 0 };
  const tensors = tf.tidy(() => {
    const inputs = toBatchedInputs('entropicTransport', x, y, a, b);
    const solved = solveTerms('entropicTransport', inputs, resolved, false);
    const [term] = solved.terms;
    const { f, g } = term.potentials;
    const plan = term.problem.geometry.plan(term.problem.logA, term.problem.logB, f, g, solved.epsilon);
    const value = termValue(term, solved, resolved);
    scalars = {
      epsilon: solved.epsilon,
      costMultiplier: solved.costMultiplier,
      iterations: solved.iterations,
    };
    const unbatch = (t: tf.Tensor) => (inputs.batched ? t : tf.squeeze(t, [0]));
    return {
      plan: unbatch(plan),
      rowPotential: unbatch(f),
      columnPotential: unbatch(g),
      value: unbatch(value),
    };
  });
  return { ...tensors, ...scalars };
}
