import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { replacementKernelConfig } from '../replacement-kernel.js';
import { transposeMatrix } from './heap-moves.js';
import { type KernelRunner, runComposite } from './kernel-runner.js';
import { loadSimdKernels, SIMD_CHUNK_ELEMENTS, type SimdKernels } from './simd/simd-module.js';

/**
 * `a b^T` runs as SIMD dot products of rows when `a` and `b` have at most this many rows each (per batch element)...
 */
export const DOT_PRODUCT_MAX_ROWS = 64;
/** ...and the rows are at least this long: shorter ones are cheap to transpose and pack for the shipped kernel. */
export const DOT_PRODUCT_MIN_LENGTH = 256;
/** `a^T b` runs as SIMD row updates when `b` has at most this many columns. */
export const TRANSPOSED_PRODUCT_MAX_COLUMNS = 32;
/** `a b` runs as SIMD combinations of the rows of `b` when `a` is at most this many rows and columns... */
export const ROW_COMBINATION_MAX_SIZE = 64;
/** ...and `b`'s rows are at least this long. */
export const ROW_COMBINATION_MIN_LENGTH = 256;

/**
 * Builds a `BatchMatMul` for the wasm backend that runs one plain matrix product per batch element.
 *
 * @param shippedConfig - The wasm backend's own `BatchMatMul` (its set-up is kept), used for each product (and as is for the cases
 *   below that it already runs fast: one batch element without transposes, integer data, or batch shapes
 *   that broadcast other than one-against-many).
 * @returns The kernel configuration.
 * @remarks The shipped kernel computes a batch of products, or a product with a transposed operand, at
 *   1-3 GFLOP/s, against 13-35 GFLOP/s for one untransposed product, which is what attention layers and
 *   every matrix-product gradient need. Each batch element's operands are copied (transposed where asked)
 *   into contiguous matrices in the wasm heap, multiplied by the shipped kernel, and copied into the output.
 */
export function createBatchMatMulConfig(shippedConfig: KernelConfig): KernelConfig {
  const shipped = shippedConfig.kernelFunc;
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: KernelBackend;
    attrs: BatchMatMulAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const batchA = a.shape[0];
    const batchB = b.shape[0];
    const route = simdRoute(a, b, attrs);
    const kernels = route ? loadSimdKernels() : undefined;
    if (route && kernels) return runComposite(backend, BatchMatMul, (runner) => route(runner, a, b, kernels));
    const simple = batchA === 1 && batchB === 1 && !attrs.transposeA && !attrs.transposeB;
    const broadcastable = batchA === batchB || batchA === 1 || batchB === 1;
    if (
      simple ||
      !broadcastable ||
      a.shape.length !== 3 ||
      b.shape.length !== 3 ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32'
    ) {
      return shipped(args as never) as TensorInfo;
    }
    return runComposite(backend, BatchMatMul, (runner) => {
      const batch = Math.max(batchA, batchB);
      const [m, k] = attrs.transposeA ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
      const n = attrs.transposeB ? b.shape[1] : b.shape[2];
      const output = runner.allocate([batch, m, n], 'float32');
      for (let index = 0; index < batch; index++) {
        const left = matrixOf(runner, a, batchA === 1 ? 0 : index, attrs.transposeA);
        const right = matrixOf(runner, b, batchB === 1 ? 0 : index, attrs.transposeB);
        const product = runner.run(
          'BatchMatMul',
          { a: runner.reshape(left, [1, m, k]), b: runner.reshape(right, [1, k, n]) },
          { transposeA: false, transposeB: false },
        );
        runner.view(output).set(runner.view(product), index * m * n);
        for (const info of [product, left, right]) runner.release(info);
      }
      return output;
    });
  };
  return replacementKernelConfig(shippedConfig, kernelFunc as unknown as KernelFunc);
}

type SimdRoute = (runner: KernelRunner, a: TensorInfo, b: TensorInfo, kernels: SimdKernels) => TensorInfo;

