import * as tf from '@tensorflow/tfjs-core';
import { type BlockVisitor, planBlock, sliceRows } from './blocks.js';
import type { CostKernel } from './cost.js';
import { sumOverRows } from './fast-ops.js';
import { customOperation } from './no-gradient.js';
import { logWeights } from './weights.js';

/**
 * `<a, f> + <b, g>` with the envelope gradient (cost gradient `P`, recomputed block by block; `fused`: with the
 * fused kernel).
 *
 * @returns `[B]`; the caller disposes it.
 */
export function blockwiseEnvelopeValue(
  kernel: CostKernel,
  forEachBlock: BlockVisitor,
  rows: tf.Tensor3D,
  columns: tf.Tensor3D,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  f: tf.Tensor2D,
  g: tf.Tensor2D,
  epsilon: number,
  fused: boolean,
): tf.Tensor1D {
  const node = customOperation(([r, c, wa, wb, fa, gb], save) => {
    save([r, c, wa, wb, fa, gb]);
    return {
      value: tf.add(tf.sum(tf.mul(wa, fa), 1), tf.sum(tf.mul(wb, gb), 1)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sr, sc] = saved as tf.Tensor3D[];
        const [sa, sb, sf, sg] = saved.slice(2) as tf.Tensor2D[];
        const [logA, logB] = [logWeights(sa), logWeights(sb)];
        let columnGradient = tf.zerosLike(sc);
        const upstream = tf.reshape(dy, [-1, 1, 1]);
        const rowGradients = forEachBlock(sr, sc, (block, cost, rowPoints) => {
          const plan = planBlock(
            cost,
            sliceRows(logA, block),
            logB,
            sliceRows(sf, block),
            sg,
            epsilon,
            fused,
          );
          const [rowPart, columnPart] = kernel.pullback(rowPoints, sc, tf.mul(plan, upstream) as tf.Tensor3D);
          return [rowPart, columnPart];
        }).map(([rowPart, columnPart]) => {
          columnGradient = tf.add(columnGradient, columnPart);
          return rowPart;
        });
        const perBatch = tf.expandDims(dy, 1);
        return [
          tf.concat(rowGradients, 1),
          columnGradient,
          tf.mul(sf, perBatch),
          tf.mul(sg, perBatch),
          tf.zerosLike(sf),
          tf.zerosLike(sg),
        ];
      },
    };
  });
  return node(rows, columns, a, b, f, g) as tf.Tensor1D;
}

/**
 * `<P, C>` streamed over row blocks, with a gradient that recomputes each block (`fused`: plans from the fused
 * kernel).
 *
 * @returns `[B]`; the caller disposes it.
 */
export function blockwiseSharpValue(
  kernel: CostKernel,
  forEachBlock: BlockVisitor,
  rows: tf.Tensor3D,
  columns: tf.Tensor3D,
  logA: tf.Tensor2D,
  logB: tf.Tensor2D,
  f: tf.Tensor2D,
  g: tf.Tensor2D,
  epsilon: number,
  fused: boolean,
): tf.Tensor1D {
  const node = customOperation(([r, c, la, lb, fa, gb], save) => {
    save([r, c, la, lb, fa, gb]);
    const parts = forEachBlock(r as tf.Tensor3D, c as tf.Tensor3D, (block, cost) => {
      const plan = planBlock(cost, sliceRows(la, block), lb, sliceRows(fa, block), gb, epsilon, fused);
      return tf.sum(tf.mul(plan, cost), [1, 2]);
    });
    return {
      value: tf.addN(parts),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sr, sc] = saved as tf.Tensor3D[];
        const [sla, slb, sf, sg] = saved.slice(2) as tf.Tensor2D[];
        const upstream = tf.reshape(dy, [-1, 1, 1]);
        let columnGradient = tf.zerosLike(sc);
        let columnMass = tf.zerosLike(slb);
        const rowParts = forEachBlock(sr, sc, (block, cost, rowPoints) => {
          const plan = planBlock(cost, sliceRows(sla, block), slb, sliceRows(sf, block), sg, epsilon, fused);
          const mass = tf.mul(tf.mul(plan, cost), upstream);
          const costWeights = tf.mul(tf.sub(plan, tf.div(tf.mul(plan, cost), epsilon)), upstream);
          const [rowPart, columnPart] = kernel.pullback(rowPoints, sc, costWeights as tf.Tensor3D);
          return [rowPart, columnPart, tf.sum(mass, 2), sumOverRows(mass as tf.Tensor3D)];
        }).map(([rowPart, columnPart, rowMass, blockColumnMass]) => {
          columnGradient = tf.add(columnGradient, columnPart);
          columnMass = tf.add(columnMass, blockColumnMass);
          return [rowPart, rowMass];
        });
        const rowMass = tf.concat(
          rowParts.map((part) => part[1]),
          1,
        );
        return [
          tf.concat(
            rowParts.map((part) => part[0]),
            1,
          ),
          columnGradient,
          rowMass,
          columnMass,
          tf.div(rowMass, epsilon),
          tf.div(columnMass, epsilon),
        ];
      },
    };
  });
  return node(rows, columns, logA, logB, f, g) as tf.Tensor1D;
}
