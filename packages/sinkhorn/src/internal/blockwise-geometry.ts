import * as tf from '@tensorflow/tfjs-core';
import { blocksOf, createBlockVisitor, planBlock, sliceRows } from './blocks.js';
import { blockwiseEnvelopeValue, blockwiseSharpValue } from './blockwise-readouts.js';
import type { CostKernel } from './cost.js';
import { sumOverRows } from './fast-ops.js';
import type { TransportGeometry } from './geometry.js';
import { kernelLogSumExp, SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME, softmaxWithLogSumExp } from './log-sum-exp.js';
import { customOperation, withoutGradient } from './no-gradient.js';

/** Cost entries per block when the caller does not choose a block size. */
const ENTRIES_PER_BLOCK = 4_194_304;

/**
 * The kernel with rows and columns swapped: `C'(u, v) = C(v, u)^T`; a symmetric kernel is its own swap, which
 * saves transposing every `[B, block, n]` slab of the column updates.
 */
function transposeKernel(kernel: CostKernel): CostKernel {
  if (kernel.symmetric) return kernel;
  return {
    multiplier: kernel.multiplier,
    symmetric: false,
    evaluate: (rows, columns) =>
      tf.tidy(() => tf.transpose(kernel.evaluate(columns, rows), [0, 2, 1]) as tf.Tensor3D),
    pullback: (rows, columns, weights) =>
      tf.tidy(() => {
        const [columnGradient, rowGradient] = kernel.pullback(
          columns,
          rows,
          tf.transpose(weights, [0, 2, 1]),
        );
        return [rowGradient, columnGradient];
      }),
  };
}

/**
 * Row-block log-sum-exp `LSE_j(h_j - C(rows_i, columns_j) / epsilon)` whose backward pass recomputes each block,
 * so neither direction ever holds more than one `[B, block, m]` slab. With `fused`, each block's log-sum-exp and
 * its gradient weights come from the fused kernels.
 */
function blockwiseLogSumExp(
  kernel: CostKernel,
  blockSize: number,
  rows: tf.Tensor3D,
  columns: tf.Tensor3D,
  h: tf.Tensor2D,
  epsilon: number,
  fused: boolean,
): tf.Tensor2D {
  const blocks = blocksOf(rows.shape[1], blockSize);
  const node = customOperation(([r, c, shift], save) => {
    const parts = blocks.map((block) =>
      tf.tidy(() => {
        const cost = kernel.evaluate(sliceRows(r as tf.Tensor3D, block), c as tf.Tensor3D);
        if (fused) return kernelLogSumExp(cost, shift as tf.Tensor2D, 1 / epsilon, 2);
        return softmaxWithLogSumExp(tf.sub(tf.expandDims(shift, 1), tf.div(cost, epsilon)) as tf.Tensor3D)
          .logSumExp;
      }),
    );
    const value = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    save([r, c, shift, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sr, sc, sh, sy] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
        let columnGradient = tf.zerosLike(sc);
        let shiftGradient = tf.zerosLike(sh);
        const rowGradients = blocks.map((block) => {
          const [rowPart, columnPart, shiftPart] = tf.tidy(() => {
            const rowBlock = sliceRows(sr, block);
            const cost = kernel.evaluate(rowBlock, sc);
            const blockDy = sliceRows(dy as tf.Tensor2D, block);
            // Pullback weights -softmax * dy / epsilon, and the shift gradient sum_i softmax * dy.
            let costWeights: tf.Tensor3D;
            let shiftPart: tf.Tensor2D;
            if (fused) {
              [costWeights, shiftPart] = tf
                .engine()
                .runKernel(
                  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
                  { x: cost, h: sh, y: sliceRows(sy, block), dy: blockDy },
                  { scale: 1 / epsilon, axis: 2 },
                ) as [tf.Tensor3D, tf.Tensor2D];
            } else {
              const z = tf.sub(tf.expandDims(sh, 1), tf.div(cost, epsilon));
              const weighted = tf.mul(tf.softmax(z), tf.expandDims(blockDy, 2)) as tf.Tensor3D;
              costWeights = tf.mul(weighted, -1 / epsilon) as tf.Tensor3D;
              shiftPart = sumOverRows(weighted);
            }
            const [rowPull, columnPull] = kernel.pullback(rowBlock, sc, costWeights);
            return [rowPull, columnPull, shiftPart];
          });
          shiftGradient = tf.add(shiftGradient, shiftPart);
          columnGradient = tf.add(columnGradient, columnPart);
          return rowPart;
        });
        return [tf.concat(rowGradients, 1), columnGradient, shiftGradient];
      },
    };
  });
  return node(rows, columns, h) as tf.Tensor2D;
}

