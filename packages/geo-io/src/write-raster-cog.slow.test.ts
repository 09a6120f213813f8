import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { computeOverviews, overviewSizes } from './internal/cog-overviews.js';
import { readRasterInfo } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import type { Raster, RasterDataType, RasterTypedArray } from './types.js';
import { type WriteRasterOptions, writeRaster } from './write-raster.js';

/**
 * GDAL's own checks of the COGs we write: `validate_cloud_optimized_geotiff.py` (shipped by Debian's
 * python3-gdal as the module `osgeo_utils.samples.validate_cloud_optimized_geotiff`), `gdalinfo -json`, and
 * `gdal_translate` reads of full resolution and overviews. Without GDAL these tests fail, naming the install.
 */

const INSTALL = 'apt-get update && apt-get install -y gdal-bin python3-gdal';

function gdalMissing(): string | null {
  try {
    execFileSync('gdalinfo', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return `GDAL is not installed (gdalinfo not found); install it with: ${INSTALL}`;
  }
}

/** A Python that imports GDAL's bindings (pyenv shims may hide the system one). */
function gdalPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import osgeo_utils.samples.validate_cloud_optimized_geotiff'], {
        stdio: 'ignore',
      });
      return python;
    } catch {
      // try the next one
    }
  }
  return null;
}

function requireGdal(): string {
  const missing = gdalMissing();
  if (missing !== null) throw new Error(missing);
  const python = gdalPython();
  if (python === null) {
    throw new Error(
      `GDAL's Python bindings (osgeo_utils.samples.validate_cloud_optimized_geotiff) are missing; install them with: ${INSTALL}`,
    );
  }
  return python;
}

/** GDAL's validator, plus the block order it checks only for files with GDAL's structural metadata. */
const VALIDATE = `
import json, sys
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
path = sys.argv[1]
warnings, errors, details = validate(path, full_check=True)
# Row-major block order, band by band, every level; each level's blocks before those of the next larger one.
ds = gdal.Open(path)
levels = []
for level in range(-1, ds.GetRasterBand(1).GetOverviewCount()):
    offsets = []
    for b in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(b)
        band = band if level < 0 else band.GetOverview(level)
        bx, by = band.GetBlockSize()
        for y in range((band.YSize + by - 1) // by):
            for x in range((band.XSize + bx - 1) // bx):
                offsets.append(int(band.GetMetadataItem("BLOCK_OFFSET_%d_%d" % (x, y), "TIFF")))
    levels.append(offsets)
order = []
for index, offsets in enumerate(levels):
    if any(b <= a for a, b in zip(offsets, offsets[1:])):
        order.append("level %d: block offsets are not increasing in band, row-major order" % index)
    if index + 1 < len(levels) and min(offsets) < max(levels[index + 1]):
        order.append("level %d: blocks before those of the next smaller level" % index)
print(json.dumps({"warnings": warnings, "errors": errors, "details": details, "order": order}))
`;

const directory = mkdtempSync(join(tmpdir(), 'geo-io-cog-gdal-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function dem(rows: number, columns: number): Raster {
  const random = seededRandom(21);
  const values = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const pick = random();
      values[row * columns + column] =
        row < 300 && column < 200
          ? -9999
          : pick < 0.01
            ? Number.NaN
            : pick < 0.02
              ? -9999
              : 250 + 80 * Math.sin(row / 60) * Math.cos(column / 45) + random();
    }
  }
  values[12345] = -0;
  return {
    data: ndarray(values, [1, rows, columns]),
    transform: [500000, 5, 0, 4100000, 0, -5],
    crs: resolveCrs(32612),
    nodata: -9999,
  };
}

function integers(dataType: 'int16' | 'uint8', bands: number, rows: number, columns: number): Raster {
  const random = seededRandom(dataType === 'int16' ? 22 : 23);
  const values =
    dataType === 'int16' ? new Int16Array(bands * rows * columns) : new Uint8Array(bands * rows * columns);
  for (let index = 0; index < values.length; index++) {
    values[index] =
      dataType === 'int16' ? (random() < 0.3 ? 32767 : (random() - 0.5) * 65535) : random() * 256;
  }
  return {
    data: ndarray(values, [bands, rows, columns]),
    transform: [600000, 10, 0, 5000000, 0, -10],
    crs: resolveCrs(32631),
    nodata: dataType === 'int16' ? -32768 : null,
  };
}

const GDAL_TYPES: Partial<Record<RasterDataType, string>> = {
  float32: 'Float32',
  int16: 'Int16',
  uint8: 'Byte',
};

