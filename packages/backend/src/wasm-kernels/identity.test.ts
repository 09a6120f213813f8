import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAllGradients } from '../gradients.js';
import { registerWasmTrainingKernels } from './index.js';

beforeAll(async () => {
  await registerAllGradients();
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

describe('Identity on wasm (shared data)', () => {
  it('clones without copying, and the data lives until its last reference is disposed', () => {
    const ids = tf.engine().backend.numDataIds();
    const original = tf.tensor([1.5, -2, 3, 4.25], [2, 2]);
    const clone = tf.clone(original);
    // one buffer for both tensors
    expect(tf.engine().backend.numDataIds()).toBe(ids + 1);
    expect(clone.shape).toEqual([2, 2]);
    original.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1.5, -2, 3, 4.25]);
    clone.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(ids);
  });

  it('keeps int32, bool and string tensors right', () => {
    for (const [values, dtype] of [
      [[1, -7, 3], 'int32'],
      [[1, 0, 1], 'bool'],
    ] as const) {
      const tensor = tf.tensor(values as unknown as number[], [3], dtype);
      const clone = tf.clone(tensor);
      tensor.dispose();
      expect(clone.dtype).toBe(dtype);
      expect(Array.from(clone.dataSync())).toEqual(values);
      clone.dispose();
    }
    const strings = tf.tensor(['a', 'bc']);
    expect(tf.clone(strings).dataSync()).toEqual(['a', 'bc']);
  });

  it('leaves values that a custom gradient saved intact after the forward tensors are gone', () => {
    const square = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return {
        value: tf.square(x),
        gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.mul(saved, 2)),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const gradient = tf.grad((x: tf.Tensor) => tf.tidy(() => tf.sum(square(tf.add(x, 1)))))(
      tf.tensor([1, 2, 3]),
    );
    expect(Array.from(gradient.dataSync())).toEqual([4, 6, 8]);
  });
});