/**
 * Geometry that never materialises the `[B, n, m]` cost: every pass streams blocks of rows, and the custom
 * gradients recompute blocks instead of keeping them, so memory is linear in `n + m`.
 *
 * @param kernel - The ground cost (with its normalisation).
 * @param rows - Row points `[B, n, d]`; not owned.
 * @param columns - Column points `[B, m, d]`; not owned.
 * @param blockSize - Rows per block; `0` picks about 4 M entries per block.
 * @param fused - Whether the log-sum-exps and plans run in the backend's fused kernels.
 * @returns The geometry.
 */
export function createBlockwiseGeometry(
  kernel: CostKernel,
  rows: tf.Tensor3D,
  columns: tf.Tensor3D,
  blockSize: number,
  fused: boolean,
): TransportGeometry {
  const [batchSize, rowCount] = rows.shape;
  const columnCount = columns.shape[1];
  const pick = (other: number) =>
    blockSize > 0 ? blockSize : Math.max(1, Math.floor(ENTRIES_PER_BLOCK / (batchSize * other)));
  const rowBlock = pick(columnCount);
  const rowBlocks = blocksOf(rowCount, rowBlock);
  const transposed = transposeKernel(kernel);
  const forEachBlock = createBlockVisitor(kernel, rowBlocks);

  return {
    batchSize,
    rowCount,
    columnCount,
    logSumExpRows: (h, epsilon) => blockwiseLogSumExp(kernel, rowBlock, rows, columns, h, epsilon, fused),
    logSumExpColumns: (h, epsilon) =>
      blockwiseLogSumExp(transposed, pick(rowCount), columns, rows, h, epsilon, fused),
    envelopeValue: (a, b, f, g, epsilon) =>
      blockwiseEnvelopeValue(kernel, forEachBlock, rows, columns, a, b, f, g, epsilon, fused),
    sharpValue: (logA, logB, f, g, epsilon) =>
      blockwiseSharpValue(kernel, forEachBlock, rows, columns, logA, logB, f, g, epsilon, fused),
    plan: (logA, logB, f, g, epsilon) =>
      tf.tidy(() =>
        tf.concat(
          forEachBlock(rows, columns, (block, cost) =>
            planBlock(cost, sliceRows(logA, block), logB, sliceRows(f, block), g, epsilon, fused),
          ),
          1,
        ),
      ),
    statistics: (a, b) =>
      withoutGradient([rows, columns, a, b], () =>
        tf.tidy(() => {
          const parts = forEachBlock(rows, columns, (block, cost) => {
            const weighted = tf.mul(tf.mul(cost, tf.expandDims(sliceRows(a, block), 2)), tf.expandDims(b, 1));
            return tf.stack([tf.mean(tf.sum(weighted, [1, 2])), tf.max(cost)]);
          });
          const table = tf.stack(parts);
          return tf.stack([
            tf.sum(tf.slice(table, [0, 0], [-1, 1])),
            tf.max(tf.slice(table, [0, 1], [-1, 1])),
          ]) as tf.Tensor1D;
        }),
      ),
  };
}
