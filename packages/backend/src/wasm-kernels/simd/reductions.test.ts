import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAllGradients } from '../../gradients.js';
import { registerWasmTrainingKernels } from '../index.js';
import { SIMD_CHUNK_ELEMENTS } from './simd-module.js';

const shipped = {
  Max: tf.getKernel('Max', 'wasm'),
  Min: tf.getKernel('Min', 'wasm'),
  Sum: tf.getKernel('Sum', 'wasm'),
};

beforeAll(async () => {
  await registerAllGradients();
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

interface Result {
  shape: number[];
  dtype: string;
  values: number[];
}

/** Runs `compute` on a backend, checking that nothing is left behind. */
async function computeOn(backendName: string, compute: () => tf.Tensor): Promise<Result> {
  await tf.setBackend(backendName);
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const result = tf.tidy(compute);
  const output = { shape: result.shape, dtype: result.dtype, values: Array.from(result.dataSync()) };
  result.dispose();
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  return output;
}

/** Seeded uniform values in [-10, 10), with a few repeats so that ties occur. */
function seededValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.round((20 * state) / 2 ** 32 - 10) * 0.75 + (state % 7) * 0.01;
  });
}

/** Row extremes of a row-major `[rows, length]` array in float64, NaN-propagating. */
function rowExtremes(values: ArrayLike<number>, length: number, kind: 'max' | 'min'): number[] {
  const rows: number[] = [];
  for (let start = 0; start < values.length; start += length) {
    let best = values[start];
    let nan = false;
    for (let index = start; index < start + length; index++) {
      const value = values[index];
      nan ||= Number.isNaN(value);
      if (kind === 'max' ? value > best : value < best) best = value;
    }
    rows.push(nan ? Number.NaN : best);
  }
  return rows;
}

/** Row sums in float64, and the sums of absolute values that bound their rounding errors. */
function rowSums(values: ArrayLike<number>, length: number): { sums: number[]; scales: number[] } {
  const sums: number[] = [];
  const scales: number[] = [];
  for (let start = 0; start < values.length; start += length) {
    let sum = 0;
    let scale = 0;
    for (let index = start; index < start + length; index++) {
      sum += values[index];
      scale += Math.abs(values[index]);
    }
    sums.push(sum);
    scales.push(scale);
  }
  return { sums, scales };
}

/** Checks sums against float64 ones, within float32 rounding of a sum of `length` terms. */
function expectSums(actual: number[], x: ArrayLike<number>, length: number): void {
  const { sums, scales } = rowSums(x, length);
  expect(actual.length).toBe(sums.length);
  actual.forEach((value, row) => {
    expect(Math.abs(value - sums[row])).toBeLessThanOrEqual(2e-7 * Math.sqrt(length) * scales[row] + 1e-30);
  });
}

const reduce = (kind: 'max' | 'min') => (kind === 'max' ? tf.max : tf.min);

