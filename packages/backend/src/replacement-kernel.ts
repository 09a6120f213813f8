import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';

/**
 * The configuration of a kernel that replaces a backend's own: same name and backend, the new function, and the
 * shipped kernel's set-up and clean-up kept (the wasm backend binds its C functions in `setupFunc` when it
 * starts, and a replacement that falls back to the shipped kernel needs that binding).
 *
 * @param shipped - The backend's own kernel configuration.
 * @param kernelFunc - The replacement.
 * @returns The configuration to register in place of `shipped`.
 */
export function replacementKernelConfig(shipped: KernelConfig, kernelFunc: KernelFunc): KernelConfig {
  return {
    kernelName: shipped.kernelName,
    backendName: shipped.backendName,
    kernelFunc,
    ...(shipped.setupFunc ? { setupFunc: shipped.setupFunc } : {}),
    ...(shipped.disposeFunc ? { disposeFunc: shipped.disposeFunc } : {}),
  };
}
