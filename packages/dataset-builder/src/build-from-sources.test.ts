import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCrs, warpRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatasetFromSources } from './build-from-sources.js';
import { degradeDem } from './degradation.js';
import type { DatasetManifest } from './manifest.js';
import { readNpy } from './npy-format.js';
import { rasterSourceFromRaster } from './raster-source.js';
import { SceneInputError } from './scene-input-error.js';
import type { SceneSources } from './scene-layers.js';
import { SPLIT_NAMES } from './spatial-split.js';
import { createSyntheticScene } from './synthetic-scene.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dataset-builder-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const degradation = {
  coarseCellSize: 8,
  blurSigma: 0.7,
  noiseStandardDeviation: 0.3,
  verticalBias: 1.5,
  shift: [0.25, -0.4] as const,
  seed: 11,
};
const options = {
  patch: { size: 32, stride: 24 },
  split: { blockSize: 64, guardBand: 4, seed: 3 },
  windowSize: 64,
};

describe('buildDatasetFromSources', () => {
  let manifest: DatasetManifest;
  let directory: string;
  const scene = createSyntheticScene({ width: 200, height: 168, degradation });
  const progress: Array<[string, number, number]> = [];

  beforeAll(async () => {
    directory = join(root, 'synthetic');
    manifest = await buildDatasetFromSources([scene], directory, {
      ...options,
      onProgress: (...args) => progress.push(args),
    });
  });

  it('writes every split as NumPy files whose counts match the manifest', async () => {
    expect(manifest.counts.kept).toBe(SPLIT_NAMES.reduce((n, s) => n + manifest.splits[s].count, 0));
    expect(manifest.counts.kept).toBeGreaterThan(20);
    for (const split of SPLIT_NAMES) {
      expect(manifest.splits[split].count).toBeGreaterThan(0);
      const guide = await readNpy(join(directory, manifest.splits[split].files.guide));
      expect(guide.shape).toEqual([manifest.splits[split].count, 32, 32, 3]);
    }
    expect(progress.at(-1)).toEqual(['scene "synthetic-200x168": windows', 12, 12]);
    expect((await readdir(root)).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('keeps splits spatially disjoint: patches of different splits are at least two guard bands apart', () => {
    const boxes = SPLIT_NAMES.flatMap((split) =>
      manifest.splits[split].patches.map(([, row, column]) => ({ split, row, column })),
    );
    let closest = Number.POSITIVE_INFINITY;
    for (const a of boxes) {
      for (const b of boxes) {
        if (a.split === b.split) continue;
        const gap = Math.max(
          a.row - b.row - 32,
          b.row - a.row - 32,
          a.column - b.column - 32,
          b.column - a.column - 32,
        );
        closest = Math.min(closest, gap);
      }
    }
    expect(closest).toBeGreaterThanOrEqual(8);
  });

  it('stores the reference exactly and a coarse layer recomputable from the manifest alone', async () => {
    const grid = manifest.scenes[0]!.grid;
    const whole = await scene.reference.read({ x: 0, y: 0, width: grid.width, height: grid.height }, [0]);
    // Recompute the coarse layer of the whole scene at once from the recorded parameters.
    const recorded = manifest.scenes[0]!.degradation!;
    expect(recorded).toMatchObject({ ...degradation, blockSize: 8 });
    const coarse = warpRaster(
      degradeDem(whole, recorded),
      { width: grid.width, height: grid.height, transform: grid.transform, crs: resolveCrs(grid.crs.proj4) },
      { resampling: 'cubic', nodata: Number.NaN, dataType: 'float32' },
    );
    const reference = await readNpy(join(directory, manifest.splits.train.files.reference));
    const coarsePatches = await readNpy(join(directory, manifest.splits.train.files.coarse));
    let largest = 0;
    manifest.splits.train.patches.forEach(([, row, column], k) => {
      for (let r = 0; r < 32; r += 1) {
        for (let c = 0; c < 32; c += 1) {
          expect(reference.values[k * 1024 + r * 32 + c]).toBe(whole.data.get(0, row + r, column + c));
          largest = Math.max(
            largest,
            Math.abs(coarsePatches.values[k * 1024 + r * 32 + c]! - coarse.data.get(0, row + r, column + c)),
          );
        }
      }
    });
    // windows of 64 pixels reproduce the whole-scene degradation up to float32 rounding
    expect(largest).toBeLessThan(1e-3);
  });

  it('records normalisation statistics of the training split', async () => {
    const reference = await readNpy(join(directory, manifest.splits.train.files.reference));
    const values = Array.from(reference.values);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(manifest.normalization.reference.mean).toBeCloseTo(mean, 6);
    expect(manifest.normalization.reference.count).toBe(values.length);
    expect(manifest.normalization.guide).toHaveLength(3);
  });
});

describe('buildDatasetFromSources on bad input', () => {
  const crs = resolveCrs('EPSG:32631');
  const flat = (x0: number, bands = 1, value = 5) =>
    rasterSourceFromRaster({
      data: ndarray(new Float32Array(bands * 64 * 64).fill(value), [bands, 64, 64]),
      transform: [x0, 1, 0, 100, 0, -1],
      crs,
      nodata: null,
    });
  const scene = (name: string, extra: Partial<SceneSources> = {}): SceneSources => ({
    name,
    reference: flat(0),
    guide: flat(0, 3),
    guideBands: [0, 1, 2],
    degradation: { coarseCellSize: 4 },
    ...extra,
  });
  const small = { patch: { size: 16, stride: 16 }, split: { blockSize: 32, guardBand: 0 } };

  it('fails on non-overlapping extents or missing guide bands, and writes nothing', async () => {
    const outDir = join(root, 'bad');
    await expect(
      buildDatasetFromSources([scene('far', { reference: flat(1000) })], outDir, small),
    ).rejects.toMatchObject({ problem: 'no-overlap' });
    await expect(
      buildDatasetFromSources([scene('two-bands', { guide: flat(0, 2) })], outDir, small),
    ).rejects.toThrow(SceneInputError);
    await expect(readdir(root)).resolves.not.toContain('bad');
  });

  it('skips invalid scenes when asked, counting them and the rejected nodata patches in the manifest', async () => {
    const holed = createSyntheticScene({
      width: 64,
      height: 64,
      nodataRectangle: [0, 0, 40, 64],
      degradation: { coarseCellSize: 4 },
    });
    const manifest = await buildDatasetFromSources(
      [
        scene('good'),
        scene('far', { reference: flat(1000) }),
        scene('two-bands', { guide: flat(0, 2) }),
        holed,
      ],
      join(root, 'skipping'),
      { ...small, skipInvalidScenes: true },
    );
    expect(manifest.skippedScenes.map((s) => [s.name, s.problem])).toEqual([
      ['far', 'no-overlap'],
      ['two-bands', 'guide-bands'],
    ]);
    expect(manifest.scenes.map((s) => s.name)).toEqual(['good', 'synthetic-64x64']);
    // the hole covers rows 0-39: patch rows 0 and 16 fail (plus row 32 overlaps it); only row 48 survives
    expect(manifest.scenes[1]!.counts).toEqual({ kept: 4, rejected: { 'reference-nodata': 12 } });
    expect(manifest.counts.rejected).toEqual({ 'reference-nodata': 12 });
  });

  it('refuses an all-nodata dataset, an existing directory, and cleans up after a failing source', async () => {
    const empty = createSyntheticScene({
      width: 64,
      height: 64,
      nodataRectangle: [0, 0, 64, 64],
      degradation: { coarseCellSize: 4 },
    });
    await expect(buildDatasetFromSources([empty], join(root, 'empty'), small)).rejects.toThrow(
      /no patch was kept/,
    );
    await expect(buildDatasetFromSources([scene('good')], join(root, 'skipping'), small)).rejects.toThrow(
      /already exists/,
    );
    let reads = 0;
    const failing = {
      ...flat(0),
      read: async (...args: Parameters<ReturnType<typeof flat>['read']>) => {
        reads += 1;
        if (reads > 2) throw new Error('disk went away');
        return flat(0).read(...args);
      },
    };
    await expect(
      buildDatasetFromSources([scene('failing', { reference: failing })], join(root, 'failing'), {
        ...small,
        windowSize: 32,
      }),
    ).rejects.toThrow('disk went away');
    const left = await readdir(root);
    expect(left.filter((name) => name.includes('failing') || name.includes('empty'))).toEqual([]);
  });
});
