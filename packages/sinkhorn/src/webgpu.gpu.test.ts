import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkhornOptions } from './options.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

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

/** Value and gradients wrt x and y on `backend`, read asynchronously (WebGPU under Node cannot read synchronously). */
async function run(backend: string, x: number[], y: number[], shape: number[], options: SinkhornOptions) {
  await tf.setBackend(backend);
  const [px, py] = [tf.tensor(x, shape), tf.tensor(y, shape)];
  const { value, grads } = tf.valueAndGrads((u: tf.Tensor, v: tf.Tensor) =>
    sinkhornDivergence(u, v, options),
  )([px, py]);
  const result = { value: await value.data(), dx: await grads[0].data(), dy: await grads[1].data() };
  tf.dispose([px, py, value, ...grads]);
  return result;
}

function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

describe('sinkhornDivergence on WebGPU', () => {
  const base = { epsilon: 0.1, relativeEpsilon: false, validateInputs: false, iterations: 10 } as const;
  for (const [label, options, n, d] of [
    ['dense, minibatch regime', { ...base, costNormalization: 'dimension' }, 16, 256],
    ['blockwise, point-cloud regime', { ...base, strategy: 'blockwise', blockSize: 64 }, 300, 2],
    ['sharp readout, unrolled gradient', { ...base, readout: 'sharp', gradient: 'unrolled' }, 24, 3],
  ] as const) {
    it(`${label}: value and gradients match the cpu backend`, async (context) => {
      if (!available) context.skip();
      const shape = [2, n, d];
      const x = Array.from(tf.randomUniform(shape, 0, 1, 'float32', 1).dataSync());
      const y = Array.from(tf.randomUniform(shape, 0.2, 1.2, 'float32', 2).dataSync());
      const reference = await run('cpu', x, y, shape, options);
      const actual = await run('webgpu', x, y, shape, options);
      expect(maxRelative(actual.value, reference.value)).toBeLessThan(1e-3);
      expect(maxRelative(actual.dx, reference.dx)).toBeLessThan(1e-3);
      expect(maxRelative(actual.dy, reference.dy)).toBeLessThan(1e-3);
      await tf.setBackend('cpu');
    });
  }

  it('S(x, x) is exactly 0 on WebGPU', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('webgpu');
    const x = tf.randomUniform([2, 10, 3], 0, 1, 'float32', 3);
    const value = sinkhornDivergence(x, x, base);
    expect(Array.from(await value.data())).toEqual([0, 0]);
    tf.dispose([x, value]);
    await tf.setBackend('cpu');
  });
});
