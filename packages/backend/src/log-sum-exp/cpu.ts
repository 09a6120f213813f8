import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkScaledLogSumExp,
  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNEL_NAME,
  type ScaledLogSumExpArgs,
  type ScaledLogSumExpGradArgs,
  scaledLogSumExpConfigs,
} from './contract.js';

/** The members of tfjs-backend-cpu's class that these kernels use. */
interface CpuBackendAccess {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/** Index of entry `(i, j)` of matrix `b`, and of the shift and the result along each axis. */
function indexing(shape: { rows: number; columns: number }, axis: 1 | 2) {
  const { rows, columns } = shape;
  return {
    entry: (b: number, i: number, j: number) => (b * rows + i) * columns + j,
    // `h` runs along the reduced axis, `y` along the kept one.
    shift: (b: number, i: number, j: number) => (axis === 2 ? b * columns + j : b * rows + i),
    result: (b: number, i: number, j: number) => (axis === 2 ? b * rows + i : b * columns + j),
  };
}

/** Visits every entry as (b, kept index, reduced index) mapped back to (b, i, j). */
function forEachEntry(
  shape: { batch: number; rows: number; columns: number },
  visit: (b: number, i: number, j: number) => void,
) {
  for (let b = 0; b < shape.batch; b++) {
    for (let i = 0; i < shape.rows; i++) for (let j = 0; j < shape.columns; j++) visit(b, i, j);
  }
}

/**
 * The scaled log-sum-exp kernel and its gradient for the cpu backend: plain loops in float64, two passes
 * (maximum, then the sum of exponentials), no intermediate `[B, r, c]` tensor.
 *
 * @returns The two kernel configurations (forward, gradient).
 */
export function cpuScaledLogSumExpConfigs(): KernelConfig[] {
  const forwardFunc = (args: ScaledLogSumExpArgs) => {
    const { x, h } = args.inputs;
    const { scale, axis } = args.attrs;
    const shape = checkScaledLogSumExp(SCALED_LOG_SUM_EXP_KERNEL_NAME, x, h, args.attrs);
    const backend = args.backend as unknown as CpuBackendAccess;
    const [xs, hs] = [backend.readSync(x.dataId), backend.readSync(h.dataId)];
    const { entry, shift, result } = indexing(shape, axis);
    const maxima = new Float64Array(shape.batch * shape.kept).fill(Number.NEGATIVE_INFINITY);
    const sums = new Float64Array(shape.batch * shape.kept);
    const z = (b: number, i: number, j: number) => hs[shift(b, i, j)] - scale * xs[entry(b, i, j)];
    forEachEntry(shape, (b, i, j) => {
      const k = result(b, i, j);
      // A NaN exponent keeps the maximum but makes the sum NaN below.
      maxima[k] = Math.max(maxima[k], Number.isNaN(z(b, i, j)) ? maxima[k] : z(b, i, j));
    });
    forEachEntry(shape, (b, i, j) => {
      const k = result(b, i, j);
      if (maxima[k] !== Number.NEGATIVE_INFINITY) sums[k] += Math.exp(z(b, i, j) - maxima[k]);
    });
    const y = Float32Array.from(maxima, (m, k) =>
      m === Number.NEGATIVE_INFINITY ? m : m + Math.log(sums[k]),
    );
    return backend.makeTensorInfo([shape.batch, shape.kept], 'float32', y);
  };
  const backwardFunc = (args: ScaledLogSumExpGradArgs) => {
    const { x, h, y, dy } = args.inputs;
    const { scale, axis } = args.attrs;
    const shape = checkScaledLogSumExp(SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME, x, h, args.attrs);
    const backend = args.backend as unknown as CpuBackendAccess;
    const [xs, hs, ys, dys] = [x, h, y, dy].map((info) => backend.readSync(info.dataId));
    const { entry, shift, result } = indexing(shape, axis);
    const dx = new Float32Array(xs.length);
    const dh = new Float64Array(hs.length);
    forEachEntry(shape, (b, i, j) => {
      const [e, s, k] = [entry(b, i, j), shift(b, i, j), result(b, i, j)];
      const weighted = dys[k] * Math.exp(hs[s] - scale * xs[e] - ys[k]);
      dx[e] = -scale * weighted;
      dh[s] += weighted;
    });
    return [
      backend.makeTensorInfo(x.shape, 'float32', dx),
      backend.makeTensorInfo(h.shape, 'float32', Float32Array.from(dh)),
    ];
  };
  return scaledLogSumExpConfigs('cpu', forwardFunc, backwardFunc);
}
