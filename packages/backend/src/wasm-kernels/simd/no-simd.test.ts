import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerWasmTrainingKernels, WASM_REPLACEMENT_KERNELS } from '../index.js';
import { loadSimdKernels } from './simd-module.js';

describe('registerWasmTrainingKernels on an engine without WebAssembly SIMD', () => {
  const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
  afterAll(() => validate.mockRestore());

  const simdKernels = ['Exp', 'Max', 'Min', 'Sum'];

  it('keeps the shipped Exp, Max, Min and Sum and replaces the others', () => {
    const shipped = simdKernels.map((name) => tf.getKernel(name, 'wasm'));
    const replaced = registerWasmTrainingKernels();
    expect(validate).toHaveBeenCalled();
    expect(loadSimdKernels()).toBeUndefined();
    expect(simdKernels.map((name) => tf.getKernel(name, 'wasm'))).toEqual(shipped);
    expect(replaced).toEqual(expect.arrayContaining(['Conv2DBackpropInput', 'BatchMatMul']));
    expect(replaced.filter((name) => simdKernels.includes(name))).toEqual([]);
    expect(WASM_REPLACEMENT_KERNELS).toEqual(expect.arrayContaining(simdKernels));
  });
});
