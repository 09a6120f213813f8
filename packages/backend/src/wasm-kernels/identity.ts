import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replacementKernelConfig } from '../replacement-kernel.js';

/**
 * Builds an `Identity` for the wasm backend that shares its input's data (one more reference) instead of copying it,
 * as the cpu backend's `Identity` and wasm's own `Reshape` do.
 *
 * @param shippedConfig - The wasm backend's own `Identity`, kept for strings (and its set-up kept).
 * @returns The kernel configuration.
 * @remarks Tensor data is never written in place, so a shared buffer is safe; it is freed with its last reference.
 *   The engine clones every tensor a custom gradient saves for its backward pass (`tf.customGrad`'s `save`), and the
 *   shipped kernel copied each one: for a layer that saves an `n x m` matrix per call, as the Sinkhorn iterations do,
 *   that was one full copy per call.
 */
export function createSharedIdentityConfig(shippedConfig: KernelConfig): KernelConfig {
  const shipped = shippedConfig.kernelFunc;
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: KernelBackend }) => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return shipped(args as never) as TensorInfo;
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return replacementKernelConfig(shippedConfig, kernelFunc as unknown as KernelFunc);
}
