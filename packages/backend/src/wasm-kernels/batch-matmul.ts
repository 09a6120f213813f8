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
