import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replacementKernelConfig } from '../replacement-kernel.js';

/**
 * Most inputs one `AddN` dispatch is given: WebGPU guarantees only 8 storage buffers per shader stage
 * (`maxStorageBuffersPerShaderStage`), and the output takes one of them.
 */
export const MAX_ADD_N_INPUTS = 7;

/** `AddN` kernels made by {@link createChunkedAddNConfig}, so that a second registration does not wrap one again. */
export const CHUNKED_ADD_N_KERNELS = new WeakSet<KernelFunc>();

/**
 * Wraps a backend's `AddN` so that it never binds more than {@link MAX_ADD_N_INPUTS} inputs at once: longer sums
 * (the engine's gradient accumulation for a tensor used many times, e.g. 33 uses in a training step) are added
 * in groups, then the group sums, and so on.
 *
 * @param shipped - The backend's own `AddN` kernel configuration.
 * @returns A configuration for the same kernel name and backend; intermediate sums are freed before it returns.
 */
export function createChunkedAddNConfig(shipped: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    let terms = inputs as unknown as TensorInfo[];
    const intermediates: TensorInfo[] = [];
    const add = (group: TensorInfo[]): TensorInfo => {
      const output = shipped.kernelFunc({ inputs: group as never, backend, attrs });
      return (Array.isArray(output) ? output[0] : output) as TensorInfo;
    };
    while (terms.length > MAX_ADD_N_INPUTS) {
      const sums: TensorInfo[] = [];
      for (let start = 0; start < terms.length; start += MAX_ADD_N_INPUTS) {
        const group = terms.slice(start, start + MAX_ADD_N_INPUTS);
        if (group.length === 1) {
          sums.push(group[0]);
          continue;
        }
        const sum = add(group);
        intermediates.push(sum);
        sums.push(sum);
      }
      terms = sums;
    }
    const result = add(terms);
    for (const info of intermediates) (backend as KernelBackend).disposeData(info.dataId);
    return result;
  };
  CHUNKED_ADD_N_KERNELS.add(kernelFunc);
  return replacementKernelConfig(shipped, kernelFunc);
}
