import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAllGradients } from '../gradients.js';
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
