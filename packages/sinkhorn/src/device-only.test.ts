import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { entropicTransport } from './entropic-transport.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  vi.restoreAllMocks();
});

const deviceOnly = { epsilon: 0.1, relativeEpsilon: false, validateInputs: false, iterations: 10 } as const;

function points(n: number, d: number, seed: number, shift = 0): tf.Tensor2D {
  return tf.add(tf.randomUniform([n, d], 0, 1, 'float32', seed), shift) as tf.Tensor2D;
}

let asynchronousRead = false;

/**
 * Makes every synchronous read of the cpu backend fail, as on WebGPU under Node; reads started by {@link read}
 * (the cpu backend's asynchronous `read` delegates to `readSync`) still pass.
 */
function forbidSynchronousReads() {
  const backend = tf.backend();
  const original = backend.readSync.bind(backend);
  return vi.spyOn(backend, 'readSync').mockImplementation((dataId) => {
    if (!asynchronousRead) throw new Error('OffscreenCanvas is not defined');
    return original(dataId);
  });
}

/** `tensor.data()`, allowed through {@link forbidSynchronousReads}. */
async function read(tensor: tf.Tensor): Promise<Float32Array> {
  asynchronousRead = true;
  try {
    const pending = tensor.data();
    asynchronousRead = false;
    return (await pending) as Float32Array;
  } finally {
    asynchronousRead = false;
  }
}

/** Calls of the spy that were not asynchronous reads, i.e. that threw. */
function failedCalls(spy: ReturnType<typeof forbidSynchronousReads>): number {
  return spy.mock.results.filter((result) => result.type === 'throw').length;
}

describe('no synchronous read with device-only options', () => {
  it('value and gradients are computed without any synchronous read, and equal the validated run', async () => {
    const x = points(12, 3, 1);
    const y = points(10, 3, 2, 0.3);
    const gradients = tf.grads((u: tf.Tensor, v: tf.Tensor) => sinkhornDivergence(u, v, deviceOnly));
    const expectedValue = await sinkhornDivergence(x, y, { ...deviceOnly, validateInputs: true }).data();
    const expectedGradients = await Promise.all(gradients([x, y]).map((g) => g.data()));

    const reads = forbidSynchronousReads();
    const value = await read(sinkhornDivergence(x, y, deviceOnly));
    const actualGradients = [];
    for (const gradient of gradients([x, y])) actualGradients.push(await read(gradient));
    expect(failedCalls(reads)).toBe(0);
    expect(value[0]).toBe(expectedValue[0]);
    actualGradients.forEach((gradient, i) => {
      expect(Array.from(gradient)).toEqual(Array.from(expectedGradients[i]));
    });
  });

  it('S(x, x) is exactly 0 without a read, batched with a non-identical pair', async () => {
    const x = points(8, 2, 3);
    const y = points(8, 2, 4, 0.5);
    const batchX = tf.stack([x, x]);
    const batchY = tf.stack([x, y]);
    const reads = forbidSynchronousReads();
    const values = await read(sinkhornDivergence(batchX, batchY, deviceOnly));
    expect(failedCalls(reads)).toBe(0);
    expect(values[0]).toBe(0);
    expect(values[1]).toBeGreaterThan(0);
  });

  it('options that need a read say so clearly when the backend cannot read synchronously', () => {
    const x = points(6, 2, 5);
    const y = points(6, 2, 6);
    forbidSynchronousReads();
    expect(() => sinkhornDivergence(x, y, { ...deviceOnly, validateInputs: true })).toThrow(
      /sinkhornDivergence: validateInputs: true needs a synchronous read.*OffscreenCanvas/,
    );
    expect(() => sinkhornDivergence(x, y, { ...deviceOnly, relativeEpsilon: true })).toThrow(
      /data-dependent scale \(relativeEpsilon/,
    );
    expect(() => entropicTransport(x, y, { ...deviceOnly, tolerance: 1e-3, iterations: 50 })).toThrow(
      /entropicTransport: tolerance 0\.001 needs a synchronous read/,
    );
  });
});
