import * as tf from '@tensorflow/tfjs-core';
import { planBlock } from './blocks.js';
import { sumOverRows } from './fast-ops.js';
import type { TransportGeometry } from './geometry.js';
import { kernelLogSumExp, kernelSinkhornUpdate, softmaxWithLogSumExp } from './log-sum-exp.js';
import { customOperation, withoutGradient } from './no-gradient.js';
import { logWeights } from './weights.js';

/**
 * `LSE_j(h_j - C_ij * inverseEpsilon)` over the last axis of a materialised cost, with a hand-written
 * gradient that keeps only the softmax (one `[B, n, m]` tensor) for the backward pass.
 */
function logSumExpRows(cost: tf.Tensor3D, h: tf.Tensor2D, inverseEpsilon: number): tf.Tensor2D {
  const node = customOperation(([c, shift], save) => {
    const z = tf.sub(tf.expandDims(shift, 1), tf.mul(c, inverseEpsilon)) as tf.Tensor3D;
    const { probabilities, logSumExp } = softmaxWithLogSumExp(z);
    save([probabilities]);
    return {
      value: logSumExp,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const weighted = tf.mul(saved[0], tf.expandDims(dy, 2));
        return [tf.mul(weighted, -inverseEpsilon), sumOverRows(weighted as tf.Tensor3D)];
      },
    };
  });
  return node(cost, h) as tf.Tensor2D;
}

/**
 * Geometry over a materialised cost matrix `[B, n, m]` (and its transpose), for small `n * m`.
 *
 * @param cost - The cost, built with differentiable ops; the geometry does not own it.
 * @param symmetric - Whether `cost` is known to be symmetric (a self term), so no transpose is made.
 * @param fused - Whether the log-sum-exps run in the backend's fused kernels (which reduce either axis, so no
 *   transpose is made either).
 * @returns The geometry; its methods return new tensors. Call it inside a `tf.tidy` that outlives it.
 */
export function createDenseGeometry(
  cost: tf.Tensor3D,
  symmetric: boolean,
  fused: boolean,
): TransportGeometry {
  const [batchSize, rowCount, columnCount] = cost.shape;
  const transposed = symmetric || fused ? cost : (tf.transpose(cost, [0, 2, 1]) as tf.Tensor3D);
  const logSumExp = (axis: 1 | 2) => (h: tf.Tensor2D, epsilon: number) =>
    fused
      ? kernelLogSumExp(cost, h, 1 / epsilon, axis)
      : logSumExpRows(axis === 2 ? cost : transposed, h, 1 / epsilon);
  return {
    batchSize,
    rowCount,
    columnCount,
    logSumExpRows: logSumExp(2),
    logSumExpColumns: logSumExp(1),
    ...(fused
      ? {
          sinkhornUpdate: (logWeights, potential, epsilon, axis, average) =>
            kernelSinkhornUpdate(cost, logWeights, potential, 1 / epsilon, axis, average),
        }
      : {}),
    envelopeValue: (a, b, f, g, epsilon) => {
      const node = customOperation(([c, wa, wb, fa, gb], save) => {
        save([c, wa, wb, fa, gb]);
        return {
          value: tf.add(tf.sum(tf.mul(wa, fa), 1), tf.sum(tf.mul(wb, gb), 1)),
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
            const [sc, sa, sb, sf, sg] = saved as [
              tf.Tensor3D,
              tf.Tensor2D,
              tf.Tensor2D,
              tf.Tensor2D,
              tf.Tensor2D,
            ];
            const plan = planBlock(sc, logWeights(sa), logWeights(sb), sf, sg, epsilon, fused);
            const upstream = tf.expandDims(dy, 1);
            return [
              tf.mul(plan, tf.expandDims(upstream, 2)),
              tf.mul(sf, upstream),
              tf.mul(sg, upstream),
              tf.zerosLike(sf),
              tf.zerosLike(sg),
            ];
          },
        };
      });
      return node(cost, a, b, f, g) as tf.Tensor1D;
    },
    sharpValue: (logA, logB, f, g, epsilon) =>
      tf.tidy(
        () => tf.sum(tf.mul(planBlock(cost, logA, logB, f, g, epsilon, fused), cost), [1, 2]) as tf.Tensor1D,
      ),
    plan: (logA, logB, f, g, epsilon) => tf.tidy(() => planBlock(cost, logA, logB, f, g, epsilon, fused)),
    statistics: (a, b) =>
      withoutGradient([cost, a, b], () =>
        tf.tidy(() => {
          const weighted = tf.mul(tf.mul(cost, tf.expandDims(a, 2)), tf.expandDims(b, 1));
          return tf.stack([tf.mean(tf.sum(weighted, [1, 2])), tf.max(cost)]) as tf.Tensor1D;
        }),
      ),
  };
}
