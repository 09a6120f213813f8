import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { buildDatasetFromSources, createSyntheticScene } from '@siran/dataset-builder';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel } from './model.js';
import { train } from './train.js';
import { SiranTrainer } from './training-step.js';

/**
 * The native lane of the model: on `tensorflow` (tfjs-node), the `paper` preset trains at its published batch
 * within 8 GiB, and a stopped run resumes to exactly the weights of an uninterrupted one.
 */

let work: string;
let dataset: string;

beforeAll(async () => {
  await activateBackend('tensorflow', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-native-train-'));
  dataset = path.join(work, 'dataset');
  const scene = createSyntheticScene({
    width: 96,
    height: 96,
    degradation: { coarseCellSize: 4, blurSigma: 0.5, noiseStandardDeviation: 0.2, seed: 5 },
  });
  await buildDatasetFromSources([scene], dataset, {
    patch: { size: 16, stride: 16 },
    split: { blockSize: 32, guardBand: 0, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 2 },
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('paper preset on tensorflow', () => {
  it('runs one training step at batch 4 x 128 x 128 with finite losses, within 8 GiB resident', async () => {
    const size = 128;
    const batch = {
      coarse: tf.add(tf.randomNormal([4, size, size, 1], 0, 10, 'float32', 1), 500) as tf.Tensor4D,
      guide: tf.randomUniform([4, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D,
      reference: tf.add(tf.randomNormal([4, size, size, 1], 0, 10, 'float32', 3), 500) as tf.Tensor4D,
    };
    const model = createSiranModel(
      { preset: 'paper' },
      { guideMean: [0.5, 0.5, 0.5], guideStandardDeviation: [0.29, 0.29, 0.29] },
    );
    const trainer = new SiranTrainer(model);
    expect(trainer.recompute).toBe(true);
    const result = await trainer.step(batch);
    expect(result.applied).toBe(true);
    for (const [term, value] of Object.entries(result.losses))
      expect(Number.isFinite(value), term).toBe(true);
    // maxRSS is the peak of this test file's worker process, in KiB.
    expect(process.resourceUsage().maxRSS / 1024 ** 2).toBeLessThan(8);
    tf.dispose(Object.values(batch));
    trainer.generatorOptimizer.dispose();
    trainer.discriminatorOptimizer.dispose();
    disposeSiranModel(model);
  });

  it('resumes a stopped run of the paper width to exactly the weights and losses of an uninterrupted one', async () => {
    // The paper's networks (64 channels, 6 + 6 blocks, recomputed blocks) on small patches, so that it is quick.
    const config = { preset: 'paper', patchSize: 16, batchSize: 2 } as const;
    const options = { progress: false, checkpointEvery: 2, steps: 4 } as const;
    const straight = await train(config, dataset, { ...options, outDir: path.join(work, 'straight') });
    const first = await train(config, dataset, {
      ...options,
      outDir: path.join(work, 'resumed'),
      stopAfter: 2,
    });
    expect(first.step).toBe(2);
    disposeSiranModel(first.model);
    const resumed = await train(config, dataset, {
      ...options,
      outDir: path.join(work, 'resumed'),
      resume: true,
    });
    expect(resumed.startStep).toBe(2);
    const weights = (run: typeof straight) =>
      [run.model.generator, run.model.discriminator, run.model.attentionHead].flatMap((network) =>
        network.getWeights().map((weight) => weight.dataSync() as Float32Array),
      );
    const [a, b] = [weights(straight), weights(resumed)];
    expect(b.length).toBe(a.length);
    a.forEach((values, index) => {
      expect(b[index], `weight ${index}`).toEqual(values);
    });
    const log = async (run: string) =>
      (await readFile(path.join(work, run, 'train-log.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).generator as number);
    expect(await log('resumed')).toEqual(await log('straight'));
    disposeSiranModel(straight.model);
    disposeSiranModel(resumed.model);
  });
});
