import { createDmrbWeights, DEFAULT_DMRB_OPTIONS, type DmrbWeights, dmrb } from '@siran/dmrb-layers';
import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.js';

/** The benchmarked block: a DMRB with the default options at 64 channels on `[2, 128, 128, 64]`. */
export const DMRB_BENCH_SHAPE = { batch: 2, size: 128, channels: 64 } as const;

interface DmrbContext {
  readonly x: tf.Tensor4D;
  readonly weights: DmrbWeights<tf.Variable>;
  readonly variables: tf.Variable[];
}

function setup(): DmrbContext {
  const { batch, size, channels } = DMRB_BENCH_SHAPE;
  const weights = createDmrbWeights(channels, { seed: 1 });
  const convolutions = [
    ...weights.blocks.flatMap((block) => [block.first, block.second]),
    ...weights.transitions,
    ...(weights.fusion === undefined ? [] : [weights.fusion]),
  ];
  const variables = convolutions.flatMap((c) => [c.kernel, ...(c.bias === undefined ? [] : [c.bias])]);
  return {
    x: tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 2) as tf.Tensor4D,
    weights,
    variables,
  };
}

function teardown(context: DmrbContext): void {
  tf.dispose([context.x, ...context.variables]);
}

/**
 * A DMRB (default options: 3 RCBs, 1x1 fusion, residual scale 0.2) at 64 channels on `[2, 128, 128, 64]`,
 * forward and forward+backward (gradients of a mean-square loss for every weight), on the active backend.
 *
 * @param backend - Name of the active backend, used in the case names.
 * @returns Cases `dmrb/forward/<backend>` and `dmrb/forward+backward/<backend>`; the backward case is skipped
 *   where the backend has no filter-gradient kernel or is the plain-JS cpu backend (minutes per run).
 */
export function createCases(backend: string): BenchCase<DmrbContext>[] {
  const { batch, size, channels } = DMRB_BENCH_SHAPE;
  const params = {
    backend,
    shape: `${batch}x${size}x${size}x${channels}`,
    blocks: DEFAULT_DMRB_OPTIONS.blockCount,
    fusion: DEFAULT_DMRB_OPTIONS.fusion,
  };
  return [
    {
      name: `dmrb/forward/${backend}`,
      params,
      setup,
      teardown,
      async run({ x, weights }) {
        const y = dmrb(x, weights);
        await y.data();
        y.dispose();
      },
    },
    {
      name: `dmrb/forward+backward/${backend}`,
      params,
      setup,
      teardown,
      skip: () => {
        if (backend === 'cpu')
          return 'the plain-JS cpu backend needs minutes per filter gradient at this size';
        if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) === undefined) {
          return `no Conv2DBackpropFilter kernel registered for ${tf.getBackend()}`;
        }
        return undefined;
      },
      async run({ x, weights, variables }) {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.square(dmrb(x, weights))) as tf.Scalar,
          variables,
        );
        await Promise.all(Object.values(grads).map((g) => g.data()));
        tf.dispose([value, ...Object.values(grads)]);
      },
    },
  ];
}
