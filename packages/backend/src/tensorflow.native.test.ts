import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend, describeActivation } from './activate.js';
import { KERNEL_CASES } from './internal/kernel-cases.js';
import { backendParity } from './parity.js';
import { TENSORFLOW_KERNELS } from './tensorflow-kernels/index.js';
import type { ActivatedBackend } from './types.js';
import { SYMMETRIC_EIGEN_KERNEL_NAME } from './webgpu-kernels/index.js';

/**
 * The native lane: `@tensorflow/tfjs-node` (needs `npm run setup:tensorflow` or a plain install). The kernels and
 * gradients a convolutional GAN needs against the cpu backend, Siran's own tensorflow kernels against closed forms,
 * and what activateBackend reports.
 */

let active: ActivatedBackend;

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
  active = await activateBackend('tensorflow', { ignoreEnvironment: true });
});

describe('activateBackend on native TensorFlow', () => {
  it('reports the TensorFlow version, threads and oneDNN, and registers Siran kernels', () => {
    expect(active.name).toBe('tensorflow');
    expect(active.module).toMatch(/^@tensorflow\/tfjs-node/);
    expect(active.tensorflow?.version).toMatch(/^2\.\d+\.\d+/);
    expect(active.tensorflow?.intraOpThreads).toBeGreaterThanOrEqual(1);
    expect(active.tensorflow?.interOpThreads).toBeGreaterThanOrEqual(1);
    expect(active.threads).toBe(active.tensorflow?.intraOpThreads);
    expect(typeof active.tensorflow?.oneDnn).toBe('boolean');
    for (const name of TENSORFLOW_KERNELS) expect(tf.getKernel(name, 'tensorflow')).toBeDefined();
    expect(describeActivation(active)).toMatch(
      /^tensorflow \(TensorFlow 2\.\d+\.\d+, \d+ intra-op \/ \d+ inter-op threads, oneDNN (on|off)\)$/,
    );
  });

  it('reports the same runtime when activated again, since TensorFlow reads its settings once', async () => {
    const again = await activateBackend('tensorflow', { ignoreEnvironment: true, tensorflowThreads: 1 });
    expect(again.tensorflow).toEqual(active.tensorflow);
    expect(again.registeredKernels).toEqual([]);
  });

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(
      activateBackend('tensorflow', { ignoreEnvironment: true, tensorflowThreads: 0 }),
    ).rejects.toThrow(/tensorflowThreads must be a positive integer, got 0/);
  });

  it('names the op and the backend when a kernel is missing', async () => {
    await tf.setBackend('tensorflow');
    expect(() => tf.searchSorted(tf.tensor1d([1, 2, 3]), tf.tensor1d([2]))).toThrow(
      /Kernel 'SearchSorted' not registered for backend 'tensorflow'/,
    );
  });
});

describe('tensorflow kernels against cpu', () => {
  for (const testCase of KERNEL_CASES) {
    it(`matches cpu: ${testCase.name}`, async () => {
      const parity = await backendParity(testCase.compute, { backend: 'tensorflow' });
      expect(parity.length).toBeGreaterThan(0);
      for (const output of parity) expect(output.maxRelativeError).toBeLessThan(1e-4);
    });
  }
});

describe(`${SYMMETRIC_EIGEN_KERNEL_NAME} on tensorflow`, () => {
  /** `R diag(values) R^T` for the rotation R by `angle` in the plane of axes 0 and 1 of an n x n identity. */
  function rotated(values: number[], angle: number): { matrix: number[][]; rotation: number[][] } {
    const n = values.length;
    const rotation: number[][] = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
    );
    rotation[0][0] = Math.cos(angle);
    rotation[0][1] = -Math.sin(angle);
    rotation[1][0] = Math.sin(angle);
    rotation[1][1] = Math.cos(angle);
    const matrix = rotation.map((row, i) =>
      row.map((_, j) => values.reduce((sum, value, k) => sum + rotation[i][k] * value * rotation[j][k], 0)),
    );
    return { matrix, rotation };
  }

  it('gives ascending eigenvalues and unit eigenvector columns of a rotated diagonal matrix (closed form)', async () => {
    await tf.setBackend('tensorflow');
    const values = [3, -1, 0.5, 2];
    const { matrix, rotation } = rotated(values, 0.3);
    // An antisymmetric part, which the kernel's (x + x^T) / 2 removes.
    const skew = matrix.map((row, i) => row.map((entry, j) => entry + (i < j ? 0.25 : i > j ? -0.25 : 0)));
    const packed = tf.engine().runKernel(SYMMETRIC_EIGEN_KERNEL_NAME, {
      x: tf.tensor3d([matrix, skew]),
    }) as tf.Tensor;
    expect(packed.shape).toEqual([2, 5, 4]);
    const data = await packed.data();
    const sorted = [...values].sort((a, b) => a - b);
    for (let b = 0; b < 2; b++) {
      const base = b * 20;
      for (let k = 0; k < 4; k++) expect(data[base + k]).toBeCloseTo(sorted[k], 5);
      for (let k = 0; k < 4; k++) {
        // Column k is the eigenvector of sorted[k]: the column of the rotation for that value, up to sign.
        const expected = rotation.map((row) => row[values.indexOf(sorted[k])]);
        const column = [0, 1, 2, 3].map((i) => data[base + 4 + i * 4 + k]);
        const dot = column.reduce((sum, entry, i) => sum + entry * expected[i], 0);
        expect(Math.abs(dot)).toBeCloseTo(1, 5);
      }
    }
    packed.dispose();
  });

  it('handles an empty batch', () => {
    const packed = tf.engine().runKernel(SYMMETRIC_EIGEN_KERNEL_NAME, {
      x: tf.zeros([0, 3, 3]),
    }) as tf.Tensor;
    expect(packed.shape).toEqual([0, 4, 3]);
    packed.dispose();
  });
});
