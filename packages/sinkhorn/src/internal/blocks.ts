import * as tf from '@tensorflow/tfjs-core';
import type { CostKernel } from './cost.js';
import { kernelRowShiftedExp, rowShiftedExp } from './log-sum-exp.js';

/** A range of consecutive rows. */
export type Block = { start: number; size: number };

/** Splits `count` rows into blocks of `size`. */
export function blocksOf(count: number, size: number): Block[] {
  const blocks: Block[] = [];
  for (let start = 0; start < count; start += size)
    blocks.push({ start, size: Math.min(size, count - start) });
  return blocks;
}

/** Slices a block of rows (axis 1) out of `[B, n, ...]`. */
export function sliceRows<T extends tf.Tensor>(tensor: T, block: Block): T {
  const begin = tensor.shape.map((_, axis) => (axis === 1 ? block.start : 0));
  const size = tensor.shape.map((extent, axis) => (axis === 1 ? block.size : extent));
  return tf.slice(tensor, begin, size) as T;
}

/**
 * Transport plan of one row block, `exp(logA_i + logB_j + (f_i + g_j - C_ij) / epsilon)`, `[B, block, m]`,
 * computed through a row softmax (see `rowShiftedExp`) or, when `fused`, in one pass of the fused gradient kernel.
 */
export function planBlock(
  cost: tf.Tensor3D,
  logA: tf.Tensor,
  logB: tf.Tensor,
  f: tf.Tensor,
  g: tf.Tensor,
  epsilon: number,
  fused: boolean,
): tf.Tensor3D {
  return tf.tidy(() => {
    const rowTerm = tf.add(logA, tf.div(f, epsilon)) as tf.Tensor2D;
    const columnTerm = tf.add(logB, tf.div(g, epsilon)) as tf.Tensor2D;
    if (fused) return kernelRowShiftedExp(cost, rowTerm, columnTerm, 1 / epsilon);
    return rowShiftedExp(rowTerm, tf.sub(tf.expandDims(columnTerm, 1), tf.div(cost, epsilon)) as tf.Tensor3D);
  });
}

/** Runs `visit` on every row block with the block's cost `[B, block, m]`, each inside its own `tf.tidy`. */
export type BlockVisitor = <T extends tf.TensorContainer>(
  rowSet: tf.Tensor3D,
  columnSet: tf.Tensor3D,
  visit: (block: Block, cost: tf.Tensor3D, rowPoints: tf.Tensor3D) => T,
) => T[];

/**
 * Builds a {@link BlockVisitor} over fixed row blocks.
 *
 * @param kernel - The ground cost.
 * @param rowBlocks - The blocks.
 * @returns The visitor.
 */
export function createBlockVisitor(kernel: CostKernel, rowBlocks: readonly Block[]): BlockVisitor {
  return (rowSet, columnSet, visit) =>
    rowBlocks.map((block) =>
      tf.tidy(() => {
        const rowPoints = sliceRows(rowSet, block);
        return visit(block, kernel.evaluate(rowPoints, columnSet), rowPoints);
      }),
    );
}
