import * as tf from '@tensorflow/tfjs-core';
import { hasScaledLogSumExpKernels } from './log-sum-exp.js';

/*
 * Formulations that avoid slow paths of some backends: on the shipped wasm backend, `matMul` with a transposed
 * operand and sums over a non-last axis are 10-20x slower than a plain `matMul` (measured on a `[1024, 1024]`
 * operand).
 */

/**
 * Sums `[B, r, c]` over its middle axis: with `tf.sum` where the backend has the fused log-sum-exp kernels (then it
 * is completed by `@siran/backend`, whose wasm `Sum` adds rows directly), else as a matrix product with a row of ones.
 *
 * @returns `[B, c]`; the caller disposes it.
 */
export function sumOverRows(t: tf.Tensor3D): tf.Tensor2D {
  if (hasScaledLogSumExpKernels()) return tf.sum(t, 1);
  return tf.tidy(() => {
    const ones = tf.ones([t.shape[0], 1, t.shape[1]]);
    return tf.squeeze(tf.matMul(ones, t), [1]) as tf.Tensor2D;
  });
}

/**
 * `a @ b^T` for `a` `[B, r, k]`, `b` `[B, c, k]`: as such where the backend has the fused log-sum-exp kernels (then
 * `@siran/backend` completed it, and its wasm `BatchMatMul` takes few long rows as SIMD dot products), else with an
 * explicit transpose of `b`.
 *
 * @returns `[B, r, c]`; the caller disposes it.
 */
export function matMulTransposed(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (hasScaledLogSumExpKernels()) return tf.matMul(a, b, false, true);
  return tf.tidy(() => tf.matMul(a, tf.transpose(b, [0, 2, 1])) as tf.Tensor3D);
}

/**
 * `w^T @ p` for `w` `[B, r, c]` and `p` `[B, r, k]`: as such where the backend has the fused log-sum-exp kernels (then
 * `@siran/backend`'s wasm `BatchMatMul` takes a narrow `p` as SIMD row updates), else transposing whichever of `w`
 * and `p` (and the result) moves fewer entries: `transpose(w) @ p`, or `(p^T @ w)^T` when `w` is the larger.
 *
 * @returns `[B, c, k]`; the caller disposes it.
 */
export function transposedMatMul(w: tf.Tensor3D, p: tf.Tensor3D): tf.Tensor3D {
  if (hasScaledLogSumExpKernels()) return tf.matMul(w, p, true, false);
  return tf.tidy(() => {
    if (w.size <= 2 * p.size) return tf.matMul(tf.transpose(w, [0, 2, 1]), p) as tf.Tensor3D;
    return tf.transpose(tf.matMul(tf.transpose(p, [0, 2, 1]), w), [0, 2, 1]) as tf.Tensor3D;
  });
}
