import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fsgt } from './fsgt.js';
import { hostSymmetricEigen } from './internal/host-eigen.js';
import { decompositionErrors, randomSymmetric, seededUniform } from './internal/test-helpers.js';
import { normalizedLaplacian, symmetricAdjacency } from './normalized-laplacian.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { SYMMETRIC_EIGEN_KERNEL_NAME } from './symmetric-eigen-kernel.js';

/**
 * The GPU lane: the on-device eigensolver (the `SiranSymmetricEigen` kernel that @siran/backend registers for
 * webgpu) against the float64 host solver, and the FSGT layer on webgpu against the cpu backend.
 */

let available = false;
beforeAll(async () => {
  try {
    await activateBackend('webgpu', { ignoreEnvironment: true });
    available = true;
  } catch {
    available = false;
  }
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Decomposes float32 matrices on webgpu; returns the values, vectors (columns) and the float64 input. */
async function decomposeOnGpu(matrices: Float64Array[], n: number) {
  const input = Float32Array.from(matrices.flatMap((matrix) => Array.from(matrix)));
  const x = tf.tensor3d(input, [matrices.length, n, n]);
  const { eigenvalues, eigenvectors } = symmetricEigen(x, { solver: 'kernel' });
  const values = (await eigenvalues.data()) as Float32Array;
  const vectors = (await eigenvectors.data()) as Float32Array;
  tf.dispose([x, eigenvalues, eigenvectors]);
  return matrices.map((_, b) => ({
    matrix: Float64Array.from(input.subarray(b * n * n, (b + 1) * n * n)),
    values: values.subarray(b * n, (b + 1) * n),
    vectors: vectors.subarray(b * n * n, (b + 1) * n * n),
  }));
}

/**
 * Checks one decomposition against the float64 host solver: ascending values, values within `1e-5` of the
 * spectral scale, reconstruction and orthogonality within `1e-4`, and each eigenvector of a simple,
 * well-separated eigenvalue parallel to the reference one (signs are free).
 */
function expectAccurate(
  result: { matrix: Float64Array; values: Float32Array; vectors: Float32Array },
  n: number,
) {
  const { matrix, values, vectors } = result;
  const reference = hostSymmetricEigen(matrix, n);
  const scale = Math.max(...reference.values.map(Math.abs), 1e-30);
  for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  for (let i = 0; i < n; i++) expect(Math.abs(values[i] - reference.values[i]) / scale).toBeLessThan(1e-5);
  const { reconstruction, orthogonality } = decompositionErrors(matrix, n, values, vectors);
  expect(reconstruction).toBeLessThan(1e-4);
  expect(orthogonality).toBeLessThan(1e-4);
  for (let k = 0; k < n; k++) {
    const gap = Math.min(
      k > 0 ? reference.values[k] - reference.values[k - 1] : Number.POSITIVE_INFINITY,
      k < n - 1 ? reference.values[k + 1] - reference.values[k] : Number.POSITIVE_INFINITY,
    );
    if (gap < 1e-2 * scale) continue;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += vectors[i * n + k] * reference.vectorRows[k * n + i];
    expect(
      1 - Math.abs(dot),
      `n ${n} vector ${k} gap ${gap} value ${values[k]} ref ${reference.values[k]}`,
    ).toBeLessThan(1e-4);
  }
}

/** Normalised Laplacian of a random exponential adjacency, built with this package's own functions. */
function randomLaplacian(seed: number, n: number): Float64Array {
  const laplacian = tf.tidy(() => {
    const similarity = tf.tensor2d(Float32Array.from(seededUniform(seed, n * n).map((v) => 4 * v)), [n, n]);
    return normalizedLaplacian(symmetricAdjacency(similarity), { checkFinite: false });
  });
  const values = Float64Array.from(laplacian.dataSync());
  laplacian.dispose();
  return values;
}

describe('symmetricEigen on webgpu (SiranSymmetricEigen kernel)', () => {
  it('is registered under the name this package looks up', (context) => {
    if (!available) context.skip();
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'webgpu')).toBeDefined();
  });

  it('matches the float64 host solver on random symmetric matrices, n = 5, 49, 100 (batches of 2)', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('webgpu');
    for (const n of [5, 49, 100]) {
      const results = await decomposeOnGpu([randomSymmetric(n, n), randomSymmetric(n + 1, n)], n);
      for (const result of results) expectAccurate(result, n);
    }
  });

  it('matches the float64 host solver at the FSGT size n = 361 (odd order)', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('webgpu');
    const [result] = await decomposeOnGpu([randomSymmetric(361, 361)], 361);
    expectAccurate(result, 361);
  });

  it('matches the float64 host solver on normalised graph Laplacians', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('cpu');
    const laplacians = [randomLaplacian(21, 36), randomLaplacian(22, 36)];
    await tf.setBackend('webgpu');
    const results = await decomposeOnGpu(laplacians, 36);
    for (const result of results) {
      expectAccurate(result, 36);
      expect(Math.abs(result.values[0])).toBeLessThan(1e-5); // the constant-degree vector D^1/2 1
    }
  });

  it('handles repeated eigenvalues without NaN (identity, zero, a cycle graph, a degenerate block)', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('webgpu');
    const n = 8;
    const identity = new Float64Array(n * n);
    const zero = new Float64Array(n * n);
    const cycle = new Float64Array(n * n);
    const block = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      identity[i * n + i] = 1;
      cycle[i * n + i] = 2;
      cycle[i * n + ((i + 1) % n)] = -1;
      cycle[i * n + ((i + n - 1) % n)] = -1;
      block[i * n + i] = i < 5 ? 2 : 5;
    }
    const results = await decomposeOnGpu([identity, zero, cycle, block], n);
    for (const result of results) {
      expect(Array.from(result.values).every(Number.isFinite)).toBe(true);
      expect(Array.from(result.vectors).every(Number.isFinite)).toBe(true);
    }
    // Cycle C_8: 2 - 2 cos(2 pi k / 8), double for k = 1..3.
    const cycleValues = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos((2 * Math.PI * k) / n)).sort(
      (a, b) => a - b,
    );
    cycleValues.forEach((value, k) => {
      expect(results[2].values[k]).toBeCloseTo(value, 5);
    });
    expect(Array.from(results[0].values)).toEqual(new Array(n).fill(1));
    expect(Array.from(results[1].values)).toEqual(new Array(n).fill(0));
    expect(Array.from(results[3].values)).toEqual([2, 2, 2, 2, 2, 5, 5, 5]);
    for (const index of [0, 2, 3]) expectAccurate(results[index], n);
  });

  it('gives NaN, not an error, for NaN input (no host check on the kernel path)', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('webgpu');
    const x = tf.tensor2d([
      [1, Number.NaN],
      [Number.NaN, 1],
    ]);
    const { eigenvalues, eigenvectors } = symmetricEigen(x);
    expect(Array.from(await eigenvalues.data()).every(Number.isNaN)).toBe(true);
    expect(Array.from(await eigenvectors.data()).every(Number.isNaN)).toBe(true);
    tf.dispose([x, eigenvalues, eigenvectors]);
  });

  it('has the backward pass of the cpu backend (host solver), projector and eigenvalue loss', async (context) => {
    if (!available) context.skip();
    const n = 10;
    const base = Float32Array.from(randomSymmetric(31, n));
    const weights = Float32Array.from(seededUniform(32, n * n + n));
    const gradientOn = async (backend: string) => {
      await tf.setBackend(backend);
      const w = tf.tensor2d(weights.subarray(0, n * n), [n, n]);
      const c = tf.tensor1d(weights.subarray(n * n));
      const a = tf.tensor2d(base, [n, n]);
      const gradient = tf.grad((matrix: tf.Tensor) => {
        const { eigenvalues, eigenvectors } = symmetricEigen(matrix);
        const top = tf.slice(eigenvectors, [0, 4], [n, n - 4]);
        return tf.add(tf.sum(tf.mul(w, tf.matMul(top, top, false, true))), tf.sum(tf.mul(c, eigenvalues)));
      })(a);
      const values = (await gradient.data()) as Float32Array;
      tf.dispose([w, c, a, gradient]);
      return values;
    };
    const expected = await gradientOn('cpu');
    const actual = await gradientOn('webgpu');
    const scale = Math.max(...expected.map(Math.abs));
    const worst = Math.max(...expected.map((v, i) => Math.abs(v - actual[i])));
    expect(worst / scale).toBeLessThan(1e-4);
  });

  it('runs the Fsgt layer forward and backward like the cpu backend', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('cpu');
    const layer = new Fsgt({ windowSize: 2, numHeads: 2, adjacencyChannels: 2, seed: 5 });
    const input = tf.tensor4d(
      Float32Array.from(seededUniform(41, 8 * 8 * 4).map((v) => 2 * v)),
      [1, 8, 8, 4],
    );
    layer.apply(input);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.square(layer.apply(input) as tf.Tensor)) as tf.Scalar,
        variables,
      );
      const output = tf.tidy(() => layer.apply(input) as tf.Tensor);
      const results = [(await output.data()) as Float32Array, (await value.data()) as Float32Array];
      for (const variable of variables) results.push((await grads[variable.name].data()) as Float32Array);
      tf.dispose([output, value, ...Object.values(grads)]);
      return results;
    };
    const onCpu = await run('cpu');
    const before = tf.memory().numTensors;
    const onGpu = await run('webgpu');
    expect(tf.memory().numTensors).toBe(before);
    onCpu.forEach((expected, index) => {
      const scale = Math.max(...expected.map(Math.abs));
      const worst = Math.max(...expected.map((v, i) => Math.abs(v - onGpu[index][i])));
      expect(worst / scale, `tensor ${index}`).toBeLessThan(1e-3);
    });
    await tf.setBackend('cpu');
    layer.dispose();
    input.dispose();
  });

  it('leaves no tensors behind, forward and backward', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('webgpu');
    const input = tf.tensor3d(Float32Array.from(randomSymmetric(51, 6)), [1, 6, 6]);
    const before = tf.memory().numTensors;
    const { eigenvalues, eigenvectors } = symmetricEigen(input);
    const gradient = tf.grad((a: tf.Tensor) => tf.sum(tf.square(symmetricEigen(a).eigenvectors)))(input);
    await gradient.data();
    tf.dispose([eigenvalues, eigenvectors, gradient]);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
  });
});
