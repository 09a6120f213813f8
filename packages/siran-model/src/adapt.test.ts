import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { type Raster, readRasterInfo, resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel, type SiranModel } from './model.js';
import { predictScene } from './predict.js';

const crs = resolveCrs('EPSG:32631');
const fine = 256;
const factor = 4;
let work: string;
let coarsePath: string;
let guidePath: string;

function terrain(x: number, y: number): number {
  return 250 + 25 * Math.sin(x / 21) * Math.cos(y / 17) + 6 * Math.sin((x - 2 * y) / 6.1);
}

const raster = (values: Float32Array, bands: number, size: number, cell: number): Raster => ({
  data: ndarray(values, [bands, size, size]),
  transform: [500000, cell, 0, 4800000, 0, -cell],
  crs,
  nodata: null,
});

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-adapt-'));
  const coarseSize = fine / factor;
  const coarse = new Float32Array(coarseSize * coarseSize);
  for (let row = 0; row < coarseSize; row++) {
    for (let column = 0; column < coarseSize; column++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++)
          sum += terrain(column * factor + dx + 0.5, row * factor + dy + 0.5);
      }
      coarse[row * coarseSize + column] = sum / factor ** 2;
    }
  }
  const guide = new Float32Array(3 * fine * fine);
  for (let i = 0; i < fine * fine; i++) {
    const x = (i % fine) + 0.5;
    const y = Math.floor(i / fine) + 0.5;
    const slope = terrain(x + 1, y) - terrain(x, y);
    guide[i] = 110 + 6 * slope;
    guide[fine * fine + i] = 80 - 4 * slope;
    guide[2 * fine * fine + i] = 70 + 3 * slope + (i % 3);
  }
  coarsePath = path.join(work, 'coarse.tif');
  guidePath = path.join(work, 'guide.tif');
  await writeRaster(coarsePath, raster(coarse, 1, coarseSize, factor));
  await writeRaster(guidePath, raster(guide, 3, fine, 1));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const weightsOf = (model: SiranModel) =>
  [model.generator, model.discriminator, model.attentionHead].flatMap((network) =>
    network.getWeights().map((weight) => Array.from(weight.dataSync())),
  );

describe('predictScene with adapt', () => {
  it('fine-tunes on the scene one scale down and keeps the weights when the held-out error falls', async () => {
    const model = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt'], offsetWindow: 5 });
    const initial = weightsOf(model);
    const out = path.join(work, 'adapted.tif');
    const result = await predictScene(model, coarsePath, guidePath, out, {
      adapt: { maxSteps: 40, minutes: 10, patchSize: 16 },
      regionSize: 8,
    });
    const adaptation = result.adaptation;
    expect(adaptation).not.toBeNull();
    if (adaptation === null) return;
    expect(adaptation.steps).toBe(40);
    expect(adaptation.blockSize).toBe(32);
    // The same held-out pixels before and after: bicubic's error is unchanged.
    expect(adaptation.after.bicubicRmse).toBe(adaptation.before.bicubicRmse);
    // A random model adds noise; 40 steps on the scene take most of it away.
    expect(adaptation.after.modelRmse).toBeLessThan(adaptation.before.modelRmse);
    expect(adaptation.kept).toBe(true);
    expect(weightsOf(model)).not.toEqual(initial);
    const metadata = (await readRasterInfo(out)).metadata;
    expect(metadata.SIRAN_ADAPT_KEPT).toBe('true');
    expect(Number(metadata.SIRAN_ADAPT_HELDOUT_MODEL_RMSE_AFTER)).toBeCloseTo(adaptation.after.modelRmse, 3);
    disposeSiranModel(model);
  });

  it('restores the weights exactly when the fine-tuning makes things worse', async () => {
    // A learning rate no training survives.
    const model = createSiranModel({
      preset: 'tiny',
      ablations: ['no-fsgt'],
      offsetWindow: 5,
      learningRate: 50,
    });
    const initial = weightsOf(model);
    const result = await predictScene(model, coarsePath, guidePath, path.join(work, 'restored.tif'), {
      adapt: { maxSteps: 3, patchSize: 16 },
      regionSize: 8,
    });
    expect(result.adaptation?.kept).toBe(false);
    expect(result.adaptation?.after.modelRmse).toBeGreaterThan(
      result.adaptation?.before.modelRmse ?? Number.NaN,
    );
    expect(weightsOf(model)).toEqual(initial);
    disposeSiranModel(model);
  });
});
