import * as tf from '@tensorflow/tfjs-core';

/**
 * Name of the tfjs kernel that `symmetricEigen` runs instead of its host solver when the active
 * backend registers one (`@siran/backend` registers it for `webgpu`).
 *
 * @remarks Contract of a kernel registered under this name: one input `x`, `[batch, n, n]` float32 (only
 * `(x + x^T) / 2` is used; the caller passes symmetric matrices); no attributes; one output
 * `[batch, n + 1, n]` float32: row 0 the eigenvalues in ascending order, rows `1..n` the unit eigenvectors
 * as COLUMNS, so that `x = V diag(l) V^T`. The output is the same packed layout as the host solver's;
 * the backward pass is composed of tfjs-core ops, so the kernel needs no gradient of its own. Nothing checks
 * the input for NaN or infinity on this path; the WebGPU kernel answers such input with NaN.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * const onDevice = tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, tf.getBackend()) !== undefined;
 * ```
 */
export const SYMMETRIC_EIGEN_KERNEL_NAME = 'SiranSymmetricEigen';

/**
 * Where `symmetricEigen` decomposes: `'host'` in float64 on the CPU (reads the input back
 * synchronously), `'kernel'` with the backend's {@link SYMMETRIC_EIGEN_KERNEL_NAME} kernel (on the device,
 * no read back), `'auto'` the kernel when the active backend registers one, else the host.
 */
export type EigenSolver = 'auto' | 'host' | 'kernel';

/**
 * Checks a solver name.
 *
 * @param solver - The value given.
 * @param caller - Name used in error messages.
 * @param option - Name of the option that carried it.
 * @throws RangeError if it is not `'auto'`, `'host'` or `'kernel'`.
 */
export function checkEigenSolver(solver: EigenSolver, caller: string, option = 'solver'): void {
  if (solver !== 'auto' && solver !== 'host' && solver !== 'kernel') {
    throw new RangeError(`${caller}: ${option} must be 'auto', 'host' or 'kernel', got ${String(solver)}`);
  }
}

/**
 * Decides which solver runs on the active backend.
 *
 * @param solver - The requested solver.
 * @param caller - Name used in error messages.
 * @returns `'host'` or `'kernel'`.
 * @throws RangeError if `'kernel'` is requested and the active backend has no such kernel, or the
 *   solver name is unknown.
 */
export function resolveEigenSolver(solver: EigenSolver, caller: string): 'host' | 'kernel' {
  checkEigenSolver(solver, caller);
  if (solver === 'host') return 'host';
  const backendName = tf.getBackend();
  const available = tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, backendName) !== undefined;
  if (solver === 'kernel' && !available) {
    throw new RangeError(
      `${caller}: solver 'kernel' needs a ${SYMMETRIC_EIGEN_KERNEL_NAME} kernel, but the "${backendName}" ` +
        `backend has none; activateBackend from @siran/backend registers it for webgpu, or use solver 'host'`,
    );
  }
  return available ? 'kernel' : 'host';
}

/**
 * Runs the registered kernel on `[batch, n, n]` matrices; returns the packed `[batch, n + 1, n]`.
 *
 * @param flat - The matrices, any dtype (cast to float32).
 * @returns The packed decomposition; the caller disposes it.
 */
export function kernelDecompose(flat: tf.Tensor): tf.Tensor3D {
  const input = flat.dtype === 'float32' ? flat : tf.cast(flat, 'float32');
  return tf.engine().runKernel(SYMMETRIC_EIGEN_KERNEL_NAME, { x: input }, {}) as tf.Tensor3D;
}
