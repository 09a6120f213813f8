import {
  backend_util,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  Max,
  type MaxAttrs,
  Min,
  type MinAttrs,
  Sum,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { replacementKernelConfig } from '../../replacement-kernel.js';
import { KernelRunner } from '../kernel-runner.js';
import { SIMD_CHUNK_ELEMENTS, type SimdKernels } from './simd-module.js';

/** The reductions that `kernels.wat` vectorises. */
export type SimdReduction = typeof Max | typeof Min | typeof Sum;

/** Folds the result of a later chunk of a row into the result so far (rows longer than a chunk). */
type Combine = (soFar: number, chunk: number) => number;

/** NaN from any chunk wins; otherwise a later chunk's value replaces the result only when `better`. */
const extreme =
  (better: (a: number, b: number) => boolean): Combine =>
  (soFar, chunk) =>
    Number.isNaN(soFar) || (!Number.isNaN(chunk) && !better(chunk, soFar)) ? soFar : chunk;

const COMBINE: Record<SimdReduction, Combine> = {
  [Max]: extreme((a, b) => a > b),
  [Min]: extreme((a, b) => a < b),
  [Sum]: (soFar, chunk) => soFar + chunk,
};

/**
 * `Sum` over one axis that is not the innermost: for each block of the outer axes, the column sums of the
 * `[reduced, inner]` matrix behind it, accumulated in the output area chunk by chunk.
 */
function sumOverMiddleAxis(
  backend: KernelBackend,
  x: TensorInfo,
  axis: number,
  keepDims: boolean,
  kernels: SimdKernels,
): TensorInfo {
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, [axis]);
  const runner = new KernelRunner(backend, Sum);
  const output = runner.allocate(
    keepDims ? backend_util.expandShapeToKeepDim(outShape, [axis]) : outShape,
    'float32',
  );
  const from = runner.view(x) as Float32Array;
  const to = runner.view(output) as Float32Array;
  const reduced = x.shape[axis];
  const inner = util.sizeFromShape(x.shape.slice(axis + 1));
  const outer = util.sizeFromShape(x.shape.slice(0, axis));
  const rowsPerChunk = Math.floor(SIMD_CHUNK_ELEMENTS / inner);
  for (let block = 0; block < outer; block++) {
    kernels.output.fill(0, 0, inner + 4);
    for (let row = 0; row < reduced; row += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, reduced - row);
      const start = (block * reduced + row) * inner;
      kernels.input.set(from.subarray(start, start + count * inner));
      kernels.addColumns(count, inner);
    }
    to.set(kernels.output.subarray(0, inner), block * inner);
  }
  return runner.keep(output);
}

/**
 * Builds a `Max`, `Min` or `Sum` for the wasm backend that reduces float32 tensors over their
 * innermost axes with the SIMD kernels of `kernels.wat`.
 *
 * @param shippedConfig - The wasm backend's own kernel, kept for other axes, other data types and
 *   empty tensors (and its set-up kept).
 * @param kernels - The loaded SIMD kernels.
 * @returns The kernel configuration.
 *
 * @remarks
 * Reducing `[..., n]` over its last axes is reducing contiguous rows; the shipped kernel does it one
 * element at a time, this one sixteen at a time (four lanes by four accumulators), after copying
 * the rows into its own memory in chunks of {@link SIMD_CHUNK_ELEMENTS} floats. A row longer than
 * a chunk is reduced chunk by chunk. As in the shipped kernels, a NaN anywhere in a row gives NaN,
 * and infinities are ordinary values; sums are added in another order than the shipped sequential
 * loop, so they may differ from it in the last bits. Other axes (whose values are not contiguous)
 * go to the shipped kernel, which transposes first, except a `Sum` over one other axis, which adds whole rows of the
 * axes behind it (column sums) four lanes at a time.
 */
export function createSimdReductionConfig(
  kind: SimdReduction,
  shippedConfig: KernelConfig,
  kernels: SimdKernels,
): KernelConfig {
  const shipped = shippedConfig.kernelFunc;
  const reduceRows = { [Max]: kernels.maxRows, [Min]: kernels.minRows, [Sum]: kernels.sumRows }[kind];
  const combine = COMBINE[kind];
  const kernelFunc = (args: {
    inputs: { x: TensorInfo };
    backend: KernelBackend;
    attrs: Partial<MaxAttrs & MinAttrs>;
  }) => {
    const { x } = args.inputs;
    const { keepDims } = args.attrs;
    // `Max` names its axes `reductionIndices`, `Min` and `Sum` name them `axis`; absent means all axes.
    const axis = kind === Max ? args.attrs.reductionIndices : args.attrs.axis;
    const axes = util.parseAxisParam(axis as number | number[], x.shape).sort((a, b) => a - b);
    const size = util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || size === 0) return shipped(args as never) as TensorInfo;
    if (!backend_util.axesAreInnerMostDims(axes, x.shape.length)) {
      const inner = util.sizeFromShape(x.shape.slice(axes[0] + 1));
      if (kind !== Sum || axes.length !== 1 || inner > SIMD_CHUNK_ELEMENTS) {
        return shipped(args as never) as TensorInfo;
      }
      return sumOverMiddleAxis(args.backend, x, axes[0], keepDims === true, kernels);
    }
    const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const length = util.sizeFromShape(reduceShape);
    const rows = size / length;
    const runner = new KernelRunner(args.backend, kind);
    const output = runner.allocate(
      keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape,
      'float32',
    );
    const from = runner.view(x) as Float32Array;
    const to = runner.view(output) as Float32Array;
    if (length <= SIMD_CHUNK_ELEMENTS) {
      const rowsPerChunk = Math.floor(SIMD_CHUNK_ELEMENTS / length);
      for (let row = 0; row < rows; row += rowsPerChunk) {
        const count = Math.min(rowsPerChunk, rows - row);
        kernels.input.set(from.subarray(row * length, (row + count) * length));
        reduceRows(count, length);
        to.set(kernels.output.subarray(0, count), row);
      }
    } else {
      for (let row = 0; row < rows; row++) {
        let result = 0;
        for (let start = 0; start < length; start += SIMD_CHUNK_ELEMENTS) {
          const count = Math.min(SIMD_CHUNK_ELEMENTS, length - start);
          const offset = row * length + start;
          kernels.input.set(from.subarray(offset, offset + count));
          reduceRows(1, count);
          result = start === 0 ? kernels.output[0] : combine(result, kernels.output[0]);
        }
        to[row] = result;
      }
    }
    return runner.keep(output);
  };
  return replacementKernelConfig(shippedConfig, kernelFunc as unknown as KernelFunc);
}
