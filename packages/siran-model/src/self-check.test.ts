import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import {
  type Raster,
  readRaster,
  readRasterInfo,
  resolveCrs,
  type TargetGrid,
  warpRaster,
  writeRaster,
} from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel, type SiranModel, superResolve } from './model.js';
import { predictScene } from './predict.js';
import { crossScaleSelfCheck, modelShareSampler, selfCheckStatistics } from './self-check.js';

const crs = resolveCrs('EPSG:32631');
const fine = 128;
const factor = 4;
const coarseSize = fine / factor;
let work: string;
let model: SiranModel;
let truthFine: Float64Array;
let coarsePath: string;
let guidePath: string;

/** Terrain of hills and ridges with detail at every scale, metres. */
function terrain(x: number, y: number): number {
  return (
    400 +
    30 * Math.sin(x / 19) * Math.cos(y / 23) +
    8 * Math.sin((x + 2 * y) / 5.3) +
    3 * Math.cos((3 * x - y) / 2.1)
  );
}

/** Mean over `factor x factor` blocks of a square band-sequential raster. */
function blockMean(values: ArrayLike<number>, size: number, bands: number, by: number): Float64Array {
  const out = size / by;
  const result = new Float64Array(bands * out * out);
  for (let band = 0; band < bands; band++) {
    for (let row = 0; row < size; row++) {
      for (let column = 0; column < size; column++) {
        const target = band * out * out + Math.floor(row / by) * out + Math.floor(column / by);
        result[target] += values[band * size * size + row * size + column] / (by * by);
      }
    }
  }
  return result;
}

function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) continue;
    sum += (a[i] - b[i]) ** 2;
    count += 1;
  }
  return Math.sqrt(sum / count);
}

const raster = (values: ArrayLike<number>, bands: number, size: number, cell: number): Raster => ({
  data: ndarray(Float32Array.from(values), [bands, size, size]),
  transform: [500000, cell, 0, 4800000, 0, -cell],
  crs,
  nodata: null,
});

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-self-check-'));
  truthFine = new Float64Array(fine * fine);
  const guide = new Float32Array(3 * fine * fine);
  for (let row = 0; row < fine; row++) {
    for (let column = 0; column < fine; column++) {
      const i = row * fine + column;
      truthFine[i] = terrain(column + 0.5, row + 0.5);
      const slope = terrain(column + 1.5, row + 0.5) - truthFine[i];
      guide[i] = 120 + 4 * slope;
      guide[fine * fine + i] = 80 - 3 * slope + (i % 5);
      guide[2 * fine * fine + i] = 90 + 2 * slope;
    }
  }
  coarsePath = path.join(work, 'coarse.tif');
  guidePath = path.join(work, 'guide.tif');
  await writeRaster(coarsePath, raster(blockMean(truthFine, fine, 1, factor), 1, coarseSize, factor));
  await writeRaster(guidePath, raster(guide, 3, fine, 1));
  model = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt', 'no-dsa'], offsetWindow: 5 });
});

afterAll(async () => {
  disposeSiranModel(model);
  await rm(work, { recursive: true, force: true });
});

