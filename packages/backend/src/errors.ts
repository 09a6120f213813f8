import type { BackendFailure } from './types.js';

/** How to install each backend, quoted in error messages. */
export const BACKEND_INSTALL_HINTS: Readonly<Record<BackendFailure['name'], string>> = {
  tensorflow:
    'install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA) with npm; their install script ' +
    'downloads libtensorflow from outside the npm registry. Without that access, install tfjs-node with ' +
    '--ignore-scripts and build its addon against the libtensorflow of the tensorflow-cpu wheel (see the ' +
    '@siran/backend README, "Native TensorFlow")',
  webgpu:
    'install webgpu@^0.6.2 and @tensorflow/tfjs-backend-webgpu@^4.22.0 with npm, and a Vulkan driver: the GPU ' +
    "vendor's driver, or Mesa's CPU driver lavapipe (Debian bookworm-backports: mesa-vulkan-drivers, Mesa >= 24)",
  wasm: 'install @tensorflow/tfjs-backend-wasm with npm',
  cpu: 'install @tensorflow/tfjs-backend-cpu with npm',
};

/** Thrown by {@link activateBackend} when no backend of the preference list can be loaded. */
export class BackendUnavailableError extends Error {
  /** Every backend tried, with the reason it failed. */
  readonly failures: readonly BackendFailure[];

  /**
   * Builds the message from the failures.
   *
   * @param failures - The backends tried and why each failed (at least one).
   */
  constructor(failures: readonly BackendFailure[]) {
    const lines = failures.map(
      (failure) =>
        `  - ${failure.name}: ${failure.reason}; to use it, ${BACKEND_INSTALL_HINTS[failure.name]}`,
    );
    super(
      `activateBackend: no backend of [${failures.map((f) => f.name).join(', ')}] could be loaded:\n${lines.join('\n')}`,
    );
    this.name = 'BackendUnavailableError';
    this.failures = failures;
  }
}
