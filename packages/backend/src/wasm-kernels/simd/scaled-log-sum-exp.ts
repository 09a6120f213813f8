import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkScaledLogSumExp,
  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNEL_NAME,
  type ScaledLogSumExpArgs,
  type ScaledLogSumExpAttrs,
  type ScaledLogSumExpGradArgs,
  type ScaledLogSumExpShape,
  scaledLogSumExpConfigs,
} from '../../log-sum-exp/contract.js';
import { KernelRunner, WASM_BACKEND_NAME } from '../kernel-runner.js';
import { loadHeapLogSumExpKernels, SIMD_CHUNK_ELEMENTS, type SimdLogSumExpKernels } from './simd-module.js';

/** Below every float32 exponent that matters, but finite, so that `old - new` maxima never give `-inf - -inf`. */
const START_MAXIMUM = -3e38;

/**
 * One strip of columns `[start, start + width)`, the stride of its rows in the kernels' scratch (the width rounded
 * up to whole vectors) and the rows that fit in a chunk at that stride.
 */
interface Strip {
  readonly start: number;
  readonly width: number;
  readonly stride: number;
  readonly rowsPerChunk: number;
}

/** Column strips of at most a chunk each. */
function stripsOf(columns: number): Strip[] {
  const strips: Strip[] = [];
  for (let start = 0; start < columns; start += SIMD_CHUNK_ELEMENTS) {
    const width = Math.min(SIMD_CHUNK_ELEMENTS, columns - start);
    const stride = Math.ceil(width / 4) * 4;
    strips.push({ start, width, stride, rowsPerChunk: Math.floor(SIMD_CHUNK_ELEMENTS / stride) });
  }
  return strips;
}

/**
 * Where the kernels read rows `[row, row + count)` of the strip of matrix `b`: in place, where the kernels share the
 * backend's heap and the strip is whole rows of whole vectors (then no kernel reads or writes past a row), else
 * copied into the input area.
 *
 * @returns The byte offset of the chunk.
 */
function chunkSource(
  kernels: SimdLogSumExpKernels,
  x: Float32Array,
  shape: ScaledLogSumExpShape,
  b: number,
  strip: Strip,
  row: number,
  count: number,
): number {
  const base = (b * shape.rows + row) * shape.columns + strip.start;
  if (inPlace(kernels, shape, strip)) return x.byteOffset + base * 4;
  const input = kernels.input;
  if (strip.width === shape.columns) {
    input.set(x.subarray(base, base + count * strip.width));
  } else {
    for (let k = 0; k < count; k++) {
      const from = base + k * shape.columns;
      input.set(x.subarray(from, from + strip.width), k * strip.width);
    }
  }
  return kernels.inputOffset;
}

/** Whether chunks of the strip are passed to the kernels in place (see {@link chunkSource}). */
function inPlace(kernels: SimdLogSumExpKernels, shape: ScaledLogSumExpShape, strip: Strip): boolean {
  return kernels.sharesHeap && strip.width === shape.columns && shape.columns % 4 === 0;
}

/** Calls `visit(b, strip)` then `chunk(row, count)` for every chunk of rows of that strip. */
function forEachChunk(
  shape: ScaledLogSumExpShape,
  visit: (b: number, strip: Strip, chunks: (chunk: (row: number, count: number) => void) => void) => void,
) {
  const strips = stripsOf(shape.columns);
  for (let b = 0; b < shape.batch; b++) {
    for (const strip of strips) {
      visit(b, strip, (chunk) => {
        for (let row = 0; row < shape.rows; row += strip.rowsPerChunk) {
          chunk(row, Math.min(strip.rowsPerChunk, shape.rows - row));
        }
      });
    }
  }
}

/** `max + log(sum)`, with `-Infinity` for an all `-Infinity` sum. */
const logSumExp = (maximum: number, sum: number) =>
  maximum === Number.NEGATIVE_INFINITY ? maximum : maximum + Math.log(sum);

function forward(
  kernels: SimdLogSumExpKernels,
  x: Float32Array,
  h: Float32Array,
  y: Float32Array,
  shape: ScaledLogSumExpShape,
  attrs: ScaledLogSumExpAttrs,
) {
  const { scale, axis } = attrs;
  if (axis === 2) {
    // Rows longer than a chunk are reduced strip by strip and the parts combined here.
    const maxima = new Float64Array(shape.rows);
    const sums = new Float64Array(shape.rows);
    forEachChunk(shape, (b, strip, chunks) => {
      kernels.columnTerm.set(
        h.subarray(b * shape.columns + strip.start, b * shape.columns + strip.start + strip.width),
      );
      chunks((row, count) => {
        kernels.rows(chunkSource(kernels, x, shape, b, strip, row, count), count, strip.width, scale);
        for (let k = 0; k < count; k++) {
          const [m, s] = [kernels.rowA[k], kernels.rowB[k]];
          if (strip.start === 0) {
            maxima[row + k] = m;
            sums[row + k] = s;
          } else {
            const top = Math.max(maxima[row + k], m);
            sums[row + k] = sums[row + k] * Math.exp(maxima[row + k] - top) + s * Math.exp(m - top);
            maxima[row + k] = top;
          }
        }
      });
      if (strip.start + strip.width === shape.columns) {
        for (let i = 0; i < shape.rows; i++) y[b * shape.rows + i] = logSumExp(maxima[i], sums[i]);
      }
    });
    return;
  }
  forEachChunk(shape, (b, strip, chunks) => {
    kernels.columnA.fill(START_MAXIMUM, 0, strip.width + 4);
    kernels.columnB.fill(0, 0, strip.width + 4);
    chunks((row, count) => {
      kernels.rowTerm.set(h.subarray(b * shape.rows + row, b * shape.rows + row + count));
      kernels.columns(chunkSource(kernels, x, shape, b, strip, row, count), count, strip.width, scale);
    });
    for (let j = 0; j < strip.width; j++) {
      y[b * shape.columns + strip.start + j] = kernels.columnA[j] + Math.log(kernels.columnB[j]);
    }
  });
}