describe('selfCheckStatistics', () => {
  // 16 x 8 coarse pixels, two regions of 8 x 8.
  const grid: TargetGrid = { width: 16, height: 8, transform: [0, 10, 0, 80, 0, -10], crs };
  const truth = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i) * 5 + i);
  const bicubic = Float32Array.from(truth, (value, i) => value + ((i * 7) % 5) - 2);
  const left = (i: number) => i % 16 < 8;
  const context = { factor: 4, coarseCell: 10, regionSize: 8 };

  it('keeps the least-squares share of the correction per region, shrunk by its significance', () => {
    // Left: the correction is twice the error (least squares 1/2, correlation 1); right: the wrong sign.
    const prediction = Float32Array.from(truth, (value, i) =>
      left(i) ? bicubic[i] + 2 * (value - bicubic[i]) : bicubic[i] - (value - bicubic[i]),
    );
    const check = selfCheckStatistics(truth, bicubic, prediction, grid, context);
    // 64 pixels count as 16 independent ones: 1/2 * (1 - 2^2 / 16).
    const leftShare = 0.5 * (1 - 4 / 16);
    expect(check.shares.shares[0]).toBeCloseTo(leftShare, 6);
    expect(check.shares.shares[1]).toBe(0);
    expect(check.shares.grid).toMatchObject({ width: 2, height: 1, transform: [0, 80, 0, 80, 0, -80] });
    const blended = Float32Array.from(truth, (_value, i) =>
      left(i) ? bicubic[i] + leftShare * (prediction[i] - bicubic[i]) : bicubic[i],
    );
    expect(check.blendedRmse).toBeCloseTo(rmse(truth, blended), 5);
    expect(check.bicubicRmse).toBeCloseTo(rmse(truth, bicubic), 5);
    expect(check.modelRmse).toBeCloseTo(rmse(truth, prediction), 4);
    expect(check.expectedGain).toBeCloseTo(1 - rmse(truth, prediction) / rmse(truth, bicubic), 5);
    expect(check.pixels).toBe(128);
  });

  it('keeps nothing of a correction that correlates with the error only by chance', () => {
    // A correction that is noise: its correlation with bicubic's error is far below two standard scores.
    const prediction = Float32Array.from(
      bicubic,
      (value, i) => value + ((Math.sin(i * 12.9898) * 43758.5453) % 1),
    );
    const check = selfCheckStatistics(truth, bicubic, prediction, grid, context);
    expect(Array.from(check.shares.shares)).toEqual([0, 0]);
    expect(check.sceneShare).toBe(0);
    expect(check.blendedRmse).toBeCloseTo(check.bicubicRmse, 6);
  });

  it('gives regions with too few valid pixels the scene share', () => {
    const prediction = Float32Array.from(truth, (value, i) => {
      if (!left(i) && i >= 24) return Number.NaN; // all but 8 pixels of the right region missing
      return bicubic[i] + 2 * (value - bicubic[i]);
    });
    const check = selfCheckStatistics(truth, bicubic, prediction, grid, context);
    // 72 valid pixels count as 18 independent ones.
    expect(check.sceneShare).toBeCloseTo(0.5 * (1 - 4 / 18), 6);
    expect(check.shares.shares[0]).toBeCloseTo(0.5 * (1 - 4 / 16), 6);
    expect(check.shares.shares[1]).toBeCloseTo(check.sceneShare, 6);
  });
});

describe('modelShareSampler', () => {
  it('interpolates linearly between region centres and holds the outer values beyond them', () => {
    const map = {
      grid: { width: 2, height: 1, transform: [0, 40, 0, 40, 0, -40] as const, crs },
      shares: new Float32Array([0, 1]),
    };
    // Output pixels of 10 units: region centres at x = 20 and 60, i.e. output pixel centres 1.5 and 5.5.
    const sample = modelShareSampler(map, { width: 8, height: 4, transform: [0, 10, 0, 40, 0, -10], crs });
    expect(sample(0, 0)).toBe(0);
    expect(sample(1, 2)).toBe(0);
    expect(sample(2, 0)).toBeCloseTo(0.125, 6);
    expect(sample(3, 3)).toBeCloseTo(0.375, 6);
    expect(sample(5, 1)).toBeCloseTo(0.875, 6);
    expect(sample(7, 0)).toBe(1);
  });
});

