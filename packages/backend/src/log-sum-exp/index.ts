import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME, SCALED_LOG_SUM_EXP_KERNEL_NAME } from './contract.js';
import { cpuScaledLogSumExpConfigs } from './cpu.js';

export {
  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNEL_NAME,
  type ScaledLogSumExpAttrs,
} from './contract.js';

/**
 * Siran's own kernels that {@link registerCpuKernels} adds to the `cpu` backend (and that
 * `registerWasmTrainingKernels` adds to `wasm` where WebAssembly SIMD is available).
 *
 * @example
 * ```ts
 * import { getKernel } from '@tensorflow/tfjs-core';
 * const missing = SCALED_LOG_SUM_EXP_KERNELS.filter((name) => getKernel(name, 'cpu') === undefined);
 * ```
 */
export const SCALED_LOG_SUM_EXP_KERNELS: readonly string[] = [
  SCALED_LOG_SUM_EXP_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
];

/**
 * Registers Siran's kernels for the `cpu` backend: {@link SCALED_LOG_SUM_EXP_KERNEL_NAME} and its gradient.
 *
 * @returns The names of the kernels this call registered; kernels already registered are left alone.
 * @remarks {@link activateBackend} calls it when it activates `cpu`. Registering does not need the backend to be
 *   loaded. The kernels loop in float64 over the entries without building a `[B, r, c]` intermediate.
 * @example
 * ```ts
 * import { registerCpuKernels } from '@siran/backend';
 * const added = registerCpuKernels(); // both names the first time, [] afterwards
 * ```
 */
export function registerCpuKernels(): string[] {
  const registered: string[] = [];
  for (const config of cpuScaledLogSumExpConfigs()) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
