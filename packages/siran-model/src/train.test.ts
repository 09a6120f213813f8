import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { buildDatasetFromSources, createSyntheticScene } from '@siran/dataset-builder';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel, superResolve } from './model.js';
import { loadSiranModel, saveSiranModel } from './serialization.js';
import { train } from './train.js';
import { evaluateSplit } from './validation.js';

let work: string;
let dataset: string;

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-train-'));
  dataset = path.join(work, 'dataset');
  const scene = createSyntheticScene({
    width: 112,
    height: 112,
    degradation: { coarseCellSize: 4, blurSigma: 0.5, noiseStandardDeviation: 0.2, seed: 3 },
  });
  await buildDatasetFromSources([scene], dataset, {
    patch: { size: 16, stride: 16 },
    split: { blockSize: 32, guardBand: 0, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 1 },
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const quiet = { progress: false, checkpointEvery: 2 } as const;

async function weightsOf(run: Awaited<ReturnType<typeof train>>): Promise<Float32Array[]> {
  const networks = [run.model.generator, run.model.discriminator, run.model.attentionHead];
  return Promise.all(
    networks.flatMap((network) => network.getWeights().map(async (w) => (await w.data()) as Float32Array)),
  );
}

describe('train', () => {
  it('resumes a stopped run to exactly the weights and loss curve of an uninterrupted one', async () => {
    const straight = await train('tiny', dataset, {
      ...quiet,
      steps: 4,
      outDir: path.join(work, 'straight'),
    });
    const first = await train('tiny', dataset, {
      ...quiet,
      steps: 4,
      outDir: path.join(work, 'resumed'),
      stopAfter: 2,
    });
    expect(first.step).toBe(2);
    disposeSiranModel(first.model);
    const resumed = await train('tiny', dataset, {
      ...quiet,
      steps: 4,
      outDir: path.join(work, 'resumed'),
      resume: true,
    });
    expect(resumed.startStep).toBe(2);
    expect(resumed.step).toBe(4);
    const [a, b] = await Promise.all([weightsOf(straight), weightsOf(resumed)]);
    expect(b.length).toBe(a.length);
    a.forEach((values, index) => {
      expect(b[index]).toEqual(values);
    });
    const log = async (run: string) =>
      (await readFile(path.join(work, run, 'train-log.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const [straightLog, resumedLog] = await Promise.all([log('straight'), log('resumed')]);
    expect(resumedLog.map((entry) => entry.step)).toEqual([1, 2, 3, 4]);
    expect(resumedLog.map((entry) => entry.generator)).toEqual(straightLog.map((entry) => entry.generator));
    for (const term of ['pixel', 'ssim', 'adversarial', 'sinkhorn', 'discriminator', 'domainAdaptation']) {
      expect(Number.isFinite(straightLog[3][term]), term).toBe(true);
    }
    disposeSiranModel(straight.model);
    disposeSiranModel(resumed.model);
  });

  it('refuses to resume with another configuration', async () => {
    await expect(
      train({ preset: 'tiny', channels: 4 }, dataset, {
        ...quiet,
        steps: 4,
        outDir: path.join(work, 'resumed'),
        resume: true,
      }),
    ).rejects.toThrow(/checkpoint was trained with configuration "tiny".*differs/);
  });

  it('logs validation metrics of the model and of bicubic, and keeps the model with the lowest relative RMSE', async () => {
    const outDir = path.join(work, 'validated');
    const run = await train('tiny', dataset, {
      ...quiet,
      steps: 3,
      outDir,
      validateEvery: 1,
      validationPatches: 2,
    });
    const lines = (await readFile(path.join(outDir, 'train-log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const validations = lines.filter((line) => line.validation);
    expect(validations.map((line) => line.step)).toEqual([1, 2, 3]);
    for (const { validation } of validations) {
      expect(validation.patches).toBe(2);
      for (const method of ['model', 'bicubic']) {
        for (const metric of ['rmse', 'mae', 'psnr', 'ssimPercent'])
          expect(Number.isFinite(validation[method][metric]), `${method} ${metric}`).toBe(true);
      }
    }
    for (const { validation } of validations) {
      // One scene: its means are the overall means, and the score is the RMSE ratio to bicubic.
      expect(validation.byScene.map((row: { patches: number }) => row.patches)).toEqual([2]);
      expect(validation.byScene[0].model).toEqual(validation.model);
      expect(validation.relativeRmse).toBeCloseTo(validation.model.rmse / validation.bicubic.rmse, 12);
    }
    const lowest = validations.reduce((a, b) =>
      b.validation.relativeRmse < a.validation.relativeRmse ? b : a,
    );
    const selection = JSON.parse(await readFile(path.join(outDir, 'best', 'selection.json'), 'utf8'));
    expect(selection.step).toBe(lowest.step);
    expect(run.best?.step).toBe(lowest.step);
    // The kept model, loaded and evaluated again, reproduces the logged validation RMSE of its step.
    const { model: kept } = await loadSiranModel(path.join(outDir, 'best'));
    const again = await evaluateSplit(kept, dataset, { split: 'validation', maxPatches: 2 });
    expect(again.model.rmse).toBeCloseTo(lowest.validation.model.rmse, 5);
    expect(again.relativeRmse).toBeCloseTo(lowest.validation.relativeRmse, 6);
    disposeSiranModel(kept);
    disposeSiranModel(run.model);
  });
});

describe('saveSiranModel / loadSiranModel', () => {
  it('round-trips a model exactly and refuses damaged or escaping files', async () => {
    const model = createSiranModel('tiny', {
      elevationScale: 7,
      offsetWindow: 5,
      guideMean: [1, 2, 3],
      guideStandardDeviation: [2, 2, 2],
    });
    const directory = path.join(work, 'model');
    await saveSiranModel(directory, model, { command: 'test' });
    const { model: loaded, metadata } = await loadSiranModel(directory);
    expect(metadata).toEqual({ command: 'test' });
    expect(loaded.normalization).toEqual(model.normalization);
    const coarse = tf.add(tf.randomNormal([1, 16, 16, 1], 0, 5, 'float32', 4), 300) as tf.Tensor4D;
    const guide = tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
    const [expected, actual] = [superResolve(model, coarse, guide), superResolve(loaded, coarse, guide)];
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));

    const manifestPath = path.join(directory, 'model.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const weightFile = path.join(directory, manifest.networks.generator.weights);
    const original = await readFile(weightFile);
    const damaged = Buffer.from(original);
    damaged[0] ^= 0xff;
    await writeFile(weightFile, damaged);
    await expect(loadSiranModel(directory)).rejects.toThrow(/does not match the SHA-256/);
    await writeFile(weightFile, original);

    await writeFile(
      manifestPath,
      JSON.stringify({
        ...manifest,
        networks: {
          ...manifest.networks,
          generator: { ...manifest.networks.generator, weights: '../../etc/passwd' },
        },
      }),
    );
    await expect(loadSiranModel(directory)).rejects.toThrow(/not a plain file name/);
    await writeFile(manifestPath, JSON.stringify({ ...manifest, version: 99 }));
    await expect(loadSiranModel(directory)).rejects.toThrow(/version 99.*reads "siran-model" version 1/);
    disposeSiranModel(model);
    disposeSiranModel(loaded);
  });
});
