import {
  createGenerator,
  createSiranModel,
  disposeSiranModel,
  generatorFlops,
  IDENTITY_GUIDE_NORMALIZATION,
  type InputNormalization,
  normalizeInputs,
  SIRAN_PRESETS,
  SiranTrainer,
  type TrainingBatch,
} from '@siran/siran-model';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BenchCase } from '../harness.js';

/** Shape of the benchmark batches: 4 patches of 128 x 128 pixels (the generator forward uses 1). */
export const SIRAN_MODEL_SHAPE = { batch: 4, size: 128, forwardBatch: 1 } as const;

/** Environment variable that enables the cases that take minutes on two CPU cores. */
export const HEAVY_VARIABLE = 'SIRAN_BENCH_HEAVY';

type Preset = 'tiny' | 'cpu' | 'paper';

/**
 * Smooth synthetic terrain in metres, its 4x coarsened copy on the same grid and a 3-band guide that
 * follows elevation and slope (reflectance-like values), all from seeded tfjs ops.
 *
 * @param batch - Number of patches.
 * @param size - Patch side in pixels (a multiple of 4).
 * @param seed - Seed of every random draw.
 * @returns A training batch; the caller disposes its tensors.
 */
export function syntheticBatch(batch: number, size: number, seed: number): TrainingBatch {
  return tf.tidy(() => {
    const octave = (cells: number, amplitude: number, offset: number) =>
      tf.mul(
        tf.image.resizeBilinear(
          tf.randomNormal([batch, cells, cells, 1], 0, 1, 'float32', seed + offset) as tf.Tensor4D,
          [size, size],
          true,
        ),
        amplitude,
      );
    // Hills of ~60 m over ~20 px, detail of ~8 m over ~4 px, on a 500 m plateau.
    const reference = tf.addN([
      tf.fill([batch, size, size, 1], 500),
      octave(Math.max(2, size / 16), 60, 1),
      octave(Math.max(2, size / 4), 8, 2),
    ]) as tf.Tensor4D;
    const coarse = tf.image.resizeBilinear(tf.avgPool(reference, 4, 4, 'valid'), [size, size], true);
    const [slopeY, slopeX] = [
      tf.sub(
        reference,
        tf.pad(
          tf.slice(reference, [0, 1, 0, 0], [-1, size - 1, -1, -1]),
          [
            [0, 0],
            [0, 1],
            [0, 0],
            [0, 0],
          ],
          500,
        ),
      ),
      tf.sub(
        reference,
        tf.pad(
          tf.slice(reference, [0, 0, 1, 0], [-1, -1, size - 1, -1]),
          [
            [0, 0],
            [0, 0],
            [0, 1],
            [0, 0],
          ],
          500,
        ),
      ),
    ];
    const slope = tf.sqrt(tf.add(tf.square(slopeY), tf.square(slopeX)));
    const noise = (offset: number) =>
      tf.randomNormal([batch, size, size, 1], 0, 0.01, 'float32', seed + offset);
    const height = tf.div(tf.sub(reference, 500), 60);
    const guide = tf.concat(
      [
        tf.addN([tf.fill([batch, size, size, 1], 0.3), tf.mul(height, 0.05), tf.mul(slope, -0.01), noise(3)]),
        tf.addN([tf.fill([batch, size, size, 1], 0.1), tf.mul(height, -0.02), tf.mul(slope, 0.02), noise(4)]),
        tf.addN([
          tf.fill([batch, size, size, 1], 0.08),
          tf.mul(height, -0.01),
          tf.mul(slope, 0.01),
          noise(5),
        ]),
      ],
      3,
    ) as tf.Tensor4D;
    return { coarse: coarse as tf.Tensor4D, guide, reference };
  });
}

/**
 * Per-channel mean and standard deviation of a guide batch, as the model stores them (read asynchronously, so
 * that WebGPU under Node, which cannot read synchronously, runs the suite too).
 */
async function guideStatistics(
  guide: tf.Tensor4D,
): Promise<Pick<InputNormalization, 'guideMean' | 'guideStandardDeviation'>> {
  const moments = tf.moments(guide, [0, 1, 2]);
  const [mean, variance] = await Promise.all([moments.mean.data(), moments.variance.data()]);
  tf.dispose([moments.mean, moments.variance]);
  return {
    guideMean: [mean[0], mean[1], mean[2]],
    guideStandardDeviation: [Math.sqrt(variance[0]), Math.sqrt(variance[1]), Math.sqrt(variance[2])],
  };
}

function heavy(): boolean {
  return process.env[HEAVY_VARIABLE] === '1';
}

