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
  /**
   * Optionally, the costs among all points of both sets stacked (rows first), `[B, r + c, r + c]`: the cross cost
   * and both self costs at once, cheaper than three evaluations where the points are longer than their count.
   */
  evaluateStacked?(rows: tf.Tensor3D, columns: tf.Tensor3D): tf.Tensor3D;
  /**
   * Optionally, `C(points, points)` for a term whose cost gradients are symmetric matrices (the envelope gradient of
   * a symmetric self term is its plan): the gradient may then be computed from one slot and doubled.
   */
  evaluateSymmetricSelf?(points: tf.Tensor3D): tf.Tensor3D;
  pullback(rows: tf.Tensor3D, columns: tf.Tensor3D, weights: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D];
}

/**
 * Squared Euclidean distances `|x_i - y_j|^2` of two batched point sets, computed as
 * `|x|^2 + |y|^2 - 2 x.y` after centring both sets on a common point (float32 cancellation) and clamped at 0; one
 * product of the points extended with their norms and ones.
 */
export function squaredEuclidean(rows: tf.Tensor3D, columns: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const count = rows.shape[1] + columns.shape[1];
    const centre = tf.div(tf.add(tf.sum(rows, 1, true), tf.sum(columns, 1, true)), count);
    const x = tf.sub(rows, centre);
    const y = tf.sub(columns, centre);
    const xx = tf.sum(tf.square(x), 2, true);
    const yy = tf.sum(tf.square(y), 2, true);
    // [x, |x|^2, 1] . [-2 y, 1, |y|^2]: the norms ride in the product, so only the clamp is left
    const left = tf.concat([x, xx, tf.onesLike(xx)], 2) as tf.Tensor3D;
    const right = tf.concat([tf.mul(y, -2), tf.onesLike(yy), yy], 2) as tf.Tensor3D;
    return tf.relu(matMulTransposed(left, right)) as tf.Tensor3D;
  });
}

/** `sum_ij W_ij d|x_i - y_j|^2 / dx_i = 2 (mass_i x_i - (W y)_i)`, times `scale / 2`: `scale (rowMass x - W y)`. */
function rowPullback(
  scale: number,
  rows: tf.Tensor3D,
  columns: tf.Tensor3D,
  weights: tf.Tensor3D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const rowMass = tf.sum(weights, 2, true);
    return tf.mul(tf.sub(tf.mul(rowMass, rows), tf.matMul(weights, columns)), scale) as tf.Tensor3D;
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
    const columnMass = tf.expandDims(sumOverRows(weights), 2);
    const columnGradient = tf.mul(
      tf.sub(tf.mul(columnMass, columns), transposedMatMul(weights, rows)),
      scale,
    );
    return [rowPullback(scale, rows, columns, weights), columnGradient as tf.Tensor3D];
  });
}

/** `cost * multiplier`, or `cost` itself for a multiplier of 1. */
function scaled(cost: tf.Tensor3D, multiplier: number): tf.Tensor3D {
  return multiplier === 1 ? cost : (tf.mul(cost, multiplier) as tf.Tensor3D);
}

/** The diagonals of a batch of square matrices `[B, N, N]`, as `[B, N]`. */
function diagonals(matrices: tf.Tensor3D): tf.Tensor2D {
  const [batch, count] = matrices.shape;
  const flat = tf.reshape(matrices, [batch, count * count]);
  return tf.gather(flat, tf.range(0, count * count, count + 1, 'int32'), 1) as tf.Tensor2D;
}

/** `[B, N, N]` batches of diagonal matrices with `values` `[B, N]` on the diagonal. */
function diagonalMatrices(values: tf.Tensor2D): tf.Tensor3D {
  const index = tf.range(0, values.shape[1]);
  const identity = tf.cast(tf.equal(tf.expandDims(index, 1), tf.expandDims(index, 0)), 'float32');
  return tf.mul(identity, tf.expandDims(values, 2)) as tf.Tensor3D;
}

