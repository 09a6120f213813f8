import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAllGradients } from '../gradients.js';
import {
  DOT_PRODUCT_MAX_ROWS,
  DOT_PRODUCT_MIN_LENGTH,
  ROW_COMBINATION_MAX_SIZE,
  ROW_COMBINATION_MIN_LENGTH,
  TRANSPOSED_PRODUCT_MAX_COLUMNS,
} from './batch-matmul.js';
import { registerWasmTrainingKernels } from './index.js';

beforeAll(async () => {
  await registerAllGradients();
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

async function onBackend(backend: string, compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  const values = await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(outputs);
  return values;
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 1e-12;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return error / scale;
}

const CASES: { name: string; a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
  { name: 'batch 3', a: [3, 5, 7], b: [3, 7, 4], transposeA: false, transposeB: false },
  { name: 'batch 2, transposed A', a: [2, 7, 5], b: [2, 7, 4], transposeA: true, transposeB: false },
  { name: 'batch 2, transposed B', a: [2, 5, 7], b: [2, 4, 7], transposeA: false, transposeB: true },
  { name: 'batch 4, both transposed', a: [4, 6, 3], b: [4, 5, 6], transposeA: true, transposeB: true },
  { name: 'one against a batch', a: [1, 5, 7], b: [3, 7, 4], transposeA: false, transposeB: false },
  {
    name: 'a batch against one, transposed B',
    a: [3, 5, 7],
    b: [1, 4, 7],
    transposeA: false,
    transposeB: true,
  },
  { name: 'one product, transposed A', a: [1, 9, 8], b: [1, 9, 2], transposeA: true, transposeB: false },
];

describe('BatchMatMul on wasm (one plain product per batch element)', () => {
  for (const testCase of CASES) {
    it(`matches the cpu backend: ${testCase.name}`, async () => {
      const compute = () => {
        const a = tf.randomUniform(testCase.a, -1, 1, 'float32', 1);
        const b = tf.randomUniform(testCase.b, -1, 1, 'float32', 2);
        const f = (x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(x, y, testCase.transposeA, testCase.transposeB)));
        const product = tf.matMul(a, b, testCase.transposeA, testCase.transposeB);
        // tfjs-core's BatchMatMul gradient does not sum over broadcast batch dimensions (on any backend).
        const broadcast = testCase.a[0] !== testCase.b[0];
        return broadcast ? [product] : [product, ...tf.grads(f)([a, b])];
      };
      const expected = await onBackend('cpu', compute);
      const before = tf.memory().numTensors;
      const actual = await onBackend('wasm', compute);
      expect(tf.memory().numTensors).toBe(before);
      expected.forEach((values, index) => {
        expect(actual[index].length).toBe(values.length);
        expect(maxRelativeError(actual[index], values)).toBeLessThan(1e-5);
      });
    });
  }
});

/**
 * `op(a) op(b)` per batch element in float64, where `op` transposes the last two axes when asked (a batch of 1
 * broadcasts).
 */
function productsInFloat64(
  a: Float32Array,
  b: Float32Array,
  shapeA: number[],
  shapeB: number[],
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const [batchA, rowsA, columnsA] = shapeA;
  const [batchB, rowsB, columnsB] = shapeB;
  const [m, k] = transposeA ? [columnsA, rowsA] : [rowsA, columnsA];
  const n = transposeB ? rowsB : columnsB;
  const entryA = (i: number, l: number) => (transposeA ? l * columnsA + i : i * columnsA + l);
  const entryB = (l: number, j: number) => (transposeB ? j * columnsB + l : l * columnsB + j);
  const batch = Math.max(batchA, batchB);
  const result = new Float64Array(batch * m * n);
  for (let index = 0; index < batch; index++) {
    const baseA = (batchA === 1 ? 0 : index) * rowsA * columnsA;
    const baseB = (batchB === 1 ? 0 : index) * rowsB * columnsB;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0; l < k; l++) sum += a[baseA + entryA(i, l)] * b[baseB + entryB(l, j)];
        result[(index * m + i) * n + j] = sum;
      }
    }
  }
  return result;
}

/**
 * Runs `matMul` on wasm and compares with float64: error within `max(k, 64)` float32 rounding units, more for sums
 * larger than `sqrt(k)` (measured: about
 * k/8 for long sums, up to 33 units for k = 32, where the sums reach several units).
 */
