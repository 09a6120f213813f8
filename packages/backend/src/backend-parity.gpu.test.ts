import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { activateBackend } from './activate.js';
import type { ActivatedBackend } from './types.js';

/**
 * The GPU lane: the kernels and gradients a convolutional GAN needs, on webgpu, against the cpu backend.
 * Runs on a real GPU or on a software Vulkan driver (lavapipe), which proves the GPU code path.
 */

type Case = { name: string; compute: () => tf.Tensor[] };

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

const CASES: Case[] = [
  {
    name: 'conv2d forward and gradients (stride 2, same, dilation 1)',
    compute: () => {
      const x = seeded([2, 9, 9, 3], 1);
      const filter = seeded([3, 3, 3, 5], 2) as tf.Tensor4D;
      const f = (input: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')));
      return [tf.conv2d(x as tf.Tensor4D, filter, 2, 'same'), ...tf.grads(f)([x, filter])];
    },
  },
  {
    // tfjs-core has no conv2d gradient for dilations > 1 on any backend: dilation is checked forward only.
    name: 'conv2d forward (valid, dilation 2) and gradients (valid, 5x5)',
    compute: () => {
      const x = seeded([1, 10, 11, 4], 3) as tf.Tensor4D;
      const filter = seeded([5, 5, 4, 2], 4) as tf.Tensor4D;
      const f = (input: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'));
      return [tf.conv2d(x, filter, 1, 'valid', 'NHWC', 2), ...tf.grads(f)([x, filter])];
    },
  },
  {
    name: 'depthwise conv2d gradients (multiplier 2)',
    compute: () => {
      const x = seeded([2, 8, 8, 3], 5);
      const filter = seeded([3, 3, 3, 2], 6);
      const f = (input: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.square(tf.depthwiseConv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')));
      return tf.grads(f)([x, filter]);
    },
  },
  {
    name: 'gather gradient (unsorted segment sum)',
    compute: () => {
      const table = seeded([6, 4], 7);
      const indices = tf.tensor1d([0, 5, 2, 2, 0], 'int32');
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, indices))))(table)];
    },
  },
  {
    name: 'leakyRelu, avgPool, resizeBilinear and softmax gradients',
    compute: () => {
      const x = seeded([1, 8, 8, 2], 8);
      const f = (input: tf.Tensor) =>
        tf.sum(
          tf.softmax(
            tf.reshape(
              tf.image.resizeBilinear(
                tf.avgPool(tf.leakyRelu(input as tf.Tensor4D, 0.2), 2, 2, 'valid'),
                [8, 8],
              ),
              [1, -1],
            ),
          ),
        );
      return [tf.grad(f)(x)];
    },
  },
];

async function evaluate(testCase: Case): Promise<Float32Array[]> {
  const outputs = tf.tidy(testCase.compute);
  const values = await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(outputs);
  return values;
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return error / Math.max(scale, 1e-12);
}

describe('webgpu backend', () => {
  let active: ActivatedBackend;
  beforeAll(async () => {
    active = await activateBackend('webgpu', { ignoreEnvironment: true });
    console.log(`webgpu adapter: ${JSON.stringify(active.adapter)}`);
  });

  it('runs on an adapter', () => {
    expect(active.name).toBe('webgpu');
    expect(active.adapter).toBeDefined();
  });

  for (const testCase of CASES) {
    it(`matches cpu: ${testCase.name}`, async () => {
      await tf.setBackend('cpu');
      const expected = await evaluate(testCase);
      await tf.setBackend('webgpu');
      const actual = await evaluate(testCase);
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) {
        expect(actual[i].length).toBe(expected[i].length);
        expect(maxRelativeError(actual[i], expected[i])).toBeLessThan(1e-4);
      }
    });
  }
});

describe('AddN with many inputs on webgpu', () => {
  it('sums 33 tensors and accumulates the gradient of a tensor used 33 times, as the cpu backend does', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const tensors = Array.from({ length: 33 }, (_, i) => tf.randomUniform([4, 6], -1, 1, 'float32', i + 1));
      const sum = tf.addN(tensors);
      const x = tf.randomUniform([4, 6], -1, 1, 'float32', 99);
      const gradient = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.addN(Array.from({ length: 33 }, (_, i) => tf.mul(v, i + 1)))),
      )(x);
      const result = { sum: await sum.data(), gradient: await gradient.data() };
      tf.dispose([...tensors, sum, x, gradient]);
      return result;
    };
    const expected = await run('cpu');
    const actual = await run('webgpu');
    await tf.setBackend('cpu');
    for (let i = 0; i < expected.sum.length; i++) {
      expect(actual.sum[i]).toBeCloseTo(expected.sum[i], 4);
      expect(actual.gradient[i]).toBeCloseTo(expected.gradient[i], 3);
    }
  });
});