/** The SIMD kernel for these operands, if one applies. */
function simdRoute(a: TensorInfo, b: TensorInfo, attrs: BatchMatMulAttrs): SimdRoute | undefined {
  const plain =
    a.shape.length === 3 &&
    b.shape.length === 3 &&
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    (a.shape[0] === b.shape[0] || a.shape[0] === 1 || b.shape[0] === 1);
  if (!plain) return undefined;
  if (
    attrs.transposeB &&
    !attrs.transposeA &&
    a.shape[1] <= DOT_PRODUCT_MAX_ROWS &&
    b.shape[1] <= DOT_PRODUCT_MAX_ROWS &&
    a.shape[2] >= DOT_PRODUCT_MIN_LENGTH
  ) {
    return dotProducts;
  }
  if (attrs.transposeA && !attrs.transposeB && b.shape[2] <= TRANSPOSED_PRODUCT_MAX_COLUMNS) {
    return transposedProducts;
  }
  if (
    !attrs.transposeA &&
    !attrs.transposeB &&
    a.shape[1] <= ROW_COMBINATION_MAX_SIZE &&
    a.shape[2] <= ROW_COMBINATION_MAX_SIZE &&
    b.shape[2] >= ROW_COMBINATION_MIN_LENGTH
  ) {
    return combinedRows;
  }
  return undefined;
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/**
 * The output `[batch, rows, columns]` of a SIMD route (batch: the larger of the operands') and float32 views of
 * the operands and the output, taken after the allocation (which may grow the heap).
 */
function routeViews(runner: KernelRunner, a: TensorInfo, b: TensorInfo, rows: number, columns: number) {
  const batch = Math.max(a.shape[0], b.shape[0]);
  const output = runner.allocate([batch, rows, columns], 'float32');
  const view = (info: TensorInfo) => runner.view(info) as Float32Array;
  return { batch, output, left: view(a), right: view(b), result: view(output) };
}

/**
 * `a b^T` for few, long rows (`a` `[batch, m, k]`, `b` `[batch, n, k]`): the rows are copied into the SIMD
 * module's memory a chunk of columns at a time (zero-padded to whole vectors and to 2 and 4 rows) and their dot
 * products accumulated there. The shipped kernel would transpose `b` and re-pack the `k x n` operand on every call,
 * which for `m = n = 16` costs three times the arithmetic. For `a a^T` only the blocks on and above the diagonal are
 * computed.
 */
function dotProducts(runner: KernelRunner, a: TensorInfo, b: TensorInfo, kernels: SimdKernels): TensorInfo {
  const [batchA, m, k] = a.shape;
  const [batchB, n] = b.shape;
  // a a^T (the same data twice, whatever the tensors): its rows are copied once, and only the blocks on and above
  // the diagonal are computed, then mirrored (the result is exactly symmetric). Heap offsets survive allocations.
  const upper = batchA === batchB && runner.view(a).byteOffset === runner.view(b).byteOffset;
  const rowsB = roundUp(n, 4);
  const rowsA = upper ? rowsB : roundUp(m, 2);
  const placed = upper ? rowsA : rowsA + rowsB;
  const length = Math.min(roundUp(k, 4), Math.floor(SIMD_CHUNK_ELEMENTS / placed / 4) * 4);
  const { batch, output, left, right, result } = routeViews(runner, a, b, m, n);
  const { input, output: sums } = kernels;
  for (let index = 0; index < batch; index++) {
    const baseA = (batchA === 1 ? 0 : index) * m * k;
    const baseB = (batchB === 1 ? 0 : index) * n * k;
    sums.fill(0, 0, rowsA * rowsB);
    for (let start = 0; start < k; start += length) {
      const width = Math.min(length, k - start);
      const padded = roundUp(width, 4);
      // Every row of the chunk is `padded` floats; padding lanes and rows are zero.
      if (padded !== width || rowsA !== m || rowsB !== n) input.fill(0, 0, placed * padded);
      for (let row = 0; row < m; row++) {
        const from = baseA + row * k + start;
        input.set(left.subarray(from, from + width), row * padded);
      }
      for (let row = 0; row < (upper ? 0 : n); row++) {
        const from = baseB + row * k + start;
        input.set(right.subarray(from, from + width), (rowsA + row) * padded);
      }
      kernels.dotRows(rowsA, rowsB, padded, upper);
    }
    if (upper) {
      for (let i = 1; i < m; i++) for (let j = 0; j < i; j++) sums[i * rowsB + j] = sums[j * rowsB + i];
    }
    for (let row = 0; row < m; row++) {
      result.set(sums.subarray(row * rowsB, row * rowsB + n), (index * m + row) * n);
    }
  }
  return output;
}

/**
 * `a^T b` for a narrow `b` (`a` `[batch, k, m]`, `b` `[batch, k, n]`, `n` small): row `r` of `b` is added to row `c`
 * of the result with the factor `a_rc`, for strips of the result's rows that stay in the SIMD module's output area
 * and chunks of `k` copied into its input areas (zero-padded to whole vectors and to 4 rows). The shipped kernel
 * would transpose `a` and re-pack `b`, or re-pack all of `a`; for a fresh `1024 x 1024` `a` this is about 1.7 times
 * as fast.
 */
function transposedProducts(
  runner: KernelRunner,
  a: TensorInfo,
  b: TensorInfo,
  kernels: SimdKernels,
): TensorInfo {
  const [batchA, k, m] = a.shape;
  const [batchB, , n] = b.shape;
  const width = roundUp(n, 4);
  const strip = Math.min(m, Math.floor(SIMD_CHUNK_ELEMENTS / width));
  const rowsPerChunk = Math.floor(SIMD_CHUNK_ELEMENTS / Math.max(strip, width) / 4) * 4;
  const { batch, output, left, right, result } = routeViews(runner, a, b, m, n);
  const { input, secondInput, output: sums } = kernels;
  for (let index = 0; index < batch; index++) {
    const baseA = (batchA === 1 ? 0 : index) * k * m;
    const baseB = (batchB === 1 ? 0 : index) * k * n;
    for (let start = 0; start < m; start += strip) {
      const columns = Math.min(strip, m - start);
      sums.fill(0, 0, columns * width);
      for (let row = 0; row < k; row += rowsPerChunk) {
        const count = Math.min(rowsPerChunk, k - row);
        const padded = roundUp(count, 4);
        for (let r = 0; r < count; r++) {
          const from = baseA + (row + r) * m + start;
          input.set(left.subarray(from, from + columns), r * columns);
        }
        input.fill(0, count * columns, padded * columns);
        if (width === n) {
          secondInput.set(right.subarray(baseB + row * n, baseB + (row + count) * n));
        } else {
          secondInput.fill(0, 0, count * width);
          for (let r = 0; r < count; r++) {
            const from = baseB + (row + r) * n;
            secondInput.set(right.subarray(from, from + n), r * width);
          }
        }
        secondInput.fill(0, count * width, padded * width);
        kernels.transposedProducts(padded, columns, width);
      }
      for (let c = 0; c < columns; c++) {
        result.set(sums.subarray(c * width, c * width + n), (index * m + start + c) * n);
      }
    }
  }
  return output;
}

/**
 * `a b` for a small `a` and long rows of `b` (`a` `[batch, m, k]`, `b` `[batch, k, n]`, `m, k <= 64`): each chunk of
 * columns of `b` is copied into the SIMD module's memory (zero-padded to 8 columns, `a` to 4 rows) and combined
 * there. The shipped kernel would re-pack the whole of `b` on every call, which costs more than the products.
 */
function combinedRows(runner: KernelRunner, a: TensorInfo, b: TensorInfo, kernels: SimdKernels): TensorInfo {
  const [batchA, m, k] = a.shape;
  const [batchB, , n] = b.shape;
  const rows = roundUp(m, 4);
  const length = Math.min(roundUp(n, 8), Math.floor(SIMD_CHUNK_ELEMENTS / Math.max(k, rows) / 8) * 8);
  const { batch, output, left, right, result } = routeViews(runner, a, b, m, n);
  const { input, secondInput, output: combined } = kernels;
  for (let index = 0; index < batch; index++) {
    const baseA = (batchA === 1 ? 0 : index) * m * k;
    const baseB = (batchB === 1 ? 0 : index) * k * n;
    secondInput.set(left.subarray(baseA, baseA + m * k));
    secondInput.fill(0, m * k, rows * k);
    for (let start = 0; start < n; start += length) {
      const width = Math.min(length, n - start);
      const padded = roundUp(width, 8);
      for (let j = 0; j < k; j++) {
        const from = baseB + j * n + start;
        input.set(right.subarray(from, from + width), j * padded);
        if (padded !== width) input.fill(0, j * padded + width, (j + 1) * padded);
      }
      kernels.combineRows(rows, k, padded);
      for (let i = 0; i < m; i++) {
        result.set(combined.subarray(i * padded, i * padded + width), (index * m + i) * n + start);
      }
    }
  }
  return output;
}

/** Batch element `index` of a `[batch, rows, columns]` tensor as a contiguous matrix, transposed if asked. */
function matrixOf(runner: KernelRunner, source: TensorInfo, index: number, transpose: boolean): TensorInfo {
  const [, rows, columns] = source.shape;
  const size = rows * columns;
  const slice = runner.allocate([rows, columns], 'float32');
  runner.view(slice).set(runner.view(source).subarray(index * size, (index + 1) * size));
  if (!transpose) return slice;
  const transposed = transposeMatrix(runner, slice);
  runner.release(slice);
  util.assert(transposed.shape[0] === columns, () => 'BatchMatMul: transposition lost its shape');
  return transposed;
}
