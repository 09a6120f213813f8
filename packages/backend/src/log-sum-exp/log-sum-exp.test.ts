import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../wasm-kernels/index.js';
import {
  loadHeapLogSumExpKernels,
  SIMD_CHUNK_ELEMENTS,
  setHeapSharing,
} from '../wasm-kernels/simd/simd-module.js';
import {
  registerCpuKernels,
  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNELS,
} from './index.js';

beforeAll(async () => {
  registerCpuKernels();
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

/** Seeded values: a small linear congruential generator, uniform in [low, high). */
function values(count: number, seed: number, low: number, high: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return low + ((high - low) * state) / 2147483648;
  });
}

interface Case {
  readonly shape: [number, number, number];
  readonly axis: 1 | 2;
}

/** The forward value and the gradient, recomputed in float64 from the float32 inputs. */
function float64Reference(x: Float32Array, h: Float32Array, dy: Float32Array, c: Case, scale: number) {
  const [batch, rows, columns] = c.shape;
  const kept = c.axis === 2 ? rows : columns;
  const reduced = c.axis === 2 ? columns : rows;
  const y = new Float64Array(batch * kept);
  const dx = new Float64Array(x.length);
  const dh = new Float64Array(h.length);
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < kept; k++) {
      const entry = (t: number) =>
        c.axis === 2 ? (b * rows + k) * columns + t : (b * rows + t) * columns + k;
      const z = Array.from({ length: reduced }, (_, t) => h[b * reduced + t] - scale * x[entry(t)]);
      const top = Math.max(...z);
      const lse = top + Math.log(z.reduce((sum, value) => sum + Math.exp(value - top), 0));
      y[b * kept + k] = lse;
      for (let t = 0; t < reduced; t++) {
        const weighted = dy[b * kept + k] * Math.exp(z[t] - lse);
        dx[entry(t)] = -scale * weighted;
        dh[b * reduced + t] += weighted;
      }
    }
  }
  return { y, dx, dh };
}

