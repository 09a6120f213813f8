import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { buildDatasetFromSources, createSyntheticScene } from '@siran/dataset-builder';
import { evaluateDem, guidedFilter } from '@siran/metrics';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel } from './model.js';
import { evaluationSummary } from './report.js';
import { evaluateSplit, GUIDED_FILTER_BASELINE } from './validation.js';

let work: string;
let dataset: string;

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-validation-'));
  dataset = path.join(work, 'dataset');
  const scene = (name: string, seed: number, noise: number) => ({
    ...createSyntheticScene({
      width: 64,
      height: 64,
      degradation: { coarseCellSize: 4, blurSigma: 0.5, noiseStandardDeviation: noise, seed },
    }),
    name,
  });
  await buildDatasetFromSources([scene('smooth', 1, 0.1), scene('noisy', 2, 2)], dataset, {
    patch: { size: 16, stride: 16 },
    split: { blockSize: 32, guardBand: 0, fractions: { train: 0.5, validation: 0.5, test: 0 }, seed: 4 },
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('evaluateSplit per scene', () => {
  it('partitions the patches by scene and recomputes every mean and the relative RMSE', async () => {
    const model = createSiranModel('tiny', {
      elevationScale: 10,
      offsetWindow: 5,
      guideMean: [100, 100, 100],
      guideStandardDeviation: [50, 50, 50],
    });
    const evaluation = await evaluateSplit(model, dataset, { split: 'validation', examples: 2 });
    disposeSiranModel(model);
    expect(evaluation.byScene.map((row) => row.scene).sort()).toEqual(['noisy', 'smooth']);
    expect(evaluation.byScene.reduce((sum, row) => sum + row.patches, 0)).toBe(evaluation.patches);
    const ratios: number[] = [];
    for (const row of evaluation.byScene) {
      const rows = evaluation.perPatch.filter((patch) => patch.scene === row.scene);
      expect(rows.length).toBe(row.patches);
      for (const method of ['model', 'bicubic'] as const) {
        for (const metric of ['rmse', 'mae', 'psnr', 'ssimPercent'] as const) {
          const mean = rows.reduce((sum, patch) => sum + patch[method][metric], 0) / rows.length;
          expect(row[method][metric]).toBeCloseTo(mean, 10);
        }
      }
      ratios.push(row.model.rmse / row.bicubic.rmse);
    }
    expect(evaluation.relativeRmse).toBeCloseTo((ratios[0] + ratios[1]) / 2, 12);
    // The scenes were told apart: the noisy one's bicubic errors are larger.
    const [smooth, noisy] = ['smooth', 'noisy'].map((name) =>
      evaluation.byScene.find((r) => r.scene === name),
    );
    expect(noisy!.bicubic.rmse).toBeGreaterThan(1.5 * smooth!.bicubic.rmse);
    // Figures: one example from each scene.
    expect(new Set(evaluation.examples.map((e) => evaluation.perPatch[e.index].scene)).size).toBe(2);
    expect(evaluationSummary(evaluation, 'validation')).toMatch(/smooth \(\d+ patches\)[\s\S]*noisy/);
  });

  it('evaluates the guided filter and other models as baselines on the same patches', async () => {
    const normalization = {
      elevationScale: 10,
      offsetWindow: 5,
      guideMean: [100, 100, 100] as [number, number, number],
      guideStandardDeviation: [50, 50, 50] as [number, number, number],
    };
    const model = createSiranModel('tiny', normalization);
    const evaluation = await evaluateSplit(model, dataset, {
      split: 'validation',
      examples: 1,
      baselineModels: { same: model },
    });
    disposeSiranModel(model);
    // The same model as a baseline gives the model's own numbers.
    expect(evaluation.baselines.same).toEqual(evaluation.model);
    // The guided filter, recomputed on the example patch from its pixels.
    const [example] = evaluation.examples;
    const { height, width } = example;
    const size = height * width;
    const bands = [0, 1, 2].map((band) => example.guide.subarray(band * size, (band + 1) * size));
    const filtered = guidedFilter(example.coarse, bands, width, height);
    let minimum = Number.POSITIVE_INFINITY;
    let maximum = Number.NEGATIVE_INFINITY;
    for (const value of example.reference) {
      minimum = Math.min(minimum, value);
      maximum = Math.max(maximum, value);
    }
    const direct = evaluateDem(
      ndarray(filtered, [height, width]),
      ndarray(Float64Array.from(example.reference), [height, width]),
      {
        terrain: false,
        dataRange: maximum - minimum,
      },
    );
    const patch = evaluation.perPatch[example.index].baselines[GUIDED_FILTER_BASELINE];
    expect(patch.rmse).toBeCloseTo(direct.rmse, 9);
    expect(patch.ssimPercent).toBeCloseTo(direct.ssimPercent, 9);
    // Means per scene and overall.
    for (const row of evaluation.byScene) {
      const rows = evaluation.perPatch.filter((p) => p.scene === row.scene);
      const mean = rows.reduce((sum, p) => sum + p.baselines[GUIDED_FILTER_BASELINE].rmse, 0) / rows.length;
      expect(row.baselines[GUIDED_FILTER_BASELINE].rmse).toBeCloseTo(mean, 10);
    }
    expect(evaluationSummary(evaluation, 'validation')).toMatch(/Guided filter RMSE [\d.]+ m/);
    expect(evaluationSummary(evaluation, 'validation')).toMatch(
      /\(\d+ patches\), best: (Bicubic|Guided filter|same|SiRAN)/,
    );
  });
});
