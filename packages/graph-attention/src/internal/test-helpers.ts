import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

/** Reference values made by `test/fixtures/make_reference.py` (NumPy, float64). */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON fixture
export const reference: any = JSON.parse(
  readFileSync(new URL('../../test/fixtures/reference.json', import.meta.url), 'utf8'),
);

/** Deterministic uniform numbers in [-0.5, 0.5) (linear congruential generator). */
export function seededUniform(seed: number, count: number): Float64Array {
  let state = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

/** Largest absolute difference divided by the largest absolute reference value. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return difference / Math.max(scale, 1e-30);
}

/** Symmetric random matrix, row-major float64. */
export function randomSymmetric(seed: number, n: number): Float64Array {
  const values = seededUniform(seed, n * n);
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      matrix[i * n + j] = values[i * n + j];
      matrix[j * n + i] = values[i * n + j];
    }
  }
  return matrix;
}

/** Runs `body` and returns how many tensors it left behind. */
export function leakedTensors(body: () => void): number {
  const before = tf.memory().numTensors;
  body();
  return tf.memory().numTensors - before;
}

/**
 * Max-norm reconstruction error `|A - V diag(l) V^T| / |A|` and orthogonality error `|V^T V - I|` of a
 * decomposition (row-major `n x n`, eigenvectors as columns), accumulated in float64.
 */
export function decompositionErrors(
  matrix: Float64Array,
  n: number,
  values: ArrayLike<number>,
  vectors: ArrayLike<number>,
) {
  let reconstruction = 0;
  let orthogonality = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let dot = 0;
      for (let k = 0; k < n; k++) {
        sum += vectors[i * n + k] * values[k] * vectors[j * n + k];
        dot += vectors[k * n + i] * vectors[k * n + j];
      }
      reconstruction = Math.max(reconstruction, Math.abs(sum - matrix[i * n + j]));
      orthogonality = Math.max(orthogonality, Math.abs(dot - (i === j ? 1 : 0)));
      scale = Math.max(scale, Math.abs(matrix[i * n + j]));
    }
  }
  return { reconstruction: reconstruction / scale, orthogonality };
}
