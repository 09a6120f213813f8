import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRaster } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import type { Raster } from './types.js';
import { writeMosaicVrt } from './write-mosaic-vrt.js';
import { writeRaster } from './write-raster.js';

let work: string;
const crs = resolveCrs('EPSG:32611');
const [rows, columns] = [50, 70];
const whole = new Float32Array(rows * columns).map((_, i) => 1000 + ((i * 7919) % 997) / 7);

/** The window of the whole raster starting at (x, y), as a georeferenced raster of its own. */
function window(x: number, y: number, width: number, height: number): Raster {
  const values = new Float32Array(width * height);
  for (let r = 0; r < height; r++)
    values.set(whole.subarray((y + r) * columns + x, (y + r) * columns + x + width), r * width);
  return {
    data: ndarray(values, [1, height, width]),
    transform: [500000 + 2 * x, 2, 0, 4000000 - 2 * y, 0, -2],
    crs,
    nodata: -9999,
  };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'geo-io-vrt-'));
  await mkdir(path.join(work, 'scenes'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

describe('writeMosaicVrt', () => {
  it("places each scene at its pixel offset on the union grid, relative to the VRT's folder", async () => {
    const parts = [
      [0, 0, 40, 30],
      [40, 0, 30, 30],
      [0, 30, 40, 20],
      [40, 30, 30, 20],
    ] as const;
    const files: string[] = [];
    for (const [k, [x, y, w, h]] of parts.entries()) {
      files.push(path.join(work, 'scenes', `part-${k}.tif`));
      await writeRaster(files[k], window(x, y, w, h));
    }
    const out = path.join(work, 'mosaic.vrt');
    const result = await writeMosaicVrt(out, [files[3], files[0], files[1], files[2]], { unit: 'm' });
    expect([result.width, result.height]).toEqual([columns, rows]);
    expect(result.transform).toEqual([500000, 2, 0, 4000000, 0, -2]);
    expect(result.placements.map(({ x, y }) => [x, y])).toEqual([
      [40, 30],
      [0, 0],
      [40, 0],
      [0, 30],
    ]);
    const xml = await readFile(out, 'utf8');
    expect(xml).toContain('<VRTDataset rasterXSize="70" rasterYSize="50">');
    expect(xml).toContain('<SourceFilename relativeToVRT="1">scenes/part-3.tif</SourceFilename>');
    expect(xml).toContain('<DstRect xOff="40" yOff="30" xSize="30" ySize="20" />');
    expect(xml).toContain('<NoDataValue>-9999</NoDataValue>');
    expect(xml).toContain('<UnitType>m</UnitType>');
  });

  it('refuses scenes of another CRS, pixel size or type, or off the pixel grid, naming the file', async () => {
    const base = path.join(work, 'base.tif');
    await writeRaster(base, window(0, 0, 10, 10));
    const variant = async (name: string, change: (raster: Raster) => Raster) => {
      const file = path.join(work, name);
      await writeRaster(file, change(window(10, 0, 10, 10)));
      return file;
    };
    const out = path.join(work, 'refused.vrt');
    const shifted = await variant('shifted.tif', (r) => ({
      ...r,
      transform: [r.transform[0] + 0.5, 2, 0, r.transform[3], 0, -2],
    }));
    await expect(writeMosaicVrt(out, [base, shifted])).rejects.toThrow(
      /shifted\.tif is off the first source's pixel grid by 0\.250000 pixel in x/,
    );
    const other = await variant('other-crs.tif', (r) => ({ ...r, crs: resolveCrs('EPSG:32612') }));
    await expect(writeMosaicVrt(out, [base, other])).rejects.toThrow(
      /other-crs\.tif is in EPSG:32612, the first source in EPSG:32611/,
    );
    const coarse = await variant('coarse.tif', (r) => ({
      ...r,
      transform: [r.transform[0], 4, 0, r.transform[3], 0, -4],
    }));
    await expect(writeMosaicVrt(out, [base, coarse])).rejects.toThrow(
      /coarse\.tif has pixels of 4 x -4, the first source 2 x -2/,
    );
    await expect(writeMosaicVrt(out, [])).rejects.toThrow(/no source raster/);
  });

  it.runIf(hasGdal())(
    'is read by GDAL as the whole raster (gdal_translate of the mosaic equals the original)',
    async () => {
      const out = path.join(work, 'mosaic.vrt');
      const translated = path.join(work, 'from-vrt.tif');
      execFileSync('gdal_translate', ['-q', out, translated]);
      const raster = await readRaster(translated);
      expect(raster.data.shape).toEqual([1, rows, columns]);
      expect(Buffer.from((raster.data.data as Float32Array).buffer).equals(Buffer.from(whole.buffer))).toBe(
        true,
      );
      expect(raster.transform).toEqual([500000, 2, 0, 4000000, 0, -2]);
      expect(raster.crs.epsg).toBe(32611);
    },
  );
});

function hasGdal(): boolean {
  try {
    execFileSync('gdalinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
