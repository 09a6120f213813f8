import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRaster, readRasterInfo } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import { writeRaster } from './write-raster.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const fixture = (name: string) => new URL(name, fixtures).pathname;

interface GdalReading {
  size: [number, number, number];
  transform: number[];
  epsg: number | null;
  nodata: number | null;
  dataType: string;
  values: [number, number, number[]][];
  sum: number[];
}
const gdal = JSON.parse(readFileSync(fixture('gdal-reference.json'), 'utf8')) as Record<string, GdalReading>;

function expectTransform(actual: readonly number[], expected: readonly number[]): void {
  actual.forEach((value, index) => {
    expect(value).toBeCloseTo(expected[index], 9);
  });
}

describe('readRaster against GDAL', () => {
  for (const [name, expected] of Object.entries(gdal)) {
    it(`reads ${name} as GDAL does`, async () => {
      const raster = await readRaster(fixture(name));
      expect(raster.data.shape).toEqual(expected.size);
      expectTransform(raster.transform, expected.transform);
      if (expected.epsg !== null) expect(raster.crs.epsg).toBe(expected.epsg);
      expect(raster.nodata).toBe(expected.nodata);
      for (const [x, y, bandValues] of expected.values) {
        bandValues.forEach((value, band) => {
          expect(raster.data.get(band, y, x)).toBe(value);
        });
      }
      const [bands, rows, columns] = expected.size;
      for (let band = 0; band < bands; band++) {
        let sum = 0;
        for (let row = 0; row < rows; row++)
          for (let column = 0; column < columns; column++) sum += raster.data.get(band, row, column);
        expect(sum).toBeCloseTo(expected.sum[band], 3);
      }
    });
  }

  for (const [name, expected] of Object.entries(gdal)) {
    it(`describes ${name} as GDAL does, without reading pixels`, async () => {
      const info = await readRasterInfo(fixture(name));
      expect([info.bandCount, info.height, info.width]).toEqual(expected.size);
      expectTransform(info.transform, expected.transform);
      if (expected.epsg !== null) expect(info.crs.epsg).toBe(expected.epsg);
      expect(info.nodata).toBe(expected.nodata);
    });
  }

  it('reads the user-defined UTM 25S keys as the same projection as EPSG:31985', async () => {
    const raster = await readRaster(fixture('olinda_dem_utm25s.tif'));
    expect(raster.crs.proj4).toMatch(/\+proj=utm \+zone=25 \+south/);
  });
});

