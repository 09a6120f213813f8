import * as tf from '@tensorflow/tfjs-core';

/** Inputs brought to the batched layout. */
export interface BatchedInputs {
  /** `[B, n, d]`. */
  readonly x: tf.Tensor3D;
  /** `[B, m, d]`. */
  readonly y: tf.Tensor3D;
  /** `[B, n]`, uniform when not given. */
  readonly a: tf.Tensor2D;
  /** `[B, m]`, uniform when not given. */
  readonly b: tf.Tensor2D;
  /** Whether the caller passed batched (rank 3) points. */
  readonly batched: boolean;
}

function checkFloat(caller: string, name: string, tensor: tf.Tensor): void {
  if (tensor.dtype !== 'float32') {
    throw new TypeError(`${caller}: ${name} has dtype ${tensor.dtype}; expected float32`);
  }
}

function toBatchedPoints(caller: string, name: string, points: tf.Tensor): tf.Tensor3D {
  if (!(points instanceof tf.Tensor)) throw new TypeError(`${caller}: ${name} must be a tf.Tensor`);
  checkFloat(caller, name, points);
  if (points.rank === 2) return tf.expandDims(points, 0) as tf.Tensor3D;
  if (points.rank === 3) return points as tf.Tensor3D;
  throw new RangeError(`${caller}: ${name} has shape [${points.shape}]; expected [n, d] or [batch, n, d]`);
}

function toBatchedWeights(
  caller: string,
  name: string,
  weights: tf.Tensor | undefined,
  batch: number,
  count: number,
): tf.Tensor2D {
  if (weights === undefined) return tf.fill([batch, count], 1 / count) as tf.Tensor2D;
  if (!(weights instanceof tf.Tensor)) throw new TypeError(`${caller}: ${name} must be a tf.Tensor`);
  checkFloat(caller, name, weights);
  if (weights.rank === 1 && weights.shape[0] === count) {
    return (
      batch === 1 ? tf.expandDims(weights, 0) : tf.tile(tf.expandDims(weights, 0), [batch, 1])
    ) as tf.Tensor2D;
  }
  if (weights.rank === 2 && weights.shape[0] === batch && weights.shape[1] === count)
    return weights as tf.Tensor2D;
  throw new RangeError(
    `${caller}: ${name} has shape [${weights.shape}]; expected [${count}] or [${batch}, ${count}] to match the points`,
  );
}

/**
 * Checks ranks, dtypes and shapes and brings points and weights to the batched layout.
 *
 * @param caller - Public function name for error messages.
 * @param x - Points `[n, d]` or `[B, n, d]`.
 * @param y - Points `[m, d]` or `[B, m, d]`.
 * @param a - Optional weights of `x`, `[n]` or `[B, n]`.
 * @param b - Optional weights of `y`, `[m]` or `[B, m]`.
 * @returns The batched inputs (new tensors or the inputs themselves; call inside a `tf.tidy`).
 * @throws RangeError on mismatched ranks, dimensions, batch sizes, weight shapes or empty sets.
 * @throws TypeError on non-tensor or non-float32 inputs.
 */
export function toBatchedInputs(
  caller: string,
  x: tf.Tensor,
  y: tf.Tensor,
  a?: tf.Tensor,
  b?: tf.Tensor,
): BatchedInputs {
  const bx = toBatchedPoints(caller, 'x', x);
  const by = toBatchedPoints(caller, 'y', y);
  if (x.rank !== y.rank) {
    throw new RangeError(
      `${caller}: x has rank ${x.rank} but y has rank ${y.rank}; expected both batched or neither`,
    );
  }
  if (bx.shape[0] !== by.shape[0]) {
    throw new RangeError(
      `${caller}: batch sizes differ (x ${bx.shape[0]}, y ${by.shape[0]}); expected equal`,
    );
  }
  if (bx.shape[2] !== by.shape[2]) {
    throw new RangeError(
      `${caller}: point dimensions differ (x has d = ${bx.shape[2]}, y has d = ${by.shape[2]}); expected equal`,
    );
  }
  if (bx.shape[1] === 0 || by.shape[1] === 0 || bx.shape[2] === 0) {
    throw new RangeError(
      `${caller}: empty point set (x [${x.shape}], y [${y.shape}]); expected n, m, d >= 1`,
    );
  }
  const [batch, n] = bx.shape;
  const m = by.shape[1];
  return {
    x: bx,
    y: by,
    a: toBatchedWeights(caller, 'a', a, batch, n),
    b: toBatchedWeights(caller, 'b', b, batch, m),
    batched: x.rank === 3,
  };
}

