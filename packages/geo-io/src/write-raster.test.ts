import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { createTypedArray } from './raster-data-type.js';
import { readRaster, readRasterInfo } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import type { GeoTransform, Raster, RasterDataType } from './types.js';
import { writeRaster } from './write-raster.js';

const directory = mkdtempSync(join(tmpdir(), 'geo-io-write-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A seeded linear congruential generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function makeRaster(
  dataType: RasterDataType,
  bands: number,
  rows: number,
  columns: number,
  seed: number,
): Raster {
  const random = seededRandom(seed);
  const values = createTypedArray(dataType, bands * rows * columns);
  const scale = dataType.startsWith('float') ? 1000 : dataType.endsWith('8') ? 100 : 30000;
  for (let index = 0; index < values.length; index++)
    values[index] = (random() - (dataType.startsWith('uint') ? 0 : 0.5)) * scale;
  const transform: GeoTransform = [500000.5, 2.5, 0, 4100000.25, 0, -2.5];
  return {
    data: ndarray(values, [bands, rows, columns]),
    transform,
    crs: resolveCrs(32612),
    nodata: dataType === 'float32' ? -9999 : null,
  };
}

describe('writeRaster round trip through readRaster', () => {
  const layouts = [
    { compression: 'deflate', tileSize: 256 },
    { compression: 'none', tileSize: 16 },
    { compression: 'deflate', tileSize: 0 },
    { compression: 'none', tileSize: 0 },
  ] as const;
  const types: RasterDataType[] = [
    'uint8',
    'int8',
    'uint16',
    'int16',
    'uint32',
    'int32',
    'float32',
    'float64',
  ];
  types.forEach((dataType, typeIndex) => {
    for (const layout of layouts) {
      it(`keeps ${dataType} values, transform, CRS and nodata (${layout.compression}, tile ${layout.tileSize})`, async () => {
        const raster = makeRaster(dataType, 2, 37, 53, typeIndex + 1);
        const path = join(directory, `${dataType}-${layout.compression}-${layout.tileSize}.tif`);
        await writeRaster(path, raster, layout);
        const back = await readRaster(path);
        expect(back.data.shape).toEqual([2, 37, 53]);
        expect(back.data.data.constructor).toBe(raster.data.data.constructor);
        expect(Array.from(back.data.data)).toEqual(Array.from(raster.data.data));
        expect(back.transform).toEqual(raster.transform);
        expect(back.crs.epsg).toBe(32612);
        expect(back.nodata).toBe(raster.nodata);
      });
    }
  });

  it('writes a rotated transform as a ModelTransformation', async () => {
    const raster = {
      ...makeRaster('float32', 1, 10, 12, 9),
      transform: [1000, 0.96, 0.28, 2000, 0.28, -0.96] as GeoTransform,
    };
    const path = join(directory, 'rotated.tif');
    await writeRaster(path, raster);
    expect((await readRaster(path)).transform).toEqual(raster.transform);
  });

  it('converts to another data type by rounding and clamping', async () => {
    const values = new Float32Array([-3.6, 0.4, 1.5, 254.6, 300, Number.NaN]);
    const raster: Raster = {
      data: ndarray(values, [1, 2, 3]),
      transform: [0, 1, 0, 0, 0, -1],
      crs: resolveCrs(4326),
      nodata: 0,
    };
    const path = join(directory, 'converted.tif');
    await writeRaster(path, raster, { dataType: 'uint8' });
    expect(Array.from((await readRaster(path)).data.data)).toEqual([0, 0, 2, 255, 255, 0]);
  });

  it('writes a NaN nodata and a user-defined CRS', async () => {
    const crs = resolveCrs('+proj=utm +zone=25 +south +ellps=GRS80 +units=m +no_defs');
    const raster: Raster = {
      data: ndarray(new Float32Array([1, Number.NaN, 3, 4]), [1, 2, 2]),
      transform: [0, 1, 0, 0, 0, -1],
      crs,
      nodata: Number.NaN,
    };
    const path = join(directory, 'nan.tif');
    await writeRaster(path, raster);
    const back = await readRaster(path);
    expect(back.nodata).toBeNaN();
    expect(back.crs.proj4).toMatch(
      /\+proj=tmerc \+lat_0=0 \+lon_0=-33 \+k_0=0.9996 \+x_0=500000 \+y_0=10000000/,
    );
  });

  it('reads non-contiguous ndarray views', async () => {
    const raster = makeRaster('int16', 1, 20, 30, 4);
    const view = raster.data.hi(1, 15, 25).lo(0, 5, 5);
    const path = join(directory, 'view.tif');
    await writeRaster(path, { ...raster, data: view });
    const back = await readRaster(path);
    expect(back.data.get(0, 3, 4)).toBe(raster.data.get(0, 8, 9));
  });

  it('leaves no temporary file behind, and none at all when it fails', async () => {
    const raster = makeRaster('uint8', 1, 4, 4, 5);
    await writeRaster(join(directory, 'clean.tif'), raster);
    await expect(
      writeRaster(join(directory, 'bad.tif'), { ...raster, crs: resolveCrs('+proj=robin +datum=WGS84') }),
    ).rejects.toThrow(/writeRaster: the CRS .* cannot be written as GeoTIFF keys/);
    expect(existsSync(join(directory, 'bad.tif'))).toBe(false);
    expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(directory, 'clean.tif')).subarray(0, 2).toString()).toBe('II');
  });

  it('writes dataset metadata as GDAL_METADATA and reads it back, special and non-ASCII characters included', async () => {
    const metadata = {
      SIRAN_EXPECTED_GAIN: '0.125',
      'note.text': 'a < b & "c" > \'d\' ± 3 m, 標高',
      EMPTY: '',
    };
    const path = join(directory, 'metadata.tif');
    await writeRaster(path, makeRaster('float32', 1, 8, 8, 7), { metadata });
    expect((await readRasterInfo(path)).metadata).toEqual(metadata);
    const plain = join(directory, 'no-metadata.tif');
    await writeRaster(plain, makeRaster('float32', 1, 8, 8, 7));
    expect((await readRasterInfo(plain)).metadata).toEqual({});
    await expect(
      writeRaster(join(directory, 'bad-key.tif'), makeRaster('uint8', 1, 4, 4, 8), {
        metadata: { 'two words': 'x' },
      }),
    ).rejects.toThrow(/writeRaster: ".*bad-key\.tif": metadata item "two words" is invalid/);
  });

  it('rejects bad shapes and tile sizes with the path in the message', async () => {
    const raster = makeRaster('uint8', 1, 4, 4, 6);
    await expect(writeRaster(join(directory, 'x.tif'), raster, { tileSize: 100 })).rejects.toThrow(
      /writeRaster: ".*x\.tif": tileSize 100/,
    );
    await expect(
      writeRaster(join(directory, 'y.tif'), { ...raster, data: ndarray(new Uint8Array(4), [4]) }),
    ).rejects.toThrow(RangeError);
  });
});
