import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { SCALED_LOG_SUM_EXP_KERNELS } from '../log-sum-exp/index.js';
import { registerWasmTrainingKernels, WASM_REPLACEMENT_KERNELS, WASM_TRAINING_KERNELS } from './index.js';

describe('registerWasmTrainingKernels', () => {
  it('registers exactly the kernels wasm lacks (and the log-sum-exp ones), replaces the slow one, and is idempotent', () => {
    for (const name of [...WASM_TRAINING_KERNELS, ...SCALED_LOG_SUM_EXP_KERNELS]) {
      expect(tf.getKernel(name, 'wasm'), name).toBeUndefined();
    }
    const shipped = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(shipped).toBeDefined();

    const first = registerWasmTrainingKernels({ replaceSlowKernels: false });
    expect([...first].sort()).toEqual([...WASM_TRAINING_KERNELS, ...SCALED_LOG_SUM_EXP_KERNELS].sort());
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(shipped);

    const second = registerWasmTrainingKernels();
    expect(second).toEqual([...WASM_REPLACEMENT_KERNELS]);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).not.toBe(shipped);

    expect(registerWasmTrainingKernels()).toEqual([]);
    for (const name of [
      ...WASM_TRAINING_KERNELS,
      ...WASM_REPLACEMENT_KERNELS,
      ...SCALED_LOG_SUM_EXP_KERNELS,
    ]) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
  });

  it('covers the minimum set of training kernels', () => {
    expect(WASM_TRAINING_KERNELS).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'UnsortedSegmentSum',
      ]),
    );
  });
});
