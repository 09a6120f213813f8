import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GeoTransform, readPointCloud, resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset } from './build-dataset.js';
import type { DatasetSpec, SceneSpec } from './dataset-spec.js';
import { readNpy } from './npy-format.js';

const data = fileURLToPath(new URL('../data/', import.meta.url));
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'build-dataset-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const ign: SceneSpec = {
  name: 'ign',
  // 0.2 m cells on the orthophoto's lattice: the DSM is copied onto the guide grid without resampling.
  reference: {
    path: 'ign/test_data_77055_627760_LA93_IGN69.laz',
    product: 'dsm',
    cellSize: 0.2,
    fill: false,
  },
  degradation: { coarseCellSize: 2, seed: 4 },
  guide: { path: 'ign/test_data_irc.tif', bands: [0, 1, 2] },
};
const small = {
  patch: { size: 32, stride: 32, minimumValidFraction: 0.5 },
  split: { blockSize: 128, guardBand: 0 },
};

describe('buildDataset from files', () => {
  it('grids the IGN lidar onto the orthophoto grid: stored heights are the highest return of each cell', async () => {
    const spec: DatasetSpec = { scenes: [ign], ...small };
    const manifest = await buildDataset(spec, join(root, 'ign'), { baseDirectory: data });
    const scene = manifest.scenes[0]!;
    expect(scene.grid.crs.proj4).toContain('+proj=lcc');
    expect(scene.grid.transform[0]).toBeCloseTo(770550, 6);
    expect(scene.grid.transform[3]).toBeCloseTo(6277600, 6);
    expect(scene.sources.reference.details).toMatchObject({
      kind: 'point-cloud',
      product: 'dsm',
      points: 60653,
    });
    expect(manifest.counts.kept).toBeGreaterThan(20);
    // Independent recomputation from the raw points for every stored pixel of the first training patch.
    const cloud = await readPointCloud(join(data, ign.reference.path));
    const [, row, column] = manifest.splits.train.patches[0]!;
    // Exact integer arithmetic in centimetres (LAS coordinates are 0.01 m steps); cells are 20 cm, the grid
    // starts at (770550, 6277600), and a point on a cell's west or north edge belongs to that cell.
    const highest = new Map<number, number>();
    for (let i = 0; i < cloud.count; i += 1) {
      if (cloud.classification[i] === 7 || cloud.classification[i] === 18) continue;
      const c = Math.floor((Math.round(cloud.x[i]! * 100) - 77055000) / 20) - column;
      const r = Math.floor((627760000 - Math.round(cloud.y[i]! * 100)) / 20) - row;
      if (r < 0 || c < 0 || r >= 32 || c >= 32) continue;
      highest.set(r * 32 + c, Math.max(highest.get(r * 32 + c) ?? Number.NEGATIVE_INFINITY, cloud.z[i]!));
    }
    const stored = await readNpy(join(root, 'ign', 'train', 'reference.npy'));
    expect(highest.size).toBeGreaterThan(300);
    for (const [index, z] of highest) expect(stored.values[index]).toBe(Math.fround(z));
    const guide = await readNpy(join(root, 'ign', 'train', 'guide.npy'));
    expect(Math.max(...guide.values.subarray(0, 32 * 32 * 3))).toBeLessThanOrEqual(255);
  });

  it('skips and counts a guide without CRS and a DTM from a cloud without ground points', async () => {
    const spec: DatasetSpec = {
      ...small,
      scenes: [
        ign,
        {
          name: 'jpeg-without-crs',
          reference: ign.reference,
          degradation: { coarseCellSize: 2 },
          guide: { path: 'autzen/autzen-crop.jpg', bands: [0, 1, 2] },
        },
        {
          name: 'dtm-without-ground',
          reference: { path: ign.reference.path, product: 'dtm', cellSize: 0.5, groundClasses: [99] },
          degradation: { coarseCellSize: 2 },
          guide: ign.guide,
        },
      ],
    };
    await expect(buildDataset(spec, join(root, 'strict'), { baseDirectory: data })).rejects.toMatchObject({
      problem: 'missing-crs',
    });
    const manifest = await buildDataset(spec, join(root, 'lenient'), {
      baseDirectory: data,
      skipInvalidScenes: true,
    });
    expect(manifest.skippedScenes.map((s) => [s.name, s.problem])).toEqual([
      ['jpeg-without-crs', 'missing-crs'],
      ['dtm-without-ground', 'no-ground-points'],
    ]);
    expect(manifest.scenes.map((s) => s.name)).toEqual(['ign']);
  });

  it('reprojects a real coarse GeoTIFF in another CRS and unit onto the guide grid (linear field)', async () => {
    // A coarse DEM in EPSG:4326 (about 1.6 x 2.2 m cells) whose heights, in feet, are a linear function of
    // the Lambert-93 coordinates; cubic convolution reproduces linear fields, so the warped layer must match.
    const field = (x: number, y: number) => 30 + 0.1 * (x - 770550) + 0.05 * (y - 6277550);
    const toLambert = proj4(resolveCrs(4326).proj4, resolveCrs(2154).proj4);
    const [west, south] = proj4(resolveCrs(2154).proj4, resolveCrs(4326).proj4).forward([770520, 6277520]);
    const step = 2e-5;
    const width = 100;
    const height = 70;
    const values = new Float32Array(width * height);
    for (let r = 0; r < height; r += 1) {
      for (let c = 0; c < width; c += 1) {
        const [x, y] = toLambert.forward([west! + (c + 0.5) * step, south! + (height - r - 0.5) * step]);
        values[r * width + c] = field(x!, y!) / 0.3048;
      }
    }
    const transform: GeoTransform = [west!, step, 0, south! + height * step, 0, -step];
    const path = join(root, 'coarse-4326.tif');
    await writeRaster(path, {
      data: ndarray(values, [1, height, width]),
      transform,
      crs: resolveCrs(4326),
      nodata: null,
    });
    const spec: DatasetSpec = {
      ...small,
      scenes: [
        {
          name: 'real-coarse',
          reference: ign.reference,
          coarse: { path, verticalUnit: 'foot' },
          guide: ign.guide,
        },
      ],
    };
    const manifest = await buildDataset(spec, join(root, 'real-coarse'), { baseDirectory: data });
    expect(manifest.scenes[0]!.degradation).toBeNull();
    expect(manifest.scenes[0]!.sources.coarse!.metresPerUnit).toBe(0.3048);
    const [x0, pixel, , y0, , pixelY] = manifest.scenes[0]!.grid.transform;
    const coarse = await readNpy(join(root, 'real-coarse', 'train', 'coarse.npy'));
    let largest = 0;
    manifest.splits.train.patches.forEach(([, row, column], k) => {
      for (let r = 0; r < 32; r += 3) {
        for (let c = 0; c < 32; c += 3) {
          const expected = field(x0 + (column + c + 0.5) * pixel, y0 + (row + r + 0.5) * pixelY);
          largest = Math.max(largest, Math.abs(coarse.values[k * 1024 + r * 32 + c]! - expected));
        }
      }
    });
    expect(largest).toBeLessThan(0.01);
  });
});
