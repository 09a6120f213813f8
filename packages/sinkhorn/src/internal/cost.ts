import * as tf from '@tensorflow/tfjs-core';
import type { CostFunction } from '../options.js';
import { matMulTransposed, sumOverRows, transposedMatMul } from './fast-ops.js';
import { customOperation } from './no-gradient.js';

/**
 * A ground cost with a vector-Jacobian product, so blockwise code can back-propagate without a tape.
 *
 * `evaluate(rows [B,r,d], columns [B,c,d]) -> [B,r,c]` includes the normalisation multiplier.
 * `pullback(rows, columns, weights [B,r,c])` returns `sum_ij weights_ij dC_ij / d(rows, columns)`.
 */
export interface CostKernel {
  readonly multiplier: number;
  /** Whether `c(u, v) = c(v, u)`, so that the cost of (columns, rows) is the transpose of that of (rows, columns). */
  readonly symmetric: boolean;
  evaluate(rows: tf.Tensor3D, columns: tf.Tensor3D): tf.Tensor3D;
  pullback(rows: tf.Tensor3D, columns: tf.Tensor3D, weights: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D];
}

/**
 * Squared Euclidean distances `|x_i - y_j|^2` of two batched point sets, computed as
 * `|x|^2 + |y|^2 - 2 x.y` after centring both sets on a common point (float32 cancellation) and clamped at 0.
 */
export function squaredEuclidean(rows: tf.Tensor3D, columns: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const count = rows.shape[1] + columns.shape[1];
    const centre = tf.div(tf.add(tf.sum(rows, 1, true), tf.sum(columns, 1, true)), count);
    const x = tf.sub(rows, centre);
    const y = tf.sub(columns, centre);
    const xx = tf.sum(tf.square(x), 2, true);
    const yy = tf.transpose(tf.sum(tf.square(y), 2, true), [0, 2, 1]);
    const xy = matMulTransposed(x as tf.Tensor3D, y as tf.Tensor3D);
    return tf.relu(tf.sub(tf.add(xx, yy), tf.mul(xy, 2))) as tf.Tensor3D;
  });
}

function squaredEuclideanPullback(
  multiplier: number,
  rows: tf.Tensor3D,
  columns: tf.Tensor3D,
  weights: tf.Tensor3D,
): [tf.Tensor3D, tf.Tensor3D] {
  return tf.tidy(() => {
    const scale = 2 * multiplier;
    const rowMass = tf.sum(weights, 2, true);
    const columnMass = tf.expandDims(sumOverRows(weights), 2);
    const rowGradient = tf.mul(tf.sub(tf.mul(rowMass, rows), tf.matMul(weights, columns)), scale);
    const columnGradient = tf.mul(
      tf.sub(tf.mul(columnMass, columns), transposedMatMul(weights, rows)),
      scale,
    );
    return [rowGradient as tf.Tensor3D, columnGradient as tf.Tensor3D];
  });
}

/**
 * `|x_i - x_j|^2` of one point set with itself: one centring, one set of norms, one transpose (`[B, n, n]`).
 */
function squaredEuclideanSelf(points: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    // sum then divide: wasm's `Mean` over a middle axis transposes first, its `Sum` (completed) does not
    const x = tf.sub(points, tf.div(tf.sum(points, 1, true), points.shape[1])) as tf.Tensor3D;
    const norms = tf.sum(tf.square(x), 2, true);
    const products = matMulTransposed(x, x);
    return tf.relu(tf.sub(tf.add(norms, tf.transpose(norms, [0, 2, 1])), tf.mul(products, 2))) as tf.Tensor3D;
  });
}

/**
 * Pullback of the self cost: `sum_ij W_ij d|x_i - x_j|^2 / dx = 2 (mass(S) x - S x)` with `S = W + W^T`, one
 * product with the points instead of two.
 */
