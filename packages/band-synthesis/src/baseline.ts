import { ResidualConvBlock } from '@siran/dmrb-layers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BandSynthesisConfig } from './config.js';
import { seededRandom } from './internal/random.js';
import type { BandGrid } from './resample.js';
import { type BandSynthesisScene, type PatchOrigin, patchBatch } from './scene.js';
import { predictInWindows, type SynthesizeBandOptions } from './synthesize.js';

/**
 * Builds the DSen2-style baseline: a residual CNN on the concatenation of the HR bands and the upsampled LR band
 * that predicts the residual over the upsampled band.
 *
 * @param config - The configuration whose `channels`, `generatorBlocks` and `seed` are used (same width and depth
 *   as the S2A generator, for a like-for-like comparison).
 * @returns A model with inputs `bands` `[batch, height, width, 3]` and `upsampled` `[batch, height, width, 1]`
 *   and output `[batch, height, width, 1]` = `upsampled + f(bands, upsampled)`.
 * @example
 * ```ts
 * const baseline = createResidualBaseline(resolveBandSynthesisConfig());
 * ```
 */
export function createResidualBaseline(config: BandSynthesisConfig): tfl.LayersModel {
  const bands = tfl.input({ shape: [null, null, 3], name: 'bands' });
  const upsampled = tfl.input({ shape: [null, null, 1], name: 'upsampled' });
  const joined = tfl.layers.concatenate({ name: 'b_input' }).apply([bands, upsampled]);
  let features = tfl.layers
    .conv2d({
      name: 'b_encoder',
      filters: config.channels,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed + 500 }),
    })
    .apply(joined) as tfl.SymbolicTensor;
  for (let index = 0; index < config.generatorBlocks; index++) {
    features = new ResidualConvBlock({ name: `b_rcb${index}`, seed: config.seed + 600 + index }).apply(
      features,
    ) as tfl.SymbolicTensor;
  }
  const residual = tfl.layers
    .conv2d({
      name: 'b_output',
      filters: 1,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tfl.initializers.varianceScaling({
        scale: 1e-4,
        mode: 'fanAvg',
        distribution: 'uniform',
        seed: config.seed + 501,
      }),
    })
    .apply(features);
  const output = tfl.layers.add({ name: 'b_residual' }).apply([residual as tfl.SymbolicTensor, upsampled]);
  return tfl.model({
    name: 'residual_baseline',
    inputs: [bands, upsampled],
    outputs: output as tfl.SymbolicTensor,
  });
}

/**
 * Trains the baseline with the L1 loss and Adam, on the same batches as `trainBandSynthesis` draws for the same
 * seed (no checkpoints: it is a reference, trained in the same run as the model).
 *
 * @param baseline - A model from {@link createResidualBaseline}; trained in place.
 * @param scene - Training scene with a reference.
 * @param patches - Training patch corners.
 * @param options - Steps, batch, patch size, seed and learning rate.
 * @returns The L1 loss of each step.
 * @example
 * ```ts
 * await trainResidualBaseline(baseline, scene, split.train, { steps: 100, batchSize: 8, patchSize: 16, seed: 1, learningRate: 1e-3 });
 * ```
 */
export async function trainResidualBaseline(
  baseline: tfl.LayersModel,
  scene: BandSynthesisScene,
  patches: readonly PatchOrigin[],
  options: { steps: number; batchSize: number; patchSize: number; seed: number; learningRate: number },
): Promise<number[]> {
  const optimizer = tf.train.adam(options.learningRate, 0.9, 0.999);
  const variables = baseline.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const random = seededRandom(options.seed * 1_000_003 + step);
    const origins = Array.from(
      { length: options.batchSize },
      () => patches[Math.floor(random() * patches.length)],
    );
    const batch = patchBatch(scene, origins, options.patchSize);
    const { value, grads } = tf.variableGrads(() => {
      const output = baseline.apply([batch.bands, batch.upsampled], { training: true }) as tf.Tensor4D;
      return tf.mean(tf.abs(tf.sub(output, batch.reference))) as tf.Scalar;
    }, variables);
    optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    losses.push((await value.data())[0]);
    tf.dispose([value, ...Object.values(grads), batch.bands, batch.upsampled, batch.reference]);
  }
  optimizer.dispose();
  return losses;
}

/**
 * Synthesises a whole scene with the baseline, in overlapping windows.
 *
 * @param baseline - A trained baseline.
 * @param scene - The scene.
 * @param valueScale - Divisor of the inputs used in training.
 * @param options - Window size, overlap and progress.
 * @returns The band on the HR grid.
 * @example
 * ```ts
 * const band = await synthesizeWithBaseline(baseline, scene, 255);
 * ```
 */
export function synthesizeWithBaseline(
  baseline: tfl.LayersModel,
  scene: BandSynthesisScene,
  valueScale: number,
  options: SynthesizeBandOptions = {},
): Promise<BandGrid> {
  return predictInWindows(
    scene,
    valueScale,
    (bands, upsampled) => baseline.apply([bands, upsampled]) as tf.Tensor4D,
    options,
  );
}
