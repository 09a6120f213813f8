import * as tf from '@tensorflow/tfjs-core';
import { sumOverRows } from './fast-ops.js';
import { customOperation } from './no-gradient.js';

/*
 * Log-sum-exp through the backend's softmax kernel. A softmax is one fused, vectorised kernel on wasm (XNNPACK)
 * and webgpu, where a separate `exp` is not: on wasm, `exp` of a 1024 x 1024 slab takes about 7x a whole softmax.
 * Since `max_j softmax(z)_ij = exp(max_j z_ij - LSE_i)` and that largest probability is at least `1 / m`, the
 * log-sum-exp follows from it without loss of precision: `LSE_i = max_j z_ij - log(max_j softmax(z)_ij)`.
 */

/**
 * Softmax over the last axis of `z` `[B, r, c]` and its log-sum-exp.
 *
 * @param z - Exponents `[B, r, c]`, finite or `-Infinity`-like large negative values.
 * @returns `probabilities` `[B, r, c]` (each row sums to 1) and `logSumExp` `[B, r]`; the caller disposes both.
 */
export function softmaxWithLogSumExp(z: tf.Tensor3D): {
  probabilities: tf.Tensor3D;
  logSumExp: tf.Tensor2D;
} {
  return tf.tidy(() => {
    const probabilities = tf.softmax(z) as tf.Tensor3D;
    const logSumExp = tf.sub(tf.max(z, 2), tf.log(tf.max(probabilities, 2))) as tf.Tensor2D;
    return { probabilities, logSumExp };
  });
}

/**
 * `exp(rowTerm_i + z_ij)` as `softmax(z)_ij * exp(rowTerm_i + LSE_j z_ij)`: one softmax over `[B, r, c]` and an
 * `exp` over `[B, r]` only.
 *
 * @param rowTerm - Per-row exponents `[B, r]`.
 * @param z - Per-entry exponents `[B, r, c]`.
 * @returns `[B, r, c]`; the caller disposes it.
 */
export function rowShiftedExp(rowTerm: tf.Tensor2D, z: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const { probabilities, logSumExp } = softmaxWithLogSumExp(z);
    return tf.mul(probabilities, tf.expandDims(tf.exp(tf.add(rowTerm, logSumExp)), 2)) as tf.Tensor3D;
  });
}

/*
 * The fused kernels: one pass over the cost for the log-sum-exp, one for its gradient, no `[B, r, c]` intermediate.
 * `@siran/backend` registers them for wasm and cpu; the names and the contract are that package's.
 */

/** Name of the backend kernel computing `LSE(h - scale * x)` along one axis of `x` `[B, r, c]`. */
export const SCALED_LOG_SUM_EXP_KERNEL_NAME = 'SiranScaledLogSumExp';

/** Name of the backend kernel computing the gradient of {@link SCALED_LOG_SUM_EXP_KERNEL_NAME}. */
export const SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME = 'SiranScaledLogSumExpGrad';

/** Whether the active backend has both fused kernels. */
export function hasScaledLogSumExpKernels(): boolean {
  const backendName = tf.getBackend();
  return (
    tf.getKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, backendName) !== undefined &&
    tf.getKernel(SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME, backendName) !== undefined
  );
}

/**
 * `LSE(h - scale * x)` along `axis` of `x` through the fused kernel, differentiable in `x` and `h`.
 *
 * @param x - `[B, r, c]`.
 * @param h - `[B, c]` for `axis` 2 (the result is `[B, r]`), `[B, r]` for `axis` 1 (the result is `[B, c]`).
 * @param scale - Factor of `x`.
 * @param axis - The reduced axis of `x`.
 * @returns The log-sum-exp; the caller disposes it.
 */
export function kernelLogSumExp(x: tf.Tensor3D, h: tf.Tensor2D, scale: number, axis: 1 | 2): tf.Tensor2D {
  const attrs = { scale, axis };
  const node = customOperation(([cost, shift], save) => {
    const value = tf
      .engine()
      .runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x: cost, h: shift }, attrs) as tf.Tensor;
    save([cost, shift, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(
            SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
            { x: saved[0], h: saved[1], y: saved[2], dy },
            attrs,
          ) as tf.Tensor[],
    };
  });
  return node(x, h) as tf.Tensor2D;
}

/**
 * One Sinkhorn update on scaled potentials through the fused kernels, as a single recorded operation:
 * `L = LSE(logWeights - potential - scale * x)` along `axis` of `x`, and `(potential + L) / 2` when `average`.
 *
 * @param x - The cost `[B, r, c]`.
 * @param logWeights - Log-weights along the reduced axis.
 * @param potential - Scaled potential along the reduced axis (for `average`, the reduced and kept axes match).
 * @param scale - `1 / epsilon`.
 * @param axis - The reduced axis of `x`.
 * @param average - Whether to average the result with `potential` (the symmetric self-term update).
 * @returns The new scaled potential; the caller disposes it.
 */
export function kernelSinkhornUpdate(
  x: tf.Tensor3D,
  logWeights: tf.Tensor2D,
  potential: tf.Tensor2D,
  scale: number,
  axis: 1 | 2,
  average: boolean,
): tf.Tensor2D {
  const attrs = { scale, axis };
  const node = customOperation(([cost, weights, previous], save) => {
    const h = tf.sub(weights, previous);
    const logSumExp = tf
      .engine()
      .runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x: cost, h }, attrs) as tf.Tensor;
    const value = average ? tf.mul(tf.add(previous, logSumExp), 0.5) : logSumExp;
    save([cost, h, logSumExp]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const upstream = average ? tf.mul(dy, 0.5) : dy;
        const [dx, dh] = tf
          .engine()
          .runKernel(
            SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
            { x: saved[0], h: saved[1], y: saved[2], dy: upstream },
            attrs,
          ) as tf.Tensor[];
        return [dx, dh, average ? tf.sub(upstream, dh) : tf.neg(dh)];
      },
    };
  });
  return node(x, logWeights, potential) as tf.Tensor2D;
}

/**
 * `exp(rowTerm_i + columnTerm_j - scale * x_ij)` through the fused gradient kernel (it is `-scale * dy * P` with
 * `dy = -1 / scale`, `h = columnTerm` and `y = -rowTerm`), differentiable in all three inputs.
 *
 * @returns `[B, r, c]`; the caller disposes it.
 */
export function kernelRowShiftedExp(
  x: tf.Tensor3D,
  rowTerm: tf.Tensor2D,
  columnTerm: tf.Tensor2D,
  scale: number,
): tf.Tensor3D {
  const evaluate = (cost: tf.Tensor, rows: tf.Tensor, columns: tf.Tensor) =>
    tf.tidy(() => {
      const [plan] = tf
        .engine()
        .runKernel(
          SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
          { x: cost, h: columns, y: tf.neg(rows), dy: tf.fill(rows.shape, -1 / scale) },
          { scale, axis: 2 },
        ) as tf.Tensor[];
      return plan as tf.Tensor3D;
    });
  const node = customOperation(([cost, rows, columns], save) => {
    const value = evaluate(cost, rows, columns);
    save([value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const weighted = tf.mul(dy, saved[0]) as tf.Tensor3D;
        return [tf.mul(weighted, -scale), tf.sum(weighted, 2), sumOverRows(weighted)];
      },
    };
  });
  return node(x, rowTerm, columnTerm) as tf.Tensor3D;
}