/** Tolerance on `|sum(weights) - 1|`. */
export const WEIGHT_SUM_TOLERANCE = 1e-4;

/**
 * Validation figures of the inputs as one tensor, to be read back together with other numbers:
 * `[non-finite entries of x and y, min weight, max |sum(a) - 1|, max |sum(b) - 1|]`.
 */
export function validationFigures(inputs: BatchedInputs): tf.Tensor1D {
  return tf.tidy(() => {
    const nonFinite = (t: tf.Tensor) => tf.sum(tf.cast(tf.logicalOr(tf.isNaN(t), tf.isInf(t)), 'float32'));
    const sumError = (w: tf.Tensor2D) => tf.max(tf.abs(tf.sub(tf.sum(w, 1), 1)));
    const minimum = tf.minimum(tf.min(inputs.a), tf.min(inputs.b));
    const weightsBad = tf.add(nonFinite(inputs.a), nonFinite(inputs.b));
    return tf.stack([
      tf.add(nonFinite(inputs.x), nonFinite(inputs.y)),
      tf.where(tf.greater(weightsBad, 0), tf.scalar(-1), minimum),
      sumError(inputs.a),
      sumError(inputs.b),
    ]) as tf.Tensor1D;
  });
}

/**
 * Throws if the figures of {@link validationFigures} reveal bad inputs.
 *
 * @throws RangeError on NaN/Infinity in the points, negative or non-finite weights, or weights not summing to 1.
 */
export function checkValidationFigures(caller: string, figures: ArrayLike<number>): void {
  const [nonFinite, minimum, sumA, sumB] = Array.from(figures);
  if (nonFinite > 0) {
    throw new RangeError(
      `${caller}: the points contain ${nonFinite} NaN or infinite values; expected finite values`,
    );
  }
  if (!(minimum >= 0)) {
    throw new RangeError(
      `${caller}: a weight is negative or not finite (min ${minimum}); expected weights >= 0`,
    );
  }
  for (const [name, error] of [
    ['a', sumA],
    ['b', sumB],
  ] as const) {
    if (!(error <= WEIGHT_SUM_TOLERANCE)) {
      throw new RangeError(
        `${caller}: the sum of weights ${name} is off 1 by ${error}; expected a sum of 1 (within ${WEIGHT_SUM_TOLERANCE})`,
      );
    }
  }
}

/**
 * Per batch element, `true` where `x` and `y` hold the same points with the same weights (then `S(x, y) = 0`).
 * Points are compared through `max |x - y| = 0` (three fast passes on wasm, where `equal` is a slow scalar loop), so
 * a point with an infinite coordinate never counts as identical (`inf - inf` is NaN); such points are invalid input.
 */
export function identicalMeasures(inputs: BatchedInputs): tf.Tensor1D {
  return tf.tidy(() => {
    const { x, y, a, b } = inputs;
    if (x.shape[1] !== y.shape[1]) return tf.zeros([x.shape[0]], 'bool') as tf.Tensor1D;
    const samePoints = tf.equal(tf.max(tf.abs(tf.sub(x, y)), [1, 2]), 0);
    const sameWeights = tf.all(tf.equal(a, b), 1);
    return tf.logicalAnd(samePoints, sameWeights) as tf.Tensor1D;
  });
}