describe('Max, Min and Sum on wasm (SIMD kernels)', () => {
  it('replace the shipped kernels', () => {
    expect(tf.getKernel('Max', 'wasm')).not.toBe(shipped.Max);
    expect(tf.getKernel('Min', 'wasm')).not.toBe(shipped.Min);
    expect(tf.getKernel('Sum', 'wasm')).not.toBe(shipped.Sum);
  });

  const innermost: { shape: number[]; axis?: number | number[]; length: number }[] = [
    { shape: [7, 13], axis: 1, length: 13 },
    { shape: [5, 1], axis: -1, length: 1 },
    { shape: [1, 1], axis: 1, length: 1 },
    { shape: [3, 4, 37], axis: 2, length: 37 },
    { shape: [3, 4, 5], axis: [1, 2], length: 20 },
    { shape: [2, 3, 3], axis: undefined, length: 18 },
    { shape: [9], axis: 0, length: 9 },
    { shape: [], axis: undefined, length: 1 },
    { shape: [3, 1000], axis: 1, length: 1000 },
    { shape: [2, SIMD_CHUNK_ELEMENTS + 21], axis: 1, length: SIMD_CHUNK_ELEMENTS + 21 },
  ];
  for (const kind of ['max', 'min'] as const) {
    for (const { shape, axis, length } of innermost) {
      it(`${kind} of [${shape}] over axis ${axis} equals float64 JS and the cpu backend`, async () => {
        const size = shape.reduce((a, b) => a * b, 1);
        const x = seededValues(size, size + length);
        const compute = () => reduce(kind)(tf.tensor(x, shape), axis);
        const actual = await computeOn('wasm', compute);
        const expected = await computeOn('cpu', compute);
        expect(actual).toEqual(expected);
        expect(actual.values).toEqual(rowExtremes(x, length, kind));
      });
    }
  }

  for (const { shape, axis, length } of innermost) {
    it(`sum of [${shape}] over axis ${axis} is the float64 sum within rounding, as on the cpu backend`, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = seededValues(size, size + 2 * length);
      const compute = () => tf.sum(tf.tensor(x, shape), axis);
      const actual = await computeOn('wasm', compute);
      const expected = await computeOn('cpu', compute);
      expect({ shape: actual.shape, dtype: actual.dtype }).toEqual({
        shape: expected.shape,
        dtype: 'float32',
      });
      expectSums(actual.values, x, length);
      expectSums(expected.values, x, length);
    });
  }

  it('sums infinities and NaN as IEEE arithmetic does', async () => {
    const infinity = Number.POSITIVE_INFINITY;
    const x = new Float32Array(4 * 21).fill(1);
    x[3] = infinity; // row 0: Infinity
    x[21 + 2] = infinity;
    x[21 + 19] = -infinity; // row 1: Infinity - Infinity = NaN
    x[2 * 21 + 20] = Number.NaN; // row 2: NaN in the tail
    const actual = await computeOn('wasm', () => tf.sum(tf.tensor(x, [4, 21]), 1));
    expect(actual.values).toEqual([infinity, Number.NaN, Number.NaN, 21]);
  });

  it('sums a row longer than a chunk chunk by chunk', async () => {
    const length = SIMD_CHUNK_ELEMENTS * 2 + 7;
    const x = seededValues(length, 13);
    const actual = await computeOn('wasm', () => tf.sum(tf.tensor(x, [1, length]), 1, true));
    expect(actual.shape).toEqual([1, 1]);
    expectSums(actual.values, x, length);
  });

  it('sums over one middle axis (column sums), also over more rows than a chunk holds', async () => {
    for (const [shape, axis] of [
      [[2, 1000, 7], 1],
      [[3, 4, 5, 6], 1],
      [[1, 3 * SIMD_CHUNK_ELEMENTS + 5, 3], 1],
      [[5, 9], 0],
    ] as [number[], number][]) {
      const x = seededValues(
        shape.reduce((a, b) => a * b),
        17,
      );
      const actual = await computeOn('wasm', () => tf.sum(tf.tensor(x, shape), axis, axis === 0));
      const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      // float64 column sums, transposed into rows so that expectSums applies
      const columns = new Float32Array(x.length);
      for (let block = 0; block < outer; block++) {
        for (let row = 0; row < shape[axis]; row++) {
          for (let k = 0; k < inner; k++) {
            columns[(block * inner + k) * shape[axis] + row] = x[(block * shape[axis] + row) * inner + k];
          }
        }
      }
      expect(actual.shape).toEqual(axis === 0 ? [1, 9] : shape.filter((_, index) => index !== axis));
      expectSums(actual.values, columns, shape[axis]);
    }
  });

  it('keeps dims', async () => {
    const x = seededValues(60, 3);
    const actual = await computeOn('wasm', () => tf.max(tf.tensor(x, [3, 4, 5]), [-1, -2], true));
    expect(actual.shape).toEqual([3, 1, 1]);
    expect(actual.values).toEqual(rowExtremes(x, 20, 'max'));
    const all = await computeOn('wasm', () => tf.min(tf.tensor(x, [3, 4, 5]), undefined, true));
    expect(all.shape).toEqual([1, 1, 1]);
    expect(all.values).toEqual(rowExtremes(x, 60, 'min'));
  });

  it('propagate NaN from anywhere in a row and treat infinities as values', async () => {
    const nan = Number.NaN;
    const infinity = Number.POSITIVE_INFINITY;
    const length = 23;
    const x = new Float32Array(6 * length).fill(-infinity);
    x.set([1, 2, 3], 0); // row 0: plain, -Infinity elsewhere
    x[length] = nan; // row 1: NaN first
    x[2 * length + 9] = nan; // row 2: NaN in the vectorised part
    x[3 * length + 22] = nan; // row 3: NaN in the tail
    x[4 * length + 5] = infinity; // row 4: +Infinity
    // row 5: all -Infinity
    for (const kind of ['max', 'min'] as const) {
      const compute = () => reduce(kind)(tf.tensor(x, [6, length]), 1);
      const actual = await computeOn('wasm', compute);
      expect(actual).toEqual(await computeOn('cpu', compute));
      expect(actual.values).toEqual(rowExtremes(x, length, kind));
    }
    expect((await computeOn('wasm', () => tf.max(tf.tensor(x, [6, length]), 1))).values).toEqual([
      3,
      nan,
      nan,
      nan,
      infinity,
      -infinity,
    ]);
  });

  it('propagate NaN from a later chunk of a row longer than a chunk', async () => {
    const length = SIMD_CHUNK_ELEMENTS * 2 + 5;
    const x = seededValues(2 * length, 11);
    x[SIMD_CHUNK_ELEMENTS + 100] = Number.NaN;
    x[length + 2 * SIMD_CHUNK_ELEMENTS + 3] = 1000;
    const actual = await computeOn('wasm', () => tf.max(tf.tensor(x, [2, length]), 1));
    expect(actual.values).toEqual([Number.NaN, 1000]);
  });

  const fallbacks: { name: string; compute: () => tf.Tensor }[] = [
    { name: 'a non-last axis', compute: () => tf.max(tf.tensor(seededValues(60, 5), [3, 4, 5]), 1) },
    {
      name: 'the first and last axes',
      compute: () => tf.min(tf.tensor(seededValues(60, 6), [3, 4, 5]), [0, 2]),
    },
    {
      name: 'int32 input',
      compute: () =>
        tf.max(
          tf.tensor(
            [
              [3, -7, 12],
              [5, 5, -1],
            ],
            [2, 3],
            'int32',
          ),
          1,
        ),
    },
    { name: 'an empty tensor', compute: () => tf.min(tf.zeros([0, 5]), 1) },
    {
      name: 'a sum over a non-last axis',
      // Small integers, so that the sum is exact in any order.
      compute: () => tf.sum(tf.reshape(tf.range(-30, 30, 1, 'float32'), [3, 4, 5]), 0),
    },
    {
      name: 'an int32 sum',
      compute: () =>
        tf.sum(
          tf.tensor(
            [
              [3, -7, 12],
              [5, 5, -1],
            ],
            [2, 3],
            'int32',
          ),
          1,
        ),
    },
    { name: 'a bool sum', compute: () => tf.sum(tf.tensor([[true, false, true]], [1, 3], 'bool'), 1) },
  ];
  for (const { name, compute } of fallbacks) {
    it(`fall back to the shipped kernel for ${name} (same result as the cpu backend)`, async () => {
      expect(await computeOn('wasm', compute)).toEqual(await computeOn('cpu', compute));
    });
  }

  it('keep tf.grad through tf.max working (gradient to the arg max)', async () => {
    const x = seededValues(35, 9);
    const compute = () => tf.grad((input: tf.Tensor) => tf.sum(tf.max(input, 1)))(tf.tensor(x, [5, 7]));
    const actual = await computeOn('wasm', compute);
    expect(actual).toEqual(await computeOn('cpu', compute));
    expect(actual.values.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
  });
});
