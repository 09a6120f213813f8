import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHUNKED_ADD_N_KERNELS, createChunkedAddNConfig, MAX_ADD_N_INPUTS } from './add-n.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createChunkedAddNConfig', () => {
  for (const count of [1, 2, 7, 8, 33, 50]) {
    it(`adds ${count} tensors in groups of at most ${MAX_ADD_N_INPUTS}, equal to a float64 sum, freeing every partial sum`, () => {
      const shipped = tf.getKernel(tf.AddN, 'cpu')!;
      const wrapped = vi.fn(shipped.kernelFunc);
      const config = createChunkedAddNConfig({ ...shipped, kernelFunc: wrapped });
      expect(CHUNKED_ADD_N_KERNELS.has(config.kernelFunc)).toBe(true);
      const tensors = Array.from({ length: count }, (_, i) =>
        tf.randomUniform([3, 5], -1, 1, 'float32', i + 1),
      );
      const backend = tf.backend();
      const before = backend.numDataIds();
      const output = config.kernelFunc({ inputs: tensors as never, backend, attrs: {} }) as tf.TensorInfo;
      // Only the result is left: every intermediate sum was freed.
      expect(backend.numDataIds()).toBe(before + 1);
      for (const call of wrapped.mock.calls) {
        expect((call[0].inputs as unknown as unknown[]).length).toBeLessThanOrEqual(MAX_ADD_N_INPUTS);
      }
      const actual = backend.readSync(output.dataId) as Float32Array;
      const values = tensors.map((t) => t.dataSync());
      for (let i = 0; i < 15; i++) {
        const expected = values.reduce((sum, v) => sum + v[i], 0);
        expect(actual[i]).toBeCloseTo(expected, 5);
      }
      backend.disposeData(output.dataId);
      tf.dispose(tensors);
    });
  }
});
