import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { buildDatasetFromSources, createSyntheticScene } from '@siran/dataset-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel } from './model.js';
import { evaluationSummary } from './report.js';
import { evaluateSplit } from './validation.js';

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
});