describe('readRaster windows and bands', () => {
  it('reads a window of a tiled file equal to the same pixels of the whole', async () => {
    const whole = await readRaster(fixture('variant_tiled_lzw.tif'));
    const window = { x: 30, y: 45, width: 40, height: 17 };
    const part = await readRaster(fixture('variant_tiled_lzw.tif'), { window });
    expect(part.data.shape).toEqual([1, 17, 40]);
    for (let row = 0; row < 17; row++) {
      for (let column = 0; column < 40; column++) {
        expect(part.data.get(0, row, column)).toBe(whole.data.get(0, window.y + row, window.x + column));
      }
    }
    expect(part.transform[0]).toBeCloseTo(whole.transform[0] + 30 * whole.transform[1], 6);
    expect(part.transform[3]).toBeCloseTo(whole.transform[3] + 45 * whole.transform[5], 6);
  });

  it('selects bands in the order asked', async () => {
    const rgb = await readRaster(fixture('ign_rgb_crop.tif'));
    const blueRed = await readRaster(fixture('ign_rgb_crop.tif'), { bands: [2, 0] });
    expect(blueRed.data.shape).toEqual([2, 80, 96]);
    expect(blueRed.data.get(0, 5, 7)).toBe(rgb.data.get(2, 5, 7));
    expect(blueRed.data.get(1, 5, 7)).toBe(rgb.data.get(0, 5, 7));
  });

  it('fills every output band when a band is asked for twice (no zeros left behind)', async () => {
    const twice = await readRaster(fixture('ign_rgb_crop.tif'), { bands: [1, 1] });
    const green = await readRaster(fixture('ign_rgb_crop.tif'), { bands: [1] });
    expect(Array.from(twice.data.data)).toEqual([...green.data.data, ...green.data.data]);
  });

  it('reads from an ArrayBuffer', async () => {
    const bytes = readFileSync(fixture('zion_srtm_crop.tif'));
    const raster = await readRaster(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    expect(raster.data.get(0, 25, 40)).toBe(gdal['zion_srtm_crop.tif'].values[2][2][0]);
  });
});

describe('readRaster PNG/JPEG with a world file', () => {
  it('reads the PNG made by gdal_translate with the same values and transform as the TIFF', async () => {
    const tiff = await readRaster(fixture('ign_rgb_crop.tif'));
    const png = await readRaster(fixture('ign_rgb_crop.png'), { crs: 2154 });
    expect(png.data.shape).toEqual([3, 80, 96]);
    expectTransform(png.transform, tiff.transform);
    expect(png.crs.epsg).toBe(2154);
    for (let index = 0; index < tiff.data.data.length; index++)
      expect(png.data.data[index]).toBe(tiff.data.data[index]);
  });

  it('reads a JPEG with its .wld (world file origin is the pixel centre)', async () => {
    const jpeg = await readRaster(fixture('autzen_crop.jpg'), { crs: 2994 });
    expect(jpeg.data.shape).toEqual([3, 96, 128]);
    const lines = readFileSync(fixture('autzen_crop.wld'), 'utf8').trim().split(/\s+/).map(Number);
    expect(jpeg.transform[0]).toBeCloseTo(lines[4] - lines[0] / 2, 9);
    expect(jpeg.transform[3]).toBeCloseTo(lines[5] - lines[3] / 2, 9);
  });

  it('georeferences a plain TIFF from its .tfw, with the CRS given', async () => {
    const plain = await readRaster(fixture('variant_baseline.tif'), { crs: 31985 });
    const geotiff = await readRaster(fixture('olinda_dem_utm25s.tif'), {
      window: { x: 0, y: 0, width: 16, height: 16 },
    });
    expectTransform(plain.transform, geotiff.transform);
    expect(Array.from(plain.data.data)).toEqual(Array.from(geotiff.data.data));
    await expect(readRaster(fixture('variant_baseline.tif'))).rejects.toThrow(
      /variant_baseline\.tif" has no CRS.*options\.crs/,
    );
  });

  it('requires the CRS for a world-file image', async () => {
    await expect(readRaster(fixture('autzen_crop.jpg'))).rejects.toThrow(/autzen_crop\.jpg.*options\.crs/);
  });
});

describe('readRaster errors name the file and the problem', () => {
  it('rejects a window outside the raster', async () => {
    await expect(
      readRaster(fixture('olinda_dem_utm25s.tif'), { window: { x: 100, y: 0, width: 20, height: 5 } }),
    ).rejects.toThrow(/readRaster: window .* is outside ".*olinda_dem_utm25s\.tif" \(111 x 111\)/);
  });

  it('rejects missing bands', async () => {
    await expect(readRaster(fixture('olinda_dem_utm25s.tif'), { bands: [1] })).rejects.toThrow(RangeError);
  });

  it('rejects an unsupported sample format (complex)', async () => {
    await expect(readRaster(fixture('variant_complex.tif'))).rejects.toThrow(
      /variant_complex\.tif.*unsupported sample format/,
    );
  });

  it('rejects a truncated file and a missing file', async () => {
    const bytes = readFileSync(fixture('olinda_dem_utm25s.tif')).subarray(0, 600);
    await expect(readRaster(new Uint8Array(bytes).buffer)).rejects.toThrow(
      /readRaster: "<ArrayBuffer>" is truncated or corrupt: .* but the file has 600 bytes/,
    );
    await expect(readRaster(fixture('does-not-exist.tif'))).rejects.toThrow(/does-not-exist\.tif/);
    await expect(readRaster(fixture('make-fixtures.sh'))).rejects.toThrow(
      /make-fixtures\.sh" is not a TIFF, PNG or JPEG/,
    );
  });
});

describe('readRaster over HTTP', () => {
  let server: Server;
  let servedBytes = 0;
  let base = '';
  let file: Buffer;
  const directory = mkdtempSync(join(tmpdir(), 'geo-io-http-'));
  const path = join(directory, 'big.tif');
  beforeAll(async () => {
    // A 1024 x 1024 Float32 file in 256 x 256 uncompressed tiles (4 MiB).
    const values = new Float32Array(1024 * 1024).map((_, index) => Math.sin(index * 0.001) * 100);
    const raster = {
      data: ndarray(values, [1, 1024, 1024]),
      transform: [500000, 1, 0, 4000000, 0, -1] as const,
      crs: resolveCrs(32612),
      nodata: null,
    };
    await writeRaster(path, raster, { compression: 'none', tileSize: 256 });
    file = readFileSync(path);
    server = createServer((request, response) => {
      const range = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '');
      if (!range) {
        servedBytes += file.length;
        response.writeHead(200, { 'Content-Length': file.length });
        response.end(file);
        return;
      }
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), file.length - 1);
      servedBytes += end - start + 1;
      response.writeHead(206, {
        'Content-Range': `bytes ${start}-${end}/${file.length}`,
        'Content-Length': end - start + 1,
        'Accept-Ranges': 'bytes',
      });
      response.end(file.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads a window of a tiled GeoTIFF with range requests, fetching less than the file', async () => {
    const window = { x: 10, y: 10, width: 32, height: 32 };
    const remote = await readRaster(new URL('big.tif', base), { window });
    const local = await readRaster(path, { window });
    expect(Array.from(remote.data.data)).toEqual(Array.from(local.data.data));
    expect(remote.transform).toEqual(local.transform);
    expect(servedBytes).toBeGreaterThan(0);
    expect(servedBytes).toBeLessThan(file.length / 4);
  });
});