async function expectFloat64Product(
  shapeA: number[],
  shapeB: number[],
  transposeA: boolean,
  transposeB: boolean,
  same = false,
) {
  await tf.setBackend('wasm');
  const a = tf.randomUniform(shapeA, -1, 1, 'float32', 3);
  const b = same ? a : tf.randomUniform(shapeB, -1, 1, 'float32', 4);
  const before = tf.memory().numTensors;
  const product = tf.matMul(a, b, transposeA, transposeB);
  const k = transposeA ? shapeA[1] : shapeA[2];
  const m = transposeA ? shapeA[2] : shapeA[1];
  const n = transposeB ? shapeB[1] : shapeB[2];
  expect(product.shape).toEqual([Math.max(shapeA[0], shapeB[0]), m, n]);
  const actual = (await product.data()) as Float32Array;
  const expected = productsInFloat64(
    (await a.data()) as Float32Array,
    (await b.data()) as Float32Array,
    shapeA,
    shapeB,
    transposeA,
    transposeB,
  );
  product.dispose();
  expect(tf.memory().numTensors).toBe(before);
  let error = 0;
  for (let i = 0; i < expected.length; i++) error = Math.max(error, Math.abs(actual[i] - expected[i]));
  // sums that grow past sqrt(k) (a a^T: the diagonal sums k squares) round at their own scale
  const scale = Math.max(
    1,
    expected.reduce((top, value) => Math.max(top, Math.abs(value)), 0) / Math.sqrt(k),
  );
  expect(error).toBeLessThan(Math.max(k, 64) * 2 ** -24 * scale);
  tf.dispose([a, b]);
}

describe('BatchMatMul on wasm: a b^T of few, long rows (SIMD dot products)', () => {
  const cases: { name: string; a: number[]; b: number[] }[] = [
    { name: 'square, whole vectors', a: [1, 16, 16384], b: [1, 16, 16384] },
    { name: 'odd row counts, a length that is not a whole vector', a: [1, 3, 5001], b: [1, 7, 5001] },
    { name: 'the largest row counts', a: [1, DOT_PRODUCT_MAX_ROWS, 777], b: [1, DOT_PRODUCT_MAX_ROWS, 777] },
    { name: 'a batch against one', a: [3, 5, DOT_PRODUCT_MIN_LENGTH], b: [1, 2, DOT_PRODUCT_MIN_LENGTH] },
    { name: 'batch 2', a: [2, 1, 4099], b: [2, 9, 4099] },
  ];
  for (const testCase of cases) {
    it(`matches a float64 product: ${testCase.name}`, () =>
      expectFloat64Product(testCase.a, testCase.b, false, true));
  }
  for (const shape of [
    [1, 32, 16384],
    [2, 7, 301],
    [1, DOT_PRODUCT_MAX_ROWS - 1, 999],
  ]) {
    it(`matches a float64 product: a a^T for a [${shape}] (upper blocks, mirrored)`, () =>
      expectFloat64Product(shape, shape, false, true, true));
  }
});

describe('BatchMatMul on wasm: a^T b with a narrow b (SIMD row updates)', () => {
  const cases: { name: string; a: number[]; b: number[] }[] = [
    { name: 'square a, 16 columns', a: [1, 1024, 1024], b: [1, 1024, 16] },
    { name: 'counts that are not multiples of 4', a: [1, 1001, 37], b: [1, 1001, 5] },
    { name: 'the widest b', a: [1, 300, 64], b: [1, 300, TRANSPOSED_PRODUCT_MAX_COLUMNS] },
    { name: 'more result rows than one strip holds', a: [1, 9, 3000], b: [1, 9, 16] },
    { name: 'one against a batch', a: [1, 40, 33], b: [3, 40, 3] },
    { name: 'batch 2, one column', a: [2, 70, 50], b: [2, 70, 1] },
  ];
  for (const testCase of cases) {
    it(`matches a float64 product: ${testCase.name}`, () =>
      expectFloat64Product(testCase.a, testCase.b, true, false));
  }
});

describe('BatchMatMul on wasm: a small a times long rows of b (SIMD row combinations)', () => {
  const M = ROW_COMBINATION_MAX_SIZE;
  const cases: { name: string; a: number[]; b: number[] }[] = [
    { name: 'the backward shape of the stacked cost', a: [1, 16, 32], b: [1, 32, 16384] },
    { name: 'counts that are not whole blocks, several chunks', a: [1, 5, 3], b: [1, 3, 9001] },
    { name: 'the largest a', a: [1, M, M], b: [1, M, ROW_COMBINATION_MIN_LENGTH + 3] },
    { name: 'one against a batch, one inner row', a: [1, 7, 1], b: [2, 1, 1000] },
    { name: 'a batch against one', a: [3, 2, 9], b: [1, 9, 700] },
  ];
  for (const testCase of cases) {
    it(`matches a float64 product: ${testCase.name}`, () =>
      expectFloat64Product(testCase.a, testCase.b, false, false));
  }
});