function squaredEuclideanSelfPullback(
  multiplier: number,
  points: tf.Tensor3D,
  weights: tf.Tensor3D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const symmetric = tf.add(weights, tf.transpose(weights, [0, 2, 1])) as tf.Tensor3D;
    const mass = tf.sum(symmetric, 2, true);
    return tf.mul(tf.sub(tf.mul(mass, points), tf.matMul(symmetric, points)), 2 * multiplier) as tf.Tensor3D;
  });
}

function squaredEuclideanKernel(multiplier: number): CostKernel {
  // The gradients are written by hand: autodiff of matMul uses transposed products, a slow path on wasm.
  const evaluateSelf = customOperation(([points], save) => {
    save([points]);
    const cost = squaredEuclideanSelf(points as tf.Tensor3D);
    return {
      value: multiplier === 1 ? cost : tf.mul(cost, multiplier),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        squaredEuclideanSelfPullback(multiplier, saved[0] as tf.Tensor3D, dy as tf.Tensor3D),
      ],
    };
  });
  const evaluate = customOperation(([rows, columns], save) => {
    save([rows, columns]);
    const cost = squaredEuclidean(rows as tf.Tensor3D, columns as tf.Tensor3D);
    return {
      value: multiplier === 1 ? cost : tf.mul(cost, multiplier),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        squaredEuclideanPullback(
          multiplier,
          saved[0] as tf.Tensor3D,
          saved[1] as tf.Tensor3D,
          dy as tf.Tensor3D,
        ),
    };
  });
  return {
    multiplier,
    symmetric: true,
    // The self terms pass the same tensor twice; where the points are larger than the cost (d >= n), sharing the
    // work is cheaper (for n > d, symmetrising W would cost an n x n transpose).
    evaluate: (rows, columns) =>
      (rows === columns && rows.shape[2] >= rows.shape[1]
        ? evaluateSelf(rows)
        : evaluate(rows, columns)) as tf.Tensor3D,
    pullback: (rows, columns, weights) => squaredEuclideanPullback(multiplier, rows, columns, weights),
  };
}

function customKernel(cost: CostFunction, multiplier: number, caller: string): CostKernel {
  const evaluate = (rows: tf.Tensor3D, columns: tf.Tensor3D): tf.Tensor3D =>
    tf.tidy(() => {
      const value = cost(rows, columns);
      const [batch, r, c] = [rows.shape[0], rows.shape[1], columns.shape[1]];
      if (value.rank !== 3 || value.shape[0] !== batch || value.shape[1] !== r || value.shape[2] !== c) {
        throw new RangeError(
          `${caller}: the cost function returned shape [${value.shape}]; expected [${batch}, ${r}, ${c}]`,
        );
      }
      return multiplier === 1 ? value : (tf.mul(value, multiplier) as tf.Tensor3D);
    });
  const gradients = tf.grads((rows: tf.Tensor, columns: tf.Tensor) =>
    evaluate(rows as tf.Tensor3D, columns as tf.Tensor3D),
  );
  return {
    multiplier,
    symmetric: false,
    evaluate,
    pullback: (rows, columns, weights) => {
      // The blockwise custom gradients call this while the engine is back-propagating an outer tf.grad; a nested
      // tf.grads would start a fresh tape and clear the outer one when it ends, so the outer tape is put back.
      const state = tf.engine().state;
      const outerTape = state.activeTape;
      try {
        const [rowGradient, columnGradient] = gradients([rows, columns], weights);
        return [rowGradient as tf.Tensor3D, columnGradient as tf.Tensor3D];
      } finally {
        state.activeTape = outerTape;
      }
    },
  };
}

/**
 * Builds the cost kernel for an option value.
 *
 * @param cost - `'sqeuclidean'` or a user function.
 * @param multiplier - Normalisation factor applied to every cost entry.
 * @param caller - Public function name for error messages.
 * @returns The kernel.
 */
export function createCostKernel(
  cost: 'sqeuclidean' | CostFunction,
  multiplier: number,
  caller: string,
): CostKernel {
  return cost === 'sqeuclidean' ? squaredEuclideanKernel(multiplier) : customKernel(cost, multiplier, caller);
}
