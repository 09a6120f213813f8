import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { activateBackend } from './activate.js';
import { KERNEL_CASES } from './internal/kernel-cases.js';
import { backendParity } from './parity.js';
import type { ActivatedBackend } from './types.js';

/**
 * The GPU lane: the kernels and gradients a convolutional GAN needs, on webgpu, against the cpu backend.
 * Runs on a real GPU or on a software Vulkan driver (lavapipe), which proves the GPU code path.
 */

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

  for (const testCase of KERNEL_CASES) {
    it(`matches cpu: ${testCase.name}`, async () => {
      const parity = await backendParity(testCase.compute, { backend: 'webgpu' });
      expect(parity.length).toBeGreaterThan(0);
      for (const output of parity) expect(output.maxRelativeError).toBeLessThan(1e-4);
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
