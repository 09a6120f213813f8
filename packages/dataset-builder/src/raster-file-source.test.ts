import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRasterFile } from './raster-file-source.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'raster-file-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('openRasterFile', () => {
  it('reads GeoTIFF windows on demand, equal to the same window of the written array', async () => {
    const width = 300;
    const height = 200;
    const values = Float32Array.from({ length: 2 * width * height }, (_, i) => Math.sin(i * 0.001) * 100 + i);
    const path = join(root, 'two-bands.tif');
    const raster = {
      data: ndarray(values, [2, height, width]),
      transform: [1000, 2, 0, 5000, 0, -2] as const,
      crs: resolveCrs(32631),
      nodata: -9999,
    };
    await writeRaster(path, raster, { tileSize: 64 });
    const source = await openRasterFile(path, { description: 'two-bands.tif' });
    expect([source.width, source.height, source.bandCount, source.nodata, source.description]).toEqual([
      300,
      200,
      2,
      -9999,
      'two-bands.tif',
    ]);
    const window = { x: 70, y: 130, width: 40, height: 50 };
    const part = await source.read(window, [1, 0]);
    expect(part.data.shape).toEqual([2, 50, 40]);
    expect(part.transform).toEqual([1140, 2, 0, 4740, 0, -2]);
    for (const [r, c] of [
      [0, 0],
      [49, 39],
      [13, 27],
    ] as const) {
      expect(part.data.get(0, r, c)).toBe(values[width * height + (130 + r) * width + 70 + c]);
      expect(part.data.get(1, r, c)).toBe(values[(130 + r) * width + 70 + c]);
    }
    await expect(source.read({ x: 290, y: 0, width: 20, height: 5 }, [0])).rejects.toThrow(
      /^openRasterFile: window/,
    );
  });
});
