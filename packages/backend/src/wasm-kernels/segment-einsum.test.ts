import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './index.js';

/** `UnsortedSegmentSum` and `Einsum` on wasm against the cpu backend and float64 references. */

const TOLERANCE = 1e-4;

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

async function computeOn(
  backendName: string,
  compute: () => tf.Tensor,
): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backendName);
  const idsBefore = tf.engine().backend.numDataIds();
  const tensorsBefore = tf.memory().numTensors;
  const result = tf.tidy(compute);
  const values = Array.from(await result.data());
  const shape = result.shape;
  result.dispose();
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.engine().backend.numDataIds()).toBe(idsBefore);
  return { shape, values };
}

function expectClose(
  actual: { shape: number[]; values: number[] },
  expected: { shape: number[]; values: number[] },
) {
  expect(actual.shape).toEqual(expected.shape);
  const scale = Math.max(1e-6, ...expected.values.map(Math.abs));
  const worst = Math.max(0, ...actual.values.map((value, i) => Math.abs(value - expected.values[i])));
  expect(worst / scale).toBeLessThanOrEqual(TOLERANCE);
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

describe('UnsortedSegmentSum on wasm', () => {
  const cases: {
    name: string;
    shape: number[];
    ids: number[];
    numSegments: number;
    dtype: 'float32' | 'int32';
  }[] = [
    {
      name: 'rows of a matrix, repeated ids',
      shape: [6, 3],
      ids: [0, 2, 0, 3, 2, 0],
      numSegments: 4,
      dtype: 'float32',
    },
    {
      name: 'rank-3 data, empty segment',
      shape: [5, 2, 3],
      ids: [1, 1, 4, 0, 1],
      numSegments: 6,
      dtype: 'float32',
    },
    {
      name: 'vector, ids out of range are dropped',
      shape: [7],
      ids: [0, -1, 2, 7, 2, 9, 1],
      numSegments: 3,
      dtype: 'float32',
    },
    { name: 'int32 data', shape: [4, 2], ids: [1, 0, 1, 1], numSegments: 2, dtype: 'int32' },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('matches cpu and a direct sum: %s', async (_, c) => {
    const compute = () => {
      const data = tf.cast(tf.mul(seeded(c.shape, 3), c.dtype === 'int32' ? 100 : 1), c.dtype);
      return tf.unsortedSegmentSum(data, tf.tensor1d(c.ids, 'int32'), c.numSegments);
    };
    const actual = await computeOn('wasm', compute);
    expectClose(actual, await computeOn('cpu', compute));
    // Direct float64 sum of the same data.
    const data = await computeOn('cpu', () =>
      tf.cast(tf.mul(seeded(c.shape, 3), c.dtype === 'int32' ? 100 : 1), c.dtype),
    );
    const rowSize = data.values.length / c.ids.length;
    const expected = new Array<number>(c.numSegments * rowSize).fill(0);
    c.ids.forEach((id, row) => {
      if (id < 0 || id >= c.numSegments) return;
      for (let k = 0; k < rowSize; k++) expected[id * rowSize + k] += data.values[row * rowSize + k];
    });
    expectClose(actual, { shape: [c.numSegments, ...c.shape.slice(1)], values: expected });
  });

  it('sums over all leading axes named by rank-2 segment ids', async () => {
    const ids = [
      [0, 1, 1],
      [2, 0, 1],
    ];
    const actual = await computeOn(
      'wasm',
      () =>
        tf
          .engine()
          .runKernel(
            'UnsortedSegmentSum',
            { x: seeded([2, 3, 4], 4), segmentIds: tf.tensor2d(ids, [2, 3], 'int32') },
            { numSegments: 3 },
          ) as tf.Tensor,
    );
    const data = await computeOn('cpu', () => seeded([2, 3, 4], 4));
    const expected = new Array<number>(12).fill(0);
    ids.flat().forEach((id, row) => {
      for (let k = 0; k < 4; k++) expected[id * 4 + k] += data.values[row * 4 + k];
    });
    expectClose(actual, { shape: [3, 4], values: expected });
  });

  it('rejects segment ids whose shape is not a prefix of the data shape', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.unsortedSegmentSum(tf.ones([3, 2]), tf.tensor1d([0, 1], 'int32'), 2)).toThrow(
      /UnsortedSegmentSum/,
    );
  });
});

describe('Einsum on wasm', () => {
  const cases: { equation: string; shapes: number[][] }[] = [
    {
      equation: 'ij,jk->ik',
      shapes: [
        [3, 4],
        [4, 5],
      ],
    },
    {
      equation: 'bij,bjk->bik',
      shapes: [
        [2, 3, 4],
        [2, 4, 2],
      ],
    },
    { equation: 'ij->ji', shapes: [[3, 5]] },
    { equation: 'i,j->ij', shapes: [[3], [4]] },
    {
      equation: 'ij,ij->i',
      shapes: [
        [3, 6],
        [3, 6],
      ],
    },
    { equation: 'bhwc,c->bhw', shapes: [[2, 3, 4, 5], [5]] },
    { equation: 'ij->', shapes: [[4, 3]] },
  ];
  it.each(cases.map((c) => [c.equation, c] as const))('matches cpu: %s', async (_, c) => {
    const compute = () => tf.einsum(c.equation, ...c.shapes.map((shape, i) => seeded(shape, 10 + i)));
    expectClose(await computeOn('wasm', compute), await computeOn('cpu', compute));
  });

  it('matches a float64 matrix product', async () => {
    const a = await computeOn('cpu', () => seeded([3, 4], 20));
    const b = await computeOn('cpu', () => seeded([4, 2], 21));
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 2; k++) {
        let sum = 0;
        for (let j = 0; j < 4; j++) sum += a.values[i * 4 + j] * b.values[j * 2 + k];
        expected.push(sum);
      }
    }
    const actual = await computeOn('wasm', () =>
      tf.einsum('ij,jk->ik', seeded([3, 4], 20), seeded([4, 2], 21)),
    );
    expectClose(actual, { shape: [3, 2], values: expected });
  });
});