/** Throws when the number of live tensors changed between two calls that should leave none behind. */
function checkLeak(where: string, before: number): void {
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${where}: ${after - before} tensor(s) leaked`);
}

/**
 * Why a training step is too slow for a default run (warm-up plus repeats over ~3 minutes on two CPU cores,
 * wasm with one thread).
 */
const HEAVY_REASONS: Partial<Record<Preset, string>> = {
  paper: 'one paper-preset training step takes minutes on 2 CPU cores',
};

interface TrainContext {
  readonly startTensors: number;
  readonly trainer: SiranTrainer;
  readonly batch: TrainingBatch;
  /** Live tensors after the previous step (Adam creates its moments on the first one). */
  steadyTensors?: number;
}

function trainStepCase(
  preset: Preset,
  backend: string,
  batch: number = SIRAN_MODEL_SHAPE.batch,
): BenchCase<TrainContext> {
  const { size } = SIRAN_MODEL_SHAPE;
  const suffix = batch === SIRAN_MODEL_SHAPE.batch ? '' : `-batch${batch}`;
  const name = `siran-model/train-step-${preset}${suffix}/${backend}`;
  const reason = HEAVY_REASONS[preset];
  return {
    name,
    params: { backend, preset, batch: `${batch}x${size}x${size}` },
    skip: () =>
      reason !== undefined && !heavy() ? `${reason}; set ${HEAVY_VARIABLE}=1 to run it` : undefined,
    async setup() {
      const startTensors = tf.memory().numTensors;
      const data = syntheticBatch(batch, size, 7);
      const model = createSiranModel(
        { preset, batchSize: batch, patchSize: size },
        await guideStatistics(data.guide),
      );
      return { startTensors, trainer: new SiranTrainer(model), batch: data };
    },
    async run(context) {
      const before = tf.memory().numTensors;
      // `await` also covers a synchronous `step`: the losses are read back, so the device has finished.
      const result = await context.trainer.step(context.batch);
      if (!result.applied) throw new Error(`${name}: the ${result.refused} update was refused (non-finite)`);
      if (context.steadyTensors !== undefined) checkLeak(name, before);
      context.steadyTensors = tf.memory().numTensors;
    },
    teardown(context) {
      if (context === undefined) return;
      disposeSiranModel(context.trainer.model);
      context.trainer.generatorOptimizer.dispose();
      context.trainer.discriminatorOptimizer.dispose();
      tf.dispose([context.batch.coarse, context.batch.guide, context.batch.reference]);
      reportLeftovers(name, context.startTensors);
    },
  };
}

interface ForwardContext {
  readonly startTensors: number;
  readonly generator: tfl.LayersModel;
  readonly inputs: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}

function generatorForwardCase(preset: Preset, backend: string, backward = false): BenchCase<ForwardContext> {
  const { forwardBatch, size } = SIRAN_MODEL_SHAPE;
  const name = `siran-model/generator-forward${backward ? '+backward' : ''}-${preset}/${backend}`;
  const flops = generatorFlops(preset, size, size);
  return {
    name,
    params: {
      backend,
      preset,
      input: `${forwardBatch}x${size}x${size}x(1+3+1)`,
      gflop: (flops.total / 1e9).toFixed(1),
      params: flops.parameters,
    },
    async setup() {
      const startTensors = tf.memory().numTensors;
      const data = syntheticBatch(forwardBatch, size, 11);
      const normalization: InputNormalization = {
        elevationScale: SIRAN_PRESETS[preset].elevationScale,
        elevationScaling: SIRAN_PRESETS[preset].elevationScaling,
        offsetWindow: SIRAN_PRESETS[preset].offsetWindow,
        ...IDENTITY_GUIDE_NORMALIZATION,
        ...(await guideStatistics(data.guide)),
      };
      const normalized = normalizeInputs(data.coarse, data.guide, normalization);
      // The attention map only scales the guide; its values do not change the cost, so it is all ones here.
      const attention = tf.onesLike(normalized.coarse);
      tf.dispose([data.coarse, data.guide, data.reference, normalized.offset, normalized.scale]);
      return {
        startTensors,
        generator: createGenerator(preset),
        inputs: [normalized.coarse, normalized.guide, attention],
      };
    },
    async run({ generator, inputs }) {
      const before = tf.memory().numTensors;
      if (backward) {
        // Gradients of mean(y^2) for every weight, as the PyTorch reference; their sum is read, so all ran.
        const variables = generator.trainableWeights.map((weight) => weight.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.square(generator.apply(inputs, { training: true }) as tf.Tensor4D)) as tf.Scalar,
          variables,
        );
        // One sum per weight: inside tidy, or each would outlive the call.
        const total = tf.tidy(() => tf.addN(Object.values(grads).map((gradient) => tf.sum(gradient))));
        await total.data();
        tf.dispose([value, total, ...Object.values(grads)]);
      } else {
        const output = generator.predict(inputs) as tf.Tensor4D;
        await output.data();
        output.dispose();
      }
      checkLeak(name, before);
    },
    teardown(context) {
      if (context === undefined) return;
      for (const weight of context.generator.weights) weight.dispose();
      tf.dispose(context.inputs);
      reportLeftovers(name, context.startTensors);
    },
  };
}

/** Teardown cannot fail a case (the harness runs it after timing), so it reports leftovers on stderr. */
function reportLeftovers(name: string, startTensors: number): void {
  const left = tf.memory().numTensors - startTensors;
  if (left !== 0) process.stderr.write(`  ${name}: ${left} tensor(s) left after teardown\n`);
}

/**
 * SiRAN training steps (generator and discriminator update, batch 4 of 128 x 128) for the `tiny`, `cpu` and
 * `paper` presets, and the `paper` generator forward pass on one 128 x 128 patch, on the active backend.
 *
 * @param backend - Name of the active backend, used in the case names.
 * @returns Cases named `siran-model/train-step-<preset>/<backend>`, `siran-model/generator-forward-paper/<backend>`
 *   and `siran-model/generator-forward+backward-paper/<backend>` (gradients of mean(y^2) for every weight). The paper training step is skipped unless
 *   `SIRAN_BENCH_HEAVY=1`.
 */
export function createCases(backend: string): BenchCase[] {
  return [
    generatorForwardCase('paper', backend),
    generatorForwardCase('paper', backend, true),
    trainStepCase('tiny', backend),
    trainStepCase('cpu', backend),
    trainStepCase('paper', backend),
    // At batch 4 the paper step needs more than the 4 GiB a wasm32 heap can address; one sample fits.
    trainStepCase('paper', backend, 1),
  ] as BenchCase[];
}