function backward(
  kernels: SimdLogSumExpKernels,
  views: {
    x: Float32Array;
    h: Float32Array;
    y: Float32Array;
    dy: Float32Array;
    dx: Float32Array;
    dh: Float32Array;
  },
  shape: ScaledLogSumExpShape,
  attrs: ScaledLogSumExpAttrs,
) {
  const { scale, axis } = attrs;
  const { x, h, y, dy, dx, dh } = views;
  dh.fill(0);
  forEachChunk(shape, (b, strip, chunks) => {
    const columnStart = b * shape.columns + strip.start;
    if (axis === 2) {
      // W_ij = dy_i exp(h_j - scale x_ij - y_i); dh_j = sum_i W_ij.
      kernels.columnTerm.set(h.subarray(columnStart, columnStart + strip.width));
      kernels.columnFactor.fill(1, 0, strip.width + 4);
    } else {
      // W_ij = dy_j exp(h_i - scale x_ij - y_j); dh_i = sum_j W_ij.
      for (let j = 0; j < strip.width; j++) kernels.columnTerm[j] = -y[columnStart + j];
      kernels.columnFactor.set(dy.subarray(columnStart, columnStart + strip.width));
    }
    kernels.columnA.fill(0, 0, strip.width + 4);
    chunks((row, count) => {
      const rowStart = b * shape.rows + row;
      if (axis === 2) {
        for (let k = 0; k < count; k++) kernels.rowTerm[k] = -y[rowStart + k];
        kernels.rowFactor.set(dy.subarray(rowStart, rowStart + count));
      } else {
        kernels.rowTerm.set(h.subarray(rowStart, rowStart + count));
        kernels.rowFactor.fill(1, 0, count);
      }
      const source = chunkSource(kernels, x, shape, b, strip, row, count);
      const base = rowStart * shape.columns + strip.start;
      const direct = inPlace(kernels, shape, strip);
      const target = direct ? dx.byteOffset + base * 4 : kernels.outputOffset;
      kernels.scaledExp(source, target, count, strip.width, scale, -scale);
      if (!direct) {
        const output = kernels.output;
        for (let k = 0; k < count; k++) {
          dx.set(output.subarray(k * strip.stride, k * strip.stride + strip.width), base + k * shape.columns);
        }
      }
      if (axis === 1) for (let k = 0; k < count; k++) dh[rowStart + k] += kernels.rowA[k];
    });
    if (axis === 2) dh.set(kernels.columnA.subarray(0, strip.width), columnStart);
  });
}

/**
 * The scaled log-sum-exp kernel and its gradient for the wasm backend, on the SIMD kernels of `kernels.wat`.
 *
 * @param own - The SIMD kernels on their own memory (see {@link loadHeapLogSumExpKernels} for the other kind).
 * @returns The two kernel configurations (forward, gradient).
 * @remarks The kernels run in the backend's heap where it can be shared (the single-threaded build) and read the
 *   cost in place when its rows are whole vectors; otherwise each chunk of at most {@link SIMD_CHUNK_ELEMENTS}
 *   entries is copied into the module's memory once. Each pass over a chunk (exponents and maxima, exponentials,
 *   sums) runs while it is in cache. The exponential is the module's one for non-positive arguments (relative error
 *   about 2e-7).
 */
export function createSimdScaledLogSumExpConfigs(own: SimdLogSumExpKernels): KernelConfig[] {
  const forwardFunc = (args: ScaledLogSumExpArgs) => {
    const { x, h } = args.inputs;
    const shape = checkScaledLogSumExp(SCALED_LOG_SUM_EXP_KERNEL_NAME, x, h, args.attrs);
    // before any allocation: making the heap kernels may grow the heap
    const kernels = loadHeapLogSumExpKernels(args.backend) ?? own;
    const runner = new KernelRunner(args.backend, SCALED_LOG_SUM_EXP_KERNEL_NAME);
    const y = runner.allocate([shape.batch, shape.kept], 'float32');
    if (shape.batch * shape.rows * shape.columns > 0) {
      forward(
        kernels,
        runner.view(x) as Float32Array,
        runner.view(h) as Float32Array,
        runner.view(y) as Float32Array,
        shape,
        args.attrs,
      );
    } else {
      (runner.view(y) as Float32Array).fill(Number.NEGATIVE_INFINITY);
    }
    return runner.keep(y);
  };
  const backwardFunc = (args: ScaledLogSumExpGradArgs) => {
    const { x, h, y, dy } = args.inputs;
    const shape = checkScaledLogSumExp(SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME, x, h, args.attrs);
    const kernels = loadHeapLogSumExpKernels(args.backend) ?? own;
    const runner = new KernelRunner(args.backend, SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME);
    const dx = runner.allocate(x.shape, 'float32');
    const dh = runner.allocate(h.shape, 'float32');
    const view = (info: TensorInfo) => runner.view(info) as Float32Array;
    backward(
      kernels,
      { x: view(x), h: view(h), y: view(y), dy: view(dy), dx: view(dx), dh: view(dh) },
      shape,
      args.attrs,
    );
    return [runner.keep(dx), runner.keep(dh)];
  };
  return scaledLogSumExpConfigs(WASM_BACKEND_NAME, forwardFunc, backwardFunc);
}
