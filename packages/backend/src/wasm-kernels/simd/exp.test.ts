import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAllGradients } from '../../gradients.js';
import { registerWasmTrainingKernels } from '../index.js';
import { SIMD_CHUNK_ELEMENTS } from './simd-module.js';

const shipped = tf.getKernel('Exp', 'wasm');

beforeAll(async () => {
  await registerAllGradients();
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

/** Runs `compute` on wasm and returns its values, checking that nothing is left behind. */
function onWasm(compute: () => tf.Tensor): { shape: number[]; dtype: string; values: Float32Array } {
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const result = tf.tidy(compute);
  const values = result.dataSync() as Float32Array;
  const { shape, dtype } = result;
  result.dispose();
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  return { shape, dtype, values };
}

/** Seeded uniform values in [low, high). */
function uniform(count: number, low: number, high: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return low + ((high - low) * state) / 2 ** 32;
  });
}

describe('Exp on wasm (SIMD kernel)', () => {
  it('replaces the shipped kernel', () => {
    expect(shipped).toBeDefined();
    expect(tf.getKernel('Exp', 'wasm')).not.toBe(shipped);
  });

  for (const shape of [[1], [3], [7, 5], [2, 3, 11], [SIMD_CHUNK_ELEMENTS * 2 + 13]]) {
    it(`matches float64 Math.exp within 2e-7 on [${shape}] (crossing chunk and vector ends)`, () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = uniform(size, -87, 88, size);
      const { shape: outShape, dtype, values } = onWasm(() => tf.exp(tf.tensor(x, shape)));
      expect(outShape).toEqual(shape);
      expect(dtype).toBe('float32');
      let worst = 0;
      x.forEach((value, index) => {
        const expected = Math.exp(value);
        worst = Math.max(worst, Math.abs(values[index] - expected) / expected);
      });
      expect(worst).toBeLessThan(2e-7);
    });
  }

  it('gives the special values exactly', () => {
    const x = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 100, -120, 1];
    const { values } = onWasm(() => tf.exp(tf.tensor1d(x)));
    expect(Array.from(values.subarray(0, 7))).toEqual([
      1,
      1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0,
      Number.POSITIVE_INFINITY,
      0,
    ]);
    expect(values[7]).toBe(Math.fround(Math.E));
  });

  it('leaves empty tensors, scalars and int32 input (shipped kernel) as the cpu backend does', async () => {
    const cases = [
      () => tf.exp(tf.zeros([0, 3])),
      () => tf.exp(tf.scalar(-2.5)),
      () => tf.exp(tf.tensor1d([-3, 0, 2, 5], 'int32')),
    ];
    for (const compute of cases) {
      const actual = onWasm(compute);
      await tf.setBackend('cpu');
      const expected = tf.tidy(compute);
      expect(actual.shape).toEqual(expected.shape);
      expect(actual.dtype).toBe(expected.dtype);
      const reference = expected.dataSync();
      actual.values.forEach((value, index) => {
        expect(Math.abs(value - reference[index])).toBeLessThanOrEqual(2e-7 * Math.abs(reference[index]));
      });
      expected.dispose();
      await tf.setBackend('wasm');
    }
  });

  it('has the gradient exp(x)', () => {
    const x = uniform(9, -3, 3, 5);
    const { values } = onWasm(() => tf.grad((input: tf.Tensor) => tf.sum(tf.exp(input)))(tf.tensor1d(x)));
    x.forEach((value, index) => {
      expect(Math.abs(values[index] - Math.exp(value))).toBeLessThanOrEqual(2e-7 * Math.exp(value));
    });
  });
});
