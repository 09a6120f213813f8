import {
  BatchMatMul,
  Exp,
  getKernel,
  Identity,
  type KernelConfig,
  type KernelFunc,
  Max,
  Min,
  registerKernel,
  Sum,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { createBatchMatMulConfig } from './batch-matmul.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { einsumConfig } from './einsum.js';
import { createSharedIdentityConfig } from './identity.js';
import { WASM_BACKEND_NAME } from './kernel-runner.js';
import { createSimdExpConfig } from './simd/exp.js';
import { createSimdReductionConfig } from './simd/reductions.js';
import { createSimdScaledLogSumExpConfigs } from './simd/scaled-log-sum-exp.js';
import { loadSimdKernels } from './simd/simd-module.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

const MISSING_KERNEL_CONFIGS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
  einsumConfig,
];

const REPLACEMENT_KERNEL_CONFIGS: readonly KernelConfig[] = [conv2DBackpropInputConfig];

/**
 * Kernels that `@tensorflow/tfjs-backend-wasm` 4.x lacks and {@link registerWasmTrainingKernels}
 * adds: the filter gradient of `conv2d`, both gradients of `depthwiseConv2d`, the gradient of
 * `gather` (`UnsortedSegmentSum`) and `Einsum`.
 *
 * @example
 * ```ts
 * import { getKernel } from '@tensorflow/tfjs-core';
 * const missing = WASM_TRAINING_KERNELS.filter((name) => getKernel(name, 'wasm') === undefined);
 * ```
 */
export const WASM_TRAINING_KERNELS: readonly string[] = MISSING_KERNEL_CONFIGS.map(
  (config) => config.kernelName,
);

/** Makes a replacement of a shipped kernel from that kernel's configuration. */
type WrapperFactory = (shipped: KernelConfig) => KernelConfig;

/**
 * Replacements that wrap the shipped kernel (and fall back to it outside the cases they speed up):
 * `BatchMatMul` and `Identity` always, and `Exp`, `Max`, `Min`, `Sum` where the engine validates the SIMD module.
 */
function wrapperFactories(): [string, WrapperFactory][] {
  const factories: [string, WrapperFactory][] = [
    [BatchMatMul, createBatchMatMulConfig],
    [Identity, createSharedIdentityConfig],
  ];
  const kernels = loadSimdKernels();
  if (kernels !== undefined) {
    factories.push(
      [Exp, (shipped) => createSimdExpConfig(shipped, kernels)],
      [Max, (shipped) => createSimdReductionConfig(Max, shipped, kernels)],
      [Min, (shipped) => createSimdReductionConfig(Min, shipped, kernels)],
      [Sum, (shipped) => createSimdReductionConfig(Sum, shipped, kernels)],
    );
  }
  return factories;
}

/**
 * Kernels that wasm ships but that are much slower than a composition of its XNNPACK kernels or
 * than a vectorised loop; {@link registerWasmTrainingKernels} replaces them unless told not to.
 *
 * @remarks
 * `Conv2DBackpropInput` and `BatchMatMul` are compositions of XNNPACK kernels. `Identity` shares its input's data
 * instead of copying it (as the cpu backend does). `Exp`, `Max`, `Min`
 * and `Sum` (float32; the reductions over the innermost axes) run a small WebAssembly SIMD module of
 * this package instead of the shipped scalar loops, about 3-4 times faster; they are replaced only
 * where `WebAssembly.validate` accepts that module (Node 16.4+ and current browsers), else left alone.
 *
 * @example
 * ```ts
 * const kept = registerWasmTrainingKernels({ replaceSlowKernels: false }); // leaves these alone
 * ```
 */
export const WASM_REPLACEMENT_KERNELS: readonly string[] = [
  ...REPLACEMENT_KERNEL_CONFIGS.map((config) => config.kernelName),
  BatchMatMul,
  Identity,
  Exp,
  Max,
  Min,
  Sum,
];

/** Wrapping kernels made by this module, so that a second registration does not wrap one in another. */
const OWN_WRAPPERS = new WeakSet<KernelFunc>();

/**
 * Options for {@link registerWasmTrainingKernels}.
 *
 * @example
 * ```ts
 * const options: WasmTrainingKernelOptions = { replaceSlowKernels: false };
 * ```
 */