const cases: { label: string; raster: Raster; options: WriteRasterOptions; predictor: string }[] = [
  {
    label: 'float32 DEM, 256 px tiles, description and unit',
    raster: dem(1000, 700),
    options: { tileSize: 256, bands: [{ description: 'elevation', unit: 'm' }] },
    predictor: '3',
  },
  {
    label: 'int16, 128 px tiles, escaped description',
    raster: integers('int16', 1, 600, 550),
    options: { tileSize: 128, bands: [{ description: 'a & <b> ± c', unit: 'ft' }] },
    predictor: '2',
  },
  {
    label: 'three-band uint8, 64 px tiles, nearest',
    raster: integers('uint8', 3, 300, 530),
    options: { tileSize: 64, overviewResampling: 'nearest', bands: [{}, { description: 'green' }] },
    predictor: '2',
  },
];

function bytesOf(values: RasterTypedArray): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** Values GDAL decodes from a file (or one of its overviews), as raw band-sequential little-endian bytes. */
function gdalValues(path: string, overview: number | null): Buffer {
  const output = join(directory, 'values.bin');
  const level = overview === null ? [] : ['-ovr', String(overview)];
  execFileSync('gdal_translate', ['-q', ...level, '-of', 'ENVI', '-co', 'INTERLEAVE=BSQ', path, output]);
  return readFileSync(output);
}

describe('COGs written by writeRaster, checked by GDAL', () => {
  for (const { label, raster, options, predictor } of cases) {
    it(`${label}: validate_cloud_optimized_geotiff.py passes, gdalinfo and gdal_translate agree`, async () => {
      const python = requireGdal();
      const path = join(directory, `${label.replace(/\W+/g, '_')}.tif`);
      const settings: WriteRasterOptions = {
        layout: 'cog',
        predictor: 'auto',
        compression: 'deflate',
        ...options,
      };
      await writeRaster(path, raster, settings);

      // GDAL's validator: no error, no warning; and the block order of every band and level.
      const report = JSON.parse(execFileSync(python, ['-c', VALIDATE, path], { encoding: 'utf8' }));
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([]);
      expect(report.order).toEqual([]);
      expect(report.details.ifd_offsets.main).toBe(8);
      const cli = execFileSync(
        python,
        ['-m', 'osgeo_utils.samples.validate_cloud_optimized_geotiff', '--full-check=yes', path],
        { encoding: 'utf8' },
      );
      expect(cli).toContain('is a valid cloud optimized GeoTIFF');

      // gdalinfo: overviews, nodata, description, unit, predictor.
      const [bands, rows, columns] = raster.data.shape;
      const sizes = overviewSizes(columns, rows, settings.tileSize as number);
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
      expect(info.size).toEqual([columns, rows]);
      expect(info.metadata.IMAGE_STRUCTURE).toMatchObject({ COMPRESSION: 'DEFLATE', PREDICTOR: predictor });
      expect(info.bands).toHaveLength(bands);
      info.bands.forEach((band: Record<string, unknown>, index: number) => {
        expect(band.type).toBe(GDAL_TYPES[raster.data.dtype as RasterDataType]);
        expect(band.block).toEqual([settings.tileSize, settings.tileSize]);
        expect(band.overviews).toEqual(sizes.map(({ width, height }) => ({ size: [width, height] })));
        if (raster.nodata === null) expect(band.noDataValue).toBeUndefined();
        else expect(band.noDataValue).toBe(raster.nodata);
        expect(band.description ?? '').toBe(settings.bands?.[index]?.description ?? '');
        expect(band.unit).toBe(settings.bands?.[index]?.unit);
      });
      expect((await readRasterInfo(path)).metadata).toEqual({});

      // Values: full resolution equals ours byte for byte, each overview equals what we computed.
      expect(gdalValues(path, null).equals(bytesOf(raster.data.data))).toBe(true);
      const dataType = raster.data.dtype as RasterDataType;
      const ours = computeOverviews(raster, dataType, sizes, settings.overviewResampling ?? 'average');
      ours.forEach((values, level) => {
        expect(gdalValues(path, level).equals(bytesOf(values)), `overview ${level}`).toBe(true);
      });
    });
  }

  it('gdalinfo shows Description and Unit Type as text', async () => {
    requireGdal();
    const path = join(directory, 'text.tif');
    const raster = dem(300, 300);
    await writeRaster(path, raster, { layout: 'cog', bands: [{ description: 'elevation', unit: 'm' }] });
    const text = execFileSync('gdalinfo', [path], { encoding: 'utf8' });
    expect(text).toContain('Description = elevation');
    expect(text).toContain('Unit Type: m');
    expect(text).toMatch(/Overviews: 150x150/);
  });
});