/**
 * Squared distances among all points of one set, or of two sets stacked (`[B, N, N]`, `N = n` or `n + m`), from one
 * Gram matrix of the points centred on their common centroid. The norms are its diagonal, so `C_ii = 0` exactly.
 *
 * The gradient for a weight matrix `W` is `sum_ij W_ij d|z_i - z_j|^2 / dz = 2 (mass(S) z - S z)` with
 * `S = W + W^T`, computed as one product `M z` with `M = 2 (diag(mass(S)) - S)` (small, `N x N`); the rows of `M`
 * sum to 0, so the centred points give the same result with less cancellation.
 */
function stackedSquaredEuclidean(multiplier: number): (...parts: tf.Tensor[]) => tf.Tensor {
  return customOperation((parts, save) => {
    const points = (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor3D;
    const count = points.shape[1];
    // sum then divide: wasm's `Mean` over a middle axis transposes first, its `Sum` (completed) does not
    const centred = tf.sub(points, tf.div(tf.sum(points, 1, true), count)) as tf.Tensor3D;
    const gram = matMulTransposed(centred, centred);
    const norms = diagonals(gram);
    const squared = tf.sub(tf.add(tf.expandDims(norms, 2), tf.expandDims(norms, 1)), tf.mul(gram, 2));
    save([centred]);
    return {
      value: scaled(tf.relu(squared) as tf.Tensor3D, multiplier),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const symmetric = tf.add(dy, tf.transpose(dy, [0, 2, 1])) as tf.Tensor3D;
        const mass = tf.sum(symmetric, 2) as tf.Tensor2D;
        const operator = tf.mul(tf.sub(diagonalMatrices(mass), symmetric), 2 * multiplier) as tf.Tensor3D;
        const rows = parts.map((part) => part.shape[1] as number);
        const blocks = parts.length === 1 ? [operator] : tf.split(operator, rows, 1);
        return blocks.map((block) => tf.matMul(block, saved[0]));
      },
    };
  });
}

function squaredEuclideanKernel(multiplier: number): CostKernel {
  // The gradients are written by hand: autodiff of matMul uses transposed products, a slow path on wasm.
  const stacked = stackedSquaredEuclidean(multiplier);
  const evaluate = customOperation(([rows, columns], save) => {
    save([rows, columns]);
    const cost = squaredEuclidean(rows as tf.Tensor3D, columns as tf.Tensor3D);
    return {
      value: scaled(cost, multiplier),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        squaredEuclideanPullback(
          multiplier,
          saved[0] as tf.Tensor3D,
          saved[1] as tf.Tensor3D,
          dy as tf.Tensor3D,
        ),
    };
  });
  // Both slots of a symmetric W pull equally: twice the row pullback, one product instead of two.
  const symmetricSelf = customOperation(([points], save) => {
    save([points]);
    const cost = squaredEuclidean(points as tf.Tensor3D, points as tf.Tensor3D);
    return {
      value: scaled(cost, multiplier),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        rowPullback(4 * multiplier, saved[0] as tf.Tensor3D, saved[0] as tf.Tensor3D, dy as tf.Tensor3D),
      ],
    };
  });
  return {
    multiplier,
    symmetric: true,
    // The self terms pass the same tensor twice; where the points are larger than the cost (d >= n), sharing the
    // work is cheaper (for n > d, symmetrising W would cost an n x n transpose).
    evaluate: (rows, columns) =>
      (rows === columns && rows.shape[2] >= rows.shape[1]
        ? stacked(rows)
        : evaluate(rows, columns)) as tf.Tensor3D,
    evaluateStacked: (rows, columns) => stacked(rows, columns) as tf.Tensor3D,
    evaluateSymmetricSelf: (points) =>
      (points.shape[2] >= points.shape[1] ? stacked(points) : symmetricSelf(points)) as tf.Tensor3D,
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
      return scaled(value, multiplier);
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
