import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../activate.js';
import { SYMMETRIC_EIGEN_KERNEL_NAME } from './index.js';
import { JacobiEigenProgram } from './jacobi-program.js';
import { SortedEigenGatherProgram } from './sorted-gather-program.js';

/**
 * The GPU lane for the SiranSymmetricEigen kernel: matrices with a known spectrum, built in float64 as
 * `H diag(d) H` with a Householder reflection `H = I - 2 u u^T / (u^T u)`.
 */

let available = false;
beforeAll(async () => {
  try {
    available = (await activateBackend('webgpu', { ignoreEnvironment: true })).name === 'webgpu';
  } catch {
    available = false;
  }
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

function knownSpectrum(n: number, seed: number): { matrix: Float64Array; values: number[] } {
  const u = Array.from({ length: n }, (_, i) => Math.sin(seed * (i + 1) + 0.3));
  const uu = u.reduce((sum, value) => sum + value * value, 0);
  const values = Array.from({ length: n }, (_, i) => Math.cos(seed + 1.7 * i) * 3 + (i % 3 === 0 ? 0.5 : 0));
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const hik = (i === k ? 1 : 0) - (2 * u[i] * u[k]) / uu;
        const hjk = (j === k ? 1 : 0) - (2 * u[j] * u[k]) / uu;
        sum += hik * values[k] * hjk;
      }
      matrix[i * n + j] = sum;
    }
  }
  return { matrix, values: [...values].sort((a, b) => a - b) };
}

/** Checks packed `[batch, n + 1, n]` results against the known spectra, in float64. */
function expectKnownSpectra(
  data: ArrayLike<number>,
  cases: { matrix: Float64Array; values: number[] }[],
  n: number,
  scale = 1,
) {
  cases.forEach(({ matrix, values }, b) => {
    const base = b * (n + 1) * n;
    const vector = (k: number, i: number) => data[base + (i + 1) * n + k];
    for (let k = 0; k < n; k++) {
      expect(Math.abs(data[base + k] - values[k])).toBeLessThan(4e-5 * scale);
      let residual = 0;
      for (let i = 0; i < n; i++) {
        let product = 0;
        for (let j = 0; j < n; j++) product += matrix[i * n + j] * vector(k, j);
        residual = Math.max(residual, Math.abs(product - data[base + k] * vector(k, i)));
      }
      expect(residual).toBeLessThan(1e-4 * scale);
      for (let l = 0; l <= k; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vector(k, i) * vector(l, i);
        expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
  });
}

describe('SiranSymmetricEigen on webgpu', () => {
  it('returns ascending known eigenvalues and orthonormal eigenvectors (columns), n = 23 and 24', async (context) => {
    if (!available) context.skip();
    for (const n of [23, 24]) {
      const cases = [knownSpectrum(n, 1), knownSpectrum(n, 2)];
      const x = tf.tensor3d(Float32Array.from(cases.flatMap((c) => Array.from(c.matrix))), [2, n, n]);
      const packed = tf.engine().runKernel(SYMMETRIC_EIGEN_KERNEL_NAME, { x }, {}) as tf.Tensor;
      expect(packed.shape).toEqual([2, n + 1, n]);
      const data = await packed.data();
      tf.dispose([x, packed]);
      expectKnownSpectra(data, cases, n);
    }
  });

  it('gives the same results with the rotations kept in the scratch buffer (the path for n > 1536)', async (context) => {
    if (!available) context.skip();
    const n = 24;
    const cases = [knownSpectrum(n, 3), knownSpectrum(n, 4)];
    const x = tf.tensor3d(Float32Array.from(cases.flatMap((c) => Array.from(c.matrix))), [2, n, n]);
    const backend = tf.backend() as unknown as {
      runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: 'float32'): tf.TensorInfo;
      disposeData(dataId: object): boolean;
    };
    const scratch = backend.runWebGPUProgram(new JacobiEigenProgram(2, n, false), [x], 'float32');
    const packed = tf
      .engine()
      .makeTensorFromTensorInfo(
        backend.runWebGPUProgram(new SortedEigenGatherProgram(2, n), [scratch], 'float32'),
      );
    backend.disposeData(scratch.dataId);
    const data = await packed.data();
    tf.dispose([x, packed]);
    expectKnownSpectra(data, cases, n);
  });

  it('is scale invariant: spectra scaled by 1e25 and 1e-25 neither overflow nor underflow', async (context) => {
    if (!available) context.skip();
    const n = 24;
    for (const scale of [1e25, 1e-25]) {
      const cases = [knownSpectrum(n, 5), knownSpectrum(n, 6)].map(({ matrix, values }) => ({
        matrix: matrix.map((value) => value * scale),
        values: values.map((value) => value * scale),
      }));
      const x = tf.tensor3d(Float32Array.from(cases.flatMap((c) => Array.from(c.matrix))), [2, n, n]);
      const packed = tf.engine().runKernel(SYMMETRIC_EIGEN_KERNEL_NAME, { x }, {}) as tf.Tensor;
      const data = await packed.data();
      tf.dispose([x, packed]);
      expectKnownSpectra(data, cases, n, scale);
    }
  });
});