export interface WasmTrainingKernelOptions {
  /**
   * Also replace the shipped kernels of {@link WASM_REPLACEMENT_KERNELS}: the input gradient of `conv2d` (a
   * direct loop about ten times slower than the forward convolution), `BatchMatMul` (about ten times slower
   * on batches and transposed operands than on one plain product), `Identity` (a copy, now a shared reference), and,
   * with WebAssembly SIMD, `Exp`,
   * `Max`, `Min` and `Sum` (scalar loops).
   */
  readonly replaceSlowKernels?: boolean;
}

/**
 * Defaults of {@link WasmTrainingKernelOptions}.
 *
 * @example
 * ```ts
 * registerWasmTrainingKernels({ ...DEFAULT_WASM_TRAINING_KERNEL_OPTIONS, replaceSlowKernels: false });
 * ```
 */
export const DEFAULT_WASM_TRAINING_KERNEL_OPTIONS: Required<WasmTrainingKernelOptions> = {
  replaceSlowKernels: true,
};

/**
 * Registers, for the `wasm` backend, the kernels it lacks for training, built from kernels it has.
 *
 * @param options - See {@link WasmTrainingKernelOptions}.
 * @returns The names of the kernels this call registered; empty when all were already there, so
 * calling it again is harmless.
 * @throws TypeError when the wasm backend is not loaded (its kernels are not registered).
 *
 * @remarks
 * Call it after `import '@tensorflow/tfjs-backend-wasm'` and before or after `setBackend('wasm')`.
 * A kernel that already exists for `wasm` (for example one a newer tfjs version ships) is left
 * alone. Where the engine validates the SIMD module, it also adds Siran's scaled log-sum-exp kernels
 * ({@link SCALED_LOG_SUM_EXP_KERNEL_NAME} and its gradient), which `@siran/sinkhorn` uses. With `replaceSlowKernels`, the kernels of {@link WASM_REPLACEMENT_KERNELS} are swapped
 * for faster kernels. Afterwards `tf.grad` through `conv2d`, `conv2dTranspose`,
 * `depthwiseConv2d`, `separableConv2d` and `gather` works on wasm, and tfjs-layers models `fit`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { registerWasmTrainingKernels } from '@siran/backend';
 *
 * registerWasmTrainingKernels();
 * await tf.setBackend('wasm');
 * const filterGradient = tf.grad((filter: tf.Tensor4D) =>
 *   tf.sum(tf.conv2d(tf.ones([1, 8, 8, 3]) as tf.Tensor4D, filter, 1, 'same')),
 * )(tf.ones([3, 3, 3, 4]));
 * ```
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): string[] {
  const { replaceSlowKernels } = { ...DEFAULT_WASM_TRAINING_KERNEL_OPTIONS, ...options };
  if (getKernel('Conv2D', WASM_BACKEND_NAME) === undefined) {
    throw new TypeError(
      "registerWasmTrainingKernels: the wasm backend is not loaded; import '@tensorflow/tfjs-backend-wasm' first",
    );
  }
  const registered: string[] = [];
  const kernels = loadSimdKernels();
  const added = kernels === undefined ? [] : createSimdScaledLogSumExpConfigs(kernels.logSumExp);
  for (const config of [...MISSING_KERNEL_CONFIGS, ...added]) {
    if (getKernel(config.kernelName, WASM_BACKEND_NAME) === undefined) {
      registerKernel(config);
      registered.push(config.kernelName);
    }
  }
  if (replaceSlowKernels) {
    for (const config of REPLACEMENT_KERNEL_CONFIGS) {
      const existing = getKernel(config.kernelName, WASM_BACKEND_NAME);
      if (existing?.kernelFunc !== config.kernelFunc) {
        if (existing !== undefined) unregisterKernel(config.kernelName, WASM_BACKEND_NAME);
        registerKernel(config);
        registered.push(config.kernelName);
      }
    }
    for (const [kernelName, wrap] of wrapperFactories()) {
      const shipped = getKernel(kernelName, WASM_BACKEND_NAME);
      if (shipped !== undefined && !OWN_WRAPPERS.has(shipped.kernelFunc)) {
        const config = wrap(shipped);
        OWN_WRAPPERS.add(config.kernelFunc);
        unregisterKernel(kernelName, WASM_BACKEND_NAME);
        registerKernel(config);
        registered.push(kernelName);
      }
    }
  }
  return registered;
}
