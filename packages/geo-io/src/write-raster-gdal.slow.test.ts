import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { createTypedArray } from './raster-data-type.js';
import { readRaster, readRasterInfo } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import type { Crs, GeoTransform, Raster, RasterDataType } from './types.js';
import { type WriteRasterOptions, writeRaster } from './write-raster.js';

function hasGdal(): boolean {
  try {
    execFileSync('gdalinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const directory = mkdtempSync(join(tmpdir(), 'geo-io-gdal-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function makeRaster(
  dataType: RasterDataType,
  bands: number,
  transform: GeoTransform,
  crs: Crs,
  nodata: number | null,
): Raster {
  const [rows, columns] = [300, 280];
  const values = createTypedArray(dataType, bands * rows * columns);
  for (let index = 0; index < values.length; index++)
    values[index] =
      ((index * 7919) % 251) -
      (dataType.startsWith('uint') ? 0 : 100) +
      (dataType.startsWith('float') ? 0.25 : 0);
  return { data: ndarray(values, [bands, rows, columns]), transform, crs, nodata };
}

const GDAL_TYPES: Record<RasterDataType, string> = {
  uint8: 'Byte',
  int8: 'Int8',
  uint16: 'UInt16',
  int16: 'Int16',
  uint32: 'UInt32',
  int32: 'Int32',
  float32: 'Float32',
  float64: 'Float64',
};

const cases: [string, Raster, WriteRasterOptions, number | null][] = [
  [
    'float32 UTM tiled deflate',
    makeRaster('float32', 1, [500000, 30, 0, 4100000, 0, -30], resolveCrs(32612), -9999),
    {},
    32612,
  ],
  [
    'uint16 WGS 84 striped',
    makeRaster('uint16', 2, [-113.2, 0.001, 0, 37.5, 0, -0.001], resolveCrs(4326), 65535),
    { tileSize: 0, compression: 'none' },
    4326,
  ],
  [
    'int16 Lambert-93 rotated',
    makeRaster('int16', 3, [770000, 0.96, 0.28, 6277000, 0.28, -0.96], resolveCrs(2154), null),
    { tileSize: 64 },
    2154,
  ],
  [
    'float64 Oregon ft',
    makeRaster('float64', 1, [636000, 6, 0, 849500, 0, -6], resolveCrs(2994), Number.NaN),
    {},
    2994,
  ],
  [
    'int32 user-defined transverse Mercator',
    makeRaster(
      'int32',
      1,
      [300000, 90, 0, 9120000, 0, -90],
      resolveCrs('+proj=utm +zone=25 +south +ellps=GRS80 +units=m +no_defs'),
      -1,
    ),
    {},
    null,
  ],
];

describe.skipIf(!hasGdal())('writeRaster read back by GDAL (gdalinfo, gdal_translate)', () => {
  for (const [label, raster, options, epsg] of cases) {
    it(`${label}: same size, type, transform, CRS, nodata and values`, async () => {
      const path = join(directory, `${label.replace(/\W+/g, '_')}.tif`);
      await writeRaster(path, raster, options);
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
      const [bands, rows, columns] = raster.data.shape;
      expect(info.size).toEqual([columns, rows]);
      expect(info.bands).toHaveLength(bands);
      expect(info.bands[0].type).toBe(GDAL_TYPES[raster.data.dtype as RasterDataType]);
      (info.geoTransform as number[]).forEach((value, index) => {
        expect(value).toBeCloseTo(raster.transform[index], 9);
      });
      const wkt: string = info.coordinateSystem.wkt;
      if (epsg !== null) expect(wkt).toMatch(new RegExp(`ID\\["EPSG",${epsg}\\]\\]$`));
      else {
        expect(wkt).toMatch(/Transverse Mercator/);
        expect(wkt).toMatch(/"Longitude of natural origin",-33,/);
        expect(wkt).toMatch(/"False northing",10000000,/);
      }
      const nodata = info.bands[0].noDataValue;
      if (raster.nodata === null) expect(nodata).toBeUndefined();
      else if (Number.isNaN(raster.nodata)) expect(nodata).toBe('NaN');
      else expect(nodata).toBe(raster.nodata);
      // Values: GDAL decodes our file to raw ENVI; bytes must equal ours (little-endian, band-sequential).
      const envi = join(directory, 'values.bin');
      execFileSync('gdal_translate', ['-q', '-of', 'ENVI', '-co', 'INTERLEAVE=BSQ', path, envi]);
      const raw = new Uint8Array(readFileSync(envi));
      const ours = raster.data.data;
      expect(Buffer.from(raw).equals(Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength))).toBe(true);
      // And a GeoTIFF written by GDAL from ours reads back equal.
      const translated = join(directory, 'translated.tif');
      execFileSync('gdal_translate', ['-q', '-co', 'COMPRESS=LZW', path, translated]);
      const back = await readRaster(translated);
      expect(Array.from(back.data.data)).toEqual(Array.from(ours));
      back.transform.forEach((value, index) => {
        expect(value).toBeCloseTo(raster.transform[index], 9);
      });
      if (epsg !== null) expect(back.crs.epsg).toBe(epsg);
    });
  }

  it('dataset metadata: gdalinfo lists the items, and a GDAL copy keeps them', async () => {
    const [, raster, options] = cases[0];
    const metadata = { SIRAN_SELF_CHECK_GAIN: '-0.042', NOTE: 'a < b & c ± 1 m' };
    const path = join(directory, 'metadata.tif');
    await writeRaster(path, raster, { ...options, metadata });
    const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
    // GDAL adds AREA_OR_POINT from the GeoKeys.
    expect(info.metadata['']).toEqual({ ...metadata, AREA_OR_POINT: 'Area' });
    const translated = join(directory, 'metadata-translated.tif');
    execFileSync('gdal_translate', ['-q', path, translated]);
    expect((await readRasterInfo(translated)).metadata).toMatchObject(metadata);
  });
});