/** Largest absolute difference over the largest magnitude of the reference. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return error / scale;
}

const CASES: Case[] = [
  { shape: [1, 16, 16], axis: 2 },
  { shape: [1, 16, 16], axis: 1 },
  // lengths that are not whole vectors
  { shape: [2, 5, 7], axis: 2 },
  { shape: [2, 5, 7], axis: 1 },
  { shape: [1, 33, 301], axis: 2 },
  { shape: [1, 301, 33], axis: 1 },
  // rows longer than a chunk (strips combined), and more rows than a chunk holds
  { shape: [1, 3, SIMD_CHUNK_ELEMENTS + 9], axis: 2 },
  { shape: [1, 3, SIMD_CHUNK_ELEMENTS + 9], axis: 1 },
  { shape: [2, 2 * SIMD_CHUNK_ELEMENTS + 5, 3], axis: 1 },
  { shape: [2, 2 * SIMD_CHUNK_ELEMENTS + 5, 3], axis: 2 },
];

// wasm runs its kernels in the backend's heap (in place where rows are whole vectors); 'wasm, own memory' copies
// every chunk through the kernels' own memory, as where the heap cannot be shared.
describe.each(['wasm', 'wasm, own memory', 'cpu'])('the scaled log-sum-exp kernels on %s', (mode) => {
  beforeAll(async () => {
    await tf.setBackend(mode.startsWith('wasm') ? 'wasm' : mode);
    setHeapSharing(mode === 'wasm');
  });
  afterAll(() => setHeapSharing(true));

  for (const c of CASES) {
    it(`match a float64 recomputation, [${c.shape}] along axis ${c.axis}, value and gradient`, () => {
      const [batch, rows, columns] = c.shape;
      const scale = 7.5;
      const x = values(batch * rows * columns, 11, 0, 3);
      const h = values(batch * (c.axis === 2 ? columns : rows), 12, -2, 2);
      const dy = values(batch * (c.axis === 2 ? rows : columns), 13, -1, 1);
      const expected = float64Reference(x, h, dy, c, scale);
      const before = tf.memory().numTensors;
      const [xt, ht] = [tf.tensor3d(x, c.shape), tf.tensor2d(h, [batch, h.length / batch])];
      const y = tf
        .engine()
        .runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x: xt, h: ht }, { scale, axis: c.axis }) as tf.Tensor;
      const dyt = tf.tensor2d(dy, y.shape as [number, number]);
      const [dx, dh] = tf
        .engine()
        .runKernel(
          SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
          { x: xt, h: ht, y, dy: dyt },
          { scale, axis: c.axis },
        ) as tf.Tensor[];
      expect(y.shape).toEqual([batch, c.axis === 2 ? rows : columns]);
      expect(dx.shape).toEqual(c.shape);
      expect(dh.shape).toEqual(ht.shape);
      // Sums of up to 65 541 float32 terms: the error grows with the length (sequential accumulation per lane).
      const tolerance = Math.max(rows, columns) > 1000 ? 2e-5 : 1e-6;
      expect(relativeError(y.dataSync(), expected.y)).toBeLessThan(tolerance);
      expect(relativeError(dx.dataSync(), expected.dx)).toBeLessThan(20 * tolerance);
      expect(relativeError(dh.dataSync(), expected.dh)).toBeLessThan(20 * tolerance);
      tf.dispose([xt, ht, y, dyt, dx, dh]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('give -Infinity weights (log of a zero weight) no mass and keep NaN', () => {
    const x = tf.tensor3d([[[1, 2, 3, 4, 5]]]);
    const h = tf.tensor2d([[0, Number.NEGATIVE_INFINITY, 0, Number.NEGATIVE_INFINITY, 0]]);
    const y = tf
      .engine()
      .runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x, h }, { scale: 1, axis: 2 }) as tf.Tensor;
    expect(y.dataSync()[0]).toBeCloseTo(Math.log(Math.exp(-1) + Math.exp(-3) + Math.exp(-5)), 6);
    const [dx] = tf
      .engine()
      .runKernel(
        SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
        { x, h, y, dy: tf.ones([1, 1]) },
        { scale: 1, axis: 2 },
      ) as tf.Tensor[];
    expect(Math.abs(dx.dataSync()[1])).toBe(0);
    expect(Math.abs(dx.dataSync()[3])).toBe(0);
    const withNaN = tf.tensor3d([[[1, Number.NaN, 3]]]);
    const nan = tf
      .engine()
      .runKernel(
        SCALED_LOG_SUM_EXP_KERNEL_NAME,
        { x: withNaN, h: tf.zeros([1, 3]) },
        { scale: 1, axis: 2 },
      ) as tf.Tensor;
    expect(Number.isNaN(nan.dataSync()[0])).toBe(true);
  });

  it('reject inputs outside the contract with the kernel name and what was expected', () => {
    const x = tf.zeros([1, 3, 4]);
    expect(() =>
      tf
        .engine()
        .runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x, h: tf.zeros([1, 3]) }, { scale: 1, axis: 2 }),
    ).toThrow(/SiranScaledLogSumExp: h has shape \[1,3\]; expected \[1, 4\] for axis 2/);
    expect(() =>
      tf
        .engine()
        .runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x, h: tf.zeros([1, 4]) }, { scale: 1, axis: 0 }),
    ).toThrow(/axis must be 1 or 2, got 0/);
  });
});

describe('registration', () => {
  it('registers both kernels for cpu and, with SIMD, for wasm', () => {
    for (const name of SCALED_LOG_SUM_EXP_KERNELS) {
      expect(tf.getKernel(name, 'cpu')).toBeDefined();
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
    }
    expect(registerCpuKernels()).toEqual([]);
  });

  it('shares the heap of the single-threaded wasm backend, once per backend, and not that of other objects', async () => {
    await tf.setBackend('wasm');
    const kernels = loadHeapLogSumExpKernels(tf.backend());
    expect(kernels?.sharesHeap).toBe(true);
    expect(loadHeapLogSumExpKernels(tf.backend())).toBe(kernels);
    expect(loadHeapLogSumExpKernels({})).toBeUndefined();
  });
});
