import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { JacobiEigenProgram } from './jacobi-program.js';
import { SortedEigenGatherProgram } from './sorted-gather-program.js';
import type { WebGpuProgram } from './webgpu-program.js';

/**
 * Name of the batched symmetric eigendecomposition kernel that `symmetricEigen` of
 * `@siran/graph-attention` runs when the active backend registers it.
 *
 * @remarks Contract: one input `x`, `[batch, n, n]` float32 (only `(x + x^T) / 2` is used); one output
 * `[batch, n + 1, n]` float32: row 0 the eigenvalues in ascending order, rows `1..n` the unit eigenvectors as
 * COLUMNS (`x = V diag(l) V^T`). No attributes. Non-finite input gives NaN eigenvalues and eigenvectors.
 * @example
 * ```ts
 * import { getKernel } from '@tensorflow/tfjs-core';
 * const available = getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'webgpu') !== undefined;
 * ```
 */
export const SYMMETRIC_EIGEN_KERNEL_NAME = 'SiranSymmetricEigen';

/** The methods of tfjs-backend-webgpu's `WebGPUBackend` that the kernel calls. */
interface WebGpuBackendAccess {
  runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], outputDtype: DataType): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** Most workgroups WebGPU guarantees along one dispatch dimension: the kernel runs one per matrix. */
const MAX_BATCH = 65535;

/**
 * The input of a {@link SYMMETRIC_EIGEN_KERNEL_NAME} kernel, checked against the contract.
 *
 * @param x - The kernel's input `x`.
 * @returns `x`, a `[batch, n, n]` float32 tensor.
 * @throws RangeError for a missing input or another shape; TypeError for another dtype.
 */
export function checkedSymmetricEigenInput(x: TensorInfo | undefined): TensorInfo {
  if (x === undefined || x.shape.length !== 3 || x.shape[1] !== x.shape[2]) {
    throw new RangeError(
      `${SYMMETRIC_EIGEN_KERNEL_NAME}: expected input x of shape [batch, n, n], got ${
        x === undefined ? 'no input' : `[${x.shape}]`
      }`,
    );
  }
  if (x.dtype !== 'float32') {
    throw new TypeError(`${SYMMETRIC_EIGEN_KERNEL_NAME}: expected a float32 input, got ${x.dtype}`);
  }
  return x;
}

function symmetricEigenWebGpu(args: { inputs: { x?: TensorInfo }; backend: unknown }): TensorInfo {
  const x = checkedSymmetricEigenInput(args.inputs.x);
  const backend = args.backend as WebGpuBackendAccess;
  const [batch, n] = x.shape;
  if (batch > MAX_BATCH) {
    throw new RangeError(
      `${SYMMETRIC_EIGEN_KERNEL_NAME}: at most ${MAX_BATCH} matrices per call on webgpu, got ${batch}; split the batch`,
    );
  }
  if (batch === 0 || n === 0) {
    return backend.runWebGPUProgram(new SortedEigenGatherProgram(batch, n), [x], 'float32');
  }
  const scratch = backend.runWebGPUProgram(new JacobiEigenProgram(batch, n), [x], 'float32');
  const packed = backend.runWebGPUProgram(new SortedEigenGatherProgram(batch, n), [scratch], 'float32');
  backend.disposeData(scratch.dataId);
  return packed;
}

/**
 * The WebGPU implementation of {@link SYMMETRIC_EIGEN_KERNEL_NAME}: parallel cyclic Jacobi in one dispatch.
 *
 * @remarks One workgroup per matrix. Each sweep runs `m - 1` rounds of the round-robin (tournament) ordering
 * (`m` = n rounded up to even), each round `m / 2` disjoint rotations: the rotation angles are computed in one
 * phase, then the off-diagonal 2x2 blocks of `A <- J^T A J` and the eigenvector rows are updated in the next,
 * with workgroup and storage barriers between phases. All sweeps run inside one dispatch and stop, in uniform
 * control flow, when the off-diagonal norm falls below `1e-7 ||A||_F` (or stalls at float32 rounding below
 * `1e-4 ||A||_F`), or after 20 sweeps. The matrix is divided by its largest entry first (no overflow or
 * underflow of the squared norms) and the eigenvalues are scaled back. The eigenvalues are then ranked in the
 * shader and a second small program gathers the ascending values and matching vectors into the packed output.
 * The kernel's output buffer serves as scratch: the first program writes `[batch, 2n + 2, n]`, freed before
 * returning. Non-finite input gives NaN values and vectors.
 * @example
 * ```ts
 * import { registerKernel } from '@tensorflow/tfjs-core';
 * registerKernel(symmetricEigenWebGpuConfig);
 * ```
 */
export const symmetricEigenWebGpuConfig: KernelConfig = {
  kernelName: SYMMETRIC_EIGEN_KERNEL_NAME,
  backendName: 'webgpu',
  kernelFunc: symmetricEigenWebGpu as unknown as KernelFunc,
};
