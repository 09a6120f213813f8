import { AddN, getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { CHUNKED_ADD_N_KERNELS, createChunkedAddNConfig } from './add-n.js';
import { SYMMETRIC_EIGEN_KERNEL_NAME, symmetricEigenWebGpuConfig } from './symmetric-eigen.js';

export { SYMMETRIC_EIGEN_KERNEL_NAME } from './symmetric-eigen.js';

const WEBGPU_KERNEL_CONFIGS: readonly KernelConfig[] = [symmetricEigenWebGpuConfig];

/**
 * Kernels that {@link registerWebGpuKernels} adds to the `webgpu` backend: Siran's own operations that
 * tfjs-core lacks, such as {@link SYMMETRIC_EIGEN_KERNEL_NAME}.
 *
 * @example
 * ```ts
 * import { getKernel } from '@tensorflow/tfjs-core';
 * const missing = WEBGPU_KERNELS.filter((name) => getKernel(name, 'webgpu') === undefined);
 * ```
 */
export const WEBGPU_KERNELS: readonly string[] = WEBGPU_KERNEL_CONFIGS.map((config) => config.kernelName);

/**
 * Registers Siran's WebGPU kernels (see {@link WEBGPU_KERNELS}) for the `webgpu` backend, and, once
 * `@tensorflow/tfjs-backend-webgpu` is loaded, replaces its `AddN` by one that adds at most seven tensors per
 * dispatch (the shipped kernel binds every input at once and fails on devices that allow 8 storage buffers per
 * shader stage, the WebGPU minimum, as soon as a gradient sums more than seven contributions).
 *
 * @returns The names of the kernels this call registered; kernels already registered are left alone.
 * @remarks {@link activateBackend} calls it when it activates `webgpu`. Registering does not need the backend
 *   to be loaded; the kernels only run on it. The symmetric eigensolver is a parallel cyclic Jacobi iteration,
 *   one workgroup per matrix and all sweeps in one dispatch, so it needs no synchronous read of GPU data
 *   (which tfjs-backend-webgpu cannot do in Node).
 * @example
 * ```ts
 * import { registerWebGpuKernels } from '@siran/backend';
 * const added = registerWebGpuKernels(); // ['SiranSymmetricEigen'] the first time, [] afterwards
 * ```
 */
export function registerWebGpuKernels(): string[] {
  const registered: string[] = [];
  for (const config of WEBGPU_KERNEL_CONFIGS) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  const shippedAddN = getKernel(AddN, 'webgpu');
  if (shippedAddN !== undefined && !CHUNKED_ADD_N_KERNELS.has(shippedAddN.kernelFunc)) {
    const config = createChunkedAddNConfig(shippedAddN);
    unregisterKernel(AddN, 'webgpu');
    registerKernel(config);
    registered.push(AddN);
  }
  return registered;
}
