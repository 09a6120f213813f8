import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostSymmetricEigen } from './internal/host-eigen.js';
import {
  decompositionErrors,
  leakedTensors,
  randomSymmetric,
  reference,
  relativeError,
  seededUniform,
} from './internal/test-helpers.js';
import { symmetricEigen } from './symmetric-eigen.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('symmetricEigen', () => {
  it('matches the closed form of a 2x2 matrix', () => {
    const { eigenvalues, eigenvectors } = symmetricEigen(
      tf.tensor2d([
        [2, 1],
        [1, 2],
      ]),
    );
    expect(Array.from(eigenvalues.dataSync())).toEqual([expect.closeTo(1, 6), expect.closeTo(3, 6)]);
    const v = eigenvectors.arraySync() as number[][];
    expect(Math.abs(v[0][0] * v[1][0])).toBeCloseTo(0.5, 6);
    expect(v[0][0] * v[1][0]).toBeLessThan(0); // (1, -1) / sqrt 2 for eigenvalue 1
  });

  it('matches LAPACK eigenvalues (numpy.linalg.eigh) of a graph Laplacian', () => {
    const { n, laplacian, eigenvalues: expected } = reference.filter;
    const { eigenvalues } = symmetricEigen(tf.tensor2d(laplacian, [n, n]));
    expect(relativeError(eigenvalues.dataSync(), expected)).toBeLessThan(1e-6);
  });

  it('reconstructs a batch with orthonormal vectors, ascending values, n = 400 within 1e-4', () => {
    for (const n of [1, 7, 400]) {
      const matrices = [randomSymmetric(n, n), randomSymmetric(n + 1, n)];
      const input = tf.tensor3d(Float32Array.from([...matrices[0], ...matrices[1]]), [2, n, n]);
      const { eigenvalues, eigenvectors } = symmetricEigen(input);
      expect(eigenvalues.shape).toEqual([2, n]);
      const values = eigenvalues.dataSync();
      const vectors = eigenvectors.dataSync();
      for (let b = 0; b < 2; b++) {
        const ownValues = values.subarray(b * n, (b + 1) * n);
        for (let i = 1; i < n; i++) expect(ownValues[i]).toBeGreaterThanOrEqual(ownValues[i - 1]);
        const float32Matrix = Float64Array.from(Float32Array.from(matrices[b]));
        const errors = decompositionErrors(
          float32Matrix,
          n,
          ownValues,
          vectors.subarray(b * n * n, (b + 1) * n * n),
        );
        expect(errors.reconstruction).toBeLessThan(1e-4);
        expect(errors.orthogonality).toBeLessThan(1e-4);
      }
    }
  });

  it('handles degenerate eigenvalues without NaN, forward and backward', () => {
    const matrix = tf.tensor2d([
      [2, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 5],
    ]);
    const gradient = tf.grad((a: tf.Tensor) => {
      const { eigenvalues, eigenvectors } = symmetricEigen(a);
      return tf.add(tf.sum(tf.square(tf.slice(eigenvectors, [0, 2], [4, 2]))), tf.sum(eigenvalues));
    })(matrix);
    const values = symmetricEigen(matrix).eigenvalues.dataSync();
    expect(Array.from(values)).toEqual([2, 2, 2, 5]);
    expect(Array.from(gradient.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(hostSymmetricEigen(new Float64Array(9), 3).values)).toEqual([0, 0, 0]);
  });

  it('has the analytic gradient of finite differences (float64 host reference)', () => {
    const n = 6;
    const base = randomSymmetric(11, n);
    const weights = seededUniform(12, n * n + n);
    // loss(A) = sum_ij W_ij (P_bar P_bar^T)_ij + sum_i c_i l_i with P_bar the top 3 eigenvectors.
    const hostLoss = (matrix: Float64Array): number => {
      const { values, vectorRows } = hostSymmetricEigen(matrix, n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        loss += weights[n * n + i] * values[i];
        for (let j = 0; j < n; j++) {
          let projector = 0;
          for (let k = 3; k < n; k++) projector += vectorRows[k * n + i] * vectorRows[k * n + j];
          loss += weights[i * n + j] * projector;
        }
      }
      return loss;
    };
    const w = tf.tensor2d(Float32Array.from(weights.subarray(0, n * n)), [n, n]);
    const c = tf.tensor1d(Float32Array.from(weights.subarray(n * n)));
    const analytic = tf
      .grad((a: tf.Tensor) => {
        const { eigenvalues, eigenvectors } = symmetricEigen(a);
        const top = tf.slice(eigenvectors, [0, 3], [n, n - 3]);
        return tf.add(tf.sum(tf.mul(w, tf.matMul(top, top, false, true))), tf.sum(tf.mul(c, eigenvalues)));
      })(tf.tensor2d(Float32Array.from(base), [n, n]))
      .dataSync();
    const step = 1e-6;
    const numeric = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        // Perturb the symmetric pair; the gradient of a symmetric input is split evenly over (i,j) and (j,i).
        const plus = Float64Array.from(base);
        const minus = Float64Array.from(base);
        plus[i * n + j] += step;
        minus[i * n + j] -= step;
        numeric[i * n + j] = (hostLoss(plus) - hostLoss(minus)) / (2 * step);
      }
    }
    expect(relativeError(analytic, numeric)).toBeLessThan(2e-4);
  });

  it('gives a zero gradient with gradient: stop', () => {
    const g = tf.grad((a: tf.Tensor) => tf.sum(symmetricEigen(a, { gradient: 'stop' }).eigenvalues))(
      tf.tensor2d([
        [1, 2],
        [2, 1],
      ]),
    );
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0]);
  });

  it('leaves no tensors behind', () => {
    const input = tf.tensor2d(Float32Array.from(randomSymmetric(3, 5)), [5, 5]);
    expect(
      leakedTensors(() => {
        const result = symmetricEigen(input);
        result.eigenvalues.dispose();
        result.eigenvectors.dispose();
      }),
    ).toBe(0);
    expect(
      leakedTensors(() =>
        tf
          .grad((a: tf.Tensor) => tf.sum(symmetricEigen(a).eigenvectors))(input)
          .dispose(),
      ),
    ).toBe(0);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => symmetricEigen(tf.tensor1d([1, 2]))).toThrow(
      /symmetricEigen: expected matrices of rank >= 2/,
    );
    expect(() => symmetricEigen(tf.zeros([2, 3]))).toThrow(/symmetricEigen: expected square/);
    expect(() =>
      symmetricEigen(
        tf.tensor2d([
          [1, Number.NaN],
          [Number.NaN, 1],
        ]),
      ),
    ).toThrow(/symmetricEigen: entry 1 of the input is NaN/);
  });
});
