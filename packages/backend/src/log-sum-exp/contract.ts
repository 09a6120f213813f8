import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Name of the scaled log-sum-exp kernel that `@siran/backend` registers for `wasm` and `cpu`; `@siran/sinkhorn`
 * runs its softmin through it when the active backend has it.
 *
 * @remarks Contract: inputs `x` `[B, r, c]` and `h` (float32), attributes `scale` (a number) and `axis` (`1` or
 * `2`), one float32 output `y`.
 * - `axis: 2` (along rows): `h` is `[B, c]` and `y[b, i] = log sum_j exp(h[b, j] - scale * x[b, i, j])`, `[B, r]`.
 * - `axis: 1` (along columns): `h` is `[B, r]` and `y[b, j] = log sum_i exp(h[b, i] - scale * x[b, i, j])`, `[B, c]`.
 *
 * The largest exponent is subtracted first, so no finite input overflows; a NaN in a sum gives NaN. The kernel has
 * no gradient of its own: {@link SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME} computes it.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * const y = tf.engine().runKernel(SCALED_LOG_SUM_EXP_KERNEL_NAME, { x, h }, { scale: 10, axis: 2 });
 * ```
 */
export const SCALED_LOG_SUM_EXP_KERNEL_NAME = 'SiranScaledLogSumExp';

/**
 * Name of the kernel computing the gradient of {@link SCALED_LOG_SUM_EXP_KERNEL_NAME}.
 *
 * @remarks Contract: inputs `x`, `h` (as the forward kernel), `y` (the forward output) and `dy` (the gradient of
 * `y`, same shape), the forward kernel's attributes, two float32 outputs `[dx, dh]` with the shapes of `x` and `h`.
 * With `P` the softmax weights (`P[b, i, j] = exp(h[b, j] - scale * x[b, i, j] - y[b, i])` for `axis: 2`,
 * `exp(h[b, i] - scale * x[b, i, j] - y[b, j])` for `axis: 1`) and `dy` taken along the kept axis:
 * `dx = -scale * dy * P`, and `dh` sums `dy * P` over the kept axis. `P` is recomputed, not stored.
 * @example
 * ```ts
 * const [dx, dh] = tf.engine().runKernel(SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME, { x, h, y, dy }, { scale: 10, axis: 2 });
 * ```
 */
export const SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME = 'SiranScaledLogSumExpGrad';

/** Attributes of the scaled log-sum-exp kernels: the factor of `x` and the reduced axis of `x`. */
export interface ScaledLogSumExpAttrs {
  readonly scale: number;
  readonly axis: 1 | 2;
}

/** The shape facts of one call, checked. */
export interface ScaledLogSumExpShape {
  readonly batch: number;
  readonly rows: number;
  readonly columns: number;
  /** Length of `h`'s last axis: `columns` for `axis: 2`, `rows` for `axis: 1`. */
  readonly reduced: number;
  /** Length of `y`'s last axis. */
  readonly kept: number;
}

/**
 * Checks the inputs and attributes of a call against the contract.
 *
 * @param kernelName - Name used in error messages.
 * @param x - The matrices.
 * @param h - The shifts.
 * @param attrs - The attributes.
 * @returns The sizes.
 * @throws RangeError on shapes, dtypes or attributes that do not follow the contract.
 */
export function checkScaledLogSumExp(
  kernelName: string,
  x: TensorInfo,
  h: TensorInfo,
  attrs: ScaledLogSumExpAttrs,
): ScaledLogSumExpShape {
  const { axis, scale } = attrs;
  if (axis !== 1 && axis !== 2)
    throw new RangeError(`${kernelName}: axis must be 1 or 2, got ${String(axis)}`);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) {
    throw new RangeError(`${kernelName}: scale must be a finite number, got ${String(scale)}`);
  }
  if (x.shape.length !== 3 || x.dtype !== 'float32' || h.dtype !== 'float32') {
    throw new RangeError(
      `${kernelName}: expected float32 x [batch, rows, columns] and h; got x ${x.dtype} [${x.shape}], h ${h.dtype}`,
    );
  }
  const [batch, rows, columns] = x.shape;
  const reduced = axis === 2 ? columns : rows;
  if (h.shape.length !== 2 || h.shape[0] !== batch || h.shape[1] !== reduced) {
    throw new RangeError(
      `${kernelName}: h has shape [${h.shape}]; expected [${batch}, ${reduced}] for axis ${axis}`,
    );
  }
  return { batch, rows, columns, reduced, kept: axis === 2 ? rows : columns };
}

/** What the engine passes to the forward kernel. */
export interface ScaledLogSumExpArgs {
  readonly inputs: { x: TensorInfo; h: TensorInfo };
  readonly backend: KernelBackend;
  readonly attrs: ScaledLogSumExpAttrs;
}

/** What the engine passes to the gradient kernel. */
export interface ScaledLogSumExpGradArgs {
  readonly inputs: { x: TensorInfo; h: TensorInfo; y: TensorInfo; dy: TensorInfo };
  readonly backend: KernelBackend;
  readonly attrs: ScaledLogSumExpAttrs;
}

/**
 * The configurations of both kernels for one backend.
 *
 * @param backendName - The backend.
 * @param forward - The forward kernel.
 * @param backward - The gradient kernel (outputs `[dx, dh]`).
 * @returns `[forward, gradient]` configurations.
 */
export function scaledLogSumExpConfigs(
  backendName: string,
  forward: (args: ScaledLogSumExpArgs) => TensorInfo,
  backward: (args: ScaledLogSumExpGradArgs) => TensorInfo[],
): KernelConfig[] {
  return [
    { kernelName: SCALED_LOG_SUM_EXP_KERNEL_NAME, backendName, kernelFunc: forward as unknown as KernelFunc },
    {
      kernelName: SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
      backendName,
      kernelFunc: backward as unknown as KernelFunc,
    },
  ];
}
