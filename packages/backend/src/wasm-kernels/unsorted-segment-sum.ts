import {
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { runComposite, WASM_BACKEND_NAME } from './kernel-runner.js';

/**
 * Sums the rows of `x` that share a segment id; ids outside `[0, numSegments)` are dropped.
 *
 * @remarks
 * `segmentIds` (int32) has the shape of a prefix of `x`'s shape, and the result has shape
 * `[numSegments, ...x.shape.slice(segmentIds.rank)]`. Ids out of range are redirected to one
 * spare segment, the rows are accumulated by wasm's `ScatterNd` (which adds duplicates), and
 * the spare segment is sliced off.
 */
function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: KernelBackend;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  const prefix = x.shape.slice(0, segmentIds.shape.length);
  if (!util.arraysEqual(prefix, segmentIds.shape)) {
    throw new RangeError(
      `UnsortedSegmentSum: segmentIds of shape [${segmentIds.shape}] must match the leading axes of x [${x.shape}]`,
    );
  }
  return runComposite(backend, UnsortedSegmentSum, (runner) => {
    const count = util.sizeFromShape(segmentIds.shape);
    const trailing = x.shape.slice(segmentIds.shape.length);
    const rowSize = util.sizeFromShape(trailing);
    const ids = runner.reshape(segmentIds, [count]);
    const zero = runner.fill([], 'int32', 0);
    const limit = runner.fill([], 'int32', numSegments);
    const spare = runner.fill([count], 'int32', numSegments);
    const valid = runner.run('LogicalAnd', {
      a: runner.run('GreaterEqual', { a: ids, b: zero }),
      b: runner.run('Less', { a: ids, b: limit }),
    });
    const target = runner.run('Select', { condition: valid, t: ids, e: spare });
    const summed = runner.run(
      'ScatterNd',
      { indices: runner.reshape(target, [count, 1]), updates: runner.reshape(x, [count, rowSize]) },
      { shape: [numSegments + 1, rowSize] },
    );
    const kept = runner.run('Slice', { x: summed }, { begin: [0, 0], size: [numSegments, rowSize] });
    return runner.reshape(kept, [numSegments, ...trailing]);
  });
}

/** `UnsortedSegmentSum` (the gradient of `gather`) for the wasm backend, composed of wasm's own kernels. */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: unsortedSegmentSum as unknown as KernelConfig['kernelFunc'],
};