describe('crossScaleSelfCheck', () => {
  it('measures bicubic and the model one scale down against the coarse DEM, as a direct computation does', async () => {
    const check = await crossScaleSelfCheck(model, coarsePath, guidePath, {
      tile: 16,
      overlap: 4,
      regionSize: 4,
    });
    expect(check.factor).toBeCloseTo(factor, 9);
    expect(check.coarseCellSize).toBeCloseTo(factor, 9);
    // Direct: coarse 32 x 32 -> 4x block mean 8 x 8 -> cubic back to 32 x 32 (geo-io's warp, as GDAL's).
    const coarse = blockMean(truthFine, fine, 1, factor);
    const coarser = raster(blockMean(coarse, coarseSize, 1, factor), 1, coarseSize / factor, factor * factor);
    const coarseGrid: TargetGrid = {
      width: coarseSize,
      height: coarseSize,
      transform: [500000, factor, 0, 4800000, 0, -factor],
      crs,
    };
    const bicubic = warpRaster(coarser, coarseGrid, { resampling: 'cubic' }).data.data as Float32Array;
    expect(check.pixels).toBe(coarseSize * coarseSize);
    expect(check.bicubicRmse).toBeCloseTo(rmse(coarse, bicubic), 4);
    // The model on the whole coarse grid in one piece, with the guide block-averaged.
    const guide = (await readRaster(guidePath)).data.data;
    const guideCoarse = blockMean(guide, fine, 3, factor);
    const interleaved = new Float32Array(3 * coarseSize * coarseSize);
    for (let i = 0; i < coarseSize * coarseSize; i++) {
      for (let band = 0; band < 3; band++)
        interleaved[3 * i + band] = guideCoarse[band * coarseSize * coarseSize + i];
    }
    const direct = tf.tidy(() =>
      superResolve(
        model,
        tf.tensor4d(bicubic, [1, coarseSize, coarseSize, 1]),
        tf.tensor4d(interleaved, [1, coarseSize, coarseSize, 3]),
      ).dataSync(),
    );
    // Tiles agree with one piece away from borders only: compare the RMSE loosely, the bicubic one tightly.
    expect(check.modelRmse).toBeGreaterThan(0.8 * rmse(coarse, direct));
    expect(check.modelRmse).toBeLessThan(1.25 * rmse(coarse, direct));
    expect(check.expectedGain).toBeCloseTo(1 - check.modelRmse / check.bicubicRmse, 9);
    expect(check.blendedRmse).toBeLessThanOrEqual(Math.min(check.bicubicRmse, check.modelRmse) + 1e-6);
  });

  it('refuses a coarse DEM that is not coarser than the guide', async () => {
    await expect(crossScaleSelfCheck(model, guidePath, guidePath)).rejects.toThrow(
      /has cells of 1 against 1 for the guide .*expected a coarse DEM at least 1.5 times coarser/,
    );
  });
});

describe('predictScene with the self-check', () => {
  it('falls back towards bicubic where the model hurts, and writes the check into the metadata', async () => {
    const options = { tile: 64, overlap: 16, regionSize: 8 } as const;
    const none = path.join(work, 'none.tif');
    const blended = path.join(work, 'blended.tif');
    const bare = path.join(work, 'bare.tif');
    const modelOnly = await predictScene(model, coarsePath, guidePath, none, {
      ...options,
      fallback: 'none',
    });
    const result = await predictScene(model, coarsePath, guidePath, blended, options);
    const unchecked = await predictScene(model, coarsePath, guidePath, bare, {
      ...options,
      selfCheck: false,
    });
    // The random model makes things worse one scale down, and at full scale.
    const check = result.selfCheck;
    expect(check).not.toBeNull();
    expect(check?.expectedGain).toBeLessThan(0);
    const bicubicFine = warpRaster(
      raster(blockMean(truthFine, fine, 1, factor), 1, coarseSize, factor),
      { width: fine, height: fine, transform: [500000, 1, 0, 4800000, 0, -1], crs },
      { resampling: 'cubic' },
    ).data.data;
    const values = async (file: string) => (await readRaster(file)).data.data;
    const errorNone = rmse(await values(none), truthFine);
    const errorBlended = rmse(await values(blended), truthFine);
    const errorBicubic = rmse(bicubicFine, truthFine);
    expect(errorNone).toBeGreaterThan(errorBicubic);
    expect(errorBlended).toBeLessThan(errorNone);
    expect(errorBlended).toBeLessThan(errorBicubic * 1.01);
    expect(result.modelShare).toBeGreaterThanOrEqual(0);
    expect(result.modelShare).toBeLessThan(0.5);
    expect(modelOnly.modelShare).toBe(1);
    expect(Array.from(await values(bare))).toEqual(Array.from(await values(none)));
    // The metadata says so.
    const metadata = (await readRasterInfo(blended)).metadata;
    expect(metadata).toEqual(result.metadata);
    expect(Number(metadata.SIRAN_SELF_CHECK_EXPECTED_GAIN)).toBeCloseTo(check?.expectedGain ?? Number.NaN, 4);
    expect(metadata.SIRAN_FALLBACK).toBe('bicubic');
    expect(unchecked.selfCheck).toBeNull();
    expect(unchecked.fallback).toBe('none');
    expect(Object.keys((await readRasterInfo(bare)).metadata).some((key) => key.includes('SELF_CHECK'))).toBe(
      false,
    );
  });
});
