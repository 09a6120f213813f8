import {
  Exp,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { replacementKernelConfig } from '../../replacement-kernel.js';
import { KernelRunner } from '../kernel-runner.js';
import { SIMD_CHUNK_ELEMENTS, type SimdKernels } from './simd-module.js';

/**
 * Builds an `Exp` for the wasm backend that runs the SIMD kernel of `kernels.wat` on float32 tensors.
 *
 * @param shippedConfig - The wasm backend's own `Exp`, kept for other data types (and its set-up kept).
 * @param kernels - The loaded SIMD kernels.
 * @returns The kernel configuration.
 *
 * @remarks
 * The shipped kernel calls the C library's `expf` element by element (about 7 ns per element); this one
 * copies the input through its own memory in chunks of {@link SIMD_CHUNK_ELEMENTS} floats, four
 * lanes at a time, with a maximum relative error of about 1e-7 against `Math.exp` (exact 1 at 0,
 * Infinity above 88.73, 0 below -103.98, subnormal results in between, NaN kept).
 */
export function createSimdExpConfig(shippedConfig: KernelConfig, kernels: SimdKernels): KernelConfig {
  const shipped = shippedConfig.kernelFunc;
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: KernelBackend }) => {
    const { x } = args.inputs;
    const size = util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || size === 0) return shipped(args as never) as TensorInfo;
    const runner = new KernelRunner(args.backend, Exp);
    const output = runner.allocate(x.shape, 'float32');
    const from = runner.view(x) as Float32Array;
    const to = runner.view(output) as Float32Array;
    for (let start = 0; start < size; start += SIMD_CHUNK_ELEMENTS) {
      const count = Math.min(SIMD_CHUNK_ELEMENTS, size - start);
      kernels.input.set(from.subarray(start, start + count));
      kernels.exp(count);
      to.set(kernels.input.subarray(0, count), start);
    }
    return runner.keep(output);
  };
  return replacementKernelConfig(shippedConfig, kernelFunc as unknown as KernelFunc);
}
